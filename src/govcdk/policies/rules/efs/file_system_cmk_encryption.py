"""GOV-EFS-001: EFS file systems are encrypted at rest with a customer-managed KMS key.

Source: RULES.md STO-4; Amazon EFS User Guide, "Encrypting data at rest" (``Encrypted``
defaults to false in ``AWS::EFS::FileSystem``; an encrypted file system without ``KmsKeyId``
uses the AWS-managed key ``aws/elasticfilesystem``). The key decision is
:func:`govcdk.policies.helpers.kms_key_result`, shared with every customer-managed-key rule.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe, kms_key_result
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from .._kms import with_key


def encrypted_result(props: Any, default_note: str) -> CheckResult | None:
    """A failing/unknown result for ``Encrypted`` not true, else None."""
    path = ("Properties", "Encrypted")
    raw = props.get("Encrypted")
    encrypted = as_bool(raw)
    if isinstance(encrypted, Unknown):
        return CheckResult.unknown(f"Encrypted cannot be resolved: {encrypted.reason}", path)
    if encrypted is not True:
        shown = "not set" if raw is None else f"{describe(raw)}"
        return CheckResult.failed(f"Encrypted is {shown}: {default_note}", path)
    return None


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    out: list[CheckResult] = []
    enc = encrypted_result(props, "the file system is not encrypted at rest (default false)")
    if enc is not None:
        out.append(enc)
    key = kms_key_result(
        props.get("KmsKeyId"), ("Properties", "KmsKeyId"), ctx.type_of,
        absent="KmsKeyId not set: an encrypted file system uses the AWS-managed key "
               "aws/elasticfilesystem, not a customer-managed key")
    return with_key(out, key, props.get("KmsKeyId"))


RULE = Rule(
    id="GOV-EFS-001",
    backlog=("STO-4",),
    name="file_system_cmk_encryption",
    title="EFS file systems are encrypted at rest with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::EFS::FileSystem",),
    controls=("SC-28", "SC-28(1)"),
    severity=Severity.HIGH,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest. EFS file systems are "
        "unencrypted unless Encrypted is true, and encryption cannot be turned on later without "
        "copying the data to a new file system. A customer-managed key keeps decryption under "
        "the agency's key policy and records every use in CloudTrail; the AWS-managed "
        "aws/elasticfilesystem key cannot be scoped or revoked."),
    remediation=(
        "CDK: efs.FileSystem(self, 'Fs', vpc=vpc, encrypted=True, kms_key=key). "
        "CloudFormation: AWS::EFS::FileSystem Encrypted: true and KmsKeyId set to a "
        "customer-managed key (Fn::GetAtt Key.Arn)."),
    check=check,
    references=(
        "Amazon EFS User Guide: Encrypting data at rest",
        "AWS CloudFormation User Guide: AWS::EFS::FileSystem Encrypted, KmsKeyId",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_42",), "guard": ("EFS_ENCRYPTED_CHECK",),
                 "cdk-nag": ("NIST.800.53.R5-EFSEncrypted", "AwsSolutions-EFS1")},
)
