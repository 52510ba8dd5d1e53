"""GOV-KMS-001: symmetric customer-managed KMS keys rotate automatically at least yearly.

Source: RULES.md KMS-1; AWS KMS Developer Guide, "Rotating AWS KMS keys" (automatic rotation
exists only for symmetric encryption keys whose key material AWS KMS generated;
``RotationPeriodInDays`` 90..2560, default 365).
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, as_int, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

MAX_ROTATION_DAYS = 365
KMS_MIN_PERIOD, KMS_MAX_PERIOD = 90, 2560


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    spec = literal(props.get("KeySpec", "SYMMETRIC_DEFAULT"), "KeySpec")
    usage = literal(props.get("KeyUsage", "ENCRYPT_DECRYPT"), "KeyUsage")
    origin = literal(props.get("Origin", "AWS_KMS"), "Origin")
    for name, value in (("KeySpec", spec), ("KeyUsage", usage), ("Origin", origin)):
        if isinstance(value, Unknown):
            return CheckResult.unknown(f"{name} cannot be resolved: {value.reason}",
                                       ("Properties", name))
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return CheckResult.not_applicable(
            f"KeySpec {spec} / KeyUsage {usage}: automatic rotation exists only for symmetric "
            f"encryption keys")
    if origin != "AWS_KMS":
        return CheckResult.not_applicable(
            f"Origin {origin}: automatic rotation is not available for imported or external key "
            f"material; rotate it manually under the key management plan (SC-12)")

    results: list[CheckResult] = []
    enabled = as_bool(props.get("EnableKeyRotation"))
    path = ("Properties", "EnableKeyRotation")
    if isinstance(enabled, Unknown):
        results.append(CheckResult.unknown(
            f"EnableKeyRotation cannot be resolved: {enabled.reason}", path))
    elif enabled is not True:
        raw = props.get("EnableKeyRotation")
        shown = "not set (defaults to false)" if raw is None else f"is {describe(raw)}"
        results.append(CheckResult.failed(f"EnableKeyRotation {shown}", path))

    limit = int(ctx.params.get("max_rotation_days", MAX_ROTATION_DAYS))
    period_path = ("Properties", "RotationPeriodInDays")
    raw_period = props.get("RotationPeriodInDays")
    period = as_int(raw_period) if raw_period is not None else MAX_ROTATION_DAYS
    if isinstance(period, Unknown):
        results.append(CheckResult.unknown(
            f"RotationPeriodInDays cannot be resolved: {period.reason}", period_path))
    elif not isinstance(period, int) or not KMS_MIN_PERIOD <= period <= KMS_MAX_PERIOD:
        results.append(CheckResult.failed(
            f"RotationPeriodInDays {describe(raw_period)} is not a valid period "
            f"({KMS_MIN_PERIOD}..{KMS_MAX_PERIOD} days)", period_path))
    elif period > limit:
        shown = f"{period}" if raw_period is not None else f"unset (KMS default {period})"
        results.append(CheckResult.failed(
            f"RotationPeriodInDays {shown} exceeds {limit} days", period_path))

    if results:
        return results
    return CheckResult.passed(f"automatic rotation enabled every {period} days", path)


RULE = Rule(
    id="GOV-KMS-001",
    backlog=("KMS-1",),
    name="kms_key_rotation",
    title="Symmetric KMS keys rotate their key material automatically at least every 365 days",
    scope="resource",
    resource_types=("AWS::KMS::Key",),
    controls=("SC-12", "SC-12(1)", "SC-13"),
    severity=Severity.MEDIUM,
    rationale=(
        "SC-12 requires keys to be managed through a defined cryptoperiod. KMS rotates a "
        "symmetric key's backing material in place when automatic rotation is on, limiting the "
        "data protected by any one key version without changing key ids or ARNs. Asymmetric, "
        "HMAC and imported-material keys cannot rotate automatically and are not applicable."),
    remediation=(
        "CDK: kms.Key(self, 'Key', enable_key_rotation=True, rotation_period=Duration.days(365)). "
        "CloudFormation: AWS::KMS::Key EnableKeyRotation: true and RotationPeriodInDays <= 365 "
        "(unset means 365)."),
    check=check,
    references=(
        "AWS KMS Developer Guide: Rotating AWS KMS keys (automatic key rotation)",
        "AWS CloudFormation User Guide: AWS::KMS::Key EnableKeyRotation, RotationPeriodInDays, "
        "KeySpec, KeyUsage, Origin",
        "NIST SP 800-53 Rev 5: SC-12 Cryptographic Key Establishment and Management; "
        "SC-12(1) Availability; SC-13 Cryptographic Protection",
        "NIST SP 800-57 Part 1 Rev 5: Recommendation for Key Management (cryptoperiods)",
    ),
    parameters={"max_rotation_days": MAX_ROTATION_DAYS},
    equivalents={"checkov": ("CKV_AWS_7",), "guard": ("CMK_BACKING_KEY_ROTATION_ENABLED",),
                 "cdk-nag": ("NIST.800.53.R5-KMSBackingKeyRotationEnabled",)},
)
