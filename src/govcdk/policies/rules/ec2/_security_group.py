"""Shared reading of security group rules for GOV-EC2-003 (ingress) and GOV-EC2-007 (egress).

Source: Amazon VPC User Guide, "Security group rules"; AWS CloudFormation User Guide,
``AWS::EC2::SecurityGroup`` Ingress/Egress, ``AWS::EC2::SecurityGroupIngress``,
``AWS::EC2::SecurityGroupEgress``. A rule's peer is judged after the resolver has done its
work: any CIDR with prefix length 0 is the whole address space, whatever its spelling
(``0.0.0.0/0``, ``"0.0.0.0/0 "``, ``::/0``, ``0:0::0/0``); any other CIDR that is not private
(``ipaddress`` ``is_private``) and is wider than :data:`MIN_PUBLIC_PREFIX` counts as the
internet too, so that it cannot be let in (or out) piecewise (``0.0.0.0/1`` +
``128.0.0.0/1``). A prefix list is followed to an ``AWS::EC2::PrefixList`` of the checked
templates; one defined elsewhere is UNKNOWN. Helper module: the leading underscore keeps
:func:`govcdk.policies.engine.load_rules` from treating it as a rule.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ...helpers import as_int, describe, refs_in
from ...model import CheckResult
from ...resolver import AttrRef, ResourceRef, Unknown

Path = tuple[str | int, ...]

CIDR_KEYS = ("CidrIp", "CidrIpv6")
MIN_PUBLIC_PREFIX = {4: 8, 6: 16}
"""Shortest prefix accepted for a public CIDR, per IP version: no single organization holds
more public address space than an IPv4 /8 or an IPv6 /16."""


@dataclass(frozen=True)
class Direction:
    """How one direction of traffic is spelled: ``verb`` for messages (``"ingress from"``,
    ``"egress to"``), ``noun`` (``"ingress"``) and the key of its prefix-list peer
    (``SourcePrefixListId`` / ``DestinationPrefixListId``)."""

    verb: str
    noun: str
    prefix_list_key: str


INGRESS = Direction("ingress from", "ingress", "SourcePrefixListId")
EGRESS = Direction("egress to", "egress", "DestinationPrefixListId")


PROTOCOL_NAMES = {"1": "icmp", "2": "igmp", "4": "ipip", "6": "tcp", "17": "udp", "41": "ipv6",
                  "47": "gre", "50": "esp", "51": "ah", "58": "icmpv6", "89": "ospf",
                  "132": "sctp"}
"""Names of IANA protocol numbers (IANA "Assigned Internet Protocol Numbers") a security group
rule may give as ``IpProtocol`` (Amazon EC2 API Reference, IpPermission: a name for tcp, udp,
icmp and icmpv6, a number for any protocol), for messages."""


def ports(rule: dict[str, Any]) -> str:
    """``"all protocols and ports"``, ``"tcp port 22"``, ``"tcp ports 0-65535"`` for a
    resolved rule mapping (for messages)."""
    proto = rule.get("IpProtocol")
    proto_text = str(proto).strip().lower() if isinstance(proto, (str, int)) else "?"
    if proto_text in PROTOCOL_NAMES:        # IANA numbers EC2 accepts: tcp (6), not "6"
        proto_text = f"{PROTOCOL_NAMES[proto_text]} ({proto_text})"
    if proto_text in ("-1", "all"):
        return "all protocols and ports"
    lo, hi = as_int(rule.get("FromPort")), as_int(rule.get("ToPort"))
    if isinstance(lo, int) and isinstance(hi, int):
        if lo == -1 or hi == -1:
            return f"{proto_text} all ports"
        return f"{proto_text} port {lo}" if lo == hi else f"{proto_text} ports {lo}-{hi}"
    return f"{proto_text} ports {describe(rule.get('FromPort'))}-{describe(rule.get('ToPort'))}"


def world_network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None | str:
    """The network a CIDR string names when it is the internet (prefix 0, or a public range
    wider than :data:`MIN_PUBLIC_PREFIX`), None when it is not, or a reason string when it
    is not a CIDR at all. ``value`` must already be a literal string."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return "not a valid CIDR"
    if network.prefixlen == 0:
        return network
    if network.prefixlen < MIN_PUBLIC_PREFIX[network.version] and not network.is_private:
        return network
    return None


