"""Acknowledge a finding in CDK code: write a suppression into the resource's Metadata.

:func:`suppress` appends one entry to ``Metadata.govcdk.suppressions`` of a construct's
CloudFormation resource, so the acknowledgement ships in ``cdk.out`` with the template and
``govcdk check`` applies it (format and semantics: :mod:`govcdk.policies.suppressions`)::

    from govcdk import suppress

    suppress(role, id="GOV-IAM-002", reason="the CloudWatch agent creates its log groups at run time",
             expires="2026-06-30", poam="POAM-2025-014", wildcard="logs:*")

This module imports ``aws_cdk`` (the policy engine never does); ``govcdk.suppress`` loads it on
first use.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

from aws_cdk import CfnResource
from constructs import IConstruct

from govcdk.policies import suppressions as _supp
from govcdk.policies.model import Rule, Suppression


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


__all__ = ["suppress"]
