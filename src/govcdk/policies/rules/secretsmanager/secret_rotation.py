"""GOV-SECRETSMANAGER-002: every Secrets Manager secret rotates automatically at least every 90
days.

Source: RULES.md STO-5; AWS Secrets Manager User Guide, "Rotate AWS Secrets Manager secrets"
and "Rotation schedules"; AWS CloudFormation User Guide, ``AWS::SecretsManager::RotationSchedule``
(``SecretId``: the secret's ARN or name; ``RotationRules``: ``AutomaticallyAfterDays`` or
``ScheduleExpression``, ``rate(N days)``/``rate(N hours)`` or ``cron(...)``).

A secret is joined to its rotation schedules through ``SecretId`` (``Ref`` to the secret, also
across the stacks of the run through ``Fn::ImportValue``, or the secret's literal ``Name``). A
secret passes when one schedule rotates it at least every ``max_rotation_days`` (default 90):
``AutomaticallyAfterDays`` <= 90, or ``rate(N days)`` with N <= 90 (``rate(N hours)`` always
fits). Decision for ``cron(...)`` expressions: the longest possible interval is worked out from
the month field when the day fields fire in every selected month (day-of-month ``*``/``?``/``L``
or days 1..28, day-of-week without ``#5``): PASS when the longest stretch of the selected months
fits in 90 days (every month, every second month), FAIL when it cannot (quarterly or rarer,
with one day a month); any other cron expression is UNKNOWN with a note: write it as
``rate(N days)`` or ``AutomaticallyAfterDays`` so it can be proven. No rotation schedule, or
one without ``RotationRules``, FAILS.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_int, describe, literal, raw_ref_ids, refs_in, same_value
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown
from .._schedule import (
    cron_months, fires_every_selected_month, longest_month_gap, parse_cron, rate_hours)

MAX_ROTATION_DAYS = 90
SECRET = "AWS::SecretsManager::Secret"
SCHEDULE = "AWS::SecretsManager::RotationSchedule"
# Days in each month of a leap year: the worst case for intervals spanning February.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _longest_days(gap: int) -> int:
    """Most days ``gap`` consecutive months can span (a fixed day of the month to the same day
    ``gap`` months later)."""
    return max(sum(_MONTH_DAYS[(start + i) % 12] for i in range(gap)) for start in range(12))


def expression_result(expr: Any, limit: int, path: tuple[str | int, ...],
                      subject: str) -> CheckResult:
    """Verdict on one ``ScheduleExpression`` against ``limit`` days."""
    expr = literal(expr, "ScheduleExpression")
    if isinstance(expr, Unknown):
        return CheckResult.unknown(f"{subject}ScheduleExpression cannot be resolved: "
                                   f"{expr.reason}", path)
    if not isinstance(expr, str):
        return CheckResult.failed(f"{subject}ScheduleExpression {describe(expr)} is not a "
                                  f"schedule expression", path)
    hours = rate_hours(expr)
    if hours is not None:
        if hours <= limit * 24:
            return CheckResult.passed(f"{subject}rotates on {expr!r}, within {limit} days", path)
        return CheckResult.failed(f"{subject}{expr!r} rotates less often than every {limit} "
                                  f"days", path)
    cron = parse_cron(expr)
    if isinstance(cron, str):
        return CheckResult.failed(f"{subject}{cron}", path)
    if cron is None:
        return CheckResult.failed(f"{subject}ScheduleExpression {expr!r} is neither rate(...) "
                                  f"nor cron(...)", path)
    months = cron_months(cron)
    if months is None or not fires_every_selected_month(cron):
        return CheckResult.unknown(
            f"{subject}the longest interval of {expr!r} cannot be worked out statically; write "
            f"the schedule as rate(N days) or AutomaticallyAfterDays so it can be proven "
            f"within {limit} days", path)
    gap = longest_month_gap(months)
    longest = _longest_days(gap)
    if longest <= limit:
        return CheckResult.passed(f"{subject}{expr!r} fires at least every {gap} month(s) "
                                  f"(at most {longest} days apart, within {limit})", path)
    one_day = (cron.day_of_week in ("?", "*") and (cron.day_of_month.isdigit()
                                                    or cron.day_of_month.upper() == "L"))
    if gap == 12 or one_day:
        return CheckResult.failed(f"{subject}{expr!r} can leave {longest} days between "
                                  f"rotations ({gap} month(s) between selected months), more "
                                  f"than {limit}", path)
    return CheckResult.unknown(f"{subject}{expr!r} may leave up to {longest} days between "
                               f"rotations; write it as rate(N days) so it can be proven "
                               f"within {limit} days", path)


def rules_result(rules: Any, limit: int, subject: str) -> CheckResult:
    """Verdict on a resolved ``RotationRules`` (paths relative to the schedule)."""
    path: tuple[str | int, ...] = ("Properties", "RotationRules")
    if isinstance(rules, Unknown):
        return CheckResult.unknown(f"{subject}RotationRules cannot be resolved: {rules.reason}",
                                   path)
    if not isinstance(rules, dict) or not rules:
        return CheckResult.failed(f"{subject}no RotationRules: the secret has no rotation "
                                  f"interval", path)
    results: list[CheckResult] = []
    if "AutomaticallyAfterDays" in rules:
        raw = rules["AutomaticallyAfterDays"]
        days = as_int(raw)
        p = path + ("AutomaticallyAfterDays",)
        if isinstance(days, Unknown):
            results.append(CheckResult.unknown(f"{subject}AutomaticallyAfterDays cannot be "
                                               f"resolved: {days.reason}", p))
        elif not isinstance(days, int) or days < 1:
            results.append(CheckResult.failed(f"{subject}AutomaticallyAfterDays "
                                              f"{describe(raw)} is not a valid day count", p))
        elif days > limit:
            results.append(CheckResult.failed(f"{subject}AutomaticallyAfterDays {days} exceeds "
                                              f"{limit} days", p))
        else:
            results.append(CheckResult.passed(f"{subject}rotates every {days} days", p))
    if "ScheduleExpression" in rules:
        results.append(expression_result(rules["ScheduleExpression"], limit,
                                         path + ("ScheduleExpression",), subject))
    if not results:
        return CheckResult.failed(f"{subject}RotationRules has neither AutomaticallyAfterDays "
                                  f"nor ScheduleExpression", path)
    order = (Status.UNKNOWN, Status.FAIL, Status.PASS)
    return sorted(results, key=lambda r: order.index(r.status))[0]


def _name(ctx: Any, res: Any) -> str:
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def _refers(ctx: Any, schedule: Any, secret: Any) -> bool | Unknown:
    """Whether a rotation schedule's ``SecretId`` names ``secret``."""
    value = schedule.properties.get("SecretId")
    key = (ctx.stack, secret.logical_id)
    if isinstance(value, Unknown):
        if schedule.stack == ctx.stack and secret.logical_id in raw_ref_ids(
                schedule.raw_properties.get("SecretId")):
            return Unknown(f"SecretId cannot be resolved: {value.reason}")
        return False
    refs = refs_in(value)
    if refs:
        return any((r.stack or schedule.stack, r.logical_id) == key for r in refs)
    if isinstance(value, str) and schedule.stack == ctx.stack:
        name = secret.properties.get("Name")
        if name is None:
            return False
        same = same_value(name, value)
        if same is True:
            return True
        if isinstance(same, Unknown):
            return Unknown(f"SecretId {describe(value)} may be the secret's Name: "
                           f"{same.reason}")
        if isinstance(name, str) and value.endswith(f":secret:{name}"):
            return True
    return False


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    limit = int(ctx.params.get("max_rotation_days", MAX_ROTATION_DAYS))
    schedules = ctx.run_resources(SCHEDULE)
    out: dict[str, list[CheckResult]] = {}
    for secret in ctx.resources(SECRET):
        candidates: list[CheckResult] = []
        for schedule in schedules:
            refers = _refers(ctx, schedule, secret)
            if refers is False:
                continue
            subject = f"rotation schedule {_name(ctx, schedule)}: "
            if isinstance(refers, Unknown):
                candidates.append(CheckResult.unknown(f"{subject}{refers.reason}"))
            elif schedule.condition is None:
                candidates.append(CheckResult.unknown(
                    f"{subject}exists only if Condition {schedule.raw.get('Condition')} holds, "
                    f"which cannot be evaluated"))
            else:
                verdict = rules_result(schedule.properties.get("RotationRules"), limit, subject)
                candidates.append(CheckResult(verdict.status, verdict.message))
        passing = [c for c in candidates if c.status == Status.PASS]
        if passing:
            out[secret.logical_id] = [passing[0]]
        elif any(c.status == Status.UNKNOWN for c in candidates):
            out[secret.logical_id] = [c for c in candidates if c.status == Status.UNKNOWN]
        elif candidates:
            out[secret.logical_id] = candidates
        else:
            out[secret.logical_id] = [CheckResult.failed(
                f"no {SCHEDULE} with SecretId Ref {secret.logical_id}: the secret is never "
                f"rotated automatically")]
    return out


