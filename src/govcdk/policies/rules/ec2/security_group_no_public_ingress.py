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
entries cannot be read from the template. The reading of rules is shared with GOV-EC2-007
(``_security_group.py``).
"""

from __future__ import annotations

from typing import Any

from ...model import CheckResult, Rule, Severity
from ._security_group import CIDR_KEYS, INGRESS, inline_rules_results, rule_results


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    if resource.type == "AWS::EC2::SecurityGroupIngress":
        failing = rule_results(props, ("Properties",), resource, ctx, INGRESS)
        key = next((k for k in CIDR_KEYS if k in props), None)
        return failing or CheckResult.passed(
            "ingress rule is not open to 0.0.0.0/0, ::/0 or a wide public range",
            ("Properties", key) if key else ())
    base = ("Properties", "SecurityGroupIngress")
    rules = props.get("SecurityGroupIngress")
    if rules is None:
        return CheckResult.passed("no inline ingress rules")
    failing, count = inline_rules_results(rules, base, resource, ctx, INGRESS)
    return failing or CheckResult.passed(
        f"{count} inline ingress rule(s), none open to 0.0.0.0/0, ::/0 or a wide public "
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
    equivalents={
        "checkov": ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260"),
        "guard": ("EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE",
                  "INCOMING_SSH_DISABLED",
                  "RESTRICTED_INCOMING_TRAFFIC"),
        "cdk-nag": ("NIST.800.53.R5-EC2RestrictedSSH",
                    "NIST.800.53.R5-EC2RestrictedCommonPorts",
                    "AwsSolutions-EC23"),
    },
)
