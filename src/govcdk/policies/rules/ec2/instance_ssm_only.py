"""GOV-EC2-012: instances are managed through SSM only: no SSH key pair, an instance profile
attached.

Source: RULES.md CMP-3; AWS Systems Manager User Guide, "Session Manager" and "Configure
instance permissions required for Systems Manager" (an instance profile with
``AmazonSSMManagedInstanceCore``); Amazon EC2 User Guide, "Amazon EC2 key pairs and Amazon EC2
instances"; AWS CloudFormation User Guide, ``AWS::EC2::Instance`` ``KeyName`` /
``IamInstanceProfile``, ``AWS::EC2::LaunchTemplate`` ``LaunchTemplateData.KeyName`` /
``LaunchTemplateData.IamInstanceProfile`` (``Arn`` or ``Name``),
``AWS::AutoScaling::LaunchConfiguration`` ``KeyName`` / ``IamInstanceProfile``.

A ``KeyName`` FAILS, also when it is a ``Ref`` to a parameter without a value (a key pair is
named at deploy time; an ``Fn::If`` that may yield ``AWS::NoValue`` is evaluated branch by
branch); a missing instance profile FAILS. An instance inherits what it does not set from the
launch template it names (UNKNOWN when that launch template is not in the checked
templates). Which policies the profile's role holds is not judged here. The backlog's "nodes in private subnets" is checked by
GOV-EC2-006 and GOV-EC2-010.
"""

from __future__ import annotations

from typing import Any

from ...helpers import (
    LAUNCH_TEMPLATE, describe, find_launch_template, from_launch_template,
    launch_template_data)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def _raw(resource: Any, *keys: str) -> Any:
    node: Any = resource.raw_properties
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _results(key_name: Any, profile: Any, base: tuple[str | int, ...],
             raw_key: Any = None) -> list[CheckResult]:
    out: list[CheckResult] = []
    if isinstance(key_name, Unknown) and isinstance(raw_key, dict) and set(raw_key) == {"Ref"}:
        out.append(CheckResult.failed(f"KeyName is set from parameter {raw_key['Ref']} (value "
                                      f"given at deploy time): an SSH key pair is installed; use "
                                      f"SSM Session Manager instead", base + ("KeyName",)))
    elif isinstance(key_name, Unknown):
        out.append(CheckResult.unknown(f"KeyName cannot be resolved: {key_name.reason}",
                                       base + ("KeyName",)))
    elif key_name is not None:
        out.append(CheckResult.failed(f"KeyName {describe(key_name)}: an SSH key pair is "
                                      f"installed; use SSM Session Manager instead",
                                      base + ("KeyName",)))
    if isinstance(profile, Unknown):
        out.append(CheckResult.unknown(f"IamInstanceProfile cannot be resolved: "
                                       f"{profile.reason}", base + ("IamInstanceProfile",)))
    elif profile is None or (isinstance(profile, (dict, str)) and not profile):
        out.append(CheckResult.failed("no IamInstanceProfile: the SSM agent has no "
                                      "credentials, so the instance cannot be managed through "
                                      "Systems Manager", base + ("IamInstanceProfile",)))
    return out


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    ok = "no KeyName and an IamInstanceProfile: managed through SSM"
    if resource.type == LAUNCH_TEMPLATE:
        base = ("Properties", "LaunchTemplateData")
        return _results(launch_template_data(resource, "KeyName"),
                        launch_template_data(resource, "IamInstanceProfile"), base,
                        _raw(resource, "LaunchTemplateData", "KeyName")) \
            or [CheckResult.passed(ok, base + ("IamInstanceProfile",))]
    base = ("Properties",)
    key_name, profile = props.get("KeyName"), props.get("IamInstanceProfile")
    if resource.type == "AWS::EC2::Instance" and (key_name is None or profile is None):
        lt, reason = find_launch_template(ctx, props.get("LaunchTemplate"))
        if lt is not None:
            inherited = _results(
                launch_template_data(lt, "KeyName") if key_name is None else None,
                launch_template_data(lt, "IamInstanceProfile") if profile is None else "set",
                ())
            own = _results(key_name, profile if profile is not None else "set", base,
                           _raw(resource, "KeyName"))
            return own + from_launch_template(inherited, lt, ctx) or \
                [CheckResult.passed(ok + f" (with launch template {lt.logical_id})")]
        if reason is not None:
            return [CheckResult.unknown(f"{reason}; its KeyName and IamInstanceProfile cannot "
                                        f"be checked", ("Properties", "LaunchTemplate"))]
    return _results(key_name, profile, base, _raw(resource, "KeyName")) or \
        [CheckResult.passed(ok, ("Properties", "IamInstanceProfile"))]


RULE = Rule(
    id="GOV-EC2-012",
    backlog=("CMP-3",),
    name="instance_ssm_only",
    title="Instances, launch templates and launch configurations install no SSH key pair and "
          "attach an instance profile for Systems Manager",
    scope="resource",
    resource_types=("AWS::EC2::Instance", LAUNCH_TEMPLATE,
                    "AWS::AutoScaling::LaunchConfiguration"),
    controls=("SC-7", "AC-3", "AC-17", "CM-8"),
    severity=Severity.MEDIUM,
    rationale=(
        "SSH key pairs are long-lived shared secrets that bypass IAM, need an open inbound port "
        "and leave no per-user audit trail. Session Manager gives remote access (AC-17) that "
        "IAM authorizes (AC-3) without inbound ports (SC-7), and the instance profile is what "
        "lets the SSM agent register the instance in the inventory (CM-8)."),
    remediation=(
        "CDK: ec2.LaunchTemplate(..., role=role) or ec2.Instance(..., role=role) with a role "
        "holding AmazonSSMManagedInstanceCore, and no key_pair/key_name. CloudFormation: omit "
        "KeyName and set IamInstanceProfile on AWS::EC2::Instance, "
        "AWS::EC2::LaunchTemplate LaunchTemplateData (IamInstanceProfile Arn or Name) and "
        "AWS::AutoScaling::LaunchConfiguration."),
    check=check,
    references=(
        "AWS Systems Manager User Guide: AWS Systems Manager Session Manager; Configure "
        "instance permissions required for Systems Manager",
        "Amazon EC2 User Guide: Amazon EC2 key pairs and Amazon EC2 instances",
        "AWS CloudFormation User Guide: AWS::EC2::Instance, AWS::EC2::LaunchTemplate "
        "LaunchTemplateData, AWS::AutoScaling::LaunchConfiguration",
        "NIST SP 800-53 Rev 5: SC-7 Boundary Protection; AC-3 Access Enforcement; AC-17 Remote "
        "Access; CM-8 System Component Inventory",
    ),
    equivalents={
        "checkov": (),
        "guard": ("EC2_INSTANCE_PROFILE_ATTACHED", "EC2_INSTANCE_MANAGED_BY_SYSTEMS_MANAGER"),
        "cdk-nag": ("NIST.800.53.R5-EC2InstanceProfileAttached",),
    },
)