RULE = Rule(
    id="GOV-SECRETSMANAGER-002",
    backlog=("STO-5",),
    name="secret_rotation",
    title="Secrets Manager secrets rotate automatically at least every 90 days",
    scope="template",
    resource_types=(SECRET,),
    controls=("IA-5", "IA-5(1)", "SC-12", "SC-28"),
    severity=Severity.MEDIUM,
    rationale=(
        "IA-5 requires authenticators to be changed on a defined schedule and IA-5(1) bounds "
        "the lifetime of passwords; a secret that never rotates stays valid for as long as it "
        "leaks. A RotationSchedule with a Lambda or managed rotation changes the credential "
        "itself, not just the stored copy, every 90 days at most (the AWS Config "
        "secretsmanager-rotation-enabled-check default used by the FedRAMP conformance packs)."),
    remediation=(
        "CDK: secret.add_rotation_schedule('Rotation', hosted_rotation=secretsmanager."
        "HostedRotation.mysql_single_user(), automatically_after=Duration.days(30)) (or "
        "rotation_lambda=...). CloudFormation: AWS::SecretsManager::RotationSchedule with "
        "SecretId Ref <Secret> and RotationRules AutomaticallyAfterDays <= 90 or "
        "ScheduleExpression rate(N days) with N <= 90."),
    check=check,
    references=(
        "AWS Secrets Manager User Guide: Rotate AWS Secrets Manager secrets; Rotation "
        "schedules (schedule expressions)",
        "AWS CloudFormation User Guide: AWS::SecretsManager::RotationSchedule SecretId, "
        "RotationRules",
        "AWS Config Developer Guide: secretsmanager-rotation-enabled-check "
        "(maximumAllowedRotationFrequency)",
        "NIST SP 800-53 Rev 5: IA-5 Authenticator Management; IA-5(1) Password-based "
        "Authentication; SC-12 Cryptographic Key Establishment and Management; SC-28 "
        "Protection of Information at Rest",
    ),
    parameters={"max_rotation_days": MAX_ROTATION_DAYS},
    equivalents={"cdk-nag": ("NIST.800.53.R5-SecretsManagerRotationEnabled",
                             "AwsSolutions-SMG4")},
)
