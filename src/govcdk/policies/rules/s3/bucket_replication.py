"""GOV-S3-005: audit-log and backup buckets replicate to the other GovCloud Region (High).

Source: RULES.md STO-3; Amazon S3 User Guide, "Replicating objects within and across Regions"
(a replication rule with ``Status: Enabled`` and a ``Destination.Bucket`` ARN; versioning must be
on); AWS CloudFormation User Guide, ``AWS::S3::Bucket ReplicationConfiguration``;
GOVCLOUD.md (us-gov-west-1 and us-gov-east-1).

Which buckets: audit-log destinations (the same join as GOV-S3-002: trails, S3 flow logs,
access logs, load balancer access logs) and buckets tagged as backups (tag key
``backup_tag_key``, default ``govcdk:backup``, with value ``true``; the template says nothing
else that marks a bucket as a backup store). Other buckets are NOT_APPLICABLE. A destination
bucket ARN names no Region, so the other-Region requirement is proven only when the destination
is a bucket of the checked templates (its stack's Region must differ); a literal destination
ARN passes with a note that its Region is not stated.

Impact level: the rule's primary control AU-9(2) (audit records on separate physical systems)
is in the FedRAMP High baseline only, so baseline selection (``--baseline moderate`` or
``low``) does not select it. Parameter ``required`` (default True) records the High
requirement; a run that selects the rule for a Moderate or Low system sets it False, and every
bucket is then NOT_APPLICABLE with a message saying so, so that the choice stays visible in the
report.
"""

from __future__ import annotations

from typing import Any

from ...helpers import as_bool, describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown
from ._buckets import BUCKET, audit_destinations, find_bucket, label

BACKUP_TAG_KEY = "govcdk:backup"


def _is_backup(bucket: Any, key: str) -> bool | Unknown:
    tags = bucket.properties.get("Tags")
    if isinstance(tags, Unknown):
        return tags
    unresolved: Unknown | None = None
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, dict):
            continue
        name = literal(tag.get("Key"), "tag Key")
        if isinstance(name, Unknown):   # this tag may be the backup tag
            unresolved = name if unresolved is None else unresolved
        elif name == key:
            value = as_bool(tag.get("Value"))
            return value if isinstance(value, Unknown) else value is True
    return unresolved if unresolved is not None else False


def _replication(ctx: Any, bucket: Any) -> CheckResult:
    base = ("Properties", "ReplicationConfiguration")
    config = bucket.properties.get("ReplicationConfiguration")
    if isinstance(config, Unknown):
        return CheckResult.unknown(f"ReplicationConfiguration cannot be resolved: "
                                   f"{config.reason}", base)
    if not isinstance(config, dict):
        return CheckResult.failed("ReplicationConfiguration not set: the bucket is not "
                                  "replicated to the other GovCloud Region", base)
    rules = config.get("Rules")
    if isinstance(rules, Unknown):
        return CheckResult.unknown(f"replication Rules cannot be resolved: {rules.reason}",
                                   base + ("Rules",))
    unsure: list[CheckResult] = []
    same_region: list[CheckResult] = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        path = base + ("Rules", i)
        if not isinstance(rule, dict):
            continue
        status = literal(rule.get("Status"), "Status")
        if isinstance(status, Unknown):
            unsure.append(CheckResult.unknown(f"replication rule {i} Status cannot be resolved: "
                                              f"{status.reason}", path + ("Status",)))
            continue
        if status != "Enabled":
            continue
        dest = rule.get("Destination")
        target = dest.get("Bucket") if isinstance(dest, dict) else dest
        dpath = path + ("Destination", "Bucket")
        if isinstance(target, Unknown):
            unsure.append(CheckResult.unknown(f"replication rule {i} destination cannot be "
                                              f"resolved: {target.reason}", dpath))
            continue
        if target is None or (isinstance(target, str) and not target.strip()):
            continue
        other, _ = find_bucket(ctx, target, bucket.stack)
        if other is None:
            return CheckResult.passed(
                f"replication rule {i} is enabled to {describe(target)} (a bucket ARN names no "
                f"Region: confirm it is in the other GovCloud Region)", dpath)
        here, there = bucket.resolver.region, other.resolver.region
        if here == there:
            same_region.append(CheckResult.failed(
                f"replication rule {i} replicates to {label(ctx, other)} in the same Region "
                f"({here}), not the other GovCloud Region", dpath))
            continue
        return CheckResult.passed(f"replication rule {i} replicates to {label(ctx, other)} in "
                                  f"{there}", dpath)
    if unsure:
        return unsure[0]
    if same_region:
        return same_region[0]
    return CheckResult.failed("no replication rule with Status Enabled and a destination "
                              "bucket", base + ("Rules",))


