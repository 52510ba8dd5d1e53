"""AgencyBackup: an AWS Backup vault, plan and selection for an agency's stateful resources.

Controls: CP-9 (system backup: daily, kept at least 35 days), CP-9(8) and SC-28 (vault
encrypted with the keyring's ``backup`` key), CP-10 (recovery). Rules that check it:
GOV-BACKUP-001 (resources selected), GOV-BACKUP-002 (frequency, retention), GOV-BACKUP-003
(customer-managed key, vault lock).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_iam as iam
from constructs import Construct

if TYPE_CHECKING:
    from govcdk.constructs.keyring import AgencyKeyring

MIN_RETENTION_DAYS = 35
"""CP-9 floor used by the FedRAMP conformance packs' AWS Config rules (daily, 35 days)."""

DAILY = "cron(0 5 ? * * *)"
"""05:00 UTC every day (AWS Backup's own default schedule)."""

COMPLIANCE_GRACE_DAYS = 3
"""At impact level High the vault lock becomes immutable (compliance mode) after this many
days (AWS Backup Developer Guide, "AWS Backup Vault Lock": ``ChangeableForDays`` >= 3)."""

_CODE_RE = re.compile(r"[a-z][a-z0-9]{0,11}")


class AgencyBackup(Construct):
    """A vault, a daily plan and one selection by ARN.

    - Vault (:attr:`vault`): ``govcdk-<agency_code>``, encrypted with the keyring's ``backup``
      key, retained on stack deletion, locked: recovery points cannot be deleted before
      ``retention_days``. At impact level High the lock turns to compliance mode after
      :data:`COMPLIANCE_GRACE_DAYS` days (nobody, root included, can shorten it); otherwise it
      stays in governance mode.
    - Plan (:attr:`plan`): one rule, daily (:data:`DAILY`), recovery points kept
      ``retention_days``.
    - Selection (:attr:`selection`): the resources whose ARNs are given, through a role
      trusted by ``backup.amazonaws.com`` with the AWS managed policies
      ``service-role/AWSBackupServiceRolePolicyForBackup`` and ``...ForRestores``
      (partition-aware ARNs).

    :param keyring: the :class:`~govcdk.constructs.AgencyKeyring` holding a ``backup`` key.
    :param agency_code: names the vault and plan (1..12 of a-z0-9, starting with a letter).
    :param impact_level: ``low``, ``moderate`` or ``high`` (vault lock mode).
    :param resource_arns: ARNs (tokens welcome) of the resources to back up; at least one.
    :param retention_days: days recovery points are kept, >= 35 (default 35).
    :raises ValueError: no resources, retention below 35 days, a bad agency code or impact
        level; :class:`~govcdk.constructs.UnknownKeyPurposeError` when the keyring has no
        ``backup`` key.
    """

    def __init__(self, scope: Construct, id: str, *, keyring: "AgencyKeyring", agency_code: str,
                 impact_level: str, resource_arns: Sequence[str], retention_days: int = MIN_RETENTION_DAYS) -> None:
        super().__init__(scope, id)
        if not (isinstance(agency_code, str) and _CODE_RE.fullmatch(agency_code)):
            raise ValueError(f"agency_code={agency_code!r}: allowed 1..12 of a-z and 0-9, starting with a letter")
        if impact_level not in ("low", "moderate", "high"):
            raise ValueError(f"impact_level={impact_level!r}: allowed low, moderate, high")
        if isinstance(resource_arns, str) or not list(resource_arns):
            raise ValueError("resource_arns: give a list of at least one resource ARN")
        if not isinstance(retention_days, int) or isinstance(retention_days, bool) or retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"retention_days={retention_days!r}: allowed a whole number >= {MIN_RETENTION_DAYS} (CP-9)")
        key = keyring.key_for("backup")
        lock = backup.CfnBackupVault.LockConfigurationTypeProperty(
            min_retention_days=retention_days,
            changeable_for_days=COMPLIANCE_GRACE_DAYS if impact_level == "high" else None,
        )
        self.vault = backup.CfnBackupVault(
            self, "Vault", backup_vault_name=f"govcdk-{agency_code}", encryption_key_arn=key.key_arn,
            lock_configuration=lock)
        self.vault.apply_removal_policy(RemovalPolicy.RETAIN)
        self.plan = backup.CfnBackupPlan(
            self, "Plan",
            backup_plan=backup.CfnBackupPlan.BackupPlanResourceTypeProperty(
                backup_plan_name=f"govcdk-{agency_code}-daily",
                backup_plan_rule=[backup.CfnBackupPlan.BackupRuleResourceTypeProperty(
                    rule_name="daily",
                    target_backup_vault=self.vault.attr_backup_vault_name,
                    schedule_expression=DAILY,
                    start_window_minutes=60,
                    completion_window_minutes=24 * 60,
                    lifecycle=backup.CfnBackupPlan.LifecycleResourceTypeProperty(delete_after_days=retention_days),
                )],
            ))
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSBackupServiceRolePolicyForBackup"),
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSBackupServiceRolePolicyForRestores"),
            ],
            description="AWS Backup: back up and restore the agency's selected resources")
        self.selection = backup.CfnBackupSelection(
            self, "Selection", backup_plan_id=self.plan.attr_backup_plan_id,
            backup_selection=backup.CfnBackupSelection.BackupSelectionResourceTypeProperty(
                selection_name="stateful", iam_role_arn=self.role.role_arn, resources=list(resource_arns)))
        Stack.of(self)  # must be inside a stack
