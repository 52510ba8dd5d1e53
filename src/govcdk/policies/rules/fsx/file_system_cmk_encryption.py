"""GOV-FSX-001: FSx file systems are encrypted at rest with a customer-managed KMS key.

Source: RULES.md STO-4; Amazon FSx for Lustre User Guide, "Encrypting data at rest" (scratch
file systems are encrypted with keys that Amazon FSx manages: an AWS-owned key, and
``KmsKeyId`` is not accepted for them; persistent file systems take ``KmsKeyId`` and default to
the AWS-managed ``aws/fsx`` key); Amazon FSx for Windows File Server, NetApp ONTAP and OpenZFS
User Guides, "Encryption at rest" (always encrypted; ``KmsKeyId`` or ``aws/fsx``). CloudFormation
``AWS::FSx::FileSystem``: ``LustreConfiguration.DeploymentType`` defaults to ``SCRATCH_1``.

Verdicts: a Lustre file system of a ``SCRATCH_*`` deployment type FAILS (no customer-managed key
is possible: use ``PERSISTENT_1``/``PERSISTENT_2`` for data the agency must protect with its own
key); every other file system is judged on ``KmsKeyId`` by
:func:`govcdk.policies.helpers.kms_key_result`.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, kms_key_result, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

DEFAULT_LUSTRE_DEPLOYMENT = "SCRATCH_1"


def check(resource: Any, ctx: Any) -> CheckResult:
    props = resource.properties
    fs_type = literal(props.get("FileSystemType"), "FileSystemType")
    if isinstance(fs_type, Unknown):
        return CheckResult.unknown(f"FileSystemType cannot be resolved: {fs_type.reason}",
                                   ("Properties", "FileSystemType"))
    if isinstance(fs_type, str) and fs_type.upper() == "LUSTRE":
        config = props.get("LustreConfiguration")
        path = ("Properties", "LustreConfiguration", "DeploymentType")
        if isinstance(config, Unknown):
            return CheckResult.unknown(f"LustreConfiguration cannot be resolved: "
                                       f"{config.reason}", path)
        raw = config.get("DeploymentType") if isinstance(config, dict) else None
        deployment = literal(raw if raw is not None else DEFAULT_LUSTRE_DEPLOYMENT,
                             "DeploymentType")
        if isinstance(deployment, Unknown):
            return CheckResult.unknown(f"DeploymentType cannot be resolved: "
                                       f"{deployment.reason}", path)
        if isinstance(deployment, str) and deployment.upper().startswith("SCRATCH"):
            shown = describe(deployment) if raw is not None else \
                f"not set (defaults to {DEFAULT_LUSTRE_DEPLOYMENT})"
            return CheckResult.failed(
                f"Lustre DeploymentType {shown}: scratch file systems are always encrypted "
                f"with an AWS-owned key that Amazon FSx manages and cannot use a "
                f"customer-managed key; use PERSISTENT_1 or PERSISTENT_2 with KmsKeyId", path)
    return kms_key_result(
        props.get("KmsKeyId"), ("Properties", "KmsKeyId"), ctx.type_of,
        absent="KmsKeyId not set: the file system is encrypted with the AWS-managed key "
               "aws/fsx, not a customer-managed key")


RULE = Rule(
    id="GOV-FSX-001",
    backlog=("STO-4",),
    name="file_system_cmk_encryption",
    title="FSx file systems are encrypted at rest with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::FSx::FileSystem",),
    controls=("SC-28", "SC-28(1)"),
    severity=Severity.HIGH,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls. FSx encrypts every file system, but with the AWS-managed aws/fsx key unless "
        "KmsKeyId names a customer-managed key, and Lustre scratch file systems (often chosen "
        "for GPU training data) only ever use an AWS-owned key whose use the agency cannot "
        "scope, audit or revoke."),
    remediation=(
        "CDK: fsx.LustreFileSystem(self, 'Fs', lustre_configuration=fsx.LustreConfiguration("
        "deployment_type=fsx.LustreDeploymentType.PERSISTENT_2, ...), kms_key=key, ...) (or "
        "fsx.CfnFileSystem with kms_key_id for ONTAP, OpenZFS and Windows). CloudFormation: "
        "AWS::FSx::FileSystem KmsKeyId set to a customer-managed key and, for Lustre, "
        "LustreConfiguration.DeploymentType PERSISTENT_1 or PERSISTENT_2."),
    check=check,
    references=(
        "Amazon FSx for Lustre User Guide: Encrypting data at rest; Deployment options",
        "Amazon FSx for Windows File Server / NetApp ONTAP / OpenZFS User Guides: Encryption "
        "at rest",
        "AWS CloudFormation User Guide: AWS::FSx::FileSystem KmsKeyId, LustreConfiguration "
        "DeploymentType",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection",
    ),
)
