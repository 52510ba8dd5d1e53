"""GOV-EC2-010: instances, launch templates and launch configurations request no public IP
address, and no Elastic IP address is associated with an instance.

Source: RULES.md NET-7; Amazon EC2 User Guide, "Amazon EC2 instance IP addressing" (public
IPv4 addresses, Elastic IP addresses); AWS CloudFormation User Guide, ``AWS::EC2::Instance``
``NetworkInterfaces[].AssociatePublicIpAddress``, ``AWS::EC2::LaunchTemplate``
``LaunchTemplateData.NetworkInterfaces[].AssociatePublicIpAddress``,
``AWS::AutoScaling::LaunchConfiguration`` ``AssociatePublicIpAddress``, ``AWS::EC2::EIP``
``InstanceId`` and ``AWS::EC2::EIPAssociation``.

``AssociatePublicIpAddress: true`` FAILS. When it is not set, the subnet's
``MapPublicIpOnLaunch`` decides; that is GOV-EC2-006's finding, so unset PASSES here with a
note. An instance without its own ``NetworkInterfaces`` is judged by the launch template it
names (UNKNOWN when that launch template is not in the checked templates). Decision for
Elastic IPs: an ``AWS::EC2::EIP`` with ``InstanceId`` and an ``AWS::EC2::EIPAssociation``
with ``InstanceId`` or ``NetworkInterfaceId`` give an instance a public address as surely as
``AssociatePublicIpAddress`` does, so they FAIL; an Elastic IP associated with nothing in the
template (for example a NAT gateway's, judged by GOV-EC2-002) is NOT_APPLICABLE.
"""

from __future__ import annotations

from typing import Any

from ...helpers import (
    LAUNCH_TEMPLATE, bool_setting, describe, find_launch_template, from_launch_template,
    launch_template_data)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

_UNSET_NOTE = ("AssociatePublicIpAddress not set: the subnet's MapPublicIpOnLaunch decides "
               "(GOV-EC2-006)")


def _flag_results(value: Any, path: tuple[str | int, ...], what: str) -> list[CheckResult]:
    flag = bool_setting(value, "AssociatePublicIpAddress", path)
    if isinstance(flag, CheckResult):
        return [flag]
    if flag:
        return [CheckResult.failed(f"{what}AssociatePublicIpAddress is true: the instance gets "
                                   f"a public IPv4 address", path)]
    return []


def _interfaces_results(interfaces: Any, base: tuple[str | int, ...]) -> list[CheckResult]:
    if interfaces is None:
        return [CheckResult.passed(_UNSET_NOTE, base)]
    if isinstance(interfaces, Unknown):
        return [CheckResult.unknown(f"NetworkInterfaces cannot be resolved: "
                                    f"{interfaces.reason}", base)]
    if not isinstance(interfaces, list):
        return [CheckResult.unknown(f"NetworkInterfaces is {describe(interfaces)}, not a list",
                                    base)]
    out: list[CheckResult] = []
    for i, ni in enumerate(interfaces):
        if isinstance(ni, Unknown):
            out.append(CheckResult.unknown(f"NetworkInterfaces[{i}] cannot be resolved: "
                                           f"{ni.reason}", base + (i,)))
        elif isinstance(ni, dict):
            out.extend(_flag_results(ni.get("AssociatePublicIpAddress"),
                                     base + (i, "AssociatePublicIpAddress"),
                                     f"NetworkInterfaces[{i}] "))
    return out or [CheckResult.passed(
        f"no network interface sets AssociatePublicIpAddress true; where unset, the subnet's "
        f"MapPublicIpOnLaunch decides (GOV-EC2-006)", base)]


