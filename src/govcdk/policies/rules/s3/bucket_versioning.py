"""GOV-S3-004: S3 buckets enable versioning.

Source: RULES.md STO-2; Amazon S3 User Guide, "Retaining multiple versions of objects with S3
Versioning" (a bucket is unversioned until versioning is enabled; ``Suspended`` stops creating
versions); AWS CloudFormation User Guide, ``AWS::S3::Bucket VersioningConfiguration``.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown


def check(resource: Any, ctx: Any) -> CheckResult:
    config = resource.properties.get("VersioningConfiguration")
    base = ("Properties", "VersioningConfiguration")
    if isinstance(config, Unknown):
        return CheckResult.unknown(f"VersioningConfiguration cannot be resolved: "
                                   f"{config.reason}", base)
    if config is None:
        return CheckResult.failed("VersioningConfiguration not set: the bucket is unversioned, "
                                  "so overwritten or deleted objects cannot be recovered", base)
    if not isinstance(config, dict):
        return CheckResult.failed(f"VersioningConfiguration is {describe(config)}, not a "
                                  f"mapping", base)
    status = literal(config.get("Status"), "Status")
    path = base + ("Status",)
    if isinstance(status, Unknown):
        return CheckResult.unknown(f"versioning Status cannot be resolved: {status.reason}", path)
    if status != "Enabled":
        return CheckResult.failed(f"versioning Status is {describe(status)}, not Enabled", path)
    return CheckResult.passed("versioning is enabled", path)


RULE = Rule(
    id="GOV-S3-004",
    backlog=("STO-2",),
    name="bucket_versioning",
    title="S3 buckets enable versioning",
    scope="resource",
    resource_types=("AWS::S3::Bucket",),
    controls=("CP-9", "SI-12", "AU-9"),
    severity=Severity.MEDIUM,
    rationale=(
        "Versioning keeps every version of every object, so an overwrite or delete (by mistake, "
        "by an application fault or by an attacker) can be undone: a recovery capability for "
        "CP-9, retention of information under SI-12, and protection of audit records stored in "
        "S3 under AU-9. Object Lock and replication both require it."),
    remediation=(
        "CDK: s3.Bucket(self, 'Bucket', versioned=True). CloudFormation: AWS::S3::Bucket "
        "VersioningConfiguration: {Status: Enabled}."),
    check=check,
    references=(
        "Amazon S3 User Guide: Retaining multiple versions of objects with S3 Versioning",
        "AWS CloudFormation User Guide: AWS::S3::Bucket VersioningConfiguration",
        "NIST SP 800-53 Rev 5: CP-9 System Backup; SI-12 Information Management and Retention; "
        "AU-9 Protection of Audit Information",
    ),
    equivalents={
        "checkov": ("CKV_AWS_21",),
        "guard": ("S3_BUCKET_VERSIONING_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-S3BucketVersioningEnabled",),
    },
)
