"""GOV-EC2-005: EBS volumes and block device mappings are encrypted with a customer-managed key.

Source: RULES.md CMP-2; Amazon EBS User Guide, "Amazon EBS encryption" (without ``KmsKeyId``
an encrypted volume uses the account's default key, the AWS-managed ``aws/ebs`` unless changed;
without ``Encrypted`` it depends on the account's encryption-by-default setting, which the
template does not control). Checked: ``AWS::EC2::Volume``, and ``BlockDeviceMappings[].Ebs`` of
``AWS::EC2::LaunchTemplate`` (under ``LaunchTemplateData``), ``AWS::EC2::Instance`` and
``AWS::AutoScaling::LaunchConfiguration``. A template or instance without any EBS mapping FAILS:
the AMI's root volume would follow the account default. One whose EBS mappings all comply but
none of which names a root device (``/dev/xvda``, ``/dev/sda1``, ``/dev/sda``: the root device
names of Amazon Linux/most HVM AMIs and of Ubuntu/Windows AMIs) is UNKNOWN: the root volume is
encrypted as the AMI and the account default decide, which the template does not show.
"""

from __future__ import annotations

from typing import Any

from ...helpers import (
    as_bool, describe, find_launch_template, from_launch_template, kms_key_result,
    launch_template_data, literal)
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown

NO_MAPPINGS = "no BlockDeviceMappings: root volume encryption depends on account default"
ROOT_DEVICE_NAMES = ("/dev/xvda", "/dev/sda1", "/dev/sda")


def _ebs_results(ebs: dict[str, Any], base: tuple[str | int, ...], ctx: Any,
                 subject: str = "", owner: str | None = None) -> list[CheckResult]:
    """Findings on one EBS specification of a resource of stack ``owner`` (default: the
    checked template)."""
    out: list[CheckResult] = []
    encrypted = as_bool(ebs.get("Encrypted"))
    if isinstance(encrypted, Unknown):
        out.append(CheckResult.unknown(f"{subject}Encrypted cannot be resolved: "
                                       f"{encrypted.reason}", base + ("Encrypted",)))
    elif encrypted is not True:
        shown = "not set" if ebs.get("Encrypted") is None else f"{describe(ebs.get('Encrypted'))}"
        out.append(CheckResult.failed(f"{subject}Encrypted is {shown}: encryption depends on the "
                                      f"account default", base + ("Encrypted",)))
    key = kms_key_result(
        ebs.get("KmsKeyId"), base + ("KmsKeyId",), lambda ref: ctx.type_of(ref, owner),
        subject=f"{subject}KmsKeyId",
        absent=f"{subject}KmsKeyId not set: the account default key (aws/ebs, AWS-managed) is "
               f"used")
    if key.status != Status.PASS:
        out.append(key)
    return out


