"""GOV-LOGS-002: CloudWatch log groups are encrypted with a customer-managed KMS key.

Source: RULES.md LOG-7; Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs
using AWS Key Management Service" (without ``KmsKeyId`` log data is encrypted with a key that
CloudWatch Logs owns and the customer cannot control or audit).
"""

from __future__ import annotations

from typing import Any

from ...helpers import kms_key_result
from ...model import CheckResult, Rule, Severity


def check(resource: Any, ctx: Any) -> CheckResult:
    return kms_key_result(
        resource.properties.get("KmsKeyId"), ("Properties", "KmsKeyId"), ctx.type_of,
        absent="KmsKeyId not set: log data is encrypted with a CloudWatch Logs owned key, not "
               "a customer-managed key")


RULE = Rule(
    id="GOV-LOGS-002",
    backlog=("LOG-7",),
    name="log_group_kms_encryption",
    title="CloudWatch log groups are encrypted with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::Logs::LogGroup",),
    controls=("AU-9", "SC-28"),
    severity=Severity.MEDIUM,
    rationale=(
        "AU-9 protects audit information from unauthorized access and modification; SC-28 "
        "protects it at rest. A customer-managed key puts decryption under the agency's key "
        "policy and records every use in CloudTrail; the default CloudWatch Logs owned key "
        "offers neither."),
    remediation=(
        "CDK: logs.LogGroup(self, 'Logs', encryption_key=key) with a kms.Key whose policy lets "
        "logs.<region>.amazonaws.com use it. CloudFormation: AWS::Logs::LogGroup KmsKeyId set "
        "to the key ARN (Fn::GetAtt Key.Arn)."),
    check=check,
    references=(
        "Amazon CloudWatch Logs User Guide: Encrypt log data in CloudWatch Logs using AWS KMS",
        "AWS CloudFormation User Guide: AWS::Logs::LogGroup KmsKeyId",
        "NIST SP 800-53 Rev 5: AU-9 Protection of Audit Information; SC-28 Protection of "
        "Information at Rest",
    ),
    equivalents={
        "checkov": ("CKV_AWS_158",),
        "guard": ("CLOUDWATCH_LOG_GROUP_ENCRYPTED",),
        "cdk-nag": ("NIST.800.53.R5-CloudWatchLogGroupEncrypted",),
    },
)
