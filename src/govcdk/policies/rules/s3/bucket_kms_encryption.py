"""GOV-S3-006: S3 buckets encrypt objects by default with a customer-managed KMS key.

Source: RULES.md KMS-5 (for S3); Amazon S3 User Guide, "Setting default server-side encryption
behavior for Amazon S3 buckets" (``SSEAlgorithm`` ``AES256`` is SSE-S3, ``aws:kms`` SSE-KMS,
``aws:kms:dsse`` DSSE-KMS; without ``KMSMasterKeyID`` SSE-KMS uses the AWS-managed ``aws/s3``
key; since January 2023 a bucket without ``BucketEncryption`` gets SSE-S3, which is not a
customer-managed key); AWS CloudFormation User Guide, ``AWS::S3::Bucket BucketEncryption``.
Every ``ServerSideEncryptionConfiguration`` rule must use SSE-KMS or DSSE-KMS with a
customer-managed key.

Exception: a bucket that receives S3 server access logs (another bucket's, or its own,
``LoggingConfiguration`` names it) and whose default encryption is SSE-S3 (``AES256``, or no
``BucketEncryption``) is NOT_APPLICABLE: S3 supports only SSE-S3 default encryption on a server
access log destination ("Default server-side encryption with AWS KMS keys (SSE-KMS) is not
supported", Amazon S3 User Guide, "Enabling Amazon S3 server access logging"), so a
customer-managed key is not available there. Such a bucket with SSE-KMS is judged as any other.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, kms_key_result, literal
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown
from ._buckets import server_access_log_sources

KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def _sse_s3_only(resource: Any, ctx: Any) -> CheckResult | None:
    """NOT_APPLICABLE for a server access log destination left on SSE-S3, else None."""
    enc = resource.properties.get("BucketEncryption")
    if enc is not None:
        rules = enc.get("ServerSideEncryptionConfiguration") if isinstance(enc, dict) else None
        if not isinstance(rules, list) or not rules:
            return None
        for rule in rules:
            default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, dict) else None
            if not isinstance(default, dict) or literal(default.get("SSEAlgorithm")) != "AES256":
                return None
    sources = server_access_log_sources(ctx, resource)
    if not sources:
        return None
    return CheckResult.not_applicable(
        f"S3 server access log destination (of {', '.join(sources)}) with SSE-S3: S3 supports only "
        f"SSE-S3 default encryption there (Amazon S3 User Guide, \"Enabling Amazon S3 server "
        f"access logging\"), so a customer-managed key cannot be used")


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    exempt = _sse_s3_only(resource, ctx)
    if exempt is not None:
        return exempt
    base: tuple[str | int, ...] = ("Properties", "BucketEncryption")
    enc = resource.properties.get("BucketEncryption")
    if isinstance(enc, Unknown):
        return CheckResult.unknown(f"BucketEncryption cannot be resolved: {enc.reason}", base)
    if enc is None:
        return CheckResult.failed("BucketEncryption not set: objects get S3's default SSE-S3 "
                                  "(Amazon S3 managed keys), not a customer-managed key", base)
    rules = enc.get("ServerSideEncryptionConfiguration") if isinstance(enc, dict) else None
    base = base + ("ServerSideEncryptionConfiguration",)
    if isinstance(rules, Unknown):
        return CheckResult.unknown(f"ServerSideEncryptionConfiguration cannot be resolved: "
                                   f"{rules.reason}", base)
    if not isinstance(rules, list) or not rules:
        return CheckResult.failed(f"ServerSideEncryptionConfiguration is "
                                  f"{describe(rules) if rules is not None else 'not set'}: no "
                                  f"default encryption rule", base)
    results: list[CheckResult] = []
    for i, rule in enumerate(rules):
        path = base + (i, "ServerSideEncryptionByDefault")
        default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, dict) else rule
        if isinstance(default, Unknown):
            results.append(CheckResult.unknown(f"ServerSideEncryptionByDefault cannot be "
                                               f"resolved: {default.reason}", path))
            continue
        if not isinstance(default, dict):
            results.append(CheckResult.failed("ServerSideEncryptionByDefault not set: objects "
                                              "get SSE-S3, not a customer-managed key", path))
            continue
        algorithm = literal(default.get("SSEAlgorithm"), "SSEAlgorithm")
        if isinstance(algorithm, Unknown):
            results.append(CheckResult.unknown(f"SSEAlgorithm cannot be resolved: "
                                               f"{algorithm.reason}", path + ("SSEAlgorithm",)))
            continue
        if algorithm not in KMS_ALGORITHMS:
            kind = " (SSE-S3, Amazon S3 managed keys)" if algorithm == "AES256" else ""
            results.append(CheckResult.failed(
                f"SSEAlgorithm is {describe(algorithm)}{kind}, not aws:kms or aws:kms:dsse with "
                f"a customer-managed key", path + ("SSEAlgorithm",)))
            continue
        key = kms_key_result(default.get("KMSMasterKeyID"), path + ("KMSMasterKeyID",),
                             ctx.type_of, subject="KMSMasterKeyID",
                             absent=f"KMSMasterKeyID not set: {algorithm} uses the AWS-managed "
                                    f"aws/s3 key, not a customer-managed key")
        results.append(CheckResult(key.status, f"{algorithm}: {key.message}", key.path))
    failing = [r for r in results if r.status != Status.PASS]
    return failing or results


RULE = Rule(
    id="GOV-S3-006",
    backlog=("KMS-5",),
    name="bucket_kms_encryption",
    title="S3 buckets encrypt objects by default with SSE-KMS or DSSE-KMS under a "
          "customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::S3::Bucket",),
    controls=("SC-28", "SC-28(1)", "SC-13"),
    severity=Severity.HIGH,
    rationale=(
        "SC-28(1) requires cryptographic protection of information at rest under keys the "
        "agency controls (SC-13). S3 encrypts every new object with SSE-S3 by default, but "
        "those keys are Amazon S3's: access to them cannot be limited by a key policy, "
        "revoked, or audited per decryption. SSE-KMS or DSSE-KMS with a customer-managed key "
        "puts decryption under the agency's key policy and logs every use in CloudTrail; the "
        "AWS-managed aws/s3 key cannot be scoped."),
    remediation=(
        "CDK: s3.Bucket(self, 'Bucket', encryption=s3.BucketEncryption.KMS, "
        "encryption_key=key, bucket_key_enabled=True). CloudFormation: AWS::S3::Bucket "
        "BucketEncryption.ServerSideEncryptionConfiguration[].ServerSideEncryptionByDefault "
        "{SSEAlgorithm: aws:kms (or aws:kms:dsse), KMSMasterKeyID: Fn::GetAtt Key.Arn}."),
    check=check,
    references=(
        "Amazon S3 User Guide: Setting default server-side encryption behavior for Amazon S3 "
        "buckets",
        "Amazon S3 User Guide: Using server-side encryption with AWS KMS keys (SSE-KMS); "
        "dual-layer server-side encryption (DSSE-KMS)",
        "Amazon S3 User Guide: Enabling Amazon S3 server access logging (SSE-S3 only on "
        "destination buckets)",
        "AWS CloudFormation User Guide: AWS::S3::Bucket BucketEncryption, "
        "ServerSideEncryptionByDefault",
        "NIST SP 800-53 Rev 5: SC-28 Protection of Information at Rest; SC-28(1) Cryptographic "
        "Protection; SC-13 Cryptographic Protection",
    ),
    equivalents={
        "checkov": ("CKV_AWS_19",),
        "guard": ("S3_DEFAULT_ENCRYPTION_KMS", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"),
        "cdk-nag": ("NIST.800.53.R5-S3DefaultEncryptionKMS",),
    },
)
