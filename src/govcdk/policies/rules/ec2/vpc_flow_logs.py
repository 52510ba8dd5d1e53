"""GOV-EC2-001: every VPC has a VPC-level flow log of ALL traffic to a compliant destination.

Source: RULES.md LOG-10; Amazon VPC User Guide, "Logging IP traffic using VPC Flow Logs";
AWS CloudFormation User Guide, ``AWS::EC2::FlowLog``. A flow log is joined to its VPC through
``ResourceId`` (``Ref`` or ``Fn::GetAtt VpcId``, also from another stack of the run through
``Fn::ImportValue``) with ``ResourceType: VPC``; subnet- and interface-level flow logs do not
cover the VPC. The destination must be proven to keep events for the rule's
``min_retention_days`` (GOV-LOGS-001's floor): a CloudWatch Logs log group of the checked
templates (referenced, possibly across stacks, or named) is judged like GOV-LOGS-001 does; a log
group outside the checked templates, an S3 bucket or a Firehose stream cannot be proven here
and is UNKNOWN.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import (
    LOG_RETENTION_FLOOR_DAYS, describe, literal, log_group_retention_result, raw_ref_ids,
    refs_in, same_value)
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import ResourceRef, Unknown, is_opaque

_LOG_GROUP = "AWS::Logs::LogGroup"
_ARN_LOG_GROUP = re.compile(r":log-group:([^:*]+)")

Key = tuple[str, str]


def _keys(value: Any, owner: str) -> set[Key]:
    """(stack, logical id) of every resource a resolved value held by stack ``owner`` refers
    to."""
    return {(r.stack or owner, r.logical_id) for r in refs_in(value)}


def _name(ctx: Any, res: Any) -> str:
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def _log_group_by_name(ctx: Any, flow_log: Any, name: str) -> tuple[Any, str | None]:
    """The log group of the checked templates named ``name`` in the flow log's region:
    (group | None, reason it cannot be told | None)."""
    unsure: Unknown | None = None
    for group in ctx.run_resources(_LOG_GROUP):
        if group.resolver.region != flow_log.resolver.region:
            continue
        group_name = group.properties.get("LogGroupName")
        if group_name is None:
            continue    # a name CloudFormation generates from the stack name
        if group.stack == flow_log.stack:
            same = same_value(group_name, name)
        elif isinstance(group_name, Unknown) or is_opaque(group_name) or is_opaque(name):
            same = group_name if isinstance(group_name, Unknown) else Unknown(
                f"{describe(group_name)} of stack {group.stack} is known only at deploy time")
        else:
            same = group_name == name
        if same is True:
            return group, None
        if isinstance(same, Unknown) and unsure is None:
            unsure = same
    if unsure is not None:
        return None, (f"log group {describe(name)}: the name of a log group of the checked "
                      f"templates cannot be resolved ({unsure.reason})")
    return None, None


def _destination_group(ctx: Any, flow_log: Any) -> tuple[Any, str | None]:
    """(destination log group of the checked templates | None, reason it cannot be told |
    None)."""
    props = flow_log.properties
    for key in ("LogGroupName", "LogDestination"):
        value = props.get(key)
        if value is None:
            continue
        if isinstance(value, Unknown):
            return None, f"{key} cannot be resolved: {value.reason}"
        refs = refs_in(value)
        for ref in refs:
            group = ctx.target(ref, flow_log.stack)
            if group is not None and group.type == _LOG_GROUP:
                return group, None
        if refs:
            return None, (f"{key} {describe(value)} does not refer to a log group of the "
                          f"checked templates")
        if not isinstance(value, str):
            return None, f"{key} is {describe(value)}, not a log group name or ARN"
        name = value
        m = _ARN_LOG_GROUP.search(value) if key == "LogDestination" else None
        if m:
            name = m.group(1)
        return _log_group_by_name(ctx, flow_log, name)
    return None, "no LogGroupName or LogDestination"


def _in_vpc(ctx: Any, key: Key, vpc: Key, depth: int = 0) -> bool:
    """Whether resource ``key`` (a subnet or network interface) lies in VPC ``vpc``,
    following ``VpcId`` and ``SubnetId`` references (across stacks too)."""
    res = ctx.target(ResourceRef(key[1], key[0])) if depth <= 3 else None
    if res is None:
        return False
    props = res.properties
    if vpc in _keys(props.get("VpcId"), res.stack):
        return True
    return any(_in_vpc(ctx, sub, vpc, depth + 1) for sub in _keys(props.get("SubnetId"),
                                                                   res.stack))


def _evaluate(flow_log: Any, ctx: Any, floor: int) -> CheckResult:
    props = flow_log.properties
    lid = _name(ctx, flow_log)
    if flow_log.condition is None:
        return CheckResult.unknown(f"flow log {lid} exists only if Condition "
                                   f"{flow_log.raw.get('Condition')} holds, which cannot be "
                                   f"evaluated")
    traffic = literal(props.get("TrafficType"), "TrafficType")
    if isinstance(traffic, Unknown):
        return CheckResult.unknown(f"flow log {lid} TrafficType cannot be resolved: "
                                   f"{traffic.reason}")
    if traffic != "ALL":
        shown = "not set" if traffic is None else describe(traffic)
        return CheckResult.failed(f"flow log {lid} TrafficType is {shown}, not ALL")
    dest_type = literal(props.get("LogDestinationType", "cloud-watch-logs"),
                        "LogDestinationType")
    if isinstance(dest_type, Unknown):
        return CheckResult.unknown(f"flow log {lid} LogDestinationType cannot be resolved: "
                                   f"{dest_type.reason}")
    if dest_type != "cloud-watch-logs":
        return CheckResult.unknown(
            f"flow log {lid} captures ALL traffic to {describe(dest_type)} destination "
            f"{describe(props.get('LogDestination'))}: its retention cannot be proven (this "
            f"rule proves it only for CloudWatch Logs log groups of the checked templates)")
    group, reason = _destination_group(ctx, flow_log)
    if reason:
        return CheckResult.unknown(f"flow log {lid} destination: {reason}")
    if group is None:
        return CheckResult.unknown(f"flow log {lid} captures ALL traffic to a log group "
                                   f"outside the checked templates: its retention cannot be "
                                   f"proven")
    verdict = log_group_retention_result(group.properties, floor,
                                         subject=f"destination log group {_name(ctx, group)} ")
    message = f"flow log {lid} captures ALL traffic; {verdict.message}"
    return CheckResult(verdict.status, message)


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    floor = int(ctx.params.get("min_retention_days", LOG_RETENTION_FLOOR_DAYS))
    flow_logs = ctx.run_resources("AWS::EC2::FlowLog")
    out: dict[str, list[CheckResult]] = {}
    for vpc in ctx.resources("AWS::EC2::VPC"):
        target = (ctx.stack, vpc.logical_id)
        candidates: list[CheckResult] = []
        other_levels: list[str] = []
        for fl in flow_logs:
            props = fl.properties
            rtype = literal(props.get("ResourceType"), "ResourceType")
            if isinstance(rtype, str) and rtype != "VPC":
                targets = _keys(props.get("ResourceId"), fl.stack)
                if any(_in_vpc(ctx, t, target) for t in targets):
                    other_levels.append(f"{_name(ctx, fl)} ({rtype})")
                continue
            rid = props.get("ResourceId")
            definite = _keys(rid, fl.stack)
            possible = {(fl.stack, i) for i in raw_ref_ids(fl.raw_properties.get("ResourceId"))} \
                if isinstance(rid, Unknown) else set()
            if target not in definite and target not in possible:
                continue
            if isinstance(rtype, Unknown):
                candidates.append(CheckResult.unknown(
                    f"flow log {_name(ctx, fl)} ResourceType cannot be resolved: "
                    f"{rtype.reason}"))
            elif rtype is None:
                candidates.append(CheckResult.failed(
                    f"flow log {_name(ctx, fl)} has no ResourceType VPC"))
            elif target not in definite:
                reason = rid.reason if isinstance(rid, Unknown) else describe(rid)
                candidates.append(CheckResult.unknown(
                    f"flow log {_name(ctx, fl)} ResourceId cannot be resolved: {reason}"))
            else:
                candidates.append(_evaluate(fl, ctx, floor))
        passing = [c for c in candidates if c.status == Status.PASS]
        if passing:
            out[vpc.logical_id] = [passing[0]]
        elif any(c.status == Status.UNKNOWN for c in candidates):
            out[vpc.logical_id] = [c for c in candidates if c.status == Status.UNKNOWN]
        elif candidates:
            out[vpc.logical_id] = candidates
        else:
            note = ""
            if other_levels:
                note = ("; flow logs on resources inside the VPC do not cover it: "
                        + ", ".join(sorted(set(other_levels))))
            out[vpc.logical_id] = [CheckResult.failed(
                f"no VPC-level flow log (AWS::EC2::FlowLog with ResourceType VPC and ResourceId "
                f"Ref {vpc.logical_id}){note}")]
    return out


RULE = Rule(
    id="GOV-EC2-001",
    backlog=("LOG-10",),
    name="vpc_flow_logs",
    title="Every VPC has a VPC-level flow log capturing ALL traffic to a destination that "
          "meets the log retention floor",
    scope="template",
    resource_types=("AWS::EC2::VPC",),
    controls=("AU-2", "AU-12", "SI-4", "SC-7"),
    severity=Severity.MEDIUM,
    rationale=(
        "Flow logs are the network audit record for boundary monitoring (SC-7, SI-4) and must be "
        "generated for every VPC (AU-2, AU-12). Accepted and rejected traffic are both needed "
        "for incident response (OMB M-21-31 lists VPC flow logs at EL1). A flow log on one "
        "subnet or interface leaves the rest of the VPC unrecorded, and one flow log must not "
        "silence the check for other VPCs."),
    remediation=(
        "CDK: ec2.Vpc(self, 'Vpc', flow_logs={'all': ec2.FlowLogOptions(destination="
        "ec2.FlowLogDestination.to_cloud_watch_logs(log_group), traffic_type="
        "ec2.FlowLogTrafficType.ALL)}) with a log group kept >= 365 days. CloudFormation: "
        "AWS::EC2::FlowLog ResourceType VPC, ResourceId Ref <Vpc>, TrafficType ALL, "
        "LogGroupName/LogDestination a log group with RetentionInDays >= 365."),
    check=check,
    parameters={"min_retention_days": LOG_RETENTION_FLOOR_DAYS},
    references=(
        "Amazon VPC User Guide: Logging IP traffic using VPC Flow Logs",
        "AWS CloudFormation User Guide: AWS::EC2::FlowLog",
        "OMB M-21-31, Appendix C logging requirements (network flow logs)",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation; SI-4 System "
        "Monitoring; SC-7 Boundary Protection",
    ),
    equivalents={
        "checkov": (),
        "guard": ("VPC_FLOW_LOGS_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-VPCFlowLogsEnabled", "AwsSolutions-VPC7"),
    },
)
