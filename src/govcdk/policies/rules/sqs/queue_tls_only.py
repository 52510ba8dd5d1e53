"""GOV-SQS-002: every SQS queue's policy denies requests over plain HTTP.

Source: RULES.md NET-9; Amazon SQS Developer Guide, "Enforce encryption of data in transit"
(a queue policy statement that denies access to ``"*"`` when ``aws:SecureTransport`` is false).
A queue is joined to its ``AWS::SQS::QueuePolicy`` through ``Queues`` (``Ref`` to the queue: its
URL, also from another stack of the run). The denied actions must cover ``sqs:SendMessage`` and
``sqs:ReceiveMessage`` (``sqs:*`` or ``*`` do); the statement forms accepted are those of
:mod:`govcdk.policies.rules._secure_transport`. A queue without such a policy FAILS.
"""

from __future__ import annotations

from typing import Any

from ...model import CheckResult, Rule, Severity
from .._secure_transport import tls_only_check

ACTIONS = ("sqs:SendMessage", "sqs:ReceiveMessage")


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    return tls_only_check(ctx, target_type="AWS::SQS::Queue", policy_type="AWS::SQS::QueuePolicy",
                          list_key="Queues", name_key="QueueName", needed=ACTIONS,
                          arn_service="sqs")


RULE = Rule(
    id="GOV-SQS-002",
    backlog=("NET-9",),
    name="queue_tls_only",
    title="SQS queue policies deny sending and receiving when aws:SecureTransport is false",
    scope="template",
    resource_types=("AWS::SQS::Queue",),
    controls=("SC-8", "SC-8(1)", "SC-13", "SC-23"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-8(1) requires cryptographic protection of information in transit. The SQS API "
        "accepts plain HTTP requests unless the queue policy denies them: a Deny of sqs:* (at "
        "least SendMessage and ReceiveMessage) for every principal when aws:SecureTransport is "
        "false makes producers and consumers use TLS (SC-13, SC-23), whatever their IAM "
        "policies allow."),
    remediation=(
        "CDK: sqs.Queue(self, 'Queue', enforce_ssl=True). CloudFormation: an "
        "AWS::SQS::QueuePolicy with Queues [Ref Queue] and a statement Effect Deny, Principal "
        "'*', Action 'sqs:*', Resource Fn::GetAtt Queue.Arn, Condition Bool "
        "aws:SecureTransport 'false'."),
    check=check,
    references=(
        "Amazon SQS Developer Guide: Enforce encryption of data in transit",
        "AWS CloudFormation User Guide: AWS::SQS::QueuePolicy",
        "IAM User Guide: AWS global condition context keys (aws:SecureTransport)",
        "NIST SP 800-53 Rev 5: SC-8 Transmission Confidentiality and Integrity; SC-8(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection; SC-23 Session Authenticity",
    ),
    equivalents={"cdk-nag": ("AwsSolutions-SQS4",)},
)
