"""AuditLogging and AuditLogReplica: Object Lock mode per impact level, the OMB M-21-31 lifecycle,
the trail, its log group, the TLS-only bucket policies, replication, the landing-zone switches,
their errors, and govcdk's rules over the result. One synthesis of one app for the module."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Aws, Environment, Stack
from aws_cdk import aws_s3 as s3

from govcdk.constructs import AgencyKeyring, AuditLogging, AuditLogReplica
from govcdk.constructs._log_buckets import log_bucket_names
from govcdk.constructs.keyring import UnknownKeyPurposeError
from govcdk.policies import Status, check
from govcdk.stacks.agency import FEATURE_FLAGS

ACCOUNT = "111111111111"
WEST, EAST = "us-gov-west-1", "us-gov-east-1"


def _stack(app: App, name: str, region: str = WEST) -> Stack:
    return Stack(app, name, env=Environment(account=ACCOUNT, region=region))


def _keyring(stack: Stack, code: str) -> AgencyKeyring:
    return AgencyKeyring(stack, "Keys", agency_code=code, purposes=["cloudtrail", "logs"])


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    """Stacks: ``High`` (replicating to us-gov-east-1, with ``HighReplica`` there), ``Moderate``
    (defaults, logs kept 731 days), ``LandingZone`` (every service from the landing zone,
    Object Lock 400 days, DEEP_ARCHIVE, expiration after 1096 days), ``MoreData`` (Low in
    compliance mode, three more data-event buckets: one of the stack, two by ARN)."""
    out = tmp_path_factory.mktemp("audit") / "cdk.out"
    app = App(context=FEATURE_FLAGS, outdir=str(out))
    high = _stack(app, "High")
    constructs = {"High": AuditLogging(high, "Audit", keyring=_keyring(high, "hi"), agency_code="hi",
                                       impact_level="high", replicate_to=EAST)}
    replica = _stack(app, "HighReplica", EAST)
    keys = AgencyKeyring(replica, "Keys", agency_code="hi", purposes=["audit-replica"],
                         via_services={"audit-replica": "s3"})
    constructs["HighReplica"] = AuditLogReplica(replica, "Replica", key=keys.key_for("audit-replica"),
                                                agency_code="hi", impact_level="high", source_region=WEST)
    moderate = _stack(app, "Moderate")
    constructs["Moderate"] = AuditLogging(moderate, "Audit", keyring=_keyring(moderate, "mod"), agency_code="mod",
                                          impact_level="moderate", log_retention_days=731)
    lz = _stack(app, "LandingZone")
    constructs["LandingZone"] = AuditLogging(
        lz, "Audit", keyring=_keyring(lz, "lz"), agency_code="lz", impact_level="moderate",
        trail=False, config_recorder=False, guardduty=False, security_hub=False,
        expiration_days=1096, archive_storage_class="deep_archive", object_lock_days=400)
    more = _stack(app, "MoreData")
    data = s3.Bucket(more, "Data", versioned=True)
    constructs["MoreData"] = AuditLogging(
        more, "Audit", keyring=_keyring(more, "low"), agency_code="low", impact_level="low",
        object_lock_mode="compliance",
        data_event_bucket_arns=[data.bucket_arn, f"arn:{Aws.PARTITION}:s3:::shared-datasets",
                                "arn:aws-us-gov:s3:::agency-models/"])
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    return templates, constructs, out


def _of_type(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _bucket(template: dict, role: str) -> dict:
    """The archive (``archive``) or access-log (``s3logs``) bucket by its name."""
    (b,) = [r for r in _of_type(template, "AWS::S3::Bucket").values()
            if "-audit-" in r["Properties"].get("BucketName", "")
            and ("-s3logs-" in r["Properties"]["BucketName"]) == (role == "s3logs")]
    return b["Properties"]


# -- buckets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stack, mode, days", [
    ("High", "COMPLIANCE", 913), ("HighReplica", "COMPLIANCE", 913), ("Moderate", "GOVERNANCE", 913),
    ("LandingZone", "GOVERNANCE", 400), ("MoreData", "COMPLIANCE", 913),
])
def test_archive_object_lock_mode_follows_impact_level(synthesized, stack, mode, days):
    templates, _, _ = synthesized
    b = _bucket(templates[stack], "archive")
    assert b["ObjectLockEnabled"] is True
    assert b["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled",
                                            "Rule": {"DefaultRetention": {"Mode": mode, "Days": days}}}
    assert b["VersioningConfiguration"] == {"Status": "Enabled"}


def test_archive_lifecycle_online_year_then_glacier_never_expires(synthesized):
    templates, _, _ = synthesized
    (rule,) = _bucket(templates["High"], "archive")["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": 365}]
    assert rule["NoncurrentVersionTransitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": 365}]
    assert "ExpirationInDays" not in rule and "NoncurrentVersionExpiration" not in rule


def test_lifecycle_expiration_at_or_after_913_days(synthesized):
    templates, _, _ = synthesized
    for role in ("archive", "s3logs"):
        (rule,) = _bucket(templates["LandingZone"], role)["LifecycleConfiguration"]["Rules"]
        assert rule["Transitions"] == [{"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 365}]
        assert rule["ExpirationInDays"] == 1096 >= 913
        assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1096}


@pytest.mark.parametrize("stack", ["High", "HighReplica", "Moderate", "LandingZone"])
def test_archive_sse_kms_with_bucket_key_and_access_logs(synthesized, stack):
    templates, _, _ = synthesized
    t = templates[stack]
    b = _bucket(t, "archive")
    (enc,) = b["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert enc["BucketKeyEnabled"] is True
    assert enc["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    (key_id,) = [k for k in _of_type(t, "AWS::KMS::Key")
                 if k in json.dumps(enc["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])
                 and ("Cloudtrail" in k or "AuditReplica" in k)]
    assert b["LoggingConfiguration"]["LogFilePrefix"] == f"s3-access-logs/{b['BucketName']}/"
    (logs_id,) = [k for k, r in _of_type(t, "AWS::S3::Bucket").items() if "s3logs" in r["Properties"]["BucketName"]]
    assert b["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    assert b["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                  "IgnorePublicAcls": True, "RestrictPublicBuckets": True}


@pytest.mark.parametrize("stack", ["High", "HighReplica", "Moderate"])
def test_access_log_bucket_sse_s3_no_object_lock(synthesized, stack):
    """S3 server access logging accepts only SSE-S3 and no Object Lock on the destination
    (Amazon S3 User Guide, "Enabling Amazon S3 server access logging")."""
    templates, _, _ = synthesized
    b = _bucket(templates[stack], "s3logs")
    assert b["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert "ObjectLockEnabled" not in b and "ObjectLockConfiguration" not in b
    assert "LoggingConfiguration" not in b
    assert b["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(b["PublicAccessBlockConfiguration"].values())
    (rule,) = b["LifecycleConfiguration"]["Rules"]
    assert rule["Transitions"] == [{"StorageClass": "GLACIER", "TransitionInDays": 365}]
    assert "ExpirationInDays" not in rule


@pytest.mark.parametrize("stack", ["High", "HighReplica", "Moderate", "LandingZone"])
def test_every_bucket_policy_denies_requests_without_tls(synthesized, stack):
    templates, _, _ = synthesized
    t = templates[stack]
    policies = _of_type(t, "AWS::S3::BucketPolicy")
    assert {p["Properties"]["Bucket"]["Ref"] for p in policies.values()} == set(_of_type(t, "AWS::S3::Bucket"))
    for p in policies.values():
        bucket = p["Properties"]["Bucket"]["Ref"]
        statements = p["Properties"]["PolicyDocument"]["Statement"]
        (tls,) = [s for s in statements if s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}]
        assert tls["Effect"] == "Deny" and tls["Principal"] == {"AWS": "*"} and tls["Action"] == "s3:*"
        assert tls["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]},
                                   {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/*"]]}]
        (old,) = [s for s in statements if "NumericLessThan" in s.get("Condition", {})]
        assert old["Effect"] == "Deny" and old["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}


def test_buckets_are_retained_and_named_deterministically(synthesized):
    templates, constructs, _ = synthesized
    names = {r["Properties"]["BucketName"]: r for t in (templates["High"], templates["HighReplica"])
             for r in _of_type(t, "AWS::S3::Bucket").values()}
    assert sorted(names) == sorted([
        "hi-audit-archive-111111111111-us-gov-west-1", "hi-audit-s3logs-111111111111-us-gov-west-1",
        "hi-audit-replica-111111111111-us-gov-east-1", "hi-audit-replica-s3logs-111111111111-us-gov-east-1"])
    assert all(r["DeletionPolicy"] == "Retain" and r["UpdateReplacePolicy"] == "Retain" for r in names.values())
    assert constructs["High"].replica_names == constructs["HighReplica"].names


def test_bucket_names_fit_s3_limit_for_longest_code():
    for replica in (False, True):
        for region in (WEST, EAST):
            names = log_bucket_names("abcdefghijkl", ACCOUNT, region, replica=replica)
            assert max(len(names.archive), len(names.access_logs)) <= 63


# -- trail -----------------------------------------------------------------------------------


def test_trail_properties(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    ((trail_id, trail),) = _of_type(t, "AWS::CloudTrail::Trail").items()
    p = trail["Properties"]
    assert p["TrailName"] == "govcdk-hi"
    assert p["IsLogging"] is True and p["IsMultiRegionTrail"] is True
    assert p["IncludeGlobalServiceEvents"] is True and p["EnableLogFileValidation"] is True
    (ct_key,) = [k for k in _of_type(t, "AWS::KMS::Key") if "Cloudtrail" in k]
    assert p["KMSKeyId"] == {"Fn::GetAtt": [ct_key, "Arn"]}
    (archive_id,) = [k for k, r in _of_type(t, "AWS::S3::Bucket").items() if "-archive-" in r["Properties"]["BucketName"]]
    assert p["S3BucketName"] == {"Ref": archive_id} and p["S3KeyPrefix"] == "cloudtrail"
    (group_id,) = _of_type(t, "AWS::Logs::LogGroup")
    assert p["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": [group_id, "Arn"]}
    (selector,) = p["EventSelectors"]
    assert selector["IncludeManagementEvents"] is True and selector["ReadWriteType"] == "All"
    (data,) = selector["DataResources"]
    assert data["Type"] == "AWS::S3::Object"
    text = json.dumps(data["Values"])
    for name in ("hi-audit-replica-111111111111-us-gov-east-1/", "hi-audit-replica-s3logs-111111111111-us-gov-east-1/"):
        assert name in text
    assert len(data["Values"]) == 4   # archive, access logs, and both replicas
    # CloudTrail validates the bucket policy and the role when the trail is created.
    assert any(d.startswith("AuditArchiveBucketPolicy") for d in trail["DependsOn"]), trail["DependsOn"]
    assert any(d.startswith("AuditTrailLogsPolicy") for d in trail["DependsOn"]), trail["DependsOn"]


def test_bucket_policy_lets_only_this_trail_write_under_its_prefix(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    (policy,) = [p for p in _of_type(t, "AWS::S3::BucketPolicy").values()
                 if "CloudTrailWrite" in json.dumps(p)]
    statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    trail_arn = "arn:aws-us-gov:cloudtrail:us-gov-west-1:111111111111:trail/govcdk-hi"
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and write["Action"] == "s3:PutObject"
    assert write["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                   "aws:SourceArn": trail_arn}}
    assert "/cloudtrail/AWSLogs/111111111111/*" in json.dumps(write["Resource"])
    assert statements["CloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail_arn}}


def test_trail_log_group_encrypted_and_retained(synthesized):
    templates, _, _ = synthesized
    for stack, days in (("High", 365), ("Moderate", 731)):
        t = templates[stack]
        ((gid, group),) = _of_type(t, "AWS::Logs::LogGroup").items()
        (logs_key,) = [k for k in _of_type(t, "AWS::KMS::Key") if "Logs" in k]
        assert group["Properties"]["RetentionInDays"] == days >= 365
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [logs_key, "Arn"]}
        assert group["Properties"]["LogGroupName"].endswith("/cloudtrail")
        assert group["DeletionPolicy"] == "Retain"


def test_trail_logs_role_trusts_only_this_trail(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    (role,) = [r for r in _of_type(t, "AWS::IAM::Role").values()
               if "cloudtrail.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
    (st,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert st["Condition"] == {"StringEquals": {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": "arn:aws-us-gov:cloudtrail:us-gov-west-1:111111111111:trail/govcdk-hi"}}


def test_extra_data_event_buckets(synthesized):
    templates, _, _ = synthesized
    t = templates["MoreData"]
    ((_, trail),) = _of_type(t, "AWS::CloudTrail::Trail").items()
    values = trail["Properties"]["EventSelectors"][0]["DataResources"][0]["Values"]
    text = json.dumps(values)
    (data_id,) = [k for k, r in _of_type(t, "AWS::S3::Bucket").items() if "BucketName" not in r["Properties"]]
    assert len(values) == 5 and f'"{data_id}"' in text and ":s3:::shared-datasets/" in text
    assert "arn:aws-us-gov:s3:::agency-models/" in values


# -- Config, GuardDuty, Security Hub ----------------------------------------------------------


def test_config_recorder_all_resources_to_the_archive(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    ((_, rec),) = _of_type(t, "AWS::Config::ConfigurationRecorder").items()
    assert rec["Properties"]["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": True}
    ((_, channel),) = _of_type(t, "AWS::Config::DeliveryChannel").items()
    (archive_id,) = [k for k, r in _of_type(t, "AWS::S3::Bucket").items() if "-archive-" in r["Properties"]["BucketName"]]
    assert channel["Properties"]["S3BucketName"] == {"Ref": archive_id}
    assert channel["Properties"]["S3KeyPrefix"] == "config"
    (ct_key,) = [k for k in _of_type(t, "AWS::KMS::Key") if "Cloudtrail" in k]
    assert channel["Properties"]["S3KmsKeyArn"] == {"Fn::GetAtt": [ct_key, "Arn"]}
    assert any(d.startswith("AuditConfigRecorder") for d in channel["DependsOn"])


def test_guardduty_and_security_hub_nist_800_53_rev5(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    ((_, detector),) = _of_type(t, "AWS::GuardDuty::Detector").items()
    assert detector["Properties"]["Enable"] is True
    ((hub_id, hub),) = _of_type(t, "AWS::SecurityHub::Hub").items()
    assert hub["Properties"]["EnableDefaultStandards"] is False
    ((_, std),) = _of_type(t, "AWS::SecurityHub::Standard").items()
    assert std["Properties"]["StandardsArn"] == \
        "arn:aws-us-gov:securityhub:us-gov-west-1::standards/nist-800-53/v/5.0.0"
    assert std["DependsOn"] == [hub_id]


def test_landing_zone_switches_create_none_of_the_services(synthesized):
    templates, constructs, _ = synthesized
    t = templates["LandingZone"]
    types = {r["Type"] for r in t["Resources"].values()}
    assert not {"AWS::CloudTrail::Trail", "AWS::Logs::LogGroup", "AWS::Config::ConfigurationRecorder",
                "AWS::Config::DeliveryChannel", "AWS::GuardDuty::Detector", "AWS::SecurityHub::Hub",
                "AWS::SecurityHub::Standard"} & types
    assert len(_of_type(t, "AWS::S3::Bucket")) == 2   # the archive stays the agency's
    lz = constructs["LandingZone"]
    assert lz.provided_by_landing_zone == ("trail", "config", "guardduty", "security_hub")
    assert lz.trail is None and lz.config_recorder is None and lz.guardduty_detector is None
    assert constructs["High"].provided_by_landing_zone == ()


# -- replication -----------------------------------------------------------------------------


def test_high_archive_replicates_to_the_other_region_with_kms(synthesized):
    templates, _, _ = synthesized
    t = templates["High"]
    b = _bucket(t, "archive")
    (rule,) = b["ReplicationConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["DeleteMarkerReplication"] == {"Status": "Disabled"}
    assert rule["Filter"] == {"Prefix": ""}
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    dest = json.dumps(rule["Destination"])
    assert ":s3:::hi-audit-replica-111111111111-us-gov-east-1" in dest
    assert ":kms:us-gov-east-1:111111111111:alias/hi/audit-replica" in dest
    (logs_rule,) = _bucket(t, "s3logs")["ReplicationConfiguration"]["Rules"]
    assert ":s3:::hi-audit-replica-s3logs-111111111111-us-gov-east-1" in json.dumps(logs_rule["Destination"])
    # the replication role: S3 of this account only; decrypt the source, encrypt with the replica key
    (role_id,) = [k for k, r in _of_type(t, "AWS::IAM::Role").items()
                  if "s3.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
    assert b["ReplicationConfiguration"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
    (policy,) = [p for p in _of_type(t, "AWS::IAM::ManagedPolicy").values()
                 if p["Properties"]["Roles"] == [{"Ref": role_id}]]
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert by_sid["EncryptReplicas"]["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": "alias/hi/audit-replica"}
    assert by_sid["EncryptReplicas"]["Condition"]["StringEquals"] == {"kms:ViaService": "s3.us-gov-east-1.amazonaws.com"}
    assert by_sid["DecryptSource"]["Action"] == "kms:Decrypt"


def test_no_replication_below_high_is_acknowledged(synthesized):
    templates, _, _ = synthesized
    for role in ("archive", "s3logs"):
        b = _bucket(templates["Moderate"], role)
        assert "ReplicationConfiguration" not in b
    for r in _of_type(templates["Moderate"], "AWS::S3::Bucket").values():
        (s,) = r["Metadata"]["govcdk"]["suppressions"]
        assert s["id"] == "GOV-S3-005" and "impact level moderate" in s["reason"] and "expires" not in s


# -- IAM and other tools' acknowledgements ----------------------------------------------------


def test_role_permissions_are_customer_managed_policies(synthesized):
    """No inline policy (cdk-nag NIST.800.53.R5-IAMNoInlinePolicy): the trail's, AWS Config's and
    the replication role's permissions are one customer managed policy each, attached to that
    role only, and what needs them waits for them."""
    templates, _, _ = synthesized
    t = templates["High"]
    assert _of_type(t, "AWS::IAM::Policy") == {}
    roles = {json.dumps(r["Properties"]["AssumeRolePolicyDocument"]).split('"Service": "')[1].split('"')[0]: k
             for k, r in _of_type(t, "AWS::IAM::Role").items()}
    assert set(roles) == {"cloudtrail.amazonaws.com", "config.amazonaws.com", "s3.amazonaws.com"}
    policies = {p["Properties"]["Roles"][0]["Ref"]: (k, p["Properties"]["PolicyDocument"]["Statement"])
                for k, p in _of_type(t, "AWS::IAM::ManagedPolicy").items()}
    assert len(policies) == 3 and set(policies) == set(roles.values())
    assert all(len(p["Properties"]["Roles"]) == 1 for p in _of_type(t, "AWS::IAM::ManagedPolicy").values())
    trail_policy, (write,) = policies[roles["cloudtrail.amazonaws.com"]]
    assert sorted(write["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "log-group:/govcdk/hi/cloudtrail:log-stream:*" in json.dumps(write["Resource"])
    config_policy, statements = policies[roles["config.amazonaws.com"]]
    assert [st["Sid"] for st in statements] == ["DeliverToArchive", "CheckArchiveAcl", "EncryptForArchive"]
    replication_policy, statements = policies[roles["s3.amazonaws.com"]]
    assert [st["Sid"] for st in statements] == ["ReadSourceConfiguration", "ReadSourceObjects", "WriteReplicas",
                                                "DecryptSource", "EncryptReplicas"]
    ((_, trail),) = _of_type(t, "AWS::CloudTrail::Trail").items()
    assert trail_policy in trail["DependsOn"]
    ((_, channel),) = _of_type(t, "AWS::Config::DeliveryChannel").items()
    assert config_policy in channel["DependsOn"]
    for bucket in _of_type(t, "AWS::S3::Bucket").values():
        assert replication_policy in bucket["DependsOn"]


def _tool_acks(resource: dict) -> dict[tuple[str, str], str]:
    """(tool, id) -> reason of the checkov and cdk-nag acknowledgements in a resource's Metadata."""
    meta = resource.get("Metadata", {})
    out = {("checkov", e["id"]): e["comment"] for e in meta.get("checkov", {}).get("skip", [])}
    out.update({("cdk-nag", e["id"]): e["reason"] for e in meta.get("cdk_nag", {}).get("rules_to_suppress", [])})
    return out


