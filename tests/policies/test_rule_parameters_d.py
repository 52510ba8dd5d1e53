"""Parameters of the backup, rotation and RDS rules (GOV-BACKUP-002/003, GOV-SECRETSMANAGER-002,
GOV-RDS-001) and the schedule-expression readings they share (rules/_schedule.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from govcdk.policies import Status, check, load_rules
from govcdk.policies.rules._schedule import (
    cron_months, every_day, fires_every_selected_month, longest_month_gap, parse_cron,
    rate_hours)

RULES = {r.id: r for r in load_rules()}


def run(tmp_path: Path, text: str, rule_id: str, **params: object) -> dict[str, Status]:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    rule = RULES[rule_id]
    rule = dataclasses.replace(rule, parameters={**rule.parameters, **params})
    report = check([path], rules=[rule])
    return {f.logical_id: f.status for f in report.findings}


VAULT = """\
Resources:
  Vault:
    Type: AWS::Backup::BackupVault
    Properties:
      BackupVaultName: v
      EncryptionKeyArn: alias/agency-backup
"""


def test_vault_lock_is_required_by_default_and_can_be_waived(tmp_path: Path) -> None:
    assert run(tmp_path, VAULT, "GOV-BACKUP-003") == {"Vault": Status.FAIL}
    assert run(tmp_path, VAULT, "GOV-BACKUP-003", require_vault_lock=False) == \
        {"Vault": Status.PASS}
    # The key is still checked when the lock is waived.
    managed = VAULT.replace("alias/agency-backup", "alias/aws/backup")
    assert run(tmp_path, managed, "GOV-BACKUP-003", require_vault_lock=False) == \
        {"Vault": Status.FAIL}


ROTATION = """\
Resources:
  Secret:
    Type: AWS::SecretsManager::Secret
  Schedule:
    Type: AWS::SecretsManager::RotationSchedule
    Properties:
      SecretId: !Ref Secret
      HostedRotationLambda: {RotationType: MySQLSingleUser}
      RotationRules: {ScheduleExpression: rate(60 days)}
"""


def test_rotation_limit_is_a_parameter(tmp_path: Path) -> None:
    assert run(tmp_path, ROTATION, "GOV-SECRETSMANAGER-002") == {"Secret": Status.PASS}
    assert run(tmp_path, ROTATION, "GOV-SECRETSMANAGER-002", max_rotation_days=30) == \
        {"Secret": Status.FAIL}


PLAN = """\
Resources:
  Plan:
    Type: AWS::Backup::BackupPlan
    Properties:
      BackupPlan:
        BackupPlanName: p
        BackupPlanRule:
          - {RuleName: d, TargetBackupVault: v, Lifecycle: {DeleteAfterDays: 40}}
"""


def test_backup_retention_floor_is_a_parameter(tmp_path: Path) -> None:
    assert run(tmp_path, PLAN, "GOV-BACKUP-002") == {"Plan": Status.PASS}
    assert run(tmp_path, PLAN, "GOV-BACKUP-002", min_retention_days=90) == \
        {"Plan": Status.FAIL}


DB = """\
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.m6g.large
      BackupRetentionPeriod: 10
      DeletionProtection: true
      MultiAZ: true
"""


def test_rds_backup_floor_is_a_parameter(tmp_path: Path) -> None:
    assert run(tmp_path, DB, "GOV-RDS-001") == {"Db": Status.PASS}
    assert run(tmp_path, DB, "GOV-RDS-001", min_backup_retention_days=14) == \
        {"Db": Status.FAIL}


@pytest.mark.parametrize("expr, hours", [
    ("rate(7 days)", 168), ("rate(1 day)", 24), ("rate(4 hours)", 4), ("rate(30 minutes)", 0.5),
    ("RATE( 2 Days )", 48), ("rate(7 weeks)", None), ("cron(0 5 * * ? *)", None)])
def test_rate_hours(expr: str, hours: float | None) -> None:
    assert rate_hours(expr) == hours


@pytest.mark.parametrize("expr, daily", [
    ("cron(0 5 ? * * *)", True), ("cron(0 0/12 * * ? *)", True), ("cron(0 5 * 1-12 ? *)", True),
    ("cron(0 5 ? * MON-FRI *)", False), ("cron(0 5 1 * ? *)", False),
    ("cron(0 5 ? 1 * *)", False), ("cron(0 5 ? * * 2030)", False)])
def test_every_day(expr: str, daily: bool) -> None:
    cron = parse_cron(expr)
    assert not isinstance(cron, str) and cron is not None
    assert every_day(cron) is daily


def test_parse_cron_shapes() -> None:
    assert parse_cron("rate(1 day)") is None
    assert isinstance(parse_cron("cron(0 5 * *)"), str)


@pytest.mark.parametrize("field, months, gap", [
    ("*", set(range(1, 13)), 1), ("*/2", {1, 3, 5, 7, 9, 11}, 2), ("JAN,APR,JUL,OCT", {1, 4, 7, 10}, 3),
    ("6", {6}, 12), ("2-4", {2, 3, 4}, 10), ("3/4", {3, 7, 11}, 4)])
def test_cron_months(field: str, months: set[int], gap: int) -> None:
    cron = parse_cron(f"cron(0 8 1 {field} ? *)")
    assert not isinstance(cron, str) and cron is not None
    assert cron_months(cron) == months
    assert longest_month_gap(months) == gap


@pytest.mark.parametrize("dom, dow, simple", [
    ("1", "?", True), ("28", "?", True), ("L", "?", True), ("1,15", "?", True),
    ("29", "?", False), ("31", "?", False), ("?", "MON#2", True), ("?", "MON#5", False),
    ("?", "MON-FRI", True)])
def test_fires_every_selected_month(dom: str, dow: str, simple: bool) -> None:
    cron = parse_cron(f"cron(0 8 {dom} * {dow} *)")
    assert not isinstance(cron, str) and cron is not None
    assert fires_every_selected_month(cron) is simple
