"""GOV-SQS-001: SQS queues are encrypted at rest with a customer-managed KMS key.

Source: RULES.md KMS-5; Amazon SQS Developer Guide, "Encryption at rest" (SSE-SQS,
``SqsManagedSseEnabled``, the default for new queues, uses keys that SQS owns; SSE-KMS with
``KmsMasterKeyId`` uses a KMS key, ``alias/aws/sqs`` being the AWS-managed one). Only a
customer-managed ``KmsMasterKeyId`` passes; the key decision is
:func:`govcdk.policies.helpers.kms_key_result`.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, kms_key_result
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> CheckResult:
    props = resource.properties
    managed = as_bool(props.get("SqsManagedSseEnabled"))
    if managed is False:
        absent = ("KmsMasterKeyId not set and SqsManagedSseEnabled false: messages are stored "
                  "unencrypted")
    elif isinstance(managed, Unknown) or managed is None:
        absent = ("KmsMasterKeyId not set: messages are encrypted with SSE-SQS (the default), "
                  "an SQS-owned key, not a customer-managed key")
    else:
        absent = ("KmsMasterKeyId not set: SqsManagedSseEnabled encrypts with an SQS-owned "
                  "key, not a customer-managed key")
    return kms_key_result(props.get("KmsMasterKeyId"), ("Properties", "KmsMasterKeyId"),
                          ctx.type_of, subject="KmsMasterKeyId", absent=absent)


RULE = Rule(
    id="GOV-SQS-001",
    backlog=("KMS-5",),
    name="queue_cmk_encryption",
    title="SQS queues are encrypted at rest with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::SQS::Queue",),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest with keys the agency "
        "controls (SC-13). SSE-SQS encrypts queued messages with keys SQS owns, which the "
        "agency cannot scope, audit in CloudTrail or revoke; the AWS-managed alias/aws/sqs key "
        "cannot be shared with producers in other accounts or services and its policy cannot "
        "be changed."),
    remediation=(
        "CDK: sqs.Queue(self, 'Queue', encryption=sqs.QueueEncryption.KMS, "
        "encryption_master_key=key). CloudFormation: AWS::SQS::Queue KmsMasterKeyId set to a "
        "customer-managed key (Ref Key, Fn::GetAtt Key.Arn or a customer alias), not "
        "alias/aws/sqs, instead of SqsManagedSseEnabled."),
    check=check,
    references=(
        "Amazon SQS Developer Guide: Encryption at rest (SSE-SQS and SSE-KMS); Key management",
        "AWS CloudFormation User Guide: AWS::SQS::Queue KmsMasterKeyId, SqsManagedSseEnabled",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={"checkov": ("CKV_AWS_27",), "cdk-nag": ("AwsSolutions-SQS2",)},
)
