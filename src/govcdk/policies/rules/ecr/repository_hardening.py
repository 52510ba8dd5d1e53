"""GOV-ECR-001: ECR repositories scan images on push, keep tags immutable and encrypt with a
customer-managed KMS key.

Source: RULES.md CMP-6; Amazon ECR User Guide, "Scan images for software vulnerabilities in
Amazon ECR", "Preventing image tags from being overwritten in Amazon ECR" and "Encryption at
rest"; AWS CloudFormation User Guide, ``AWS::ECR::Repository``
(``ImageScanningConfiguration.ScanOnPush`` default false; ``ImageTagMutability`` default
``MUTABLE``; ``EncryptionConfiguration.EncryptionType`` default ``AES256``, and ``KMS`` or
``KMS_DSSE`` without ``KmsKey`` uses the AWS-managed key ``aws/ecr``).

- ``ScanOnPush`` must be true. (A registry-level enhanced scanning configuration scans pushes
  too, but it is not part of the repository and cannot be seen here.)
- ``ImageTagMutability`` must be ``IMMUTABLE`` or ``IMMUTABLE_WITH_EXCLUSION``.
- ``EncryptionType`` must be ``KMS`` or ``KMS_DSSE`` with a ``KmsKey`` naming a customer-managed
  key.
"""

from __future__ import annotations

from typing import Any

from ...helpers import bool_setting, describe, kms_key_result, literal
from ...model import CheckResult, Rule, Severity, Status
from ...resolver import Unknown

IMMUTABLE = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")
KMS_TYPES = ("KMS", "KMS_DSSE")


def _mapping(value: Any, name: str, path: tuple[str | int, ...]) -> dict | CheckResult:
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{name} cannot be resolved: {value.reason}", path)
    if not isinstance(value, dict):
        return CheckResult.unknown(f"{name} is {describe(value)}, not a mapping", path)
    return value


def check(resource: Any, ctx: Any) -> list[CheckResult]:
    props = resource.properties
    out: list[CheckResult] = []
    scan_base = ("Properties", "ImageScanningConfiguration")
    scanning = _mapping(props.get("ImageScanningConfiguration"), "ImageScanningConfiguration",
                        scan_base)
    if isinstance(scanning, CheckResult):
        out.append(scanning)
    else:
        path = scan_base + ("ScanOnPush",)
        flag = bool_setting(scanning.get("ScanOnPush"), "ScanOnPush", path)
        if isinstance(flag, CheckResult):
            out.append(flag)
        elif not flag:
            shown = "not set (defaults to false)" if flag is None else "false"
            out.append(CheckResult.failed(f"ScanOnPush is {shown}: pushed images are not scanned "
                                          f"for vulnerabilities", path))
    path = ("Properties", "ImageTagMutability")
    mutability = literal(props.get("ImageTagMutability"), "ImageTagMutability")
    if isinstance(mutability, Unknown):
        out.append(CheckResult.unknown(f"ImageTagMutability cannot be resolved: "
                                       f"{mutability.reason}", path))
    elif mutability not in IMMUTABLE:
        shown = "not set (defaults to MUTABLE)" if mutability is None else describe(mutability)
        out.append(CheckResult.failed(f"ImageTagMutability is {shown}: a tag can be moved to a "
                                      f"different image after review", path))
    enc_base = ("Properties", "EncryptionConfiguration")
    encryption = _mapping(props.get("EncryptionConfiguration"), "EncryptionConfiguration",
                          enc_base)
    if isinstance(encryption, CheckResult):
        out.append(encryption)
    else:
        etype = literal(encryption.get("EncryptionType", "AES256"), "EncryptionType")
        if isinstance(etype, Unknown):
            out.append(CheckResult.unknown(f"EncryptionType cannot be resolved: {etype.reason}",
                                           enc_base + ("EncryptionType",)))
        elif etype not in KMS_TYPES:
            out.append(CheckResult.failed(
                f"EncryptionType is {describe(etype)}: images are encrypted with an "
                f"AWS-owned key (S3-managed AES-256), not a customer-managed KMS key",
                enc_base + ("EncryptionType",)))
        else:
            key = kms_key_result(encryption.get("KmsKey"), enc_base + ("KmsKey",), ctx.type_of,
                                 subject="KmsKey",
                                 absent=f"EncryptionType {etype} without KmsKey: the "
                                        f"AWS-managed key aws/ecr is used")
            if key.status != Status.PASS:
                out.append(key)
    return out or [CheckResult.passed(
        "scan on push, immutable tags and a customer-managed KMS key")]


RULE = Rule(
    id="GOV-ECR-001",
    backlog=("CMP-6",),
    name="repository_hardening",
    title="ECR repositories scan on push, keep image tags immutable and encrypt with a "
          "customer-managed KMS key",
    scope="resource",
    resource_types=("AWS::ECR::Repository",),
    controls=("RA-5", "SI-7", "CM-2"),
    severity=Severity.MEDIUM,
    rationale=(
        "Container images are the baseline configuration of every workload that runs them "
        "(CM-2). Scanning on push finds known vulnerabilities before deployment (RA-5); "
        "immutable tags guarantee the image that was reviewed and scanned is the one that "
        "runs (SI-7); a customer-managed key keeps the agency in control of the images at "
        "rest."),
    remediation=(
        "CDK: ecr.Repository(..., image_scan_on_push=True, image_tag_mutability="
        "ecr.TagMutability.IMMUTABLE, encryption=ecr.RepositoryEncryption.KMS, "
        "encryption_key=key). CloudFormation: AWS::ECR::Repository "
        "ImageScanningConfiguration.ScanOnPush: true, ImageTagMutability: IMMUTABLE, "
        "EncryptionConfiguration: {EncryptionType: KMS, KmsKey: !GetAtt Key.Arn}."),
    check=check,
    references=(
        "Amazon ECR User Guide: Scan images for software vulnerabilities in Amazon ECR; "
        "Preventing image tags from being overwritten in Amazon ECR; Encryption at rest",
        "AWS CloudFormation User Guide: AWS::ECR::Repository",
        "NIST SP 800-53 Rev 5: RA-5 Vulnerability Monitoring and Scanning; SI-7 Software, "
        "Firmware, and Information Integrity; CM-2 Baseline Configuration",
    ),
    equivalents={
        "checkov": ("CKV_AWS_163", "CKV_AWS_51", "CKV_AWS_136"),
        "guard": ("ECR_PRIVATE_IMAGE_SCANNING_ENABLED", "ECR_PRIVATE_TAG_IMMUTABILITY_ENABLED"),
        "cdk-nag": (),
    },
)
