"""GOV-EC2-002: VPCs are isolated: no internet, NAT or egress-only gateway and no route to one.

Source: RULES.md NET-1; Amazon VPC User Guide, "Enable internet access for a VPC using an
internet gateway", "NAT gateways" (a *private* NAT gateway, ``ConnectivityType: private``, has
no path to the internet and is allowed), "Enable outbound IPv6 traffic using an egress-only
internet gateway". Joins: ``VPCGatewayAttachment.VpcId``, ``EgressOnlyInternetGateway.VpcId``,
``NatGateway.SubnetId`` -> ``Subnet.VpcId`` (or ``NatGateway.VpcId`` for regional NAT
gateways), ``Route.RouteTableId`` -> ``RouteTable.VpcId`` or the VPC's main route table
(``Fn::GetAtt Vpc.MainRouteTableId``). The joins follow references across the stacks of the
run (``Fn::ImportValue``, nested-stack parameters): a route in one stack to an internet gateway
another stack exports is found, and resources of other stacks that refer to this VPC count. A
gateway reference that cannot be resolved is UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, literal, raw_ref_ids, refs_in
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, Unknown

_IGW = "AWS::EC2::InternetGateway"
_NAT = "AWS::EC2::NatGateway"

Key = tuple[str, str]


def _key(res: Any) -> Key:
    return (res.stack, res.logical_id)


def _name(ctx: Any, res: Any) -> str:
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def _ref_name(ctx: Any, ref: Any, owner: str) -> str:
    stack = ref.stack or owner
    return ref.logical_id if stack == ctx.stack else f"{ref.logical_id} (stack {stack})"


def _link(res: Any, prop: str, wanted: set[Key], main_of: Key | None = None) -> str:
    """'yes' when property ``prop`` of ``res`` definitely refers to one of ``wanted`` (or, with
    ``main_of``, to that VPC's ``MainRouteTableId``), 'maybe' when it is unresolved and its
    raw form references one, else 'no'."""
    value = res.properties.get(prop)
    for ref in refs_in(value):
        key = (ref.stack or res.stack, ref.logical_id)
        if key in wanted:
            return "yes"
        if main_of is not None and key == main_of and isinstance(ref, AttrRef) \
                and ref.attribute == "MainRouteTableId":
            return "yes"
    if isinstance(value, Unknown):
        possible = {(res.stack, i) for i in raw_ref_ids(res.raw_properties.get(prop))}
        if possible & (wanted | ({main_of} if main_of else set())):
            return "maybe"
    return "no"


def _exists_note(res: Any) -> str | None:
    if res.condition is None:
        return f" (exists only if Condition {res.raw.get('Condition')} holds, which cannot be " \
               f"evaluated)"
    return None


def _is_private_nat(nat: Any) -> bool | Unknown:
    conn = literal(nat.properties.get("ConnectivityType", "public"), "ConnectivityType")
    if isinstance(conn, Unknown):
        return conn
    return conn == "private"


def _result(res: Any, link: str, message: str) -> CheckResult:
    note = _exists_note(res)
    if link == "maybe" or note:
        return CheckResult.unknown(message + (note or " (the reference cannot be resolved)"))
    return CheckResult.failed(message)


def _gateway_result(ctx: Any, route: Any, link: str, where: str) -> CheckResult | None:
    gateway = route.properties.get("GatewayId")
    if gateway is None:
        return None
    if isinstance(gateway, Unknown):
        return CheckResult.unknown(f"{where} GatewayId cannot be resolved: {gateway.reason}")
    refs = refs_in(gateway)
    for ref in refs:
        if ctx.type_of(ref, route.stack) == _IGW:
            return _result(route, link, f"{where} sends traffic to internet gateway "
                                        f"{_ref_name(ctx, ref, route.stack)}")
    for ref in refs:
        if ctx.type_of(ref, route.stack) is None:
            return CheckResult.unknown(f"{where} GatewayId {describe(ref)} is not a resource of "
                                       f"the checked templates: whether it is an internet "
                                       f"gateway cannot be told")
    if not refs and isinstance(gateway, str) and gateway.strip().startswith("igw-"):
        return _result(route, link, f"{where} sends traffic to internet gateway "
                                    f"{gateway.strip()}")
    return None


def _nat_route_result(ctx: Any, route: Any, link: str, where: str) -> CheckResult | None:
    nat_id = route.properties.get("NatGatewayId")
    if nat_id is None:
        return None
    if isinstance(nat_id, Unknown):
        return CheckResult.unknown(f"{where} NatGatewayId cannot be resolved: {nat_id.reason}")
    refs = refs_in(nat_id)
    nats = [ctx.target(r, route.stack) for r in refs]
    if refs and all(n is not None and n.type == _NAT for n in nats):
        private = [_is_private_nat(n) for n in nats]
        if all(p is True for p in private):
            return None
        unknown = next((p for p in private if isinstance(p, Unknown)), None)
        if unknown is not None:
            return CheckResult.unknown(f"{where} sends traffic to a NAT gateway whose "
                                       f"ConnectivityType cannot be resolved: {unknown.reason}")
    return _result(route, link, f"{where} sends traffic to NAT gateway {describe(nat_id)}")


def _vpc_results(ctx: Any, vpc: Any) -> list[CheckResult]:
    target = {_key(vpc)}
    results: list[CheckResult] = []
    subnets = {_key(s) for s in ctx.run_resources("AWS::EC2::Subnet")
               if _link(s, "VpcId", target) != "no"}
    tables = {_key(t) for t in ctx.run_resources("AWS::EC2::RouteTable")
              if _link(t, "VpcId", target) != "no"}

    for att in ctx.run_resources("AWS::EC2::VPCGatewayAttachment"):
        props = att.properties
        if props.get("InternetGatewayId") is None:
            continue
        link = _link(att, "VpcId", target)
        if link != "no":
            results.append(_result(att, link, f"{_name(ctx, att)} attaches internet gateway "
                                              f"{describe(props.get('InternetGatewayId'))}"))

    for eigw in ctx.run_resources("AWS::EC2::EgressOnlyInternetGateway"):
        link = _link(eigw, "VpcId", target)
        if link != "no":
            results.append(_result(eigw, link, f"egress-only internet gateway "
                                               f"{_name(ctx, eigw)} in the VPC"))

    for nat in ctx.run_resources(_NAT):
        link = _link(nat, "SubnetId", subnets)
        if link == "no":
            link = _link(nat, "VpcId", target)
        if link == "no":
            continue
        private = _is_private_nat(nat)
        if isinstance(private, Unknown):
            results.append(CheckResult.unknown(f"NAT gateway {_name(ctx, nat)} ConnectivityType "
                                               f"cannot be resolved: {private.reason}"))
        elif not private:
            results.append(_result(nat, link, f"public NAT gateway {_name(ctx, nat)} in the "
                                              f"VPC"))

    for route in ctx.run_resources("AWS::EC2::Route"):
        link = _link(route, "RouteTableId", tables, main_of=_key(vpc))
        if link == "no":
            continue
        where = f"route {_name(ctx, route)}"
        for result in (_gateway_result(ctx, route, link, where),
                       _nat_route_result(ctx, route, link, where)):
            if result is not None:
                results.append(result)
        if route.properties.get("EgressOnlyInternetGatewayId") is not None:
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
    backlog=("NET-1",),
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
    equivalents={
        "checkov": (),
        "guard": ("NO_UNRESTRICTED_ROUTE_TO_IGW",),
        "cdk-nag": ("NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",),
    },
)
