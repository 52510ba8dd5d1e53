"""GOV-EC2-014: instances, launch templates and launch configurations turn on detailed
(one-minute) CloudWatch monitoring.

Source: RULES.md CMP-7; Amazon EC2 User Guide, "Manage detailed monitoring for your EC2
instances"; AWS CloudFormation User Guide, ``AWS::EC2::Instance`` ``Monitoring`` (default
false), ``AWS::EC2::LaunchTemplate`` ``LaunchTemplateData.Monitoring.Enabled`` (default false),
``AWS::AutoScaling::LaunchConfiguration`` ``InstanceMonitoring`` (default true: unset passes,
only an explicit false fails). An instance that does not set ``Monitoring`` inherits its launch
template's setting (UNKNOWN when that launch template is not in the checked templates).
"""

from __future__ import annotations

from typing import Any

from ...helpers import (
    LAUNCH_TEMPLATE, bool_setting, describe, find_launch_template, from_launch_template,
    launch_template_data)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def _flag(value: Any, name: str, path: tuple[str | int, ...], default: bool) -> CheckResult:
    flag = bool_setting(value, name, path)
    if isinstance(flag, CheckResult):
        return flag
    if flag is None:
        flag = default
        shown = f"not set (defaults to {'true' if default else 'false'})"
    else:
        shown = "true" if flag else "false"
    if flag:
        return CheckResult.passed(f"{name} is {shown}: detailed monitoring on", path)
    return CheckResult.failed(f"{name} is {shown}: only five-minute basic monitoring", path)


def _template_result(lt: Any, base: tuple[str | int, ...]) -> CheckResult:
    monitoring = launch_template_data(lt, "Monitoring")
    if isinstance(monitoring, Unknown):
        return CheckResult.unknown(f"Monitoring cannot be resolved: {monitoring.reason}", base)
    if monitoring is not None and not isinstance(monitoring, dict):
        return CheckResult.unknown(f"Monitoring is {describe(monitoring)}, not a mapping", base)
    return _flag((monitoring or {}).get("Enabled"), "Monitoring.Enabled",
                 base + ("Enabled",), False)


def check(resource: Any, ctx: Any) -> CheckResult:
    props = resource.properties
    if resource.type == LAUNCH_TEMPLATE:
        return _template_result(resource, ("Properties", "LaunchTemplateData", "Monitoring"))
    if resource.type == "AWS::AutoScaling::LaunchConfiguration":
        return _flag(props.get("InstanceMonitoring"), "InstanceMonitoring",
                     ("Properties", "InstanceMonitoring"), True)
    own = props.get("Monitoring")
    if own is None:
        lt, reason = find_launch_template(ctx, props.get("LaunchTemplate"))
        if lt is not None:
            return from_launch_template([_template_result(lt, ())], lt, ctx)[0]
        if reason is not None:
            return CheckResult.unknown(f"{reason}; its Monitoring setting cannot be checked",
                                       ("Properties", "LaunchTemplate"))
    return _flag(own, "Monitoring", ("Properties", "Monitoring"), False)


RULE = Rule(
    id="GOV-EC2-014",
    backlog=("CMP-7",),
    name="detailed_monitoring",
    title="Instances, launch templates and launch configurations enable detailed CloudWatch "
          "monitoring",
    scope="resource",
    resource_types=("AWS::EC2::Instance", LAUNCH_TEMPLATE,
                    "AWS::AutoScaling::LaunchConfiguration"),
    controls=("CA-7", "SI-4"),
    severity=Severity.LOW,
    rationale=(
        "Basic monitoring samples instance metrics every five minutes, too coarse to catch "
        "short spikes of CPU, network or disk activity that signal abuse or failure. One-minute "
        "metrics support the continuous monitoring (CA-7) and system monitoring (SI-4) the "
        "baselines expect, and feed alarms and Auto Scaling in time."),
    remediation=(
        "CDK: ec2.Instance(..., detailed_monitoring=True); ec2.LaunchTemplate(..., "
        "detailed_monitoring=True) or CfnLaunchTemplate monitoring=MonitoringProperty("
        "enabled=True); autoscaling.AutoScalingGroup(..., instance_monitoring="
        "autoscaling.Monitoring.DETAILED). CloudFormation: AWS::EC2::Instance Monitoring: true, "
        "AWS::EC2::LaunchTemplate LaunchTemplateData.Monitoring.Enabled: true, "
        "AWS::AutoScaling::LaunchConfiguration InstanceMonitoring: true (or unset)."),
    check=check,
    references=(
        "Amazon EC2 User Guide: Manage detailed monitoring for your EC2 instances",
        "AWS CloudFormation User Guide: AWS::EC2::Instance Monitoring, AWS::EC2::LaunchTemplate "
        "Monitoring, AWS::AutoScaling::LaunchConfiguration InstanceMonitoring",
        "NIST SP 800-53 Rev 5: CA-7 Continuous Monitoring; SI-4 System Monitoring",
    ),
    equivalents={
        "checkov": (),
        "guard": ("EC2_INSTANCE_DETAILED_MONITORING_ENABLED",),
        "cdk-nag": ("AwsSolutions-EC28",),
    },
)