def test_checkov_and_cdk_nag_acknowledgements_on_the_buckets(synthesized):
    """Access-log buckets: SSE-KMS (S3 allows only SSE-S3 there) and checkov's access logging
    (they are the destination); replication: below High (Moderate) on both buckets with the
    impact level, on both replica buckets (the copy itself, and the deployment cycle), never on
    a replicating High bucket."""
    from govcdk.constructs._log_buckets import (ACCESS_LOG_NOT_LOGGED_REASON, ACCESS_LOG_SSE_S3_REASON,
                                                NAG_REPLICATION, NAG_SSE_KMS)
    from govcdk.constructs.audit_logging import no_replication_reason
    from govcdk.constructs.audit_replica import replica_access_log_reason, replica_archive_reason

    templates, _, _ = synthesized
    access = {("cdk-nag", NAG_SSE_KMS): ACCESS_LOG_SSE_S3_REASON,
              ("checkov", "CKV_AWS_18"): ACCESS_LOG_NOT_LOGGED_REASON}

    def acks(stack: str) -> dict[str, dict]:
        return {("s3logs" if "-s3logs-" in r["Properties"]["BucketName"] else "archive"): _tool_acks(r)
                for r in _of_type(templates[stack], "AWS::S3::Bucket").values() if "BucketName" in r["Properties"]}

    assert acks("High") == {"archive": {}, "s3logs": access}
    moderate = {("cdk-nag", NAG_REPLICATION): no_replication_reason("moderate")}
    assert acks("Moderate") == {"archive": moderate, "s3logs": {**access, **moderate}}
    assert "impact level moderate" in moderate[("cdk-nag", NAG_REPLICATION)]
    assert acks("HighReplica") == {
        "archive": {("cdk-nag", NAG_REPLICATION): replica_archive_reason(WEST)},
        "s3logs": {**access, ("cdk-nag", NAG_REPLICATION): replica_access_log_reason(WEST, EAST)}}
    assert "copy (AU-9(2), CP-6) of the log archive in us-gov-west-1" in replica_archive_reason(WEST)


