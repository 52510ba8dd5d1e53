"""AuditStack and AuditReplicaStack: the agency's log archive and monitoring services, and at
High its copy in the other GovCloud Region."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource
from constructs import Construct

from govcdk import govcloud
from govcdk.config import AgencyConfig, AuditProvider
from govcdk.constructs import AgencyKeyring, AuditLogging, AuditLogReplica
from govcdk.constructs.audit_logging import REPLICA_KEY_PURPOSE
from govcdk.stacks.base import AgencyStack


def _name(resource: Any, logical_id: str) -> None:
    """Give a resource a readable logical id that does not change when constructs move
    (``govcdk verify`` and the assessor find it by this id)."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    assert isinstance(cfn, CfnResource)
    cfn.override_logical_id(logical_id)


class AuditStack(AgencyStack):
    """Holds :attr:`audit`, the agency's :class:`~govcdk.constructs.AuditLogging`, built from
    the agency file's ``audit`` section (services ``landing_zone`` are not created) and
    ``logging.retention_days`` (the trail's log group). Replicates to the other GovCloud Region
    when ``config.replicate_audit_logs`` (always at High).

    Logical ids: ``ArchiveBucket``, ``ArchiveBucketPolicy``, ``AccessLogBucket``,
    ``AccessLogBucketPolicy``, ``Trail``, ``TrailLogGroup``,
    ``TrailLogsRole``, ``ConfigRecorder``, ``ConfigDeliveryChannel``, ``ConfigRole``,
    ``GuardDutyDetector``, ``SecurityHub``, ``SecurityHubNist80053Rev5``, ``ReplicationRole``.
    The template's ``Metadata.govcdk.audit`` records which services the landing zone provides,
    for the assessor (RULES.md MON-1: declared, or declared inherited).
    """

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, keyring: AgencyKeyring,
                 **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, description="log archive, CloudTrail, AWS Config, "
                         "GuardDuty, Security Hub", **kwargs)
        a = config.audit
        create = AuditProvider.CREATE
        self.audit = AuditLogging(
            self, "Audit",
            keyring=keyring,
            agency_code=config.agency.code,
            impact_level=config.impact_level.value,
            object_lock_mode=config.object_lock_mode.value,
            object_lock_days=a.object_lock_days,
            online_days=a.online_days,
            archive_storage_class=a.archive_storage_class.value,
            expiration_days=a.expiration_days,
            log_retention_days=config.logging.retention_days,
            data_event_bucket_arns=[self.format_arn(service="s3", region="", account="", resource=b)
                                    for b in a.data_event_buckets],
            trail=a.trail is create,
            config_recorder=a.config is create,
            guardduty=a.guardduty is create,
            security_hub=a.security_hub is create,
            replicate_to=govcloud.region(config.region).other if config.replicate_audit_logs else None,
        )
        au = self.audit
        for resource, logical_id in ((au.archive_bucket, "ArchiveBucket"),
                                     (au.archive_bucket.policy, "ArchiveBucketPolicy"),
                                     (au.access_log_bucket, "AccessLogBucket"),
                                     (au.access_log_bucket.policy, "AccessLogBucketPolicy"),
                                     (au.trail, "Trail"), (au.trail_log_group, "TrailLogGroup"),
                                     (au.trail_logs_role, "TrailLogsRole"),
                                     (au.config_recorder, "ConfigRecorder"),
                                     (au.delivery_channel, "ConfigDeliveryChannel"),
                                     (au.config_role, "ConfigRole"),
                                     (au.guardduty_detector, "GuardDutyDetector"),
                                     (au.security_hub, "SecurityHub"),
                                     (au.nist_standard, "SecurityHubNist80053Rev5"),
                                     (au.replication_role, "ReplicationRole")):
            if resource is not None:
                _name(resource, logical_id)
        self.template_options.metadata = {"govcdk": {"audit": {
            "landing_zone": list(au.provided_by_landing_zone),
            "replicated_to": au.replicate_to,
        }}}


class AuditReplicaStack(AgencyStack):
    """The log archive's replica in the other GovCloud Region (``<code>-audit-replica``):
    :attr:`keyring` with one key, purpose ``audit-replica`` (alias ``alias/<code>/audit-replica``,
    usable by the account's principals through S3 only), and :attr:`replica`, an
    :class:`~govcdk.constructs.AuditLogReplica` with the agency's retention settings.

    Deploy it before the audit stack: S3 refuses a replication rule whose destination bucket
    does not exist yet. Logical ids: ``ReplicaArchiveBucket``, ``ReplicaArchiveBucketPolicy``,
    ``ReplicaAccessLogBucket``, ``ReplicaAccessLogBucketPolicy``.
    """

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, **kwargs: Any) -> None:
        region = govcloud.region(config.region).other
        super().__init__(scope, id, config=config, region=region,
                         description=f"log archive replica of {config.region}", **kwargs)
        a = config.audit
        self.keyring = AgencyKeyring(self, "Keyring", agency_code=config.agency.code,
                                     purposes=(REPLICA_KEY_PURPOSE,), via_services={REPLICA_KEY_PURPOSE: "s3"})
        self.replica = AuditLogReplica(
            self, "Replica",
            key=self.keyring.key_for(REPLICA_KEY_PURPOSE),
            agency_code=config.agency.code,
            impact_level=config.impact_level.value,
            source_region=config.region,
            object_lock_mode=config.object_lock_mode.value,
            object_lock_days=a.object_lock_days,
            online_days=a.online_days,
            archive_storage_class=a.archive_storage_class.value,
            expiration_days=a.expiration_days,
        )
        _name(self.replica.archive_bucket, "ReplicaArchiveBucket")
        _name(self.replica.access_log_bucket, "ReplicaAccessLogBucket")
        _name(self.replica.archive_bucket.policy, "ReplicaArchiveBucketPolicy")
        _name(self.replica.access_log_bucket.policy, "ReplicaAccessLogBucketPolicy")
