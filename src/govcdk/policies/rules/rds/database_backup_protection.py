"""GOV-RDS-001: RDS databases keep automated backups at least 7 days, have deletion protection
and, for DB instances, run Multi-AZ.

Source: RULES.md BKP-4; Amazon RDS User Guide, "Introduction to backups" (``BackupRetentionPeriod``
0 turns automated backups off; CloudFormation's default is 1 day), "Deleting a DB instance"
(deletion protection) and "Multi-AZ deployments"; Amazon Aurora User Guide, "Backing up and
restoring an Aurora DB cluster" (backups, deletion protection and replication across three
Availability Zones belong to the cluster). CloudFormation: ``AWS::RDS::DBInstance`` /
``AWS::RDS::DBCluster`` ``BackupRetentionPeriod``, ``DeletionProtection``, ``MultiAZ``.

Checked: ``BackupRetentionPeriod`` >= ``min_backup_retention_days`` (default 7) on instances and
clusters (unset is 1 day: FAIL), ``DeletionProtection`` true on both, ``MultiAZ`` true on DB
instances only (a Multi-AZ DB cluster and Aurora storage span Availability Zones by design). A
DB instance with ``DBClusterIdentifier`` (or an ``aurora*`` engine) is an Aurora or Multi-AZ DB
cluster member: its cluster decides all three, so it is NOT_APPLICABLE.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

MIN_BACKUP_RETENTION_DAYS = 7
CFN_DEFAULT_RETENTION = 1


def cluster_member(resource: Any) -> str:
    """Why an ``AWS::RDS::DBInstance`` belongs to a DB cluster (``DBClusterIdentifier`` set,
    or an ``aurora*`` engine, which exists only in a cluster), else ``""``."""
    if resource.type != "AWS::RDS::DBInstance":
        return ""
    props = resource.properties
    if props.get("DBClusterIdentifier") is not None:
        return "DB instance of a DB cluster (DBClusterIdentifier)"
    engine = literal(props.get("Engine"), "Engine")
    if isinstance(engine, str) and engine.lower().startswith("aurora"):
        return f"Aurora DB instance (Engine {engine}): Aurora instances belong to a DB cluster"
    return ""


def _bool_result(props: Any, key: str, why: str) -> CheckResult | None:
    path = ("Properties", key)
    raw = props.get(key)
    value = as_bool(raw)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{key} cannot be resolved: {value.reason}", path)
    if value is not True:
        shown = "not set (defaults to false)" if raw is None else f"is {describe(raw)}"
        return CheckResult.failed(f"{key} {shown}: {why}", path)
    return None


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    instance = resource.type == "AWS::RDS::DBInstance"
    member = cluster_member(resource)
    if member:
        return [CheckResult.not_applicable(
            f"{member}: backups, deletion protection and Availability Zone redundancy are "
            f"the cluster's")]
    floor = int(ctx.params.get("min_backup_retention_days", MIN_BACKUP_RETENTION_DAYS))
    out: list[CheckResult] = []
    path = ("Properties", "BackupRetentionPeriod")
    raw = props.get("BackupRetentionPeriod")
    days = as_int(raw) if raw is not None else CFN_DEFAULT_RETENTION
    if isinstance(days, Unknown):
        out.append(CheckResult.unknown(f"BackupRetentionPeriod cannot be resolved: "
                                       f"{days.reason}", path))
    elif not isinstance(days, int):
        out.append(CheckResult.failed(f"BackupRetentionPeriod {describe(raw)} is not a number "
                                      f"of days", path))
    elif days == 0:
        out.append(CheckResult.failed("BackupRetentionPeriod 0: automated backups are off",
                                      path))
    elif days < floor:
        shown = f"{days}" if raw is not None else f"not set (defaults to {days} day)"
        out.append(CheckResult.failed(f"BackupRetentionPeriod {shown} is below the {floor}-day "
                                      f"floor", path))
    deletion = _bool_result(props, "DeletionProtection",
                            "the database can be deleted with its automated backups")
    if deletion is not None:
        out.append(deletion)
    if instance:
        multi_az = _bool_result(props, "MultiAZ", "a single-AZ instance is lost with its "
                                                  "Availability Zone")
        if multi_az is not None:
            out.append(multi_az)
    if out:
        return out
    what = "backups kept {0} days, deletion protection on".format(days)
    return [CheckResult.passed(what + (", Multi-AZ" if instance else ""), path)]


RULE = Rule(
    id="GOV-RDS-001",
    backlog=("BKP-4",),
    name="database_backup_protection",
    title="RDS DB instances and clusters keep automated backups at least 7 days and have "
          "deletion protection; DB instances are Multi-AZ",
    scope="resource",
    resource_types=("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"),
    controls=("CP-9", "CP-10", "SC-5"),
    severity=Severity.HIGH,
    rationale=(
        "CP-9 and CP-10 require backups that allow recovery to a known state: automated "
        "backups give point-in-time restore for the retention period (one day by default in "
        "CloudFormation, too short to notice corruption). Deletion protection stops a stack "
        "update or operator from deleting a database together with its automated backups, and "
        "Multi-AZ keeps it available through an Availability Zone failure (SC-5)."),
    remediation=(
        "CDK: rds.DatabaseInstance(..., backup_retention=Duration.days(7), "
        "deletion_protection=True, multi_az=True) or rds.DatabaseCluster(..., "
        "backup=rds.BackupProps(retention=Duration.days(7)), deletion_protection=True). "
        "CloudFormation: BackupRetentionPeriod >= 7, DeletionProtection: true and, on "
        "AWS::RDS::DBInstance, MultiAZ: true."),
    check=check,
    references=(
        "Amazon RDS User Guide: Introduction to backups; Deleting a DB instance (deletion "
        "protection); Multi-AZ deployments",
        "Amazon Aurora User Guide: Backing up and restoring an Aurora DB cluster",
        "AWS CloudFormation User Guide: AWS::RDS::DBInstance, AWS::RDS::DBCluster "
        "BackupRetentionPeriod, DeletionProtection, MultiAZ",
        "NIST SP 800-53 Rev 5: CP-9 System Backup; CP-10 System Recovery and Reconstitution; "
        "SC-5 Denial-of-service Protection",
    ),
    parameters={"min_backup_retention_days": MIN_BACKUP_RETENTION_DAYS},
    equivalents={"checkov": ("CKV_AWS_157",),
                 "guard": ("DB_INSTANCE_BACKUP_ENABLED", "RDS_INSTANCE_DELETION_PROTECTION_ENABLED",
                           "RDS_MULTI_AZ_SUPPORT"),
                 "cdk-nag": ("NIST.800.53.R5-RDSInstanceBackupEnabled",
                             "NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled",
                             "NIST.800.53.R5-RDSMultiAZSupport", "AwsSolutions-RDS10",
                             "AwsSolutions-RDS3", "AwsSolutions-RDS13")},
)
