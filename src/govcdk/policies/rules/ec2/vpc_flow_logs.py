"""GOV-EC2-001: every VPC has a VPC-level flow log of ALL traffic to a compliant destination.

Source: RULES.md LOG-10; Amazon VPC User Guide, "Logging IP traffic using VPC Flow Logs";
AWS CloudFormation User Guide, ``AWS::EC2::FlowLog``. A flow log is joined to its VPC through
``ResourceId`` (``Ref`` or ``Fn::GetAtt VpcId``) with ``ResourceType: VPC``; subnet- and
interface-level flow logs do not cover the VPC. When the destination is a log group of the same
template its retention must meet GOV-LOGS-001's floor.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import describe, log_group_retention_result, ref_ids
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import AttrRef, ResourceRef, Unknown, tokens_in
from ..logs.log_group_retention import RULE as RETENTION_RULE

_LOG_GROUP = "AWS::Logs::LogGroup"
_ARN_LOG_GROUP = re.compile(r":log-group:([^:*]+)")


def _log_group_by_name(ctx: Any, name: str) -> Any:
    for group in ctx.resources(_LOG_GROUP):
        if group.properties.get("LogGroupName") == name:
            return group
    return None


def _destination_group(ctx: Any, props: dict[str, Any]) -> tuple[Any, str | None]:
    """(log group resource of this template | None, reason when unresolved | None)."""
    for key in ("LogGroupName", "LogDestination"):
        value = props.get(key)
        if value is None:
            continue
        if isinstance(value, Unknown):
            return None, f"{key} cannot be resolved: {value.reason}"
        refs: list[Any] = []
        if isinstance(value, (ResourceRef, AttrRef)):
            refs = [value]
        elif isinstance(value, str):
            refs = tokens_in(value)
            if not refs:
                name = value
                m = _ARN_LOG_GROUP.search(value) if key == "LogDestination" else None
                if m:
                    name = m.group(1)
                group = _log_group_by_name(ctx, name)
                if group is not None:
                    return group, None
        for ref in refs:
            group = ctx.resource(ref.logical_id)
            if group is not None and group.type == _LOG_GROUP:
                return group, None
    return None, None


def _in_vpc(ctx: Any, logical_id: str, vpc_id: str, depth: int = 0) -> bool:
    """Whether resource ``logical_id`` (a subnet or network interface) lies in VPC ``vpc_id``,
    following ``VpcId`` and ``SubnetId`` references."""
    res = ctx.resource(logical_id)
    if res is None or depth > 3:
        return False
    props = res.properties
    if vpc_id in ref_ids(props.get("VpcId"))[0]:
        return True
    return any(_in_vpc(ctx, sub, vpc_id, depth + 1) for sub in ref_ids(props.get("SubnetId"))[0])


def _evaluate(flow_log: Any, ctx: Any, floor: int) -> CheckResult:
    props = flow_log.properties
    lid = flow_log.logical_id
    if flow_log.condition is None:
        return CheckResult.unknown(f"flow log {lid} exists only if Condition "
                                   f"{flow_log.raw.get('Condition')} holds, which cannot be "
                                   f"evaluated")
    traffic = props.get("TrafficType")
    if isinstance(traffic, Unknown):
        return CheckResult.unknown(f"flow log {lid} TrafficType cannot be resolved: "
                                   f"{traffic.reason}")
    if traffic != "ALL":
        shown = "not set" if traffic is None else describe(traffic)
        return CheckResult.failed(f"flow log {lid} TrafficType is {shown}, not ALL")
    dest_type = props.get("LogDestinationType", "cloud-watch-logs")
    if isinstance(dest_type, Unknown):
        return CheckResult.unknown(f"flow log {lid} LogDestinationType cannot be resolved: "
                                   f"{dest_type.reason}")
    if dest_type != "cloud-watch-logs":
        return CheckResult.passed(
            f"flow log {lid} captures ALL traffic to {dest_type} (destination retention is "
            f"LOG-8's concern, not checked by this rule)")
    group, reason = _destination_group(ctx, props)
    if reason:
        return CheckResult.unknown(f"flow log {lid} destination: {reason}")
    if group is None:
        return CheckResult.passed(f"flow log {lid} captures ALL traffic to a log group outside "
                                  f"this template (its retention is not checked here)")
    verdict = log_group_retention_result(group.properties, floor,
                                         subject=f"destination log group {group.logical_id} ")
    message = f"flow log {lid} captures ALL traffic; {verdict.message}"
    return CheckResult(verdict.status, message)


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    floor = int(RETENTION_RULE.parameters["min_retention_days"])
    flow_logs = ctx.resources("AWS::EC2::FlowLog")
    out: dict[str, list[CheckResult]] = {}
    for vpc in ctx.resources("AWS::EC2::VPC"):
        candidates: list[CheckResult] = []
        other_levels: list[str] = []
        for fl in flow_logs:
            props = fl.properties
            rtype = props.get("ResourceType")
            if isinstance(rtype, str) and rtype != "VPC":
                targets = ref_ids(props.get("ResourceId"))[0]
                if any(_in_vpc(ctx, t, vpc.logical_id) for t in targets):
                    other_levels.append(f"{fl.logical_id} ({rtype})")
                continue
            definite, possible = ref_ids(props.get("ResourceId"),
                                         fl.raw_properties.get("ResourceId"))
            if vpc.logical_id not in definite and vpc.logical_id not in possible:
                continue
            if isinstance(rtype, Unknown):
                candidates.append(CheckResult.unknown(
                    f"flow log {fl.logical_id} ResourceType cannot be resolved: "
                    f"{rtype.reason}"))
            elif rtype is None:
                candidates.append(CheckResult.failed(
                    f"flow log {fl.logical_id} has no ResourceType VPC"))
            elif vpc.logical_id not in definite:
                rid = props.get("ResourceId")
                reason = rid.reason if isinstance(rid, Unknown) else describe(rid)
                candidates.append(CheckResult.unknown(
                    f"flow log {fl.logical_id} ResourceId cannot be resolved: {reason}"))
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
    references=(
        "Amazon VPC User Guide: Logging IP traffic using VPC Flow Logs",
        "AWS CloudFormation User Guide: AWS::EC2::FlowLog",
        "OMB M-21-31, Appendix C logging requirements (network flow logs)",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation; SI-4 System "
        "Monitoring; SC-7 Boundary Protection",
    ),
)
