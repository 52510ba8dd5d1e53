"""``govcdk verify``: check deployed stacks for what a template cannot prove.

:func:`verify` reads the stacks of one region through the AWS read APIs (CloudFormation, KMS,
EC2, S3, S3 Control, CloudTrail, CloudWatch Logs), finds their resources by ListStackResources
(physical ids) and runs :data:`~govcdk.verify.rules.VERIFY_RULES` on them: KMS keys enabled and
rotating, VPC flow logs active and delivering, no internet path from a VPC, S3 buckets with
Block Public Access in force and SSE-KMS default encryption, CloudTrail trails logging,
multi-Region and validating log files, log groups retaining events 365 days under a
customer-managed key. The result is a :class:`~govcdk.policies.model.Report`, the one ``govcdk
check`` produces, so every writer of :data:`govcdk.policies.reporters.WRITERS` renders it; a
stack appears as a :class:`~govcdk.policies.model.TemplateInfo` whose ``path`` is its stack id
(ARN) and a finding's ``template_path`` is that stack id.

Clients are passed in (:class:`Clients`, a mapping of boto3 clients, or a boto3 ``Session``);
nothing is patched and nothing is written to the account. The IAM actions needed are
:data:`REQUIRED_PERMISSIONS` (all reads).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from ..policies.engine import render_path
from ..policies.model import CheckResult, Finding, Report, Rule, Status, TemplateInfo
from ._aws import (OPERATIONS, REQUIRED_PERMISSIONS, SERVICES, Absent, Api, AwsAccessError,
                   AwsApiError, AwsConnectionError, Clients, StackNotFoundError, VerifyError)
from .rules import MIRRORS, VERIFY_RULES, DeployedResource, VerifyContext

SOURCE = "govcdk"
AGENCY_TAG = "govcdk:agency"
"""The stack tag that marks a govcdk stack (set by :class:`govcdk.stacks.base.AgencyStack`)."""

_RANK = {Status.NOT_APPLICABLE: 0, Status.PASS: 1, Status.SUPPRESSED: 2, Status.FAIL: 3,
         Status.UNKNOWN: 4, Status.ERROR: 5}
_GONE = ("DELETE_COMPLETE", "DELETE_IN_PROGRESS", "CREATE_FAILED", "DELETE_FAILED")


class NoStacksError(VerifyError):
    """The stack selection (agency prefix or govcdk tags) matched no stack in the region."""


def verify(clients: Any, region: str, stacks: Sequence[str] | None = None, *,
           agency: str | None = None, rules: Sequence[Rule] | None = None) -> Report:
    """Verify the deployed stacks of ``region`` and return the report.

    ``clients``: :class:`Clients`, a mapping ``{"cloudformation": client, ...}`` holding every
    name of :data:`SERVICES`, or a boto3 ``Session``; all for ``region``. ``stacks``: stack
    names (or stack ids) to verify; when ``None``, every stack of the region whose name starts
    with ``<agency>-`` when ``agency`` (an agency code, e.g. ``"airx"``) is given, else every
    stack tagged ``govcdk:agency``. Nested stacks (``AWS::CloudFormation::Stack`` resources) are
    verified with their parent. ``rules``: the rules to run (default
    :data:`~govcdk.verify.rules.VERIFY_RULES`; pass copies with other ``parameters`` to tighten
    them), run in id order.

    Findings: one per (rule, resource), PASS / FAIL / UNKNOWN / NOT_APPLICABLE, ``ERROR`` when a
    check raised or an API call other than the ones below failed for that resource; every
    message starts with the resource's physical id.

    Raises :class:`StackNotFoundError` (a named stack does not exist), :class:`NoStacksError`
    (the selection matched nothing), :class:`AwsAccessError` (no or rejected credentials, a
    permission missing: the message names the API operation and the IAM action),
    :class:`AwsConnectionError` (endpoint unreachable), :class:`AwsApiError` (listing stacks or
    their resources failed) and :class:`VerifyError` (clients of another region, bad
    ``clients``); all are :class:`VerifyError`.
    """
    c = Clients.of(clients)
    client_region = c.region()
    if client_region and client_region != region:
        raise VerifyError(f"the clients are for {client_region}, not {region}; build them "
                          f"for {region}")
    api = Api(c)
    chosen = sorted(VERIFY_RULES if rules is None else rules, key=lambda r: r.id)
    report = Report(rules_run=[r.id for r in chosen], rule_info={
        r.id: {"title": r.title, "severity": r.severity.value, "controls": list(r.controls),
               "parameters": dict(r.parameters)} for r in chosen})
    cache: dict[Any, Any] = {}
    queue = _select_stacks(api, region, stacks, agency)
    seen: set[str] = set()
    read: list[tuple[str, list[DeployedResource]]] = []
    while queue:
        stack = queue.pop(0)
        if stack["StackId"] in seen:
            continue
        seen.add(stack["StackId"])
        info, resources, nested = _read_stack(api, region, stack, chosen)
        report.templates.append(info)
        queue.extend(nested)
        read.append((stack["StackId"], resources))
    # Every stack is read before any check: a check may look at the run's other resources
    # (which buckets deliver server access logs to a bucket, GOV-VERIFY-S3-002).
    run = tuple(res for _, resources in read for res in resources)
    for stack_id, resources in read:
        account = _account_of(stack_id)
        for rule in chosen:
            ctx = VerifyContext(api=api, region=region, account=account,
                                params=dict(rule.parameters), cache=cache, run=run)
            for res in resources:
                if res.type in rule.resource_types:
                    report.findings.append(_finding(rule, res, _run(rule, res, ctx)))
    return report


def _account_of(stack_id: str) -> str | None:
    parts = stack_id.split(":")
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _select_stacks(api: Api, region: str, names: Sequence[str] | None,
                   agency: str | None) -> list[dict[str, Any]]:
    if names:
        out = []
        for name in names:
            r = api.call("cloudformation", "describe_stacks", StackName=name,
                         expect={"ValidationError"})
            if isinstance(r, Absent):
                if "does not exist" in r.message:
                    raise StackNotFoundError(f"stack {name} does not exist in {region}")
                raise AwsApiError(f"DescribeStacks {name}: {r.message}")
            out.extend(r.get("Stacks") or [])
        return out
    every = [s for s in api.pages("cloudformation", "describe_stacks", "Stacks")
             if s.get("StackStatus") != "DELETE_COMPLETE"]
    if agency:
        picked = [s for s in every if s.get("StackName", "").startswith(f"{agency}-")]
        if not picked:
            raise NoStacksError(f"no stack named {agency}-* in {region} (agency {agency}); "
                                f"deploy the agency there or name stacks with --stack")
    else:
        picked = [s for s in every
                  if any(t.get("Key") == AGENCY_TAG for t in s.get("Tags") or [])]
        if not picked:
            raise NoStacksError(f"no stack tagged {AGENCY_TAG} in {region}; name stacks with "
                                f"--stack or give the agency file with --agency")
    return sorted(picked, key=lambda s: s.get("StackName", ""))


def _read_stack(api: Api, region: str, stack: dict[str, Any], rules: Sequence[Rule]
                ) -> tuple[TemplateInfo, list[DeployedResource], list[dict[str, Any]]]:
    """The stack's TemplateInfo (notes: stack status, resources not verified), its resources of
    the rules' types, and its nested stacks."""
    stack_id, name = stack["StackId"], stack.get("StackName", stack["StackId"])
    notes: list[str] = []
    status = stack.get("StackStatus", "")
    if not status.endswith("_COMPLETE") or "ROLLBACK" in status:
        notes.append(f"stack status {status}: the deployment may not be what the template says")
    summaries = list(api.pages("cloudformation", "list_stack_resources",
                               "StackResourceSummaries", StackName=stack_id))
    types = {t for r in rules for t in r.resource_types}
    paths = _cdk_paths(api, stack_id, notes) if any(
        s.get("ResourceType") in types for s in summaries) else {}
    resources: list[DeployedResource] = []
    nested: list[dict[str, Any]] = []
    for s in summaries:
        rtype, lid = s.get("ResourceType", ""), s.get("LogicalResourceId", "")
        physical, rstatus = s.get("PhysicalResourceId") or "", s.get("ResourceStatus", "")
        if rtype == "AWS::CloudFormation::Stack" and physical and rstatus not in _GONE:
            r = api.call("cloudformation", "describe_stacks", StackName=physical,
                         expect={"ValidationError"})
            nested.extend((r.get("Stacks") or []) if r else [])
            continue
        if rtype not in types:
            continue
        if not physical or rstatus in _GONE:
            notes.append(f"{lid} ({rtype}) not verified: status {rstatus or 'unknown'}"
                         f"{'' if physical else ', no physical id'}")
            continue
        resources.append(DeployedResource(stack=name, stack_id=stack_id, logical_id=lid,
                                          physical_id=physical, type=rtype,
                                          cdk_path=paths.get(lid, "")))
    info = TemplateInfo(stack=name, path=stack_id, resource_count=len(summaries), region=region,
                        notes=tuple(notes))
    return info, resources, nested