def cidr_result(key: str, value: Any, rule: dict[str, Any], path: Path,
                direction: Direction) -> CheckResult | None:
    """None when the CIDR is not world-open; otherwise a FAIL or UNKNOWN result."""
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{key} cannot be resolved: {value.reason}", path)
    if isinstance(value, (ResourceRef, AttrRef)):
        return CheckResult.unknown(f"{key} is {describe(value)}, which cannot be resolved "
                                   f"statically", path)
    if not isinstance(value, str):
        return CheckResult.unknown(f"{key} is {describe(value)}, not a CIDR string", path)
    if "${" in value:
        return CheckResult.unknown(f"{key} {describe(value)} depends on values known only at "
                                   f"deploy time", path)
    network = world_network(value)
    if isinstance(network, str):
        return CheckResult.unknown(f"{key} {describe(value)} is {network}", path)
    if network is None:
        return None
    if network.prefixlen == 0:
        return CheckResult.failed(f"{direction.verb} {network} on {ports(rule)}", path)
    floor = MIN_PUBLIC_PREFIX[network.version]
    return CheckResult.failed(f"{direction.verb} {network} on {ports(rule)}: a public range "
                              f"wider than /{floor}", path)


def prefix_list_results(value: Any, rule: dict[str, Any], path: Path, resource: Any, ctx: Any,
                        direction: Direction) -> list[CheckResult]:
    """FAIL/UNKNOWN results for a prefix-list peer (empty when every entry is fine)."""
    key = direction.prefix_list_key
    if isinstance(value, Unknown):
        return [CheckResult.unknown(f"{key} cannot be resolved: {value.reason}", path)]
    refs = refs_in(value)
    target = ctx.target(refs[0], resource.stack) if len(refs) == 1 else None
    if target is None or target.type != "AWS::EC2::PrefixList":
        return [CheckResult.unknown(
            f"{key} {describe(value)} is not a prefix list of the checked templates: its "
            f"entries cannot be checked", path)]
    entries = target.properties.get("Entries")
    if not isinstance(entries, list):
        return [CheckResult.unknown(f"{key} {describe(value)}: the prefix list's Entries cannot "
                                    f"be resolved", path)]
    out = []
    for i, entry in enumerate(entries):
        cidr = entry.get("Cidr") if isinstance(entry, dict) else entry
        result = cidr_result(f"prefix list {target.logical_id} Entries[{i}].Cidr", cidr, rule,
                             path, direction)
        if result is not None:
            out.append(result)
    return out


def rule_results(rule: Any, base: Path, resource: Any, ctx: Any,
                 direction: Direction) -> list[CheckResult]:
    """FAIL/UNKNOWN results for one resolved rule mapping (empty when it is not world-open)."""
    if isinstance(rule, Unknown):
        return [CheckResult.unknown(f"{direction.noun} rule cannot be resolved: {rule.reason}",
                                    base)]
    if not isinstance(rule, dict):
        return [CheckResult.unknown(f"{direction.noun} rule is {describe(rule)}, not a mapping",
                                    base)]
    out = []
    for key in CIDR_KEYS:
        if key in rule:
            result = cidr_result(key, rule[key], rule, base + (key,), direction)
            if result is not None:
                out.append(result)
    if direction.prefix_list_key in rule:
        out.extend(prefix_list_results(rule[direction.prefix_list_key], rule,
                                       base + (direction.prefix_list_key,), resource, ctx,
                                       direction))
    return out


def inline_rules_results(rules: Any, base: Path, resource: Any, ctx: Any,
                         direction: Direction) -> tuple[list[CheckResult], int]:
    """(FAIL/UNKNOWN results, number of rules) for a security group's inline rule list
    (``SecurityGroupIngress``/``SecurityGroupEgress``), which must be present."""
    prop = base[-1]
    if isinstance(rules, Unknown):
        return [CheckResult.unknown(f"{prop} cannot be resolved: {rules.reason}", base)], 0
    if not isinstance(rules, list):
        return [CheckResult.unknown(f"{prop} is {describe(rules)}, not a list", base)], 0
    failing: list[CheckResult] = []
    for i, rule in enumerate(rules):
        failing.extend(rule_results(rule, base + (i,), resource, ctx, direction))
    return failing, len(rules)