def check(ctx: Any) -> dict[str, list[CheckResult]]:
    required = as_bool(ctx.params.get("require_replication", True))
    buckets = ctx.resources(BUCKET)
    if required is not True:
        return {b.logical_id: [CheckResult.not_applicable(
            "parameter required is false: cross-Region replication of audit and backup "
            "buckets is a FedRAMP High requirement (AU-9(2)) not applied to this system")]
            for b in buckets}
    key = str(ctx.params.get("backup_tag_key", BACKUP_TAG_KEY))
    dests, _outside = audit_destinations(ctx)   # GOV-S3-002 reports outside destinations
    out: dict[str, list[CheckResult]] = {}
    for bucket in buckets:
        roles = sorted(set(dests.get((ctx.stack, bucket.logical_id), [])))
        backup = _is_backup(bucket, key)
        if isinstance(backup, Unknown) and not roles:
            out[bucket.logical_id] = [CheckResult.unknown(
                f"Tags cannot be resolved ({backup.reason}): whether this is a backup bucket "
                f"cannot be told", ("Properties", "Tags"))]
            continue
        if backup is True:
            roles.append(f"backup bucket (tag {key})")
        if not roles:
            out[bucket.logical_id] = [CheckResult.not_applicable(
                f"neither an audit-log destination nor tagged {key}=true")]
            continue
        verdict = _replication(ctx, bucket)
        out[bucket.logical_id] = [CheckResult(verdict.status,
                                              f"{'; '.join(roles)}: {verdict.message}",
                                              verdict.path)]
    return out


RULE = Rule(
    id="GOV-S3-005",
    backlog=("STO-3",),
    name="bucket_replication",
    title="Audit-log and backup buckets replicate to the other GovCloud Region (FedRAMP High)",
    scope="template",
    resource_types=(BUCKET,),
    controls=("AU-9(2)", "CP-6", "CP-9"),
    severity=Severity.MEDIUM,
    rationale=(
        "FedRAMP High requires audit records to be stored on a physically different system "
        "(AU-9(2)) and backups at an alternate storage site (CP-6, CP-9). For S3 that means "
        "replication to the other GovCloud Region (us-gov-west-1 <-> us-gov-east-1), so a "
        "Regional outage or a compromise of one Region's copy does not destroy the records. "
        "The primary control AU-9(2) is High-only, so Moderate and Low selections leave the "
        "rule out."),
    remediation=(
        "CDK: s3.Bucket(self, 'AuditLogs', versioned=True, replication_rules=["
        "s3.ReplicationRule(destination=replica_bucket_in_other_region)]) (or a "
        "CfnBucket.ReplicationConfigurationProperty with a replication role). CloudFormation: "
        "AWS::S3::Bucket ReplicationConfiguration {Role: <role ARN>, Rules: [{Status: Enabled, "
        "Destination: {Bucket: <bucket ARN in the other GovCloud Region>}}]} with "
        "VersioningConfiguration Enabled."),
    check=check,
    references=(
        "Amazon S3 User Guide: Replicating objects within and across Regions",
        "AWS CloudFormation User Guide: AWS::S3::Bucket ReplicationConfiguration",
        "AWS GovCloud (US) User Guide: Regions (us-gov-west-1, us-gov-east-1)",
        "NIST SP 800-53 Rev 5: AU-9(2) Store on Separate Physical Systems or Components; CP-6 "
        "Alternate Storage Site; CP-9 System Backup",
    ),
    parameters={"require_replication": True},
    equivalents={"checkov": (), "guard": (),
                 "cdk-nag": ("NIST.800.53.R5-S3BucketReplicationEnabled",)},
)
