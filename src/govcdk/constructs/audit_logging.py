"""AuditLogging: the agency's log archive, CloudTrail trail, AWS Config recorder, GuardDuty and
Security Hub in one account and Region.

Controls: AU-2 and AU-12 (event logging: the trail's management and S3 data events, server
access logs), AU-3 (record content: CloudTrail, AWS Config), AU-6(1)/(3) and SI-4(2) (the trail
in CloudWatch Logs), AU-9 (protection: Object Lock, log file validation, KMS), AU-9(2) (at High,
replication to the other GovCloud Region), AU-11 and SI-12 (retention, OMB M-21-31), SC-28(1)
(customer-managed keys), CA-7 and CM-8 (AWS Config), SI-4 and RA-5 (GuardDuty, Security Hub).
Rules that check it: GOV-CLOUDTRAIL-001..005, GOV-LOGS-001/002, GOV-S3-001..007.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from aws_cdk import Aws, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_config as awsconfig
from aws_cdk import aws_guardduty as awsguardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_securityhub as awssecurityhub
from constructs import Construct

from govcdk import govcloud
from govcdk.acknowledge import acknowledge, suppress
from govcdk.config import AGENCY_CODE_RE, MIN_LOG_RETENTION_DAYS, VALID_LOG_RETENTION_DAYS
from govcdk.constructs import _log_buckets as buckets
from govcdk.constructs._log_buckets import NAG_REPLICATION, LogBucketNames, log_bucket_names
from govcdk.policies.suppressions import TOOL_CDK_NAG

if TYPE_CHECKING:
    from govcdk.constructs.keyring import AgencyKeyring

REPLICA_KEY_PURPOSE = "audit-replica"
"""Key purpose (alias ``alias/<code>/audit-replica``) of the replica's KMS key in the other Region."""

TRAIL_PREFIX = "cloudtrail"
CONFIG_PREFIX = "config"
NIST_800_53_REV5 = "nist-800-53/v/5.0.0"
"""Security Hub standard: ``arn:<partition>:securityhub:<region>::standards/nist-800-53/v/5.0.0``
(AWS Security Hub User Guide, "NIST SP 800-53 Revision 5 in Security Hub")."""

_SERVICES = ("trail", "config", "guardduty", "security_hub")


def no_replication_reason(impact_level: str) -> str:
    """Why a log archive below High acknowledges GOV-S3-005 and cdk-nag's
    ``NIST.800.53.R5-S3BucketReplicationEnabled`` on its buckets."""
    return (f"impact level {impact_level}: cross-Region replication of audit records "
            "(AU-9(2)) is a FedRAMP High requirement this system does not carry "
            "(replicate_to, or audit.replication in the agency file, turns it on)")


def trail_name(agency_code: str) -> str:
    """The trail's name: ``govcdk-<agency_code>``."""
    return f"govcdk-{agency_code}"


def trail_log_group_name(agency_code: str) -> str:
    """The trail's CloudWatch Logs log group: ``/govcdk/<agency_code>/cloudtrail``."""
    return f"/govcdk/{agency_code}/cloudtrail"


