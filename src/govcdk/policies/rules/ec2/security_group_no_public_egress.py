"""GOV-EC2-007: security groups allow no egress to 0.0.0.0/0 or ::/0, on any port.

Source: RULES.md NET-4; Amazon VPC User Guide, "Security group rules"; AWS CloudFormation User
Guide, ``AWS::EC2::SecurityGroup`` ("When you create a security group, if you do not add
egress rules, we add egress rules that allow all outbound IPv4 and IPv6 traffic. Otherwise,
we do not add them") and ``AWS::EC2::SecurityGroupEgress``. Rules are read after resolving
intrinsics, as GOV-EC2-003 reads ingress (``_security_group.py``): a CIDR of prefix length 0
or a public range wider than an IPv4 /8 or IPv6 /16 FAILS, a ``DestinationPrefixListId`` is
followed to an ``AWS::EC2::PrefixList`` of the checked templates, what cannot be resolved is
UNKNOWN.

A security group without ``SecurityGroupEgress`` (or with an empty list) gets EC2's default
allow-all egress rules. CloudFormation strips that default when an egress rule is added to the
group, inline or as an ``AWS::EC2::SecurityGroupEgress`` resource (aws-cdk relies on this: its
``SecurityGroup`` with ``allow_all_outbound=False`` drops its inline placeholder as soon as any
egress rule is added, even one it writes as a separate resource; aws-cdk PR #998, issue
#987). So such a group PASSES when an ``AWS::EC2::SecurityGroupEgress`` of the checked
templates (this stack or another, through ``Fn::ImportValue``) names it in ``GroupId`` (each of
those is judged on its own), is UNKNOWN when such a resource may name it but its ``GroupId`` or
``Condition`` cannot be resolved, and otherwise FAILS. CDK's ``allow_all_outbound=False``
without other rules writes an inline placeholder rule to ``255.255.255.255/32`` (ICMP type
252 code 86) that matches no traffic: that passes.
"""

from __future__ import annotations

from typing import Any

from ...helpers import raw_ref_ids, refs_in
from ...model import CheckResult, Rule, Severity
from ._security_group import CIDR_KEYS, EGRESS, inline_rules_results, rule_results

CDK_DISALLOW_ALL_CIDR = "255.255.255.255/32"
"""The CIDR of the placeholder egress rule aws-cdk-lib's ``SecurityGroup`` writes when
``allow_all_outbound`` is false and no other egress rule is added."""


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    if resource.type == "AWS::EC2::SecurityGroupEgress":
        failing = rule_results(props, ("Properties",), resource, ctx, EGRESS)
        key = next((k for k in CIDR_KEYS if k in props), None)
        return failing or CheckResult.passed(
            "egress rule is not open to 0.0.0.0/0, ::/0 or a wide public range",
            ("Properties", key) if key else ())
    base = ("Properties", "SecurityGroupEgress")
    rules = props.get("SecurityGroupEgress")
    if rules is None or (isinstance(rules, list) and not rules):  # never compare an Unknown
        return _default_egress(resource, ctx, "is empty" if rules is not None else "is not set",
                               base)
    failing, count = inline_rules_results(rules, base, resource, ctx, EGRESS)
    if failing:
        return failing
    placeholder = (count == 1 and isinstance(rules[0], dict)
                   and rules[0].get("CidrIp") == CDK_DISALLOW_ALL_CIDR)
    if placeholder:
        return CheckResult.passed(
            f"only the disallow-all placeholder egress rule ({CDK_DISALLOW_ALL_CIDR}): no "
            f"outbound traffic is allowed", base)
    return CheckResult.passed(
        f"{count} inline egress rule(s), none open to 0.0.0.0/0, ::/0 or a wide public range",
        base)


