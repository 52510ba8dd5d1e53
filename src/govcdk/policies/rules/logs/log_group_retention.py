"""GOV-LOGS-001: CloudWatch log groups keep events at least 365 days.

Source: RULES.md LOG-6; FedRAMP Rev 5 AU-11 defers to OMB M-21-31 (12 months in active
storage, 18 more in cold storage); Amazon CloudWatch Logs API Reference, PutRetentionPolicy
(the accepted ``retentionInDays`` values) and CreateLogGroup (the ``DELIVERY`` log class keeps
events one day).
"""

from __future__ import annotations

from typing import Any

from ...helpers import LOG_RETENTION_FLOOR_DAYS, VALID_RETENTION_DAYS, log_group_retention_result
from ...model import CheckResult, Rule, Severity

MIN_RETENTION_DAYS = LOG_RETENTION_FLOOR_DAYS


def check(resource: Any, ctx: Any) -> CheckResult:
    floor = int(ctx.params.get("min_retention_days", MIN_RETENTION_DAYS))
    # The engine notes the parameter a retention comes from, e.g. "(parameter P default)".
    return log_group_retention_result(resource.properties, floor)


RULE = Rule(
    id="GOV-LOGS-001",
    backlog=("LOG-6",),
    name="log_group_retention",
    title="CloudWatch log groups retain log events for at least 365 days using a valid "
          "retention value",
    scope="resource",
    resource_types=("AWS::Logs::LogGroup",),
    controls=("AU-11", "SI-12"),
    severity=Severity.MEDIUM,
    rationale=(
        "AU-11 requires audit records to be kept for the organization-defined period; FedRAMP "
        "points to OMB M-21-31, which requires 12 months of active storage (and 18 more months "
        "in cold storage). A log group without RetentionInDays never expires, which meets the "
        "floor. Other tools only check that retention is set, so a 1-day retention passes "
        "them."),
    remediation=(
        "CDK: logs.LogGroup(self, 'Logs', retention=logs.RetentionDays.ONE_YEAR) or longer "
        "(or RetentionDays.INFINITE). CloudFormation: AWS::Logs::LogGroup RetentionInDays "
        "365 or a larger accepted value (400, 545, 731, 1096, 1827, ... 3653), and no "
        "LogGroupClass DELIVERY."),
    check=check,
    references=(
        "Amazon CloudWatch Logs API Reference: PutRetentionPolicy (valid retentionInDays "
        "values: " + ", ".join(str(d) for d in sorted(VALID_RETENTION_DAYS)) + ")",
        "OMB M-21-31, Improving the Federal Government's Investigative and Remediation "
        "Capabilities Related to Cybersecurity Incidents (Table: 12 months active, 18 months "
        "cold storage)",
        "NIST SP 800-53 Rev 5: AU-11 Audit Record Retention; SI-12 Information Management and "
        "Retention",
    ),
    parameters={"min_retention_days": MIN_RETENTION_DAYS},
    equivalents={
        "checkov": ("CKV_AWS_66",),
        "guard": ("CW_LOGGROUP_RETENTION_PERIOD_CHECK",),
        "cdk-nag": ("NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod",),
    },
)
