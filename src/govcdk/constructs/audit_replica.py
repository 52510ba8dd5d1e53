"""AuditLogReplica: the copy of an agency's log archive in the other GovCloud Region (AU-9(2),
CP-6, CP-9), the destination of :class:`~govcdk.constructs.AuditLogging`'s replication."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from govcdk import govcloud
from govcdk.acknowledge import acknowledge, suppress
from govcdk.constructs import _log_buckets as buckets
from govcdk.constructs._log_buckets import NAG_REPLICATION, LogBucketNames, log_bucket_names
from govcdk.constructs.audit_logging import _check_common
from govcdk.policies.suppressions import TOOL_CDK_NAG


def replica_access_log_reason(source_region: str, region: str) -> str:
    """Why the replica's access-log bucket (in ``region``) acknowledges GOV-S3-005 and cdk-nag's
    ``NIST.800.53.R5-S3BucketReplicationEnabled``."""
    return (f"replica-side access-log bucket: replicating it back to {source_region} would need "
            f"it to exist before the {source_region} buckets that replicate into {region}, "
            "a deployment cycle; access to the replica is also recorded as CloudTrail S3 data "
            "events by the multi-Region trail, whose logs are replicated")


def replica_archive_reason(source_region: str) -> str:
    """Why the replica archive acknowledges cdk-nag's ``NIST.800.53.R5-S3BucketReplicationEnabled``."""
    return (f"this bucket is the cross-Region copy (AU-9(2), CP-6) of the log archive in "
            f"{source_region}, written by that archive's replication rule; AWS GovCloud (US) has "
            "two Regions, so replicating it again could only copy it back onto its source")


class AuditLogReplica(Construct):
    """Replica buckets in this stack's Region for the log archive in ``source_region``.

    - :attr:`archive_bucket` ``<code>-audit-replica-<account>-<region>``: the same protections
      as the primary archive (:func:`~govcdk.constructs._log_buckets.archive_bucket`): Object
      Lock in ``object_lock_mode`` for ``object_lock_days``, versioned, SSE-KMS with ``key``
      (this Region's ``alias/<code>/audit-replica`` key, which the primary's replication rule
      re-encrypts with) and an S3 Bucket Key, TLS 1.2+ only, public access blocked, the same
      lifecycle (OMB M-21-31), retained; server access logs to the access-log bucket. Replicas
      keep the source's Object Lock retention (Amazon S3 User Guide, "Using Object Lock with S3
      Replication").
    - :attr:`access_log_bucket` ``<code>-audit-replica-s3logs-<account>-<region>``: the replica
      archive's server access logs and the replicas of the primary access-log bucket; SSE-S3
      and no Object Lock, which S3 server access logging requires (Amazon S3 User Guide,
      "Enabling Amazon S3 server access logging").

    The replica access-log bucket is not replicated back to ``source_region``: it would have
    to exist before the primary buckets that replicate into this Region, and the primary's
    access-log bucket before it, a cycle CloudFormation cannot deploy. GOV-S3-005 is
    acknowledged on it with that reason (and cdk-nag's
    ``NIST.800.53.R5-S3BucketReplicationEnabled``, which the replica archive acknowledges too: it
    is the copy, and GovCloud has no third Region); requests to the replica buckets are also recorded as
    CloudTrail data events by the agency's multi-Region trail, whose log files are in the
    primary archive and replicated here.

    :param key: the KMS key of this Region for the replica archive (the replica stack's
        keyring, purpose ``audit-replica``).
    :param agency_code: 1..12 of a-z0-9, starting with a letter.
    :param impact_level: ``low``, ``moderate`` or ``high``.
    :param source_region: the primary archive's GovCloud Region (not this one).
    :param object_lock_mode, object_lock_days, online_days, archive_storage_class,
        expiration_days: as for :class:`~govcdk.constructs.AuditLogging` (same defaults, same
        errors); give the primary's values.
    :raises ValueError: bad agency code, impact level or retention settings, a source Region
        that is not the other GovCloud Region, a stack without a literal account and Region.
    """

    def __init__(self, scope: Construct, id: str, *, key: kms.IKey, agency_code: str, impact_level: str,
                 source_region: str, object_lock_mode: str | None = None,
                 object_lock_days: int = buckets.MIN_ARCHIVE_DAYS, online_days: int = buckets.MIN_ONLINE_DAYS,
                 archive_storage_class: str = "glacier", expiration_days: int | None = None) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        _check_common(agency_code, impact_level)
        mode = buckets.check_retention(
            lock_mode=object_lock_mode, lock_days=object_lock_days, online_days=online_days,
            storage_class=archive_storage_class, expiration_days=expiration_days,
            impact_level=impact_level)
        govcloud.check_stack_region(stack.region)
        if not govcloud.is_govcloud(source_region) or source_region == stack.region:
            raise ValueError(f"source_region={source_region!r}: allowed the other GovCloud Region, "
                             f"{govcloud.region(stack.region).other}")
        self.source_region = source_region
        self.names: LogBucketNames = log_bucket_names(agency_code, stack.account, stack.region, replica=True)
        self.access_log_bucket, self.archive_bucket = buckets.log_bucket_pair(
            self, self.names, key=key, lock_mode=mode, lock_days=object_lock_days,
            online_days=online_days, storage_class=archive_storage_class,
            expiration_days=expiration_days)
        access_log_reason = replica_access_log_reason(source_region, stack.region)
        suppress(self.access_log_bucket, id="GOV-S3-005", reason=access_log_reason)
        acknowledge(self.access_log_bucket, tool=TOOL_CDK_NAG, id=NAG_REPLICATION, reason=access_log_reason)
        acknowledge(self.archive_bucket, tool=TOOL_CDK_NAG, id=NAG_REPLICATION,
                    reason=replica_archive_reason(source_region))
