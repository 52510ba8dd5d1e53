"""GOV-SNS-001: SNS topics are encrypted at rest with a customer-managed KMS key.

Source: RULES.md KMS-5; Amazon SNS Developer Guide, "Encryption at rest" (server-side
encryption is off unless ``KmsMasterKeyId`` is set; ``alias/aws/sns`` is the AWS-managed key,
whose policy cannot let other services such as CloudWatch alarms or EventBridge publish to the
topic, and which the agency cannot scope). The key decision is
:func:`govcdk.policies.helpers.kms_key_result` (``alias/aws/sns`` FAILS there).
"""

from __future__ import annotations

from typing import Any

from ...helpers import kms_key_result
from ...model import CheckResult, Rule, Severity


def check(resource: Any, ctx: Any) -> CheckResult:
    return kms_key_result(
        resource.properties.get("KmsMasterKeyId"), ("Properties", "KmsMasterKeyId"),
        ctx.type_of, subject="KmsMasterKeyId",
        absent="KmsMasterKeyId not set: messages are stored unencrypted (SNS server-side "
               "encryption is off)")


RULE = Rule(
    id="GOV-SNS-001",
    backlog=("KMS-5",),
    name="topic_cmk_encryption",
    title="SNS topics are encrypted at rest with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::SNS::Topic",),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls (SC-13). SNS stores messages until delivery; without KmsMasterKeyId they are "
        "not encrypted by SNS at all, and with the AWS-managed alias/aws/sns key the key policy "
        "cannot be scoped or audited by the agency."),
    remediation=(
        "CDK: sns.Topic(self, 'Topic', master_key=key) with a kms.Key whose policy lets the "
        "publishing services use it. CloudFormation: AWS::SNS::Topic KmsMasterKeyId set to a "
        "customer-managed key (Ref Key, Fn::GetAtt Key.Arn or a customer alias), not "
        "alias/aws/sns."),
    check=check,
    references=(
        "Amazon SNS Developer Guide: Encryption at rest; Key management",
        "AWS CloudFormation User Guide: AWS::SNS::Topic KmsMasterKeyId",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_26",), "guard": ("SNS_ENCRYPTED_KMS",),
                 "cdk-nag": ("NIST.800.53.R5-SNSEncryptedKMS",)},
)
