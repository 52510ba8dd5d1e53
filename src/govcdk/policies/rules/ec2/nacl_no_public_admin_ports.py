"""GOV-EC2-011: network ACL entries allow no inbound traffic from the internet to SSH (22) or
RDP (3389).

Source: RULES.md NET-8; Amazon VPC User Guide, "Control subnet traffic with network access
control lists" (network ACL rules); AWS CloudFormation User Guide, ``AWS::EC2::NetworkAclEntry``
(``Egress`` defaults to false; ``Protocol`` -1 means all protocols; ``PortRange`` applies to TCP
(6) and UDP (17)). An ingress ``allow`` entry from a CIDR that is the internet (prefix length
0, or a public range wider than an IPv4 /8 or IPv6 /16, as GOV-EC2-003 reads security groups)
FAILS when it covers port 22 or 3389: protocol -1, or TCP (6) whose ``PortRange`` includes
either port or is absent. UDP is not judged (RDP's UDP transport needs its TCP session).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_int, bool_setting, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from ._security_group import world_network

ADMIN_PORTS = (22, 3389)
_TCP, _ALL = 6, -1


def _protocol(value: Any) -> int | Unknown | None:
    value = literal(value, "Protocol")
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str) and value.strip().lower() in ("tcp", "all"):
        return _TCP if value.strip().lower() == "tcp" else _ALL
    number = as_int(value)
    return number if isinstance(number, (int, Unknown)) else None


def check(resource: Any, ctx: Any) -> CheckResult:
    props = resource.properties
    egress = bool_setting(props.get("Egress"), "Egress", ("Properties", "Egress"))
    if isinstance(egress, CheckResult):
        return egress
    if egress:
        return CheckResult.not_applicable("egress entry")
    action = literal(props.get("RuleAction"), "RuleAction")
    if isinstance(action, Unknown):
        return CheckResult.unknown(f"RuleAction cannot be resolved: {action.reason}",
                                   ("Properties", "RuleAction"))
    if not isinstance(action, str) or action.strip().lower() != "allow":
        return CheckResult.passed(f"RuleAction {describe(action)}: not an allow entry",
                                  ("Properties", "RuleAction"))
    key = "CidrBlock" if "CidrBlock" in props else "Ipv6CidrBlock"
    cidr_path = ("Properties", key)
    cidr = literal(props.get(key), key)
    if isinstance(cidr, Unknown):
        return CheckResult.unknown(f"{key} cannot be resolved: {cidr.reason}", cidr_path)
    if not isinstance(cidr, str):
        return CheckResult.unknown(f"{key} is {describe(cidr)}, not a CIDR", cidr_path)
    network = world_network(cidr)
    if isinstance(network, str):
        return CheckResult.unknown(f"{key} {describe(cidr)} is {network}", cidr_path)
    if network is None:
        return CheckResult.passed(f"allow entry from {cidr.strip()}, not the internet", cidr_path)
    proto_path = ("Properties", "Protocol")
    proto = _protocol(props.get("Protocol"))
    if isinstance(proto, Unknown):
        return CheckResult.unknown(f"Protocol cannot be resolved: {proto.reason}", proto_path)
    if proto == _ALL:
        return CheckResult.failed(f"allows all protocols and ports from {network}, including "
                                  f"SSH (22) and RDP (3389)", proto_path)
    if proto != _TCP:
        return CheckResult.passed(f"allow entry from {network} for protocol "
                                  f"{describe(props.get('Protocol'))}, not TCP", proto_path)
    range_path = ("Properties", "PortRange")
    ports = props.get("PortRange")
    if ports is None:
        return CheckResult.failed(f"allows TCP on every port from {network} (no PortRange), "
                                  f"including SSH (22) and RDP (3389)", range_path)
    if isinstance(ports, Unknown):
        return CheckResult.unknown(f"PortRange cannot be resolved: {ports.reason}", range_path)
    if not isinstance(ports, dict):
        return CheckResult.unknown(f"PortRange is {describe(ports)}, not a mapping", range_path)
    lo, hi = as_int(ports.get("From")), as_int(ports.get("To"))
    for bound in (lo, hi):
        if isinstance(bound, Unknown):
            return CheckResult.unknown(f"PortRange cannot be resolved: {bound.reason}",
                                       range_path)
    if not isinstance(lo, int) or not isinstance(hi, int):
        return CheckResult.unknown(f"PortRange {describe(ports)} is not a port range", range_path)
    hit = [p for p in ADMIN_PORTS if lo <= p <= hi]
    if hit:
        names = " and ".join({22: "SSH (22)", 3389: "RDP (3389)"}[p] for p in hit)
        return CheckResult.failed(f"allows TCP ports {lo}-{hi} from {network}, including "
                                  f"{names}", range_path)
    return CheckResult.passed(f"allows TCP ports {lo}-{hi} from {network}: not 22 or 3389",
                              range_path)


RULE = Rule(
    id="GOV-EC2-011",
    backlog=("NET-8",),
    name="nacl_no_public_admin_ports",
    title="Network ACLs allow no inbound traffic from 0.0.0.0/0 or ::/0 to port 22 or 3389",
    scope="resource",
    resource_types=("AWS::EC2::NetworkAclEntry",),
    controls=("SC-7",),
    severity=Severity.HIGH,
    rationale=(
        "Network ACLs are the subnet-level layer of boundary protection (SC-7). An allow entry "
        "from the internet to SSH or RDP leaves the remote-administration ports of every "
        "instance in the subnet to a single misconfigured security group, the pattern "
        "attackers scan for first."),
    remediation=(
        "CDK: ec2.NetworkAcl(...).add_entry(..., cidr=ec2.AclCidr.ipv4(vpc.vpc_cidr_block), "
        "traffic=ec2.AclTraffic.tcp_port(443), rule_action=ec2.Action.ALLOW), never "
        "AclCidr.any_ipv4()/any_ipv6() with ports 22 or 3389; use SSM Session Manager. "
        "CloudFormation: AWS::EC2::NetworkAclEntry with Egress false and RuleAction allow names "
        "an internal CidrBlock/Ipv6CidrBlock, or a PortRange that excludes 22 and 3389."),
    check=check,
    references=(
        "Amazon VPC User Guide: Control subnet traffic with network access control lists",
        "AWS CloudFormation User Guide: AWS::EC2::NetworkAclEntry",
        "AWS Control Tower proactive controls: EC2 network ACLs do not allow ingress from "
        "0.0.0.0/0 to port 22 or 3389",
        "NIST SP 800-53 Rev 5: SC-7 Boundary Protection",
    ),
    equivalents={"checkov": (), "guard": (), "cdk-nag": ()},
)