# -- govcdk's rules over the construct's templates ---------------------------------------------


def _verdicts(report, stack: str, rule: str, type_: str | None = None) -> dict[str, Status]:
    return {f.logical_id: f.status for f in report.findings
            if f.stack == stack and f.rule_id == rule and type_ in (None, f.resource_type)}


@pytest.fixture(scope="module")
def report(synthesized):
    _, _, out = synthesized
    return check([out])


def test_govcdk_rules_find_nothing_failing(report, synthesized):
    """Nothing the constructs create fails; the test's own bare data bucket (MoreData/Data, a
    data-event target only) is left out."""
    templates, _, _ = synthesized
    (data_id,) = [k for k, r in _of_type(templates["MoreData"], "AWS::S3::Bucket").items()
                  if "BucketName" not in r["Properties"]]
    failing = [(f.rule_id, f.stack, f.logical_id, f.message) for f in report.failing
               if (f.stack, f.logical_id) != ("MoreData", data_id)]
    assert failing == []
    assert {f.rule_id for f in report.failing} <= {"GOV-S3-001", "GOV-S3-003", "GOV-S3-006", "GOV-S3-007"}


def test_rule_verdicts_on_the_audit_buckets(report):
    bucket = "AWS::S3::Bucket"
    high = _verdicts(report, "High", "GOV-S3-002", bucket)
    assert sorted(high.values()) == [Status.PASS, Status.PASS]  # archive (trail), access logs (lifecycle)
    assert set(_verdicts(report, "High", "GOV-S3-005").values()) == {Status.PASS}
    assert set(_verdicts(report, "Moderate", "GOV-S3-005").values()) == {Status.SUPPRESSED}
    assert set(_verdicts(report, "HighReplica", "GOV-S3-005").values()) == {Status.NOT_APPLICABLE, Status.SUPPRESSED}
    kms = _verdicts(report, "High", "GOV-S3-006", bucket)
    assert sorted(kms.values()) == sorted([Status.PASS, Status.NOT_APPLICABLE])  # access logs: SSE-S3 only
    for rule in ("GOV-CLOUDTRAIL-001", "GOV-CLOUDTRAIL-002", "GOV-CLOUDTRAIL-003", "GOV-CLOUDTRAIL-004",
                 "GOV-CLOUDTRAIL-005"):
        assert list(_verdicts(report, "High", rule).values()) == [Status.PASS], rule