def _eip_results(resource: Any) -> list[CheckResult]:
    props = resource.properties
    keys = ("InstanceId",) if resource.type == "AWS::EC2::EIP" else \
        ("InstanceId", "NetworkInterfaceId")
    for key in keys:
        value = props.get(key)
        if value is not None:
            return [CheckResult.failed(f"{key} {describe(value)}: an Elastic IP address gives "
                                       f"the instance a public IPv4 address",
                                       ("Properties", key))]
    return [CheckResult.not_applicable("Elastic IP not associated with an instance or network "
                                       "interface")]


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    if resource.type in ("AWS::EC2::EIP", "AWS::EC2::EIPAssociation"):
        return _eip_results(resource)
    if resource.type == "AWS::AutoScaling::LaunchConfiguration":
        path = ("Properties", "AssociatePublicIpAddress")
        value = props.get("AssociatePublicIpAddress")
        return _flag_results(value, path, "") or [CheckResult.passed(
            _UNSET_NOTE if value is None else "AssociatePublicIpAddress is false", path)]
    if resource.type == LAUNCH_TEMPLATE:
        return _interfaces_results(launch_template_data(resource, "NetworkInterfaces"),
                                   ("Properties", "LaunchTemplateData", "NetworkInterfaces"))
    own = props.get("NetworkInterfaces")
    own_path = ("Properties", "NetworkInterfaces")
    if own is not None:
        return _interfaces_results(own, own_path)
    lt, reason = find_launch_template(ctx, props.get("LaunchTemplate"))
    if lt is not None:
        return from_launch_template(
            _interfaces_results(launch_template_data(lt, "NetworkInterfaces"), ()), lt, ctx)
    if reason is not None:
        return [CheckResult.unknown(f"{reason}; its network interfaces cannot be checked",
                                    ("Properties", "LaunchTemplate"))]
    return _interfaces_results(None, own_path)


RULE = Rule(
    id="GOV-EC2-010",
    backlog=("NET-7",),
    name="no_public_ip",
    title="Instances, launch templates and launch configurations request no public IP address "
          "and no Elastic IP address is associated with an instance",
    scope="resource",
    resource_types=("AWS::EC2::Instance", LAUNCH_TEMPLATE,
                    "AWS::AutoScaling::LaunchConfiguration", "AWS::EC2::EIP",
                    "AWS::EC2::EIPAssociation"),
    controls=("AC-3", "SC-7(3)"),
    severity=Severity.HIGH,
    rationale=(
        "A public IP address makes an instance reachable from the internet directly, outside "
        "the limited set of managed access points SC-7(3) requires, and leaves its security "
        "group as the only access enforcement (AC-3). Instances in a FedRAMP boundary are "
        "reached through load balancers, SSM Session Manager or VPC endpoints instead."),
    remediation=(
        "CDK: ec2.LaunchTemplate(..., associate_public_ip_address=False) or "
        "ec2.CfnLaunchTemplate network_interfaces [associate_public_ip_address=False]; "
        "ec2.Instance(..., vpc_subnets=ec2.SubnetSelection(subnet_type="
        "ec2.SubnetType.PRIVATE_ISOLATED), associate_public_ip_address=False); no ec2.CfnEIP "
        "on instances. CloudFormation: AssociatePublicIpAddress: false (or unset in a private "
        "subnet) in AWS::EC2::Instance NetworkInterfaces, AWS::EC2::LaunchTemplate "
        "LaunchTemplateData.NetworkInterfaces and AWS::AutoScaling::LaunchConfiguration; no "
        "AWS::EC2::EIP InstanceId or AWS::EC2::EIPAssociation to an instance."),
    check=check,
    references=(
        "Amazon EC2 User Guide: Amazon EC2 instance IP addressing; Elastic IP addresses",
        "AWS CloudFormation User Guide: AWS::EC2::Instance NetworkInterface, "
        "AWS::EC2::LaunchTemplate NetworkInterface, AWS::AutoScaling::LaunchConfiguration, "
        "AWS::EC2::EIP, AWS::EC2::EIPAssociation",
        "NIST SP 800-53 Rev 5: AC-3 Access Enforcement; SC-7(3) Access Points",
    ),
    equivalents={
        "checkov": ("CKV_AWS_88",),
        "guard": ("EC2_INSTANCE_NO_PUBLIC_IP", "AUTOSCALING_LAUNCH_CONFIG_PUBLIC_IP_DISABLED"),
        "cdk-nag": ("NIST.800.53.R5-EC2InstanceNoPublicIp",),
    },
)
