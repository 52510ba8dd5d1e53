"""GOV-EC2-003: security groups allow no ingress from 0.0.0.0/0 or ::/0, on any port.

Source: RULES.md NET-3; Amazon VPC User Guide, "Security group rules". Checked after resolving
intrinsics (``Fn::GetAtt Vpc.CidrBlock`` resolves to the VPC's CIDR; a parameter's ``Default``
is used); a CIDR that cannot be resolved is UNKNOWN. Any CIDR with prefix length 0 is the whole
address space, whatever its spelling (``0.0.0.0/0``, ``"0.0.0.0/0 "``, ``::/0``,
``0:0::0/0``). So that the whole internet cannot be let in piecewise, any other CIDR that is not
private (``ipaddress`` ``is_private``: RFC 1918, unique local and the like) FAILS too when it
is wider than an IPv4 /8 or an IPv6 /16 (``0.0.0.0/1`` + ``128.0.0.0/1``, ``2000::/3``): no
single organization holds so much public address space. All-protocol rules
(``IpProtocol: -1``) count like any other. A ``SourcePrefixListId`` is followed to an
``AWS::EC2::PrefixList`` of the checked templates and each of its ``Entries[].Cidr`` is judged
the same way; a prefix list defined elsewhere (a ``pl-`` id, an import) is UNKNOWN, since its
entries cannot be read from the template.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ...helpers import as_int, describe, refs_in
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, ResourceRef, Unknown

_CIDR_KEYS = ("CidrIp", "CidrIpv6")
MIN_PUBLIC_PREFIX = {4: 8, 6: 16}
"""Shortest prefix accepted for a public CIDR, per IP version."""


def _ports(rule: dict[str, Any]) -> str:
    proto = rule.get("IpProtocol")
    proto_text = str(proto).strip().lower() if isinstance(proto, (str, int)) else "?"
    if proto_text in ("-1", "all"):
        return "all protocols and ports"
    lo, hi = as_int(rule.get("FromPort")), as_int(rule.get("ToPort"))
    if isinstance(lo, int) and isinstance(hi, int):
        if lo == -1 or hi == -1:
            return f"{proto_text} all ports"
        return f"{proto_text} port {lo}" if lo == hi else f"{proto_text} ports {lo}-{hi}"
    return f"{proto_text} ports {describe(rule.get('FromPort'))}-{describe(rule.get('ToPort'))}"


def _cidr_result(key: str, value: Any, rule: dict[str, Any],
                 path: tuple[str | int, ...]) -> CheckResult | None:
    """None when the CIDR is not world-open; otherwise a FAIL or UNKNOWN result."""
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{key} cannot be resolved: {value.reason}", path)
    if isinstance(value, (ResourceRef, AttrRef)):
        return CheckResult.unknown(f"{key} is {describe(value)}, which cannot be resolved "
                                   f"statically", path)
    if not isinstance(value, str):
        return CheckResult.unknown(f"{key} is {describe(value)}, not a CIDR string", path)
    text = value.strip()
    if "${" in text:
        return CheckResult.unknown(f"{key} {describe(value)} depends on values known only at "
                                   f"deploy time", path)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return CheckResult.unknown(f"{key} {describe(value)} is not a valid CIDR", path)
    if network.prefixlen == 0:
        return CheckResult.failed(f"ingress from {network} on {_ports(rule)}", path)
    floor = MIN_PUBLIC_PREFIX[network.version]
    if network.prefixlen < floor and not network.is_private:
        return CheckResult.failed(f"ingress from {network} on {_ports(rule)}: a public "
                                  f"range wider than /{floor}", path)
    return None


def _prefix_list_results(value: Any, rule: dict[str, Any], path: tuple[str | int, ...],
                         resource: Any, ctx: Any) -> list[CheckResult]:
    """FAIL/UNKNOWN results for a ``SourcePrefixListId`` (empty when every entry is fine)."""
    if isinstance(value, Unknown):
        return [CheckResult.unknown(f"SourcePrefixListId cannot be resolved: {value.reason}", path)]
    refs = refs_in(value)
    target = ctx.target(refs[0], resource.stack) if len(refs) == 1 else None
    if target is None or target.type != "AWS::EC2::PrefixList":
        return [CheckResult.unknown(
            f"SourcePrefixListId {describe(value)} is not a prefix list of the checked templates: "
            f"its entries cannot be checked", path)]
    entries = target.properties.get("Entries")
    if not isinstance(entries, list):
        return [CheckResult.unknown(f"SourcePrefixListId {describe(value)}: the prefix list's "
                                    f"Entries cannot be resolved", path)]
    out = []
    for i, entry in enumerate(entries):
        cidr = entry.get("Cidr") if isinstance(entry, dict) else entry
        result = _cidr_result(f"prefix list {target.logical_id} Entries[{i}].Cidr", cidr, rule, path)
        if result is not None:
            out.append(result)
    return out


def _rule_results(rule: Any, base: tuple[str | int, ...], resource: Any,
                  ctx: Any) -> list[CheckResult]:
    if isinstance(rule, Unknown):
        return [CheckResult.unknown(f"ingress rule cannot be resolved: {rule.reason}", base)]
    if not isinstance(rule, dict):
        return [CheckResult.unknown(f"ingress rule is {describe(rule)}, not a mapping", base)]
    out = []
    for key in _CIDR_KEYS:
        if key in rule:
            result = _cidr_result(key, rule[key], rule, base + (key,))
            if result is not None:
                out.append(result)
    if "SourcePrefixListId" in rule:
        out.extend(_prefix_list_results(rule["SourcePrefixListId"], rule,
                                        base + ("SourcePrefixListId",), resource, ctx))
    return out


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    if resource.type == "AWS::EC2::SecurityGroupIngress":
        failing = _rule_results(props, ("Properties",), resource, ctx)
        key = next((k for k in _CIDR_KEYS if k in props), None)
        return failing or CheckResult.passed(
            "ingress rule is not open to 0.0.0.0/0, ::/0 or a wide public range",
            ("Properties", key) if key else ())
    base = ("Properties", "SecurityGroupIngress")
    rules = props.get("SecurityGroupIngress")
    if rules is None:
        return CheckResult.passed("no inline ingress rules")
    if isinstance(rules, Unknown):
        return CheckResult.unknown(f"SecurityGroupIngress cannot be resolved: {rules.reason}",
                                   base)
    if not isinstance(rules, list):
        return CheckResult.unknown(f"SecurityGroupIngress is {describe(rules)}, not a list", base)
    failing: list[CheckResult] = []
    for i, rule in enumerate(rules):
        failing.extend(_rule_results(rule, base + (i,), resource, ctx))
    return failing or CheckResult.passed(
        f"{len(rules)} inline ingress rule(s), none open to 0.0.0.0/0, ::/0 or a wide public "
        f"range", base)


RULE = Rule(
    id="GOV-EC2-003",
    backlog=("NET-3",),
    name="security_group_no_public_ingress",
    title="Security groups allow no inbound traffic from 0.0.0.0/0 or ::/0 on any port",
    scope="resource",
    resource_types=("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"),
    controls=("SC-7", "SC-7(5)", "AC-4", "AC-17(1)"),
    severity=Severity.HIGH,
    rationale=(
        "Ingress from the whole internet exposes services and remote-administration ports "
        "(SSH, RDP) to scanning and brute force, contrary to deny-by-default boundary "
        "protection (SC-7, SC-7(5)), information flow enforcement (AC-4) and monitored, "
        "controlled remote access (AC-17(1)). Expose public endpoints through a load "
        "balancer or API front door in a separate, reviewed stack."),
    remediation=(
        "CDK: ec2.SecurityGroup(..., allow_all_outbound=False) and sg.add_ingress_rule("
        "ec2.Peer.ipv4(vpc.vpc_cidr_block) or ec2.Peer.security_group_id(...), port), never "
        "ec2.Peer.any_ipv4()/any_ipv6(); use SSM Session Manager instead of SSH. "
        "CloudFormation: AWS::EC2::SecurityGroup SecurityGroupIngress[].CidrIp/CidrIpv6 (and "
        "AWS::EC2::SecurityGroupIngress CidrIp/CidrIpv6) set to internal ranges, or use "
        "SourceSecurityGroupId / SourcePrefixListId."),
    check=check,
    references=(
        "Amazon VPC User Guide: Security group rules",
        "AWS CloudFormation User Guide: AWS::EC2::SecurityGroup Ingress, "
        "AWS::EC2::SecurityGroupIngress",
        "NIST SP 800-53 Rev 5: SC-7 Boundary Protection; SC-7(5) Deny by Default - Allow by "
        "Exception; AC-4 Information Flow Enforcement; AC-17(1) Monitoring and Control",
    ),
)