# -- errors ----------------------------------------------------------------------------------


@pytest.fixture()
def stack():
    app = App(context=FEATURE_FLAGS)
    s = _stack(app, "S")
    return s, _keyring(s, "ag")


@pytest.mark.parametrize("kwargs, message", [
    ({"impact_level": "high", "object_lock_mode": "governance", "replicate_to": EAST},
     r"object_lock_mode='governance' at impact level high: allowed compliance only"),
    ({"impact_level": "high"}, r"replicate_to=None at impact level high: give the other GovCloud Region \(us-gov-east-1\)"),
    ({"replicate_to": WEST}, r"replicate_to='us-gov-west-1': allowed the other GovCloud Region, us-gov-east-1"),
    ({"replicate_to": "us-east-1"}, r"replicate_to='us-east-1': allowed the other GovCloud Region"),
    ({"expiration_days": 900}, r"expiration_days=900: allowed None \(keep forever\) or a whole number >= 913"),
    ({"expiration_days": 1000, "object_lock_days": 1096}, r"expiration_days=1000 is below object_lock_days=1096"),
    ({"online_days": 90}, r"online_days=90: allowed a whole number >= 365 \(OMB M-21-31"),
    ({"object_lock_days": 0}, r"object_lock_days=0: allowed a whole number of days 365..36500"),
    ({"object_lock_days": 364}, r"object_lock_days=364: allowed a whole number of days 365..36500 \(12 months"),
    ({"impact_level": "high", "object_lock_days": 400, "replicate_to": EAST},
     r"object_lock_days=400: allowed a whole number of days 913..36500 \(at impact level high"),
    ({"object_lock_mode": "legal-hold"}, r"object_lock_mode='legal-hold': allowed governance, compliance"),
    ({"archive_storage_class": "standard_ia"}, r"archive_storage_class='standard_ia': allowed glacier, deep_archive"),
    ({"log_retention_days": 90}, r"log_retention_days=90: allowed a CloudWatch Logs retention >= 365"),
    ({"log_retention_days": 366}, r"log_retention_days=366: allowed a CloudWatch Logs retention >= 365: 365, 400"),
    ({"data_event_bucket_arns": ["arn:" + "aws:s3:::x-bucket"]}, r"hard-codes the commercial partition"),
    ({"data_event_bucket_arns": ["arn:aws-us-gov:s3:::b/obj/key"]}, r"is not an S3 bucket ARN"),
    ({"data_event_bucket_arns": "arn:aws-us-gov:s3:::bucket"}, r"give a list of S3 bucket ARNs"),
    ({"agency_code": "Bad"}, r"agency_code='Bad': allowed 1..12 of a-z and 0-9"),
    ({"impact_level": "secret"}, r"impact_level='secret': allowed low, moderate, high"),
    ({"guardduty": "landing_zone"}, r"guardduty='landing_zone': give True \(create it\) or False"),
])
def test_errors(stack, kwargs, message):
    s, keyring = stack
    args = {"keyring": keyring, "agency_code": "ag", "impact_level": "moderate", **kwargs}
    with pytest.raises(ValueError, match=message):
        AuditLogging(s, "Audit", **args)


