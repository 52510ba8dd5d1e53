"""GOV-EC2-006: subnets neither map public IPv4 addresses nor assign IPv6 addresses on launch.

Source: RULES.md NET-2; Amazon VPC User Guide, "IP addressing for your VPCs and subnets"
(subnet settings "Auto-assign public IPv4 address" and "Auto-assign IPv6 address"); AWS
CloudFormation User Guide, ``AWS::EC2::Subnet`` ``MapPublicIpOnLaunch`` and
``AssignIpv6AddressOnCreation`` (both default to false for a subnet CloudFormation creates).
IPv6 addresses are globally routable, so auto-assigning them exposes every interface launched
in the subnet as surely as a public IPv4 address does. Absent or false passes; true fails; a
value that cannot be resolved is UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from ...helpers import bool_setting
from ...model import CheckResult, Rule, Severity

SETTINGS = (
    ("MapPublicIpOnLaunch", "every network interface launched in it gets a public IPv4 address"),
    ("AssignIpv6AddressOnCreation", "every network interface launched in it gets a globally "
                                    "routable IPv6 address"),
)


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    failing: list[CheckResult] = []
    for key, effect in SETTINGS:
        path = ("Properties", key)
        flag = bool_setting(props.get(key), key, path)
        if isinstance(flag, CheckResult):
            failing.append(flag)
        elif flag:
            failing.append(CheckResult.failed(f"{key} is true: {effect}", path))
    return failing or [CheckResult.passed(
        "MapPublicIpOnLaunch and AssignIpv6AddressOnCreation are not true (default false)")]


RULE = Rule(
    id="GOV-EC2-006",
    backlog=("NET-2",),
    name="subnet_no_public_ip",
    title="Subnets do not map public IPv4 addresses or assign IPv6 addresses on launch",
    scope="resource",
    resource_types=("AWS::EC2::Subnet",),
    controls=("AC-4", "SC-7", "SC-7(3)"),
    severity=Severity.HIGH,
    rationale=(
        "A subnet that hands out public IPv4 or globally routable IPv6 addresses makes every "
        "instance, node and endpoint launched in it addressable from the internet, bypassing "
        "the managed interfaces that boundary protection requires (SC-7, SC-7(3) access "
        "points) and the information flow enforcement of AC-4. Workload subnets stay private; "
        "ingress goes through reviewed load balancers."),
    remediation=(
        "CDK: ec2.Vpc(..., subnet_configuration=[ec2.SubnetConfiguration(subnet_type="
        "ec2.SubnetType.PRIVATE_ISOLATED, ...)]) (PUBLIC subnets set map_public_ip_on_launch); "
        "do not set ipv6_assign_address_on_creation. CloudFormation: AWS::EC2::Subnet "
        "MapPublicIpOnLaunch: false and AssignIpv6AddressOnCreation: false (or leave both "
        "unset)."),
    check=check,
    references=(
        "Amazon VPC User Guide: IP addressing for your VPCs and subnets; Modify the IP "
        "addressing attributes of your subnet",
        "AWS CloudFormation User Guide: AWS::EC2::Subnet",
        "NIST SP 800-53 Rev 5: AC-4 Information Flow Enforcement; SC-7 Boundary Protection; "
        "SC-7(3) Access Points",
    ),
    equivalents={
        "checkov": (),
        "guard": ("SUBNET_AUTO_ASSIGN_PUBLIC_IP_DISABLED",),
        "cdk-nag": ("NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled",),
    },
)