class AuditLogging(Construct):
    """Log archive and monitoring services for one agency, account and Region.

    Buckets (:func:`~govcdk.constructs._log_buckets.log_bucket_names`; names are deterministic,
    visible outside the GovCloud boundary, identifiers only):

    - :attr:`archive_bucket` ``<code>-audit-archive-<account>-<region>``: Object Lock with a
      default retention of ``object_lock_days`` (default 913) in ``object_lock_mode``
      (COMPLIANCE at impact level High: nobody, root included, can delete a record early;
      GOVERNANCE otherwise), versioned, SSE-KMS with the keyring's ``cloudtrail`` key and an S3
      Bucket Key, a bucket policy denying requests without TLS (``aws:SecureTransport`` false)
      or below TLS 1.2, public access blocked (all four settings), ACLs disabled. Lifecycle (OMB
      M-21-31: 12 months active, 30 months in all): S3 Standard for ``online_days`` (default
      365), then ``archive_storage_class`` (GLACIER or DEEP_ARCHIVE); no expiration unless
      ``expiration_days`` (>= 913 and >= ``object_lock_days``). Server access logs go to the
      access-log bucket. Retained on stack deletion. Sources: AU-9, AU-11, SC-28(1); Amazon S3
      User Guide, "Locking objects with Object Lock", "Managing the lifecycle of objects".
    - :attr:`access_log_bucket` ``<code>-audit-s3logs-<account>-<region>``: server access
      logs of the archive. Amazon S3 User Guide, "Enabling Amazon S3 server access logging":
      the destination may use only SSE-S3 default encryption (SSE-KMS is not supported) and
      cannot have Object Lock; so SSE-S3, versioned, TLS-only, public access blocked, the same
      lifecycle, no Object Lock.

    Trail (:attr:`trail`, ``govcdk-<code>``; unless ``trail=False``): multi-Region, global
    service events, log file validation (AU-9, SI-7(1)), log files encrypted with the
    ``cloudtrail`` key, delivered to the archive under ``cloudtrail/`` and to the CloudWatch
    Logs log group :attr:`trail_log_group` ``/govcdk/<code>/cloudtrail`` (encrypted with the
    ``logs`` key, kept ``log_retention_days``, >= 365, retained), through the role
    :attr:`trail_logs_role` that only CloudTrail of this account may assume, for this trail
    (``aws:SourceAccount``, ``aws:SourceArn``), with its permissions in the customer managed
    policy :attr:`trail_logs_policy`. Management events (reads and writes) and S3
    data events (reads and writes) for the archive and access-log buckets, the replica buckets
    when replicating, and ``data_event_bucket_arns``. The trail records its own deliveries to
    the archive as data events (CloudTrail User Guide, "Suppressing recursive events with
    recursive logging": ``RecursiveLogging`` is not in CloudFormation's GovCloud schema yet).
    Sources: AU-2, AU-3, AU-12, AU-6(1); CloudTrail User Guide, "Creating a trail", "Logging
    data events", "Amazon S3 bucket policy for CloudTrail", "Sending events to CloudWatch Logs".

    AWS Config (unless ``config_recorder=False``): recorder :attr:`config_recorder`
    ``govcdk-<code>`` of all supported resource types and global resource types (CM-8, CA-7),
    through the role :attr:`config_role` (AWS managed policy ``service-role/AWS_ConfigRole``,
    assumable by AWS Config of this account only; delivery permissions in the customer managed
    policy :attr:`config_policy`); delivery channel :attr:`delivery_channel`
    to the archive under ``config/``, daily snapshots, SSE-KMS with the ``cloudtrail`` key
    (AWS Config Developer Guide, "Permissions for the Amazon S3 Bucket", "Permissions for the
    KMS Key").

    GuardDuty (:attr:`guardduty_detector`; unless ``guardduty=False``): a detector, findings
    published every 15 minutes (SI-4, RA-5). Security Hub (:attr:`security_hub`; unless
    ``security_hub=False``): the hub with consolidated control findings, no default standards,
    and a subscription to NIST SP 800-53 Rev. 5 (:attr:`nist_standard`,
    ``arn:<partition>:securityhub:<region>::standards/nist-800-53/v/5.0.0``; CA-7, RA-5).

    A service the agency's landing zone already runs in the account and Region is turned off
    here (``False``): it is then not created, and AWS allows only one recorder, detector and hub
    per account and Region anyway.

    Replication (``replicate_to``, the other GovCloud Region; required at High, AU-9(2)): a
    replication role :attr:`replication_role` assumable by S3 of this account (permissions in
    the customer managed policy :attr:`replication_policy`), and a rule on each bucket (all objects,
    delete markers not replicated, SSE-KMS objects re-encrypted with the replica Region's key
    ``alias/<code>/audit-replica``) to the replica buckets of :class:`AuditLogReplica`
    (``<code>-audit-replica-<account>-<region>``, ``<code>-audit-replica-s3logs-...``), named,
    not referenced, so no cross-Region reference is needed. S3 checks that the destination
    exists when replication is configured: deploy the replica stack first (Amazon S3 User
    Guide, "Replicating objects within and across Regions", "Replicating encrypted objects").
    Without replication (Moderate, Low), GOV-S3-005 and cdk-nag's
    ``NIST.800.53.R5-S3BucketReplicationEnabled`` are acknowledged on both buckets with the
    impact level as reason.

    Every role's permissions are a customer managed policy, not an inline one (AC-6, CM-5(1):
    versioned and reviewable on their own; cdk-nag ``NIST.800.53.R5-IAMNoInlinePolicy``). The
    access-log buckets acknowledge cdk-nag's SSE-KMS rule and checkov's access-logging check
    (:func:`~govcdk.constructs._log_buckets.access_log_bucket`).

    :param keyring: the :class:`~govcdk.constructs.AgencyKeyring` with ``cloudtrail`` and
        ``logs`` keys (the ``cloudtrail`` key usable through S3, :data:`~govcdk.constructs.
        keyring.VIA_SERVICE`).
    :param agency_code: 1..12 of a-z0-9, starting with a letter; names buckets, trail, log group.
    :param impact_level: ``low``, ``moderate`` or ``high``; sets the defaults of
        ``object_lock_mode`` and whether replication is required.
    :param object_lock_mode: ``compliance`` or ``governance``; default compliance at High,
        governance otherwise. High allows compliance only.
    :param object_lock_days: Object Lock default retention, 365..36500 days (913..36500 at
        High), default 913.
    :param online_days: days in S3 Standard, >= 365, default 365.
    :param archive_storage_class: ``glacier`` (default) or ``deep_archive``.
    :param expiration_days: ``None`` (default: keep forever) or >= 913, >= ``object_lock_days``
        and > ``online_days``.
    :param log_retention_days: the trail log group's retention, a CloudWatch Logs value >= 365
        (AU-11), default 365.
    :param data_event_bucket_arns: more bucket ARNs (tokens welcome, never the commercial partition) whose
        S3 data events the trail records.
    :param trail: ``config_recorder``, ``guardduty``, ``security_hub``: create the service
        (default True) or leave it to the landing zone (False).
    :param replicate_to: the other GovCloud Region, or ``None`` (default) for no replication.
    :raises ValueError: a bad agency code, impact level or retention setting, governance mode or
        no replication at High, replication to the stack's own Region or outside GovCloud, a
        stack without a literal account and Region, a data-event ARN that is not an S3 bucket
        ARN or hard-codes the commercial partition; :class:`~govcdk.constructs.UnknownKeyPurposeError` for a
        keyring without a ``cloudtrail`` or ``logs`` key.
    """

    def __init__(self, scope: Construct, id: str, *, keyring: "AgencyKeyring", agency_code: str,
                 impact_level: str, object_lock_mode: str | None = None,
                 object_lock_days: int = buckets.MIN_ARCHIVE_DAYS,
                 online_days: int = buckets.MIN_ONLINE_DAYS, archive_storage_class: str = "glacier",
                 expiration_days: int | None = None, log_retention_days: int = MIN_LOG_RETENTION_DAYS,
                 data_event_bucket_arns: Sequence[str] = (), trail: bool = True,
                 config_recorder: bool = True, guardduty: bool = True, security_hub: bool = True,
                 replicate_to: str | None = None) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        _check_common(agency_code, impact_level)
        mode = buckets.check_retention(
            lock_mode=object_lock_mode, lock_days=object_lock_days, online_days=online_days,
            storage_class=archive_storage_class, expiration_days=expiration_days,
            impact_level=impact_level)
        if isinstance(log_retention_days, bool) or log_retention_days not in VALID_LOG_RETENTION_DAYS \
                or log_retention_days < MIN_LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days={log_retention_days!r}: allowed a CloudWatch Logs "
                             f"retention >= {MIN_LOG_RETENTION_DAYS}: "
                             + ", ".join(str(d) for d in VALID_LOG_RETENTION_DAYS if d >= MIN_LOG_RETENTION_DAYS))
        for name, value in (("trail", trail), ("config_recorder", config_recorder),
                            ("guardduty", guardduty), ("security_hub", security_hub)):
            if not isinstance(value, bool):
                raise ValueError(f"{name}={value!r}: give True (create it) or False (the landing zone "
                                 "provides it)")
        extra_arns = _check_bucket_arns(data_event_bucket_arns)
        govcloud.check_stack_region(stack.region)
        if replicate_to is not None:
            if not govcloud.is_govcloud(replicate_to) or replicate_to == stack.region:
                raise ValueError(f"replicate_to={replicate_to!r}: allowed the other GovCloud Region, "
                                 f"{govcloud.region(stack.region).other}")
        elif impact_level == "high":
            raise ValueError("replicate_to=None at impact level high: give the other GovCloud Region "
                             f"({govcloud.region(stack.region).other}); AU-9(2) requires audit records "
                             "on a physically separate system")

        self.agency_code = agency_code
        self.impact_level = impact_level
        self.object_lock_mode = mode
        self.names: LogBucketNames = log_bucket_names(agency_code, stack.account, stack.region)
        self.replica_names: LogBucketNames | None = (
            log_bucket_names(agency_code, stack.account, replicate_to, replica=True)
            if replicate_to is not None else None)
        self.replicate_to = replicate_to
        archive_key = keyring.key_for("cloudtrail")
        logs_key = keyring.key_for("logs")
        self.access_log_bucket, self.archive_bucket = buckets.log_bucket_pair(
            self, self.names, key=archive_key, lock_mode=mode, lock_days=object_lock_days,
            online_days=online_days, storage_class=archive_storage_class,
            expiration_days=expiration_days)

        partition, account, region = Aws.PARTITION, stack.account, stack.region
        self.replication_role: iam.Role | None = None
        self.replication_policy: iam.ManagedPolicy | None = None
        if self.replica_names is not None:
            self._replicate(archive_key.key_arn)
        else:
            reason = no_replication_reason(impact_level)
            for bucket in (self.archive_bucket, self.access_log_bucket):
                suppress(bucket, id="GOV-S3-005", reason=reason)
                acknowledge(bucket, tool=TOOL_CDK_NAG, id=NAG_REPLICATION, reason=reason)

        # -- CloudTrail -------------------------------------------------------------------------
        self.trail: cloudtrail.CfnTrail | None = None
        self.trail_log_group: logs.CfnLogGroup | None = None
        self.trail_logs_role: iam.Role | None = None
        self.trail_logs_policy: iam.ManagedPolicy | None = None
        if trail:
            name = trail_name(agency_code)
            trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=name)
            cloudtrail_principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
            self.archive_bucket.add_to_resource_policy(iam.PolicyStatement(
                sid="CloudTrailAclCheck", principals=[cloudtrail_principal], actions=["s3:GetBucketAcl"],
                resources=[self.archive_bucket.bucket_arn],
                conditions={"StringEquals": {"aws:SourceArn": trail_arn}}))
            self.archive_bucket.add_to_resource_policy(iam.PolicyStatement(
                sid="CloudTrailWrite", principals=[cloudtrail_principal], actions=["s3:PutObject"],
                resources=[self.archive_bucket.arn_for_objects(f"{TRAIL_PREFIX}/AWSLogs/{account}/*")],
                conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                             "aws:SourceArn": trail_arn}}))
            group_name = trail_log_group_name(agency_code)
            self.trail_log_group = logs.CfnLogGroup(
                self, "TrailLogGroup", log_group_name=group_name, kms_key_id=logs_key.key_arn,
                retention_in_days=log_retention_days)
            self.trail_log_group.apply_removal_policy(RemovalPolicy.RETAIN)
            self.trail_logs_role = iam.Role(
                self, "TrailLogsRole",
                assumed_by=iam.ServicePrincipal("cloudtrail.amazonaws.com", conditions={
                    "StringEquals": {"aws:SourceAccount": account, "aws:SourceArn": trail_arn}}),
                description=f"CloudTrail: deliver trail {name} to CloudWatch Logs")
            self.trail_logs_policy = iam.ManagedPolicy(
                self, "TrailLogsPolicy", roles=[self.trail_logs_role],
                description=f"CloudTrail: write trail {name} to its log group only",
                statements=[iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"arn:{partition}:logs:{region}:{account}:log-group:{group_name}:log-stream:*"])])
            data_buckets = [f"{self.archive_bucket.bucket_arn}/", f"{self.access_log_bucket.bucket_arn}/"]
            if self.replica_names is not None:
                data_buckets += [f"arn:{partition}:s3:::{n}/" for n in
                                 (self.replica_names.archive, self.replica_names.access_logs)]
            data_buckets += [a if a.endswith("/") else f"{a}/" for a in extra_arns]
            self.trail = cloudtrail.CfnTrail(
                self, "Trail",
                trail_name=name,
                is_logging=True,
                is_multi_region_trail=True,
                include_global_service_events=True,
                enable_log_file_validation=True,
                kms_key_id=archive_key.key_arn,
                s3_bucket_name=self.archive_bucket.bucket_name,
                s3_key_prefix=TRAIL_PREFIX,
                cloud_watch_logs_log_group_arn=self.trail_log_group.attr_arn,
                cloud_watch_logs_role_arn=self.trail_logs_role.role_arn,
                event_selectors=[cloudtrail.CfnTrail.EventSelectorProperty(
                    include_management_events=True, read_write_type="All",
                    data_resources=[cloudtrail.CfnTrail.DataResourceProperty(
                        type="AWS::S3::Object", values=data_buckets)])],
            )
            # CloudTrail checks the bucket policy and the role when the trail is created.
            self.trail.node.add_dependency(self.archive_bucket.policy)  # type: ignore[arg-type]
            self.trail.node.add_dependency(self.trail_logs_policy)

        # -- AWS Config -------------------------------------------------------------------------
        self.config_role: iam.Role | None = None
        self.config_policy: iam.ManagedPolicy | None = None
        self.config_recorder: awsconfig.CfnConfigurationRecorder | None = None
        self.delivery_channel: awsconfig.CfnDeliveryChannel | None = None
        if config_recorder:
            self.config_role = iam.Role(
                self, "ConfigRole",
                assumed_by=iam.ServicePrincipal("config.amazonaws.com", conditions={
                    "StringEquals": {"aws:SourceAccount": account}}),
                managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")],
                description="AWS Config: record resource configurations and deliver them to the log archive")
            self.config_policy = iam.ManagedPolicy(
                self, "ConfigPolicy", roles=[self.config_role],
                description="AWS Config: deliver to the log archive under config/ only",
                statements=[
                    iam.PolicyStatement(
                        sid="DeliverToArchive", actions=["s3:PutObject"],
                        resources=[self.archive_bucket.arn_for_objects(f"{CONFIG_PREFIX}/AWSLogs/{account}/*")],
                        conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
                    iam.PolicyStatement(
                        sid="CheckArchiveAcl", actions=["s3:GetBucketAcl"],
                        resources=[self.archive_bucket.bucket_arn]),
                    iam.PolicyStatement(
                        sid="EncryptForArchive", actions=["kms:GenerateDataKey", "kms:Decrypt"],
                        resources=[archive_key.key_arn],
                        conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
                ])
            self.config_recorder = awsconfig.CfnConfigurationRecorder(
                self, "ConfigRecorder", name=f"govcdk-{agency_code}", role_arn=self.config_role.role_arn,
                recording_group=awsconfig.CfnConfigurationRecorder.RecordingGroupProperty(
                    all_supported=True, include_global_resource_types=True))
            self.delivery_channel = awsconfig.CfnDeliveryChannel(
                self, "ConfigDeliveryChannel", name=f"govcdk-{agency_code}",
                s3_bucket_name=self.archive_bucket.bucket_name, s3_key_prefix=CONFIG_PREFIX,
                s3_kms_key_arn=archive_key.key_arn,
                config_snapshot_delivery_properties=awsconfig.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                    delivery_frequency="TwentyFour_Hours"))
            # AWS Config needs the recorder before the channel, and checks delivery on creation.
            self.delivery_channel.node.add_dependency(self.config_recorder)
            self.delivery_channel.node.add_dependency(self.config_role, self.config_policy)

        # -- GuardDuty, Security Hub ------------------------------------------------------------
        self.guardduty_detector = awsguardduty.CfnDetector(
            self, "GuardDutyDetector", enable=True, finding_publishing_frequency="FIFTEEN_MINUTES",
        ) if guardduty else None
        self.security_hub: awssecurityhub.CfnHub | None = None
        self.nist_standard: awssecurityhub.CfnStandard | None = None
        if security_hub:
            self.security_hub = awssecurityhub.CfnHub(
                self, "SecurityHub", enable_default_standards=False,
                control_finding_generator="SECURITY_CONTROL", auto_enable_controls=True)
            self.nist_standard = awssecurityhub.CfnStandard(
                self, "Nist80053Rev5",
                standards_arn=stack.format_arn(service="securityhub", account="", resource="standards",
                                               resource_name=NIST_800_53_REV5))
            self.nist_standard.node.add_dependency(self.security_hub)
        self.provided_by_landing_zone: tuple[str, ...] = tuple(
            s for s, on in zip(_SERVICES, (trail, config_recorder, guardduty, security_hub)) if not on)

    def _replicate(self, source_key_arn: str) -> None:
        stack = Stack.of(self)
        assert self.replica_names is not None and self.replicate_to is not None
        partition, account, region, dest = Aws.PARTITION, stack.account, stack.region, self.replicate_to
        s3_arn = f"arn:{partition}:s3:::"
        sources = (self.names.archive, self.names.access_logs)
        targets = (self.replica_names.archive, self.replica_names.access_logs)
        alias = f"alias/{self.agency_code}/{REPLICA_KEY_PURPOSE}"
        role = iam.Role(
            self, "ReplicationRole",
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": account}}),
            description=f"S3 replication of the log archive to {dest}")
        # The replica key lives in the other Region's stack; its ARN holds a random key id, so the
        # EncryptReplicas statement names it by alias (AWS KMS Developer Guide, "kms:ResourceAliases").
        policy = iam.ManagedPolicy(
            self, "ReplicationPolicy", roles=[role],
            description=f"S3 replication of the log archive buckets to their replicas in {dest}",
            statements=[
                iam.PolicyStatement(
                    sid="ReadSourceConfiguration", actions=["s3:GetReplicationConfiguration", "s3:ListBucket"],
                    resources=[f"{s3_arn}{b}" for b in sources]),
                iam.PolicyStatement(
                    sid="ReadSourceObjects",
                    actions=["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                             "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"],
                    resources=[f"{s3_arn}{b}/*" for b in sources]),
                iam.PolicyStatement(
                    sid="WriteReplicas", actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                    resources=[f"{s3_arn}{b}/*" for b in targets]),
                iam.PolicyStatement(
                    sid="DecryptSource", actions=["kms:Decrypt"], resources=[source_key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}),
                iam.PolicyStatement(
                    sid="EncryptReplicas", actions=["kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[f"arn:{partition}:kms:{dest}:{account}:key/*"],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{dest}.amazonaws.com"},
                                "ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}),
            ])
        self.replication_policy = policy
        self.replication_role = role
        for bucket, target, encrypted in ((self.archive_bucket, targets[0], True),
                                          (self.access_log_bucket, targets[1], False)):
            # Replication starts with the bucket, so the role may already read and write then.
            bucket.node.add_dependency(policy)
            cfn = bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.replication_configuration = s3.CfnBucket.ReplicationConfigurationProperty(
                role=role.role_arn,
                rules=[s3.CfnBucket.ReplicationRuleProperty(
                    id=f"to-{dest}", status="Enabled", priority=1,
                    filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                    delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(status="Disabled"),
                    destination=s3.CfnBucket.ReplicationDestinationProperty(
                        bucket=f"{s3_arn}{target}",
                        encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                            replica_kms_key_id=f"arn:{partition}:kms:{dest}:{account}:{alias}") if encrypted else None),
                    source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                        sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(status="Enabled"))
                    if encrypted else None,
                )])


_S3_BUCKET_ARN = re.compile(r"^arn:aws-us-gov:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/?$")


def _check_common(agency_code: object, impact_level: object) -> None:
    if not (isinstance(agency_code, str) and AGENCY_CODE_RE.fullmatch(agency_code)):
        raise ValueError(f"agency_code={agency_code!r}: allowed 1..12 of a-z and 0-9, starting with a letter")
    if impact_level not in ("low", "moderate", "high"):
        raise ValueError(f"impact_level={impact_level!r}: allowed low, moderate, high")


def _check_bucket_arns(arns: Sequence[str]) -> list[str]:
    if isinstance(arns, str):
        raise ValueError("data_event_bucket_arns: give a list of S3 bucket ARNs, not one string")
    out = []
    for arn in arns:
        if not isinstance(arn, str):
            raise ValueError(f"data_event_bucket_arns: {arn!r} is not a string")
        if Token.is_unresolved(arn):
            out.append(arn)
            continue
        if arn.startswith("arn:" + "aws:"):
            raise ValueError(f"data_event_bucket_arns: {arn!r} hard-codes the commercial partition; "
                             "use arn:${AWS::Partition}:s3:::<bucket> (Aws.PARTITION) or the bucket's bucket_arn")
        if not _S3_BUCKET_ARN.fullmatch(arn):
            raise ValueError(f"data_event_bucket_arns: {arn!r} is not an S3 bucket ARN "
                             "(arn:aws-us-gov:s3:::<bucket>, or a token such as bucket.bucket_arn)")
        out.append(arn)
    return out