def test_stack_without_account_cannot_name_its_buckets():
    app = App(context=FEATURE_FLAGS)
    s = Stack(app, "NoAccount", env=Environment(region=WEST))
    keyring = _keyring(s, "ag")
    with pytest.raises(ValueError, match=r"the log archive needs a literal 12-digit account id \(give the stack an env\)"):
        AuditLogging(s, "Audit", keyring=keyring, agency_code="ag", impact_level="low")


def test_keyring_without_cloudtrail_key():
    app = App(context=FEATURE_FLAGS)
    s = _stack(app, "S")
    keyring = AgencyKeyring(s, "Keys", agency_code="ag", purposes=["logs"])
    with pytest.raises(UnknownKeyPurposeError, match=r"no key for purpose 'cloudtrail'; this keyring holds: logs"):
        AuditLogging(s, "Audit", keyring=keyring, agency_code="ag", impact_level="low")


def test_replica_errors():
    app = App(context=FEATURE_FLAGS)
    s = _stack(app, "R", EAST)
    keys = AgencyKeyring(s, "Keys", agency_code="ag", purposes=["audit-replica"], via_services={"audit-replica": "s3"})
    key = keys.key_for("audit-replica")
    with pytest.raises(ValueError, match=r"source_region='us-gov-east-1': allowed the other GovCloud Region, us-gov-west-1"):
        AuditLogReplica(s, "A", key=key, agency_code="ag", impact_level="high", source_region=EAST)
    with pytest.raises(ValueError, match=r"governance.*at impact level high"):
        AuditLogReplica(s, "B", key=key, agency_code="ag", impact_level="high", source_region=WEST,
                        object_lock_mode="governance")
