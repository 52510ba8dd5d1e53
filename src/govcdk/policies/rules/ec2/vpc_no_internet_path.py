"""GOV-EC2-002: VPCs are isolated: no internet, NAT or egress-only gateway and no route to one.

Source: RULES.md NET-1; Amazon VPC User Guide, "Enable internet access for a VPC using an
internet gateway", "NAT gateways" (a *private* NAT gateway, ``ConnectivityType: private``, has
no path to the internet and is allowed), "Enable outbound IPv6 traffic using an egress-only
internet gateway". Joins: ``VPCGatewayAttachment.VpcId``, ``EgressOnlyInternetGateway.VpcId``,
``NatGateway.SubnetId`` -> ``Subnet.VpcId`` (or ``NatGateway.VpcId`` for regional NAT
gateways), ``Route.RouteTableId`` -> ``RouteTable.VpcId``.
"""

from __future__ import annotations

from typing import Any, Iterable

from ...helpers import describe, ref_ids
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def _link(value: Any, raw: Any, wanted: Iterable[str]) -> str:
    """'yes' when value definitely refers to one of ``wanted``, 'maybe' when it is unresolved
    and its raw form references one, else 'no'."""
    wanted = set(wanted)
    definite, possible = ref_ids(value, raw)
    if definite & wanted:
        return "yes"
    if possible & wanted:
        return "maybe"
    return "no"


def _exists_note(res: Any) -> str | None:
    if res.condition is None:
        return f" (exists only if Condition {res.raw.get('Condition')} holds, which cannot be " \
               f"evaluated)"
    return None


def _is_private_nat(nat: Any) -> bool | Unknown:
    conn = nat.properties.get("ConnectivityType", "public")
    if isinstance(conn, Unknown):
        return conn
    return conn == "private"


def _result(res: Any, link: str, message: str) -> CheckResult:
    note = _exists_note(res)
    if link == "maybe" or note:
        return CheckResult.unknown(message + (note or " (the reference cannot be resolved)"))
    return CheckResult.failed(message)


