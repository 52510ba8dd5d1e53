"""GOV-BACKUP-002: every AWS Backup plan has a rule that backs up at least daily and keeps
recovery points at least 35 days.

Source: RULES.md BKP-2 (thresholds: the AWS Config ``backup-plan-min-frequency-and-min-retention-
check`` defaults the FedRAMP conformance packs use: daily, 35 days); AWS Backup Developer Guide,
"Backup plan options and configuration" and "Cron expressions" (a rule without
``ScheduleExpression`` runs on the default ``cron(0 5 ? * * *)``, daily at 05:00 UTC; a rule
without ``Lifecycle.DeleteAfterDays`` keeps recovery points until they are deleted by hand).
CloudFormation ``AWS::Backup::BackupPlan`` ``BackupPlan.BackupPlanRule[]``.

A rule runs at least daily when its ``ScheduleExpression`` is a ``cron`` whose day-of-month and
day-of-week are ``*``/``?``, month ``*`` and year ``*`` (any hours and minutes), or a
``rate(...)`` of at most 24 hours. It keeps recovery points long enough when
``Lifecycle.DeleteAfterDays`` is unset or >= ``min_retention_days`` (default 35). The plan
passes when one rule does both; UNKNOWN when no rule does and one cannot be resolved.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from .._schedule import every_day, parse_cron, rate_hours

MIN_RETENTION_DAYS = 35
DEFAULT_SCHEDULE = "cron(0 5 ? * * *)"


def _daily(expr: Any) -> bool | Unknown | str:
    """True when the schedule fires at least once a day; a message (str) when it does not."""
    if expr is None:
        return True
    expr = literal(expr, "ScheduleExpression")
    if isinstance(expr, Unknown):
        return expr
    if not isinstance(expr, str):
        return f"ScheduleExpression {describe(expr)} is not a schedule expression"
    hours = rate_hours(expr)
    if hours is not None:
        return True if hours <= 24 else f"{expr!r} runs less often than daily"
    cron = parse_cron(expr)
    if isinstance(cron, str):
        return cron
    if cron is None:
        return f"ScheduleExpression {expr!r} is neither cron(...) nor rate(...)"
    return True if every_day(cron) else f"{expr!r} does not run every day"


def _retention(rule: dict[str, Any], floor: int) -> tuple[bool | Unknown | str, str]:
    lifecycle = rule.get("Lifecycle")
    if isinstance(lifecycle, Unknown):
        return lifecycle, ""
    if not isinstance(lifecycle, dict) or lifecycle.get("DeleteAfterDays") is None:
        return True, "recovery points kept until deleted"
    raw = lifecycle.get("DeleteAfterDays")
    days = as_int(raw)
    if isinstance(days, Unknown):
        return days, ""
    if not isinstance(days, int):
        return f"DeleteAfterDays {describe(raw)} is not a number of days", ""
    if days < floor:
        return f"DeleteAfterDays {days} is below the {floor}-day floor", ""
    return True, f"kept {days} days"


def check(resource: Any, ctx: Any) -> CheckResult:
    floor = int(ctx.params.get("min_retention_days", MIN_RETENTION_DAYS))
    plan = resource.properties.get("BackupPlan")
    path: tuple[str | int, ...] = ("Properties", "BackupPlan", "BackupPlanRule")
    if isinstance(plan, Unknown):
        return CheckResult.unknown(f"BackupPlan cannot be resolved: {plan.reason}", path)
    rules = plan.get("BackupPlanRule") if isinstance(plan, dict) else None
    if isinstance(rules, Unknown):
        return CheckResult.unknown(f"BackupPlanRule cannot be resolved: {rules.reason}", path)
    if not isinstance(rules, list) or not rules:
        return CheckResult.failed("the backup plan has no BackupPlanRule", path)
    reasons: list[str] = []
    unsure: list[str] = []
    for i, rule in enumerate(rules):
        if isinstance(rule, Unknown):
            unsure.append(f"rule {i}: {rule.reason}")
            continue
        if not isinstance(rule, dict):
            reasons.append(f"rule {i} is {describe(rule)}")
            continue
        name = rule.get("RuleName")
        label = f"rule {name}" if isinstance(name, str) else f"rule {i}"
        daily = _daily(rule.get("ScheduleExpression"))
        kept, note = _retention(rule, floor)
        if daily is True and kept is True:
            schedule = rule.get("ScheduleExpression") or f"the default {DEFAULT_SCHEDULE}"
            return CheckResult.passed(f"{label} runs at least daily ({schedule}), {note} "
                                      f"(floor {floor} days)", path + (i,))
        for verdict in (daily, kept):
            if isinstance(verdict, Unknown):
                unsure.append(f"{label}: {verdict.reason}")
            elif isinstance(verdict, str):
                reasons.append(f"{label}: {verdict}")
    if unsure:
        return CheckResult.unknown("no rule is proven to run daily and keep recovery points "
                                   f"{floor} days: " + "; ".join(unsure + reasons), path)
    return CheckResult.failed(f"no rule runs at least daily and keeps recovery points at least "
                              f"{floor} days: " + "; ".join(reasons), path)


RULE = Rule(
    id="GOV-BACKUP-002",
    backlog=("BKP-2",),
    name="plan_frequency_retention",
    title="AWS Backup plans have a rule that runs at least daily and keeps recovery points "
          "at least 35 days",
    scope="resource",
    resource_types=("AWS::Backup::BackupPlan",),
    controls=("CP-9", "CP-10"),
    severity=Severity.MEDIUM,
    rationale=(
        "CP-9 requires backups at an organization-defined frequency and CP-10 recovery to a "
        "known state. A plan that runs weekly loses up to a week of data, and recovery points "
        "deleted after a few days are gone before slow corruption or ransomware is noticed; "
        "the FedRAMP conformance packs use the AWS Config defaults of daily backups kept 35 "
        "days."),
    remediation=(
        "CDK: backup.BackupPlan(self, 'Plan', backup_plan_rules=[backup.BackupPlanRule("
        "schedule_expression=events.Schedule.cron(hour='5', minute='0'), "
        "delete_after=Duration.days(35))]) (or BackupPlan.daily35_day_retention). "
        "CloudFormation: a BackupPlanRule with ScheduleExpression cron(0 5 ? * * *) and "
        "Lifecycle.DeleteAfterDays >= 35 (or unset)."),
    check=check,
    references=(
        "AWS Backup Developer Guide: Backup plan options and configuration; Cron expressions",
        "AWS Config Developer Guide: backup-plan-min-frequency-and-min-retention-check",
        "AWS CloudFormation User Guide: AWS::Backup::BackupPlan BackupRuleResourceType, "
        "LifecycleResourceType",
        "NIST SP 800-53 Rev 5: CP-9 System Backup; CP-10 System Recovery and Reconstitution",
    ),
    parameters={"min_retention_days": MIN_RETENTION_DAYS},
)
