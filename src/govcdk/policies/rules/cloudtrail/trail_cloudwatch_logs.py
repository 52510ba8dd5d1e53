"""GOV-CLOUDTRAIL-004: CloudTrail trails deliver events to CloudWatch Logs.

Source: RULES.md LOG-4; AWS CloudTrail User Guide, "Sending events to CloudWatch Logs"; AWS
CloudFormation User Guide, ``AWS::CloudTrail::Trail`` ``CloudWatchLogsLogGroupArn`` and
``CloudWatchLogsRoleArn`` (delivery needs both: the log group and the role CloudTrail assumes to
write to it).
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown, is_null

PROPERTIES = (
    ("CloudWatchLogsLogGroupArn", "the log group events are delivered to"),
    ("CloudWatchLogsRoleArn", "the role CloudTrail assumes to write to the log group"),
)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    results: list[CheckResult] = []
    for name, what in PROPERTIES:
        path = ("Properties", name)
        value = props.get(name)
        if is_null(value):
            results.append(CheckResult.failed(f"{name} is null: CloudFormation rejects null "
                                              f"property values; set {what}", path))
        elif isinstance(value, Unknown):
            results.append(CheckResult.unknown(f"{name} cannot be resolved: {value.reason}",
                                               path))
        elif value is None:
            results.append(CheckResult.failed(f"{name} not set ({what}): events are not "
                                              f"delivered to CloudWatch Logs", path))
        elif isinstance(value, str) and not value.strip():
            results.append(CheckResult.failed(f"{name} is empty ({what})", path))
        elif isinstance(value, (list, dict, bool, int, float)):
            results.append(CheckResult.failed(f"{name} is {describe(value)}, not an ARN", path))
    if results:
        return results
    return CheckResult.passed(
        f"events are delivered to CloudWatch Logs log group "
        f"{describe(props.get('CloudWatchLogsLogGroupArn'))} through role "
        f"{describe(props.get('CloudWatchLogsRoleArn'))}", ("Properties", PROPERTIES[0][0]))


RULE = Rule(
    id="GOV-CLOUDTRAIL-004",
    backlog=("LOG-4",),
    name="trail_cloudwatch_logs",
    title="CloudTrail trails deliver events to a CloudWatch Logs log group",
    scope="resource",
    resource_types=("AWS::CloudTrail::Trail",),
    controls=("AU-6(1)", "AU-6(3)", "SI-4(2)"),
    severity=Severity.MEDIUM,
    rationale=(
        "AU-6(1) and AU-6(3) call for automated review, analysis and correlation of audit "
        "records, and SI-4(2) for automated tools that monitor events in near real time. "
        "CloudWatch Logs delivery is what lets metric filters, alarms and subscriptions act on "
        "CloudTrail events within minutes; logs that only land in S3 are reviewed late, if at "
        "all."),
    remediation=(
        "CDK: cloudtrail.Trail(self, 'Trail', send_to_cloud_watch_logs=True, "
        "cloud_watch_log_group=log_group). CloudFormation: AWS::CloudTrail::Trail "
        "CloudWatchLogsLogGroupArn (Fn::GetAtt LogGroup.Arn) and CloudWatchLogsRoleArn "
        "(Fn::GetAtt Role.Arn, a role cloudtrail.amazonaws.com can assume with "
        "logs:CreateLogStream and logs:PutLogEvents on the group)."),
    check=check,
    references=(
        "AWS CloudTrail User Guide: Sending events to CloudWatch Logs",
        "AWS CloudFormation User Guide: AWS::CloudTrail::Trail CloudWatchLogsLogGroupArn, "
        "CloudWatchLogsRoleArn",
        "NIST SP 800-53 Rev 5: AU-6(1) Automated Process Integration; AU-6(3) Correlate Audit "
        "Record Repositories; SI-4(2) Automated Tools and Mechanisms for Real-time Analysis",
    ),
    equivalents={
        "checkov": (),
        "guard": ("CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-CloudTrailCloudWatchLogsEnabled",),
    },
)