def _vpc_results(ctx: Any, vpc: Any) -> list[CheckResult]:
    lid = vpc.logical_id
    results: list[CheckResult] = []
    subnets = {s.logical_id for s in ctx.resources("AWS::EC2::Subnet")
               if _link(s.properties.get("VpcId"), s.raw_properties.get("VpcId"), [lid]) != "no"}
    tables = {t.logical_id for t in ctx.resources("AWS::EC2::RouteTable")
              if _link(t.properties.get("VpcId"), t.raw_properties.get("VpcId"), [lid]) != "no"}

    for att in ctx.resources("AWS::EC2::VPCGatewayAttachment"):
        props = att.properties
        if props.get("InternetGatewayId") is None:
            continue
        link = _link(props.get("VpcId"), att.raw_properties.get("VpcId"), [lid])
        if link != "no":
            results.append(_result(att, link, f"{att.logical_id} attaches internet gateway "
                                              f"{describe(props.get('InternetGatewayId'))}"))

    for eigw in ctx.resources("AWS::EC2::EgressOnlyInternetGateway"):
        link = _link(eigw.properties.get("VpcId"), eigw.raw_properties.get("VpcId"), [lid])
        if link != "no":
            results.append(_result(eigw, link, f"egress-only internet gateway "
                                               f"{eigw.logical_id} in the VPC"))

    for nat in ctx.resources("AWS::EC2::NatGateway"):
        props, raw = nat.properties, nat.raw_properties
        link = _link(props.get("SubnetId"), raw.get("SubnetId"), subnets)
        if link == "no":
            link = _link(props.get("VpcId"), raw.get("VpcId"), [lid])
        if link == "no":
            continue
        private = _is_private_nat(nat)
        if isinstance(private, Unknown):
            results.append(CheckResult.unknown(f"NAT gateway {nat.logical_id} ConnectivityType "
                                               f"cannot be resolved: {private.reason}"))
        elif not private:
            results.append(_result(nat, link, f"public NAT gateway {nat.logical_id} in the VPC"))

    for route in ctx.resources("AWS::EC2::Route"):
        props, raw = route.properties, route.raw_properties
        link = _link(props.get("RouteTableId"), raw.get("RouteTableId"), tables)
        if link == "no":
            continue
        where = f"route {route.logical_id}"
        gateway = props.get("GatewayId")
        if gateway is not None:
            definite, possible = ref_ids(gateway, raw.get("GatewayId"))
            igws = {r for r in definite | possible
                    if ctx.types.get(r) == "AWS::EC2::InternetGateway"}
            if definite & igws:
                results.append(_result(route, link, f"{where} sends traffic to internet "
                                                    f"gateway {sorted(definite & igws)[0]}"))
            elif isinstance(gateway, str) and gateway.strip().startswith("igw-"):
                results.append(_result(route, link, f"{where} sends traffic to internet "
                                                    f"gateway {gateway.strip()}"))
            elif isinstance(gateway, Unknown) and (igws or not possible):
                results.append(CheckResult.unknown(f"{where} GatewayId cannot be resolved: "
                                                   f"{gateway.reason}"))
        nat_id = props.get("NatGatewayId")
        if nat_id is not None:
            definite, possible = ref_ids(nat_id, raw.get("NatGatewayId"))
            nats = [ctx.resource(r) for r in sorted(definite)
                    if ctx.types.get(r) == "AWS::EC2::NatGateway"]
            if nats and all(_is_private_nat(n) is True for n in nats):
                pass
            elif isinstance(nat_id, Unknown):
                results.append(CheckResult.unknown(f"{where} NatGatewayId cannot be resolved: "
                                                   f"{nat_id.reason}"))
            else:
                results.append(_result(route, link, f"{where} sends traffic to NAT gateway "
                                                    f"{describe(nat_id)}"))
        if props.get("EgressOnlyInternetGatewayId") is not None:
            results.append(_result(route, link, f"{where} sends traffic to an egress-only "
                                                f"internet gateway"))
    return results


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    out: dict[str, list[CheckResult]] = {}
    for vpc in ctx.resources("AWS::EC2::VPC"):
        results = _vpc_results(ctx, vpc)
        out[vpc.logical_id] = results or [CheckResult.passed(
            "no internet gateway, public NAT gateway, egress-only internet gateway or route to "
            "one")]
    return out


RULE = Rule(
    id="GOV-EC2-002",
    name="vpc_no_internet_path",
    title="VPCs have no internet gateway, public NAT gateway, egress-only internet gateway or "
          "route to one",
    scope="template",
    resource_types=("AWS::EC2::VPC",),
    controls=("SC-7", "SC-7(5)", "AC-4"),
    severity=Severity.HIGH,
    rationale=(
        "Isolated workloads (model training on controlled data, enclave networks) must deny "
        "network traffic by default and permit it by exception (SC-7(5)); information flows "
        "to external networks must pass through managed interfaces (SC-7, AC-4). An internet "
        "gateway, public NAT gateway or egress-only gateway, or a route to one, is a direct "
        "path to the internet; AWS services should be reached through VPC endpoints."),
    remediation=(
        "CDK: ec2.Vpc(self, 'Vpc', nat_gateways=0, subnet_configuration=[ec2.SubnetConfiguration("
        "name='isolated', subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)]) plus interface/gateway "
        "VPC endpoints. CloudFormation: remove AWS::EC2::InternetGateway/VPCGatewayAttachment "
        "InternetGatewayId, AWS::EC2::NatGateway (or set ConnectivityType: private), "
        "AWS::EC2::EgressOnlyInternetGateway and AWS::EC2::Route GatewayId/NatGatewayId/"
        "EgressOnlyInternetGatewayId targets."),
    check=check,
    references=(
        "Amazon VPC User Guide: Enable internet access for a VPC using an internet gateway",
        "Amazon VPC User Guide: NAT gateways (public and private connectivity types)",
        "Amazon VPC User Guide: Enable outbound IPv6 traffic using an egress-only internet "
        "gateway",
        "NIST SP 800-53 Rev 5: SC-7 Boundary Protection; SC-7(5) Deny by Default - Allow by "
        "Exception; AC-4 Information Flow Enforcement",
    ),
)
