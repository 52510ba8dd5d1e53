"""GOV-CLOUDTRAIL-003: CloudTrail trails encrypt log files with a customer-managed KMS key.

Source: RULES.md LOG-3; AWS CloudTrail User Guide, "Encrypting CloudTrail log files with AWS KMS
keys (SSE-KMS)" (without ``KMSKeyId`` log files are encrypted with SSE-S3, Amazon S3 managed
keys); AWS CloudFormation User Guide, ``AWS::CloudTrail::Trail`` ``KMSKeyId`` (alias name, alias
ARN, key ARN or key id). A ``Ref``/``Fn::GetAtt`` to an ``AWS::KMS::Key`` (or alias) of the
checked templates, a key ARN, key id or alias passes; an AWS-managed ``alias/aws/...`` fails.
"""

from __future__ import annotations

from typing import Any

from ...helpers import kms_key_result
from ...model import CheckResult, Rule, Severity


def check(resource: Any, ctx: Any) -> CheckResult:
    return kms_key_result(
        resource.properties.get("KMSKeyId"), ("Properties", "KMSKeyId"), ctx.type_of,
        subject="KMSKeyId",
        absent="KMSKeyId not set: log files are encrypted with SSE-S3 (Amazon S3 managed keys), "
               "not a customer-managed key")


RULE = Rule(
    id="GOV-CLOUDTRAIL-003",
    backlog=("LOG-3",),
    name="trail_kms_encryption",
    title="CloudTrail trails encrypt log files with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::CloudTrail::Trail",),
    controls=("AU-9", "SC-28"),
    severity=Severity.HIGH,
    rationale=(
        "AU-9 protects audit information from unauthorized access and SC-28 protects it at "
        "rest. With SSE-KMS under a customer-managed key, reading the audit trail needs both "
        "S3 read access and kms:Decrypt under the agency's key policy, and every decryption is "
        "itself logged; the default SSE-S3 encryption offers neither separation."),
    remediation=(
        "CDK: cloudtrail.Trail(self, 'Trail', encryption_key=key) with a kms.Key whose policy "
        "lets cloudtrail.amazonaws.com use it. CloudFormation: AWS::CloudTrail::Trail KMSKeyId "
        "set to a customer-managed key (Ref Key, Fn::GetAtt Key.Arn, or an alias of your own)."),
    check=check,
    references=(
        "AWS CloudTrail User Guide: Encrypting CloudTrail log files with AWS KMS keys (SSE-KMS)",
        "AWS CloudFormation User Guide: AWS::CloudTrail::Trail KMSKeyId",
        "NIST SP 800-53 Rev 5: AU-9 Protection of Audit Information; SC-28 Protection of "
        "Information at Rest",
    ),
    equivalents={
        "checkov": ("CKV_AWS_35",),
        "guard": ("CLOUD_TRAIL_ENCRYPTION_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-CloudTrailEncryptionEnabled",),
    },
)
