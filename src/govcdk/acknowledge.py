"""Acknowledge a finding in CDK code: write a suppression into the resource's Metadata.

Two kinds: :func:`suppress` acknowledges a finding of govcdk (or cfn-lint) and
:func:`acknowledge` one of another scanner, checkov or cdk-nag, in that scanner's own format.

:func:`suppress` appends one entry to ``Metadata.govcdk.suppressions`` of a construct's
CloudFormation resource, so the acknowledgement ships in ``cdk.out`` with the template and
``govcdk check`` applies it (format and semantics: :mod:`govcdk.policies.suppressions`)::

    from govcdk import suppress

    suppress(role, id="GOV-IAM-002", reason="the CloudWatch agent creates its log groups at run time",
             expires="2026-06-30", poam="POAM-2025-014", wildcard="logs:*")

:func:`acknowledge` writes what the other tool itself reads, so its own run honours the
acknowledgement and the reason ships in the template (formats:
:data:`govcdk.policies.suppressions.TOOL_FORMATS`)::

    from govcdk.acknowledge import acknowledge

    acknowledge(handler, tool="checkov", id="CKV_AWS_117",
                reason="must reach the EC2 API and CloudFormation's response bucket")
    acknowledge(ingress, tool="cdk-nag", id="NIST.800.53.R5-EC2RestrictedCommonPorts",
                reason="EFA requires all traffic within the cluster's own security group")

Constructs call it without importing checkov or cdk-nag (test dependencies only).

This module imports ``aws_cdk`` (the policy engine never does); ``govcdk.suppress`` loads it on
first use.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

from govcdk.policies import suppressions as _supp
from govcdk.policies.model import Rule, Suppression
from govcdk.policies.suppressions import ToolAcknowledgement


def _cfn_resource(construct: IConstruct) -> CfnResource:
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if isinstance(child, CfnResource):
        return child
    raise ValueError(
        f"{construct.node.path}: has no default CloudFormation resource (node.default_child is "
        f"{type(child).__name__ if child is not None else 'None'}); pass the CfnResource "
        f"itself, e.g. construct.node.find_child('Resource')")


def suppress(construct: IConstruct, *, id: str, reason: str,  # noqa: A002 - the Metadata key
             expires: str | _dt.date | None = None, poam: str | None = None,
             wildcard: str | None = None, rules: Sequence[Rule] | None = None) -> Suppression:
    """Acknowledge findings of rule ``id`` on ``construct``'s CloudFormation resource (the
    construct itself when it is a ``CfnResource``, else its ``node.default_child``).

    ``id`` is a govcdk rule id or a cfn-lint rule id; ``reason`` at least 20 characters of
    substance; ``expires`` the last day it applies (``"YYYY-MM-DD"`` or a ``date``), required
    for HIGH and CRITICAL rules; ``poam`` an optional POA&M item id; ``wildcard`` acknowledges
    one wildcard only (``"logs:*"``, ``"*"``), for rules that report one result per wildcard.
    ``rules`` is the rule pack ids are checked against (default: govcdk's).

    Returns the validated :class:`~govcdk.policies.model.Suppression` appended to
    ``Metadata.govcdk.suppressions`` (other ``Metadata.govcdk`` keys are kept). Raises
    :class:`ValueError` saying what is allowed: a construct without a CloudFormation resource,
    an unknown id, a short reason, a malformed date, a missing expiry for a HIGH/CRITICAL rule,
    or a second suppression with the same ``id`` and ``wildcard`` on the resource.
    """
    if rules is None:
        from govcdk.policies.engine import load_rules

        rules = load_rules()
    entry: dict[str, Any] = {"id": id, "reason": reason}
    if expires is not None:
        entry["expires"] = expires.isoformat() if isinstance(expires, _dt.date) else expires
    if poam is not None:
        entry["poam"] = poam
    if wildcard is not None:
        entry["wildcard"] = wildcard
    lookup = _supp.severity_lookup({r.id: r.severity for r in rules})
    suppression = _supp.validate_entry(entry, lookup)
    resource = _cfn_resource(construct)
    current = resource.get_metadata(_supp.METADATA_KEY)
    if current is not None and not isinstance(current, dict):
        raise ValueError(f"{resource.node.path}: Metadata.{_supp.METADATA_KEY} is "
                         f"{type(current).__name__}, not a mapping")
    gov = dict(current or {})
    existing = list(gov.get(_supp.LIST_KEY) or [])
    for other in existing:
        if isinstance(other, dict) and other.get("id") == suppression.id \
                and other.get("wildcard") == suppression.wildcard:
            raise ValueError(f"{resource.node.path}: already acknowledges {suppression.id}"
                             + (f' wildcard "{suppression.wildcard}"' if suppression.wildcard else ""))
    stored = {k: v for k, v in suppression.to_dict().items() if v is not None}
    gov[_supp.LIST_KEY] = existing + [stored]
    resource.add_metadata(_supp.METADATA_KEY, gov)
    return suppression


def acknowledge(construct: IConstruct, *, tool: str, id: str, reason: str,  # noqa: A002
                applies_to: Sequence[str] | None = None) -> ToolAcknowledgement:
    """Acknowledge check ``id`` of another scanner on ``construct``'s CloudFormation resource
    (the construct itself when it is a ``CfnResource``, else its ``node.default_child``),
    written so that scanner honours it:

    - ``tool="checkov"``: appends ``{id, comment: reason}`` to the resource's
      ``Metadata.checkov.skip`` (checkov docs, "Suppressing and skipping policies",
      CloudFormation). checkov reports the check as skipped with the comment.
    - ``tool="cdk-nag"``: records ``Validations.of(resource).acknowledge(...)``, which is what
      cdk-nag 3 reads (construct metadata ``aws:cdk:acknowledged-rules``; one acknowledgement of
      ``id[finding]`` per ``applies_to`` entry, else of ``id``), and appends
      ``{id, reason, applies_to}`` to ``Metadata.cdk_nag.rules_to_suppress``, the format
      cdk-nag 2 reads and cdk-nag 3 writes with ``writeSuppressionsToCloudFormation``, so the
      reason ships in the template.

    ``id``: a checkov id (``CKV_AWS_117``, ``CKV2_AWS_5``) or a cdk-nag rule id
    (``NIST.800.53.R5-IAMNoInlinePolicy``); ``reason``: at least 20 characters of substance
    (why the check is wrong for this design, with its source); ``applies_to``: cdk-nag only,
    the rule's findings it covers (``["Action::s3:*"]``), default all.

    Returns the :class:`~govcdk.policies.suppressions.ToolAcknowledgement` written. Raises
    :class:`ValueError` saying what is allowed: an unknown tool, an id not of the tool's form,
    a short reason, ``applies_to`` for checkov, a construct without a CloudFormation resource,
    a ``Metadata`` block of the tool that is not a mapping with a list, or a second
    acknowledgement of the same id (and ``applies_to``) on the resource. Other tools' and
    govcdk's own Metadata keys are kept.
    """
    fmt = _supp.tool_format(tool)
    entry: dict[str, Any] = {"id": id, fmt.reason_key: reason}
    if applies_to is not None:
        if tool != _supp.TOOL_CDK_NAG:
            raise ValueError(f"applies_to: only cdk-nag rules report findings within a rule; "
                             f"{tool} acknowledges a check id as a whole")
        entry["applies_to"] = [applies_to] if isinstance(applies_to, str) else list(applies_to)
    ack = _supp.validate_tool_entry(tool, entry)
    resource = _cfn_resource(construct)
    current = resource.get_metadata(fmt.key)
    if current is not None and not (isinstance(current, dict)
                                    and isinstance(current.get(fmt.list_key, []), list)):
        raise ValueError(f"{resource.node.path}: Metadata.{fmt.key} is not a mapping with a "
                         f"{fmt.list_key} list")
    block = dict(current or {})
    existing = list(block.get(fmt.list_key) or [])
    for other in acknowledgements(resource, tool=tool):
        if other.id == ack.id and other.applies_to == ack.applies_to:
            raise ValueError(f"{resource.node.path}: already acknowledges {tool} {ack.id}"
                             + (f" applies_to {list(ack.applies_to)}" if ack.applies_to else ""))
    block[fmt.list_key] = existing + [ack.to_entry()]
    resource.add_metadata(fmt.key, block)
    if tool == _supp.TOOL_CDK_NAG:
        ids = [f"{ack.id}[{finding}]" for finding in ack.applies_to] or [ack.id]
        Validations.of(resource).acknowledge(*(Acknowledgment(id=i, reason=ack.reason) for i in ids))
    return ack


def acknowledgements(construct: IConstruct, *, tool: str | None = None) -> list[ToolAcknowledgement]:
    """The other-tool acknowledgements on ``construct``'s CloudFormation resource (see
    :func:`acknowledge`), of ``tool`` only when given; malformed entries are left out (the
    template check :func:`govcdk.policies.suppressions.tool_acknowledgements` reports them)."""
    if tool is not None:
        _supp.tool_format(tool)
    resource = _cfn_resource(construct)
    metadata = {fmt.key: resource.get_metadata(fmt.key) for fmt in _supp.TOOL_FORMATS.values()
                if resource.get_metadata(fmt.key) is not None}
    acks, _ = _supp.tool_acknowledgements(metadata)
    return [a for a in acks if tool is None or a.tool == tool]


__all__ = ["acknowledge", "acknowledgements", "suppress"]
