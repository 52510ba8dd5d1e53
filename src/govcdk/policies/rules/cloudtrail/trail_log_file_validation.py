"""GOV-CLOUDTRAIL-002: CloudTrail trails enable log file integrity validation.

Source: RULES.md LOG-2; AWS CloudTrail User Guide, "Validating CloudTrail log file integrity"
(digest files signed with SHA-256 with RSA); AWS CloudFormation User Guide,
``AWS::CloudTrail::Trail`` ``EnableLogFileValidation`` (defaults to false).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> CheckResult:
    raw = resource.properties.get("EnableLogFileValidation")
    path = ("Properties", "EnableLogFileValidation")
    value = as_bool(raw)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"EnableLogFileValidation cannot be resolved: "
                                   f"{value.reason}", path)
    if value is not True:
        shown = "not set (defaults to false)" if raw is None else f"is {describe(raw)}"
        return CheckResult.failed(f"EnableLogFileValidation {shown}: changes to delivered log "
                                  f"files cannot be detected", path)
    return CheckResult.passed("log file integrity validation is enabled", path)


RULE = Rule(
    id="GOV-CLOUDTRAIL-002",
    backlog=("LOG-2",),
    name="trail_log_file_validation",
    title="CloudTrail trails enable log file integrity validation",
    scope="resource",
    resource_types=("AWS::CloudTrail::Trail",),
    controls=("AU-9", "SI-7", "SI-7(1)"),
    severity=Severity.MEDIUM,
    rationale=(
        "AU-9 protects audit information from modification and SI-7/SI-7(1) require integrity "
        "verification. With log file validation, CloudTrail delivers a signed digest every hour "
        "that proves whether a log file was modified, deleted or left unchanged after delivery; "
        "without it, tampering with the audit trail cannot be detected."),
    remediation=(
        "CDK: cloudtrail.Trail(self, 'Trail', enable_file_validation=True) (the L2 default). "
        "CloudFormation: AWS::CloudTrail::Trail EnableLogFileValidation: true."),
    check=check,
    references=(
        "AWS CloudTrail User Guide: Validating CloudTrail log file integrity",
        "AWS CloudFormation User Guide: AWS::CloudTrail::Trail EnableLogFileValidation",
        "NIST SP 800-53 Rev 5: AU-9 Protection of Audit Information; SI-7 Software, Firmware, "
        "and Information Integrity; SI-7(1) Integrity Checks",
    ),
    equivalents={
        "checkov": ("CKV_AWS_36",),
        "guard": ("CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-CloudTrailLogFileValidationEnabled",),
    },
)
