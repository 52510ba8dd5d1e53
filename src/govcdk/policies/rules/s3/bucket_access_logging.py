"""GOV-S3-003: S3 buckets log server access to another bucket, except access-log buckets.

Source: RULES.md LOG-9; Amazon S3 User Guide, "Logging requests with server access logging"
(AWS recommends a destination bucket other than the source: logging a bucket into itself
creates a log record for every log written); AWS CloudFormation User Guide, ``AWS::S3::Bucket
LoggingConfiguration`` (without ``DestinationBucketName`` logs go to the bucket itself). A bucket
that is the access-log destination of another bucket of the checked templates, and does not
log elsewhere itself, is NOT_APPLICABLE: logging the log bucket would need yet another bucket.
Buckets receiving other audit logs (CloudTrail, flow logs) are not exempt: access to them must
be recorded.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, refs_in
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown, is_null
from ._buckets import BUCKET, find_bucket, foreign_naming, label


def _destinations(ctx: Any) -> list[tuple[str, Any, Any]]:
    """(stack, DestinationBucketName, bucket) of the run's buckets that log to another."""
    out = []
    for bucket in ctx.base_run_resources(BUCKET):
        config = bucket.properties.get("LoggingConfiguration")
        if isinstance(config, dict) and config.get("DestinationBucketName") is not None:
            out.append((bucket.stack, config["DestinationBucketName"], bucket))
    return out


def _log_sources(resource: Any, ctx: Any) -> list[str]:
    """Other buckets of the run whose access logs go to ``resource``."""
    out: list[str] = []
    # This template's buckets, then those of other templates that may name one of its buckets
    # (what ctx.run_resources(BUCKET) gives, less buckets that cannot log here).
    foreign = foreign_naming(ctx, "access-logs", _destinations)
    for other in ctx.resources(BUCKET) + [b for _, _, b in foreign]:
        if (other.stack, other.logical_id) == (resource.stack, resource.logical_id):
            continue
        config = other.properties.get("LoggingConfiguration")
        if not isinstance(config, dict) or config.get("DestinationBucketName") is None:
            continue
        target, _ = find_bucket(ctx, config["DestinationBucketName"], other.stack)
        if target is not None and (target.stack, target.logical_id) == (resource.stack,
                                                                        resource.logical_id):
            out.append(label(ctx, other))
    return out


def _exempt_or(resource: Any, ctx: Any, failure: CheckResult) -> CheckResult:
    sources = _log_sources(resource, ctx)
    if sources:
        return CheckResult.not_applicable(
            f"access-log destination of {', '.join(sorted(sources))}: a log bucket does not log "
            f"access to itself")
    return failure


def check(resource: Any, ctx: Any) -> CheckResult:
    base = ("Properties", "LoggingConfiguration")
    config = resource.properties.get("LoggingConfiguration")
    if isinstance(config, Unknown):
        return CheckResult.unknown(f"LoggingConfiguration cannot be resolved: {config.reason}",
                                   base)
    if config is None:
        return _exempt_or(resource, ctx, CheckResult.failed(
            "LoggingConfiguration not set: server access is not logged", base))
    if not isinstance(config, dict):
        return CheckResult.failed(f"LoggingConfiguration is {describe(config)}, not a mapping",
                                  base)
    path = base + ("DestinationBucketName",)
    dest = config.get("DestinationBucketName")
    if isinstance(dest, Unknown) and not is_null(dest):
        return CheckResult.unknown(f"DestinationBucketName cannot be resolved: {dest.reason}",
                                   path)
    if dest is None or is_null(dest) or (isinstance(dest, str) and not dest.strip()):
        return _exempt_or(resource, ctx, CheckResult.failed(
            "LoggingConfiguration has no DestinationBucketName: access logs are written into "
            "the bucket itself (each log delivery is logged again); name a separate log bucket",
            path))
    target, _ = find_bucket(ctx, dest, resource.stack)
    if target is not None and (target.stack, target.logical_id) == (resource.stack,
                                                                    resource.logical_id):
        return _exempt_or(resource, ctx, CheckResult.failed(
            "DestinationBucketName is the bucket itself: name a separate log bucket", path))
    if not isinstance(dest, str) and not refs_in(dest):
        return CheckResult.failed(f"DestinationBucketName is {describe(dest)}, not a bucket "
                                  f"name", path)
    shown = label(ctx, target) if target is not None else describe(dest)
    return CheckResult.passed(f"server access is logged to bucket {shown}", path)


RULE = Rule(
    id="GOV-S3-003",
    backlog=("LOG-9",),
    name="bucket_access_logging",
    title="S3 buckets log server access to a separate log bucket (access-log buckets "
          "excepted)",
    scope="resource",
    resource_types=("AWS::S3::Bucket",),
    controls=("AU-2", "AU-12"),
    severity=Severity.MEDIUM,
    rationale=(
        "Server access logs record every request made to a bucket, with requester, operation, "
        "key, status and error: the events AU-2 selects and AU-12 requires for data stores. "
        "CloudTrail data events cover API calls but not, for example, authentication failures "
        "and anonymous requests in the same detail. The log bucket itself is exempt: logging "
        "it would need another bucket without end."),
    remediation=(
        "CDK: s3.Bucket(self, 'Bucket', server_access_logs_bucket=log_bucket, "
        "server_access_logs_prefix='bucket/'). CloudFormation: AWS::S3::Bucket "
        "LoggingConfiguration: {DestinationBucketName: Ref LogBucket, LogFilePrefix: ...}."),
    check=check,
    references=(
        "Amazon S3 User Guide: Logging requests with server access logging",
        "AWS CloudFormation User Guide: AWS::S3::Bucket LoggingConfiguration",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation",
    ),
    equivalents={
        "checkov": ("CKV_AWS_18",),
        "guard": ("S3_BUCKET_LOGGING_ENABLED",),
        "cdk-nag": ("NIST.800.53.R5-S3BucketLoggingEnabled", "AwsSolutions-S1"),
    },
)
