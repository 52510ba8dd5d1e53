"""GOV-BACKUP-003: AWS Backup vaults are encrypted with a customer-managed KMS key and locked.

Source: RULES.md BKP-3; AWS Backup Developer Guide, "Encryption for backups in AWS Backup"
(without ``EncryptionKeyArn`` a vault uses the AWS-managed key ``aws/backup``) and "AWS Backup
Vault Lock" (``LockConfiguration``: ``MinRetentionDays``, ``MaxRetentionDays``; with
``ChangeableForDays`` the lock becomes immutable, compliance mode, after that grace period).
CloudFormation ``AWS::Backup::BackupVault``. The key decision is
:func:`govcdk.policies.helpers.kms_key_result`.

The vault lock is a FedRAMP High expectation (RULES.md BKP-3: "High: vault lock"). It is the
parameter ``require_vault_lock`` (default True): the lead's baseline selection decides whether
this rule runs for a system, and a Moderate system may set ``require_vault_lock`` False so that
only the key is checked. The rule's controls are those of the RULES.md row.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, kms_key_result
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    out: list[CheckResult] = []
    key = kms_key_result(
        props.get("EncryptionKeyArn"), ("Properties", "EncryptionKeyArn"), ctx.type_of,
        subject="EncryptionKeyArn",
        absent="EncryptionKeyArn not set: recovery points are encrypted with the AWS-managed "
               "key aws/backup, not a customer-managed key")
    if key.status != Status.PASS:
        out.append(key)
    require = as_bool(ctx.params.get("require_vault_lock", True))
    path = ("Properties", "LockConfiguration")
    lock = props.get("LockConfiguration")
    if require is not False:
        if isinstance(lock, Unknown):
            out.append(CheckResult.unknown(f"LockConfiguration cannot be resolved: "
                                           f"{lock.reason}", path))
        elif not isinstance(lock, dict):
            out.append(CheckResult.failed(
                "no LockConfiguration: recovery points can be deleted before their retention "
                "ends (vault lock is expected at the High baseline)", path))
    if out:
        return out
    what = "encrypted with a customer-managed key"
    if isinstance(lock, dict):
        mode = "compliance mode" if lock.get("ChangeableForDays") is not None else \
            "governance mode (no ChangeableForDays: the lock can be removed)"
        what += f", vault lock in {mode}"
    return [CheckResult.passed(what, ("Properties", "EncryptionKeyArn"))]


RULE = Rule(
    id="GOV-BACKUP-003",
    backlog=("BKP-3",),
    name="vault_cmk_and_lock",
    title="AWS Backup vaults are encrypted with a customer-managed KMS key and have a vault "
          "lock",
    scope="resource",
    resource_types=("AWS::Backup::BackupVault",),
    controls=("CP-9(8)", "SC-28"),
    severity=Severity.HIGH,
    rationale=(
        "CP-9(8) requires cryptographic protection of backup information and SC-28 its "
        "protection at rest. A customer-managed key keeps restores under the agency's key "
        "policy and lets it audit every use; aws/backup cannot be scoped. A vault lock stops "
        "anyone, the root user included, from deleting recovery points before their retention "
        "ends, which protects backups from ransomware and insider deletion."),
    remediation=(
        "CDK: backup.BackupVault(self, 'Vault', encryption_key=key, lock_configuration="
        "backup.LockConfiguration(min_retention=Duration.days(35))). CloudFormation: "
        "AWS::Backup::BackupVault EncryptionKeyArn set to a customer-managed key (Fn::GetAtt "
        "Key.Arn) and LockConfiguration with MinRetentionDays (and ChangeableForDays for "
        "compliance mode)."),
    check=check,
    references=(
        "AWS Backup Developer Guide: Encryption for backups in AWS Backup; AWS Backup Vault Lock",
        "AWS CloudFormation User Guide: AWS::Backup::BackupVault EncryptionKeyArn, "
        "LockConfiguration",
        "NIST SP 800-53 Rev 5: CP-9(8) System Backup | Cryptographic Protection; SC-28 "
        "Protection of Information at Rest",
    ),
    parameters={"require_vault_lock": True},
    equivalents={"checkov": ("CKV_AWS_166",)},
)
