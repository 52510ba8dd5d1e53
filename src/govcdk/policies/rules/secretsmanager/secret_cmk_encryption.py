"""GOV-SECRETSMANAGER-001: Secrets Manager secrets are encrypted with a customer-managed KMS key.

Source: RULES.md STO-5; AWS Secrets Manager User Guide, "Secret encryption and decryption in
AWS Secrets Manager" (without ``KmsKeyId`` a secret is encrypted with the AWS-managed key
``aws/secretsmanager``, which cannot be used from another account and whose policy the agency
cannot change). The key decision is :func:`govcdk.policies.helpers.kms_key_result`.
"""

from __future__ import annotations

from typing import Any

from ...helpers import kms_key_result
from ...model import CheckResult, Rule, Severity


def check(resource: Any, ctx: Any) -> CheckResult:
    return kms_key_result(
        resource.properties.get("KmsKeyId"), ("Properties", "KmsKeyId"), ctx.type_of,
        absent="KmsKeyId not set: the secret is encrypted with the AWS-managed key "
               "aws/secretsmanager, not a customer-managed key")


RULE = Rule(
    id="GOV-SECRETSMANAGER-001",
    backlog=("STO-5",),
    name="secret_cmk_encryption",
    title="Secrets Manager secrets are encrypted with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::SecretsManager::Secret",),
    controls=("IA-5", "IA-5(1)", "SC-12", "SC-28"),
    severity=Severity.HIGH,
    rationale=(
        "Secrets hold authenticators (IA-5) that must be protected at rest (SC-28) under keys "
        "the agency manages (SC-12). With a customer-managed key, reading a secret needs both "
        "secretsmanager:GetSecretValue and kms:Decrypt under the agency's key policy, and every "
        "decryption is logged in CloudTrail; the AWS-managed aws/secretsmanager key lets any "
        "principal of the account with secret access decrypt."),
    remediation=(
        "CDK: secretsmanager.Secret(self, 'Secret', encryption_key=key). CloudFormation: "
        "AWS::SecretsManager::Secret KmsKeyId set to a customer-managed key (Ref Key or "
        "Fn::GetAtt Key.Arn)."),
    check=check,
    references=(
        "AWS Secrets Manager User Guide: Secret encryption and decryption in AWS Secrets "
        "Manager",
        "AWS CloudFormation User Guide: AWS::SecretsManager::Secret KmsKeyId",
        "NIST SP 800-53 Rev 5: IA-5 Authenticator Management; IA-5(1) Password-based "
        "Authentication; SC-12 Cryptographic Key Establishment and Management; SC-28 "
        "Protection of Information at Rest",
    ),
    equivalents={"checkov": ("CKV_AWS_149",),
                 "cdk-nag": ("NIST.800.53.R5-SecretsManagerUsingKMSKey",)},
)