def _cdk_paths(api: Api, stack_id: str, notes: list[str]) -> dict[str, str]:
    """Logical id -> ``Metadata.aws:cdk:path`` of the deployed template (GetTemplate); empty
    when the template is not JSON or GetTemplate is denied (a note says so)."""
    try:
        r = api.call("cloudformation", "get_template", StackName=stack_id)
    except AwsAccessError as exc:
        notes.append(f"CDK construct paths not shown: {exc}")
        return {}
    body = r.get("TemplateBody") if r else None
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    resources = body.get("Resources") if isinstance(body, dict) else None
    if not isinstance(resources, dict):
        return {}
    out = {}
    for lid, res in resources.items():
        meta = res.get("Metadata") if isinstance(res, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("aws:cdk:path"), str):
            out[lid] = meta["aws:cdk:path"]
    return out


def _run(rule: Rule, res: DeployedResource, ctx: VerifyContext) -> list[CheckResult]:
    try:
        returned = rule.check(res, ctx)
    except (AwsAccessError, AwsConnectionError):
        raise
    except AwsApiError as exc:
        return [CheckResult(Status.ERROR, str(exc))]
    except Exception as exc:  # noqa: BLE001 - a check's bug is an ERROR finding, not a crash
        return [CheckResult(Status.ERROR, f"check raised {type(exc).__name__}: {exc}")]
    items = returned if isinstance(returned, (list, tuple)) else [returned]
    if not items or not all(isinstance(i, CheckResult) for i in items):
        return [CheckResult(Status.ERROR, "check returned no CheckResult")]
    return list(items)