def _default_egress(resource: Any, ctx: Any, state: str,
                    base: tuple[str | int, ...]) -> CheckResult:
    """Verdict on a group without inline egress rules: is EC2's default rule replaced by a
    separate ``AWS::EC2::SecurityGroupEgress``?"""
    me = (resource.stack, resource.logical_id)
    replacing: list[str] = []
    unsure: list[str] = []
    for rule in ctx.run_resources("AWS::EC2::SecurityGroupEgress"):
        group = rule.properties.get("GroupId")
        named = {(r.stack or rule.stack, r.logical_id) for r in refs_in(group)}
        where = rule.logical_id if rule.stack == ctx.stack else \
            f"{rule.logical_id} (stack {rule.stack})"
        if me in named:
            if rule.condition is None:
                unsure.append(f"{where} exists only if Condition "
                              f"{rule.raw.get('Condition')} holds, which cannot be evaluated")
            else:
                replacing.append(where)
        elif hasattr(group, "reason") and rule.stack == resource.stack and \
                resource.logical_id in raw_ref_ids(rule.raw_properties.get("GroupId")):
            unsure.append(f"{where} GroupId cannot be resolved: {group.reason}")
    if replacing:
        return CheckResult.passed(
            f"SecurityGroupEgress {state}, but AWS::EC2::SecurityGroupEgress "
            f"{', '.join(sorted(replacing))} replaces EC2's default allow-all egress rule "
            f"(each judged on its own)", base)
    if unsure:
        return CheckResult.unknown(
            f"SecurityGroupEgress {state}: whether EC2's default allow-all egress rule is "
            f"replaced cannot be told: {'; '.join(unsure)}", base)
    return CheckResult.failed(
        f"SecurityGroupEgress {state} and no AWS::EC2::SecurityGroupEgress names this group: "
        f"EC2 adds the default rules allowing all outbound traffic to 0.0.0.0/0 and ::/0",
        base)


RULE = Rule(
    id="GOV-EC2-007",
    backlog=("NET-4",),
    name="security_group_no_public_egress",
    title="Security groups allow no outbound traffic to 0.0.0.0/0 or ::/0, and do not keep "
          "the default allow-all egress rule",
    scope="resource",
    resource_types=("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress"),
    controls=("SC-7(5)", "AC-4"),
    severity=Severity.MEDIUM,
    rationale=(
        "Egress to the whole internet is the exfiltration and command-and-control path of a "
        "compromised workload. Deny by default, allow by exception (SC-7(5)) and information "
        "flow enforcement (AC-4) require outbound flows to be limited to the VPC, VPC "
        "endpoints and named peers; EC2's default egress rule allows everything, so it must be "
        "replaced explicitly."),
    remediation=(
        "CDK: ec2.SecurityGroup(..., allow_all_outbound=False, allow_all_ipv6_outbound=False) "
        "and sg.add_egress_rule(ec2.Peer.ipv4(vpc.vpc_cidr_block) or ec2.Peer.prefix_list(...), "
        "port) for what the workload needs; reach AWS services through VPC endpoints. "
        "CloudFormation: AWS::EC2::SecurityGroup SecurityGroupEgress listing only internal "
        "destinations (CidrIp/CidrIpv6 internal ranges, DestinationSecurityGroupId, "
        "DestinationPrefixListId) or AWS::EC2::SecurityGroupEgress resources naming the group, "
        "never neither; AWS::EC2::SecurityGroupEgress CidrIp/CidrIpv6 "
        "internal ranges."),
    check=check,
    references=(
        "Amazon VPC User Guide: Security group rules",
        "AWS CloudFormation User Guide: AWS::EC2::SecurityGroup Egress, "
        "AWS::EC2::SecurityGroupEgress",
        "NIST SP 800-53 Rev 5: SC-7(5) Deny by Default - Allow by Exception; AC-4 Information "
        "Flow Enforcement",
    ),
    equivalents={
        "checkov": (),
        "guard": ("EC2_SECURITY_GROUP_EGRESS_OPEN_TO_WORLD_RULE",
                  "SECURITY_GROUP_MISSING_EGRESS_RULE"),
        "cdk-nag": (),
    },
)
