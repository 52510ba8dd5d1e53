"""GOV-DYNAMODB-001: DynamoDB tables have point-in-time recovery and deletion protection on.

Source: RULES.md BKP-4; Amazon DynamoDB Developer Guide, "Point-in-time recovery for DynamoDB"
(off by default; restores to any second of the recovery period) and "Using deletion protection";
CloudFormation ``AWS::DynamoDB::Table`` ``PointInTimeRecoverySpecification
.PointInTimeRecoveryEnabled`` and ``DeletionProtectionEnabled`` (both default false), and
``AWS::DynamoDB::GlobalTable`` ``Replicas[]`` (the same two settings per replica).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def _flag(container: Any, key: str, path: tuple[str | int, ...], why: str,
          subject: str) -> CheckResult | None:
    if isinstance(container, Unknown):
        return CheckResult.unknown(f"{subject}{path[-2] if len(path) > 1 else key} cannot be "
                                   f"resolved: {container.reason}", path)
    raw = container.get(key) if isinstance(container, dict) else None
    value = as_bool(raw)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{subject}{key} cannot be resolved: {value.reason}", path)
    if value is not True:
        shown = "not set (defaults to false)" if raw is None else f"is {describe(raw)}"
        return CheckResult.failed(f"{subject}{key} {shown}: {why}", path)
    return None


PITR_WHY = "the table cannot be restored to a point in time"
DELETE_WHY = "the table can be deleted with its data"


def _settings(props: Any, base: tuple[str | int, ...], subject: str) -> list[CheckResult]:
    out: list[CheckResult] = []
    spec = props.get("PointInTimeRecoverySpecification") if isinstance(props, dict) else None
    pitr = _flag(spec if spec is not None else {}, "PointInTimeRecoveryEnabled",
                 base + ("PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"),
                 PITR_WHY, subject)
    if pitr is not None:
        out.append(pitr)
    deletion = _flag(props, "DeletionProtectionEnabled", base + ("DeletionProtectionEnabled",),
                     DELETE_WHY, subject)
    if deletion is not None:
        out.append(deletion)
    return out


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    if resource.type == "AWS::DynamoDB::Table":
        out = _settings(props, ("Properties",), "")
        return out or [CheckResult.passed("point-in-time recovery and deletion protection on",
                                          ("Properties", "PointInTimeRecoverySpecification"))]
    replicas = props.get("Replicas")
    path = ("Properties", "Replicas")
    if isinstance(replicas, Unknown):
        return [CheckResult.unknown(f"Replicas cannot be resolved: {replicas.reason}", path)]
    if not isinstance(replicas, list) or not replicas:
        return [CheckResult.failed(f"Replicas is {describe(replicas)}: no replica to check",
                                   path)]
    out = []
    for i, replica in enumerate(replicas):
        if isinstance(replica, Unknown):
            out.append(CheckResult.unknown(f"replica {i} cannot be resolved: {replica.reason}",
                                           path + (i,)))
            continue
        region = replica.get("Region") if isinstance(replica, dict) else None
        subject = f"replica {region if isinstance(region, str) else i}: "
        out.extend(_settings(replica if isinstance(replica, dict) else {}, path + (i,), subject))
    return out or [CheckResult.passed(f"{len(replicas)} replica(s): point-in-time recovery and "
                                      f"deletion protection on", path)]


RULE = Rule(
    id="GOV-DYNAMODB-001",
    backlog=("BKP-4",),
    name="table_point_in_time_recovery",
    title="DynamoDB tables have point-in-time recovery and deletion protection enabled",
    scope="resource",
    resource_types=("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"),
    controls=("CP-9", "CP-10", "SC-5"),
    severity=Severity.MEDIUM,
    rationale=(
        "CP-9 and CP-10 require backups that allow recovery to a known state. Point-in-time "
        "recovery keeps continuous backups so a table can be restored to any second of the "
        "recovery period after corruption or a bad write, and deletion protection stops a "
        "stack update or operator from deleting the table and its data (SC-5 availability)."),
    remediation=(
        "CDK: dynamodb.TableV2(self, 'Table', point_in_time_recovery_specification="
        "dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True), "
        "deletion_protection=True) (or dynamodb.Table(..., point_in_time_recovery=True, "
        "deletion_protection=True)). CloudFormation: PointInTimeRecoverySpecification."
        "PointInTimeRecoveryEnabled: true and DeletionProtectionEnabled: true (per replica "
        "of an AWS::DynamoDB::GlobalTable)."),
    check=check,
    references=(
        "Amazon DynamoDB Developer Guide: Point-in-time recovery for DynamoDB; Using deletion "
        "protection",
        "AWS CloudFormation User Guide: AWS::DynamoDB::Table PointInTimeRecoverySpecification, "
        "DeletionProtectionEnabled; AWS::DynamoDB::GlobalTable ReplicaSpecification",
        "NIST SP 800-53 Rev 5: CP-9 System Backup; CP-10 System Recovery and Reconstitution; "
        "SC-5 Denial-of-service Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_28", "CKV_AWS_165"), "guard": ("DYNAMODB_PITR_ENABLED",),
                 "cdk-nag": ("NIST.800.53.R5-DynamoDBPITREnabled", "AwsSolutions-DDB3")},
)
