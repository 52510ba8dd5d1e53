"""GOV-EKS-003: EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS
key.

Source: RULES.md CMP-5; Amazon EKS User Guide, "Encrypt Kubernetes secrets with KMS on
existing clusters" (envelope encryption); AWS CloudFormation User Guide, ``AWS::EKS::Cluster``
``EncryptionConfig`` (``Resources: [secrets]``, ``Provider.KeyArn``). Some entry of
``EncryptionConfig`` must list ``secrets`` in ``Resources`` and name a customer-managed key in
``Provider.KeyArn``, judged like every KMS key reference of the pack (a key of the checked
templates, a key ARN or id, an alias other than ``alias/aws/*``). EKS has encrypted secrets
with an AWS-owned key by default since 2024, which does not meet SC-12's key management by the
agency: absent ``EncryptionConfig`` FAILS.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, kms_key_result
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> CheckResult:
    base = ("Properties", "EncryptionConfig")
    configs = resource.properties.get("EncryptionConfig")
    if configs is None:
        return CheckResult.failed("no EncryptionConfig: Kubernetes secrets are not "
                                  "envelope-encrypted with a customer-managed key", base)
    if isinstance(configs, Unknown):
        return CheckResult.unknown(f"EncryptionConfig cannot be resolved: {configs.reason}", base)
    if not isinstance(configs, list):
        return CheckResult.unknown(f"EncryptionConfig is {describe(configs)}, not a list", base)
    unsure: CheckResult | None = None
    for i, config in enumerate(configs):
        path = base + (i,)
        if isinstance(config, Unknown):
            unsure = unsure or CheckResult.unknown(f"EncryptionConfig[{i}] cannot be resolved: "
                                                   f"{config.reason}", path)
            continue
        if not isinstance(config, dict):
            continue
        resources = config.get("Resources")
        if isinstance(resources, Unknown):
            unsure = unsure or CheckResult.unknown(
                f"EncryptionConfig[{i}].Resources cannot be resolved: {resources.reason}",
                path + ("Resources",))
            continue
        items = resources if isinstance(resources, list) else [resources]
        if any(isinstance(r, Unknown) for r in items):
            unsure = unsure or CheckResult.unknown(
                f"EncryptionConfig[{i}].Resources cannot be resolved", path + ("Resources",))
            continue
        if "secrets" not in items:
            continue
        provider = config.get("Provider")
        if isinstance(provider, Unknown):
            return CheckResult.unknown(f"EncryptionConfig[{i}].Provider cannot be resolved: "
                                       f"{provider.reason}", path + ("Provider",))
        key = provider.get("KeyArn") if isinstance(provider, dict) else None
        result = kms_key_result(key, path + ("Provider", "KeyArn"), ctx.type_of,
                                subject="Provider.KeyArn",
                                absent="secrets are listed but Provider.KeyArn is not set")
        return CheckResult(result.status, f"secrets encryption: {result.message}", result.path)
    return unsure or CheckResult.failed("EncryptionConfig does not list secrets in Resources",
                                        base)


RULE = Rule(
    id="GOV-EKS-003",
    backlog=("CMP-5",),
    name="cluster_secrets_encryption",
    title="EKS clusters envelope-encrypt Kubernetes secrets with a customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::EKS::Cluster",),
    controls=("SC-28", "SC-12"),
    severity=Severity.HIGH,
    rationale=(
        "Kubernetes secrets are stored in etcd; without envelope encryption under an agency "
        "key, anyone with access to an etcd backup or snapshot reads them. Protecting "
        "information at rest (SC-28) with a key the agency controls, rotates and can revoke "
        "(SC-12) needs EncryptionConfig with a customer-managed key."),
    remediation=(
        "CDK: eks.Cluster(..., secrets_encryption_key=kms_key). CloudFormation: "
        "AWS::EKS::Cluster EncryptionConfig: [{Resources: [secrets], Provider: {KeyArn: "
        "!GetAtt Key.Arn}}]."),
    check=check,
    references=(
        "Amazon EKS User Guide: Encrypt Kubernetes secrets with KMS on existing clusters",
        "AWS CloudFormation User Guide: AWS::EKS::Cluster EncryptionConfig",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-12 Cryptographic Key "
        "Establishment and Management",
    ),
    equivalents={
        "checkov": ("CKV_AWS_58",),
        "guard": ("EKS_SECRETS_ENCRYPTED",),
        "cdk-nag": (),
    },
)