def _finding(rule: Rule, res: DeployedResource, results: Iterable[CheckResult]) -> Finding:
    """Fold a resource's results into one finding, as the template engine does: the worst
    status; the messages of the results with that status (of every failing one when failing),
    each prefixed with the physical id; ``paths`` every failing path."""
    results = list(results)
    worst = max((r.status for r in results), key=lambda s: _RANK[s])
    chosen = [r for r in results if r.status.failing] if worst.failing else \
        [r for r in results if r.status == worst]
    paths = list(dict.fromkeys(render_path(r.path) for r in chosen if r.path and worst.failing))
    first = next((r.path for r in chosen if r.path), ())
    messages = list(dict.fromkeys(r.message for r in chosen if r.message))
    return Finding(
        source=SOURCE, rule_id=rule.id, title=rule.title, severity=rule.severity,
        controls=tuple(rule.controls), status=worst,
        message=f"{res.physical_id}: " + "; ".join(messages) if messages else res.physical_id,
        stack=res.stack, template_path=res.stack_id, logical_id=res.logical_id,
        resource_type=res.type, property_path=render_path(first), cdk_path=res.cdk_path,
        line=None, paths=tuple(paths))


__all__ = ["AGENCY_TAG", "MIRRORS", "OPERATIONS", "REQUIRED_PERMISSIONS", "SERVICES",
           "VERIFY_RULES", "AwsAccessError", "AwsApiError", "AwsConnectionError", "Clients",
           "DeployedResource", "NoStacksError", "StackNotFoundError", "VerifyContext",
           "VerifyError", "verify"]
