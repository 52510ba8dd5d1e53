"""GOV-SNS-002: every SNS topic's policy denies publishing over plain HTTP.

Source: RULES.md NET-9; Amazon SNS Developer Guide, "Enforce encryption of data in transit"
(a topic policy statement that denies ``sns:Publish`` to ``"*"`` when ``aws:SecureTransport`` is
false). A topic is joined to its ``AWS::SNS::TopicPolicy`` through ``Topics`` (``Ref`` to the
topic, also from another stack of the run). The statement forms accepted are those of
:mod:`govcdk.policies.rules._secure_transport`; a topic without such a policy FAILS.
"""

from __future__ import annotations

from typing import Any

from ...model import CheckResult, Rule, Severity
from .._secure_transport import tls_only_check

ACTIONS = ("sns:Publish",)


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    return tls_only_check(ctx, target_type="AWS::SNS::Topic", policy_type="AWS::SNS::TopicPolicy",
                          list_key="Topics", name_key="TopicName", needed=ACTIONS,
                          arn_service="sns")


RULE = Rule(
    id="GOV-SNS-002",
    backlog=("NET-9",),
    name="topic_tls_only",
    title="SNS topic policies deny publishing when aws:SecureTransport is false",
    scope="template",
    resource_types=("AWS::SNS::Topic",),
    controls=("SC-8", "SC-8(1)", "SC-13", "SC-23"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-8(1) requires cryptographic protection of information in transit. The SNS API "
        "accepts plain HTTP requests unless the topic policy denies them: a Deny of "
        "sns:Publish for every principal when aws:SecureTransport is false makes every "
        "publisher use TLS (SC-13, SC-23 session authenticity), whatever its IAM policy allows."),
    remediation=(
        "CDK: sns.Topic(self, 'Topic', enforce_ssl=True). CloudFormation: an "
        "AWS::SNS::TopicPolicy with Topics [Ref Topic] and a statement Effect Deny, Principal "
        "'*', Action sns:Publish, Resource Ref Topic, Condition Bool aws:SecureTransport "
        "'false'."),
    check=check,
    references=(
        "Amazon SNS Developer Guide: Enforce encryption of data in transit",
        "AWS CloudFormation User Guide: AWS::SNS::TopicPolicy",
        "IAM User Guide: AWS global condition context keys (aws:SecureTransport)",
        "NIST SP 800-53 Rev 5: SC-8 Transmission Confidentiality and Integrity; SC-8(1) "
        "Cryptographic Protection; SC-13 Cryptographic Protection; SC-23 Session Authenticity",
    ),
    equivalents={"cdk-nag": ("AwsSolutions-SNS3",)},
)