def _mappings_results(mappings: Any, base: tuple[str | int, ...], ctx: Any,
                      owner: str | None = None) -> list[CheckResult]:
    """Results for a BlockDeviceMappings list: one per offending mapping, a PASS when every
    EBS mapping is compliant, a FAIL when there is no EBS mapping at all."""
    if isinstance(mappings, Unknown):
        return [CheckResult.unknown(f"BlockDeviceMappings cannot be resolved: {mappings.reason}",
                                    base)]
    if mappings is None:
        return [CheckResult.failed(NO_MAPPINGS, base)]
    if not isinstance(mappings, list):
        return [CheckResult.unknown(f"BlockDeviceMappings is {describe(mappings)}", base)]
    out: list[CheckResult] = []
    ebs_count = 0
    root: bool | Unknown = False
    for i, mapping in enumerate(mappings):
        path = base + (i,)
        if isinstance(mapping, Unknown):
            out.append(CheckResult.unknown(f"block device mapping cannot be resolved: "
                                           f"{mapping.reason}", path))
            continue
        device = literal(mapping.get("DeviceName"), "DeviceName") \
            if isinstance(mapping, dict) else None
        if isinstance(device, str) and device.strip() in ROOT_DEVICE_NAMES:
            root = True
        elif isinstance(device, Unknown) and root is False:
            root = device
        if not isinstance(mapping, dict) or mapping.get("Ebs") is None:
            continue  # instance store (VirtualName) or NoDevice
        ebs = mapping["Ebs"]
        ebs_count += 1
        if isinstance(ebs, Unknown):
            out.append(CheckResult.unknown(f"Ebs cannot be resolved: {ebs.reason}",
                                           path + ("Ebs",)))
        elif not isinstance(ebs, dict):
            out.append(CheckResult.unknown(f"Ebs is {describe(ebs)}", path + ("Ebs",)))
        else:
            subject = f"{device}: " if isinstance(device, str) else ""
            out.extend(_ebs_results(ebs, path + ("Ebs",), ctx, subject, owner))
    if out:
        return out
    if ebs_count == 0:
        return [CheckResult.failed(NO_MAPPINGS + " (no EBS mapping)", base)]
    if isinstance(root, Unknown):
        return [CheckResult.unknown(f"{ebs_count} EBS mapping(s) encrypted with a "
                                    f"customer-managed key, but whether one is the root device "
                                    f"cannot be told: {root.reason}", base)]
    if root is False:
        return [CheckResult.unknown(
            f"{ebs_count} EBS mapping(s) encrypted with a customer-managed key, but none for a "
            f"root device name ({', '.join(ROOT_DEVICE_NAMES)}): the root volume follows the "
            f"AMI and the account's encryption default", base)]
    return [CheckResult.passed(f"{ebs_count} EBS mapping(s) encrypted with a customer-managed "
                               f"key", base)]


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    if resource.type == "AWS::EC2::Volume":
        results = _ebs_results(props, ("Properties",), ctx)
        return results or [CheckResult.passed("encrypted with a customer-managed key",
                                              ("Properties", "KmsKeyId"))]
    if resource.type == "AWS::EC2::LaunchTemplate":
        return _mappings_results(launch_template_data(resource, "BlockDeviceMappings"),
                                 ("Properties", "LaunchTemplateData", "BlockDeviceMappings"), ctx)
    if resource.type == "AWS::EC2::Instance" and props.get("BlockDeviceMappings") is None:
        lt, reason = find_launch_template(ctx, props.get("LaunchTemplate"))
        if lt is not None:
            return from_launch_template(_mappings_results(
                launch_template_data(lt, "BlockDeviceMappings"), (), ctx, lt.stack), lt, ctx)
        if reason is not None:
            return [CheckResult.unknown(f"{reason}; its block device mappings cannot be checked",
                                        ("Properties", "LaunchTemplate"))]
    return _mappings_results(props.get("BlockDeviceMappings"),
                             ("Properties", "BlockDeviceMappings"), ctx)


RULE = Rule(
    id="GOV-EC2-005",
    backlog=("CMP-2",),
    name="ebs_cmk_encryption",
    title="EBS volumes and block device mappings are encrypted with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::EC2::Volume", "AWS::EC2::LaunchTemplate", "AWS::EC2::Instance",
                    "AWS::AutoScaling::LaunchConfiguration"),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.HIGH,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls (SC-13). Volumes encrypted with the AWS-managed aws/ebs key cannot have their "
        "key policy scoped or be shared safely, and unencrypted volumes depend on an account "
        "setting outside the template. Block device mappings decide the root volume of every "
        "instance launched from a launch template."),
    remediation=(
        "CDK: ec2.LaunchTemplate(..., block_devices=[ec2.BlockDevice(device_name='/dev/xvda', "
        "volume=ec2.BlockDeviceVolume.ebs(100, encrypted=True, kms_key=key))]) and "
        "ec2.Volume(..., encrypted=True, encryption_key=key). CloudFormation: "
        "BlockDeviceMappings[].Ebs.Encrypted: true with Ebs.KmsKeyId set to a customer-managed "
        "key; AWS::EC2::Volume Encrypted: true and KmsKeyId."),
    check=check,
    references=(
        "Amazon EBS User Guide: Amazon EBS encryption; Encryption by default",
        "AWS CloudFormation User Guide: AWS::EC2::Volume, AWS::EC2::LaunchTemplate "
        "BlockDeviceMapping/Ebs, AWS::EC2::Instance BlockDeviceMapping, "
        "AWS::AutoScaling::LaunchConfiguration BlockDeviceMapping",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) Cryptographic "
        "Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={
        "checkov": ("CKV_AWS_3", "CKV_AWS_8"),
        "guard": ("ENCRYPTED_VOLUMES",),
        "cdk-nag": ("AwsSolutions-EC26",),
    },
)
