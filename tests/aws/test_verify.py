"""``govcdk verify`` against deployments in moto (package-scoped, shared with
test_moto_deploy.py; see conftest.py).

- Both example agencies, deployed as ``cdk deploy`` would, verify clean: every finding PASS, one
  per rule and resource of the rule's types (derived from the templates).
- Two hand-written stacks cover what the agencies do not have (CloudTrail trails, S3 buckets):
  ``verify-sample`` declares every setting the rules ask for and verifies clean;
  ``verify-gaps`` declares the opposite and fails on each rule, for the reason stated.
- Each break test changes one setting through boto3 as an operator could (rotation disabled, an
  internet gateway attached, a public access setting off, a trail stopped, retention cut to 30
  days...), asserts verify fails on exactly that rule and resource, then restores the setting
  and asserts verify is clean again (the deployment is shared).
- The CLI (CliRunner) with moto: exit codes 0/1/2, a missing stack, no credentials, a bad profile.
- Without moto: error translation (access denied, endpoint unreachable) through stub clients
  passed in, the rule metadata against the template rules they mirror, and the writers.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import boto3
import pytest
from click.testing import CliRunner

from govcdk.cli import main
from govcdk.policies import load_rules
from govcdk.policies.model import Status
from govcdk.policies.reporters import WRITERS
from govcdk.verify import (MIRRORS, OPERATIONS, REQUIRED_PERMISSIONS, VERIFY_RULES,
                           AwsAccessError, AwsConnectionError, Clients, NoStacksError,
                           StackNotFoundError, VerifyError, verify)

from .harness import IGNORE_UNSUPPORTED, deploy_template

pytestmark = [pytest.mark.aws, IGNORE_UNSUPPORTED]

WEST, EAST = "us-gov-west-1", "us-gov-east-1"
RULE_TYPES = {r.id: r.resource_types for r in VERIFY_RULES}
PARTITION_ARN = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}


def _key(rotation: bool) -> dict:
    return {"Type": "AWS::KMS::Key", "Properties": {
        "EnableKeyRotation": rotation,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
            "Sid": "AccountAdmin", "Effect": "Allow", "Principal": {"AWS": PARTITION_ARN},
            "Action": "kms:*", "Resource": "*"}]}}}


ALL_BLOCKED = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                 "RestrictPublicBuckets")}

SAMPLE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "verify sample: a trail, its bucket and log group, all as the rules ask",
    "Resources": {
        "Key": _key(True),
        "TrailBucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                  "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]},
            "PublicAccessBlockConfiguration": ALL_BLOCKED}},
        "TrailLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "RetentionInDays": 400, "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
            "S3BucketName": {"Ref": "TrailBucket"}, "IsLogging": True, "IsMultiRegionTrail": True,
            "IncludeGlobalServiceEvents": True, "EnableLogFileValidation": True,
            "KMSKeyId": {"Ref": "Key"}}},
    },
}

GAPS = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Description": "verify gaps: every rule's setting left out or off",
    "Resources": {
        "StaticKey": _key(False),
        "PlainBucket": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}},
        "ForeverLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "ShortLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 90}},
        "QuietTrail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
            "S3BucketName": {"Ref": "PlainBucket"}, "IsLogging": False}},
    },
}


@pytest.fixture(scope="module")
def west(moto_account):
    """Clients for us-gov-west-1, made once (creating boto3 clients costs a second a run)."""
    return Clients.from_session(boto3.Session(region_name=WEST))


@pytest.fixture(scope="module")
def samples(moto_account):
    """The two hand-written stacks in us-gov-west-1, untagged: stack name -> summaries."""
    session = boto3.Session(region_name=WEST)
    return {"verify-sample": deploy_template(session, "verify-sample", SAMPLE),
            "verify-gaps": deploy_template(session, "verify-gaps", GAPS)}


def _physical(summaries: list[dict], logical_id: str) -> str:
    return next(s["PhysicalResourceId"] for s in summaries if s["LogicalResourceId"] == logical_id)


def _verdicts(report) -> dict[tuple[str, str, str], Status]:
    return {(f.rule_id, f.stack, f.logical_id): f.status for f in report.findings}


def _failing(report) -> set[tuple[str, str, str]]:
    return {(f.rule_id, f.stack, f.logical_id) for f in report.failing}


def _expected_pass(templates: dict[str, dict]) -> dict[tuple[str, str, str], Status]:
    """One PASS per rule and resource of its types in the templates (every resource of those
    types is created by moto: none is in MOTO_UNSUPPORTED), except GOV-VERIFY-S3-002 on the
    buckets of :func:`_access_log_destinations`: NOT_APPLICABLE."""
    exempt = {(stack, lid) for stack, lid in _access_log_destinations(templates)}
    return {(rule_id, stack, lid): Status.NOT_APPLICABLE
            if rule_id == "GOV-VERIFY-S3-002" and (stack, lid) in exempt else Status.PASS
            for stack, t in templates.items() for lid, res in t["Resources"].items()
            for rule_id, types in RULE_TYPES.items() if res["Type"] in types}


def _access_log_destinations(templates: dict[str, dict]) -> set[tuple[str, str]]:
    """(stack, logical id) of each bucket that a bucket of the same template names, by ``Ref``,
    as its ``LoggingConfiguration.DestinationBucketName`` and whose default encryption is
    SSE-S3 (``AES256``): S3 allows only SSE-S3 on a server access log destination."""
    out = set()
    for stack, t in templates.items():
        for res in t["Resources"].values():
            dest = res.get("Properties", {}).get("LoggingConfiguration", {}).get("DestinationBucketName")
            if res["Type"] == "AWS::S3::Bucket" and isinstance(dest, dict):
                target = t["Resources"][dest["Ref"]]["Properties"]["BucketEncryption"]
                if all(r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
                       for r in target["ServerSideEncryptionConfiguration"]):
                    out.add((stack, dest["Ref"]))
    return out


def _in_region(templates: dict[str, dict], assembly, region: str) -> dict[str, dict]:
    """The templates whose cloud assembly environment is ``region``."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {name: t for name, t in templates.items()
            if manifest["artifacts"][name]["environment"].endswith(f"/{region}")}


# ------------------------------------------------------------------------ clean deployments

def test_reference_agency_verifies_clean(deployed, reference_templates, reference_assembly,
                                        reference_config, west):
    """us-gov-west-1: keys, audit (trail, archive and access-log buckets, log group), network,
    compute; us-gov-east-1: the audit replica. Every finding PASS but SSE-KMS on the two
    server access log buckets (SSE-S3 by S3's rule): NOT_APPLICABLE, as GOV-S3-006 says."""
    report = verify(west, WEST, agency=reference_config.agency.code)
    templates = _in_region(reference_templates, reference_assembly, WEST)
    assert sorted(t.stack for t in report.templates) == sorted(templates) == [
        "airx-audit", "airx-compute", "airx-keys", "airx-network"]
    assert all(t.path.startswith("arn:aws-us-gov:cloudformation:us-gov-west-1:") for t in report.templates)
    assert _verdicts(report) == _expected_pass(templates)
    assert not report.failing
    replica = verify(boto3.Session(region_name=EAST), EAST, agency=reference_config.agency.code)
    assert [t.stack for t in replica.templates] == ["airx-audit-replica"]
    assert _verdicts(replica) == _expected_pass({"airx-audit-replica": reference_templates["airx-audit-replica"]})
    assert not replica.failing
    exempt = {(f.stack, f.logical_id): f.message for f in report.findings + replica.findings
              if f.status is Status.NOT_APPLICABLE}
    assert set(exempt) == {("airx-audit", "AccessLogBucket"), ("airx-audit-replica", "ReplicaAccessLogBucket")}
    assert "S3 server access log destination (of ArchiveBucket) with SSE-S3" in exempt[("airx-audit", "AccessLogBucket")]
    assert "(of ReplicaArchiveBucket)" in exempt[("airx-audit-replica", "ReplicaAccessLogBucket")]
    by_rule = {}
    for f in report.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    assert len(by_rule["GOV-VERIFY-KMS-001"]) == 8
    # moto reports no RotationPeriodInDays; the KMS default (365 days) applies and is said.
    assert all("KMS default of 365 days" in f.message for f in by_rule["GOV-VERIFY-KMS-001"])
    (flow,) = by_rule["GOV-VERIFY-EC2-001"]
    assert "ACTIVE, ALL traffic, delivering (SUCCESS)" in flow.message
    assert flow.cdk_path == "airx-network/Network/Vpc/Resource"
    assert {f.message.split(": ")[1] for f in by_rule["GOV-VERIFY-LOGS-001"]} == {
        "retentionInDays 365 (at least 365)"}


def test_east_agency_verifies_clean(deployed_east, east_templates, east_config):
    report = verify(boto3.Session(region_name=EAST), EAST, agency=east_config.agency.code)
    assert sorted(t.stack for t in report.templates) == sorted(east_templates)
    assert _verdicts(report) == _expected_pass(east_templates)


def test_sample_stack_verifies_clean(samples, west):
    report = verify(west, WEST, stacks=["verify-sample"])
    assert _verdicts(report) == _expected_pass({"verify-sample": SAMPLE})
    key_arn = boto3.client("kms", region_name=WEST).describe_key(
        KeyId=_physical(samples["verify-sample"], "Key"))["KeyMetadata"]["Arn"]
    messages = {f.rule_id: f.message for f in report.findings}
    assert f"aws:kms with customer-managed key {key_arn}" in messages["GOV-VERIFY-S3-002"]
    assert "(bucket level)" in messages["GOV-VERIFY-S3-001"]
    assert "logging, multi-Region, global service events recorded" in messages["GOV-VERIFY-CLOUDTRAIL-001"]


def test_gaps_stack_fails_each_rule_for_its_reason(samples, west):
    report = verify(west, WEST, stacks=["verify-gaps"])
    by = {(f.rule_id, f.logical_id): f for f in report.findings}
    assert {k: f.status for k, f in by.items()} == {
        ("GOV-VERIFY-KMS-001", "StaticKey"): Status.FAIL,        # EnableKeyRotation false
        ("GOV-VERIFY-S3-001", "PlainBucket"): Status.FAIL,       # no public access block at all
        ("GOV-VERIFY-S3-002", "PlainBucket"): Status.FAIL,       # SSE-S3 (AES256)
        ("GOV-VERIFY-LOGS-001", "ForeverLogs"): Status.PASS,     # never expires
        ("GOV-VERIFY-LOGS-002", "ForeverLogs"): Status.FAIL,     # no KmsKeyId
        ("GOV-VERIFY-LOGS-001", "ShortLogs"): Status.FAIL,       # 90 < 365
        ("GOV-VERIFY-LOGS-002", "ShortLogs"): Status.FAIL,
        ("GOV-VERIFY-CLOUDTRAIL-001", "QuietTrail"): Status.FAIL,  # not logging, one Region
        ("GOV-VERIFY-CLOUDTRAIL-002", "QuietTrail"): Status.FAIL,  # validation defaults to false
    }
    assert by[("GOV-VERIFY-KMS-001", "StaticKey")].property_path == "GetKeyRotationStatus.KeyRotationEnabled"
    s3 = by[("GOV-VERIFY-S3-001", "PlainBucket")].message
    assert "BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets" in s3
    assert "no bucket-level configuration" in s3
    assert "SSEAlgorithm AES256" in by[("GOV-VERIFY-S3-002", "PlainBucket")].message
    assert "events never expire" in by[("GOV-VERIFY-LOGS-001", "ForeverLogs")].message
    assert "retentionInDays 90 is below 365 days" in by[("GOV-VERIFY-LOGS-001", "ShortLogs")].message
    trail = by[("GOV-VERIFY-CLOUDTRAIL-001", "QuietTrail")]
    # IsLogging false; IsMultiRegionTrail defaults to false; IncludeGlobalServiceEvents to true.
    assert trail.paths == ("GetTrailStatus.IsLogging", "GetTrail.Trail.IsMultiRegionTrail")
    assert trail.message.startswith(_physical(samples["verify-gaps"], "QuietTrail") + ": ")


def test_default_selection_is_the_govcdk_tagged_stacks(deployed, samples, reference_templates,
                                                       reference_assembly, west):
    """Without --stack or --agency: the stacks tagged govcdk:agency (the agency's, whose
    manifest tags the harness sets as cdk deploy does), not the untagged samples."""
    report = verify(west, WEST)
    assert sorted(t.stack for t in report.templates) == sorted(_in_region(reference_templates,
                                                                          reference_assembly, WEST))


def test_missing_stack_and_empty_selection(west):
    session = boto3.Session(region_name=WEST)
    with pytest.raises(StackNotFoundError, match="stack nosuch does not exist in us-gov-west-1"):
        verify(session, WEST, stacks=["nosuch"])
    with pytest.raises(NoStacksError, match=r"no stack named zzz-\* in us-gov-west-1"):
        verify(session, WEST, agency="zzz")


def test_clients_of_another_region_are_refused():
    with pytest.raises(VerifyError, match="the clients are for us-gov-east-1, not us-gov-west-1"):
        verify(boto3.Session(region_name=EAST), WEST)


# ----------------------------------------------------------------------------- break tests

@contextmanager
def _broken(change, restore):
    change()
    try:
        yield
    finally:
        restore()


def _assert_only(report, rule_id: str, stack: str, logical_id: str, *needles: str) -> None:
    assert _failing(report) == {(rule_id, stack, logical_id)}
    (finding,) = report.failing
    for needle in needles:
        assert needle in finding.message, finding.message


def _stack_resource(resources: dict, stack: str, rtype: str, index: int = 0) -> tuple[str, str]:
    matches = [(s["LogicalResourceId"], s["PhysicalResourceId"]) for s in resources[stack]
               if s["ResourceType"] == rtype]
    return matches[index]


def test_break_key_rotation(deployed, west):
    clients, resources = deployed
    lid, key = _stack_resource(resources, "airx-keys", "AWS::KMS::Key", 2)
    kms = clients["kms"]
    with _broken(lambda: kms.disable_key_rotation(KeyId=key), lambda: kms.enable_key_rotation(KeyId=key)):
        report = verify(west, WEST, stacks=["airx-keys"])
        _assert_only(report, "GOV-VERIFY-KMS-001", "airx-keys", lid, key,
                     "automatic key rotation is disabled")
    assert not verify(west, WEST, stacks=["airx-keys"]).failing


def test_break_key_disabled(deployed, west):
    clients, resources = deployed
    lid, key = _stack_resource(resources, "airx-keys", "AWS::KMS::Key", 0)
    kms = clients["kms"]
    with _broken(lambda: kms.disable_key(KeyId=key), lambda: kms.enable_key(KeyId=key)):
        report = verify(west, WEST, stacks=["airx-keys"])
        _assert_only(report, "GOV-VERIFY-KMS-001", "airx-keys", lid, "KeyState is Disabled")
    assert not verify(west, WEST, stacks=["airx-keys"]).failing


def test_break_internet_gateway_and_route(deployed, west):
    clients, resources = deployed
    ec2 = clients["ec2"]
    lid, vpc = _stack_resource(resources, "airx-network", "AWS::EC2::VPC")
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                            {"Name": "association.main", "Values": ["false"]}])["RouteTables"][0]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]

    def attach():
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_route(RouteTableId=rt["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    def detach():
        ec2.delete_route(RouteTableId=rt["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)

    with _broken(attach, detach):
        report = verify(west, WEST, stacks=["airx-network"])
        _assert_only(report, "GOV-VERIFY-EC2-002", "airx-network", lid,
                     f"internet gateway {igw} is attached",
                     f"route table {rt['RouteTableId']} routes 0.0.0.0/0 to internet gateway {igw}")
        (finding,) = report.failing
        assert finding.paths[0] == f"DescribeInternetGateways.{igw}"
        assert finding.paths[1].startswith(f"DescribeRouteTables.{rt['RouteTableId']}.Routes[")
    assert not verify(west, WEST, stacks=["airx-network"]).failing


def test_break_flow_log_deleted(deployed, west):
    clients, resources = deployed
    ec2 = clients["ec2"]
    lid, vpc = _stack_resource(resources, "airx-network", "AWS::EC2::VPC")
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]

    def recreate():
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                             LogGroupName=flow["LogGroupName"],
                             DeliverLogsPermissionArn=flow["DeliverLogsPermissionArn"])

    with _broken(lambda: ec2.delete_flow_logs(FlowLogIds=[flow["FlowLogId"]]), recreate):
        report = verify(west, WEST, stacks=["airx-network"])
        _assert_only(report, "GOV-VERIFY-EC2-001", "airx-network", lid,
                     "no flow log captures the VPC's traffic")
    assert not verify(west, WEST, stacks=["airx-network"]).failing


def test_break_log_retention(deployed, west):
    clients, resources = deployed
    logs = clients["logs"]
    lid, group = next((s["LogicalResourceId"], s["PhysicalResourceId"]) for s in resources["airx-network"]
                      if s["ResourceType"] == "AWS::Logs::LogGroup" and "flow-logs" in s["PhysicalResourceId"])
    with _broken(lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=30),
                 lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=365)):
        report = verify(west, WEST, stacks=["airx-network"])
        _assert_only(report, "GOV-VERIFY-LOGS-001", "airx-network", lid, group,
                     "retentionInDays 30 is below 365 days")
    assert not verify(west, WEST, stacks=["airx-network"]).failing


def test_break_bucket_public_access(samples, west):
    s3 = boto3.client("s3", region_name=WEST)
    bucket = _physical(samples["verify-sample"], "TrailBucket")
    loose = {**ALL_BLOCKED, "RestrictPublicBuckets": False}
    with _broken(lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=loose),
                 lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=ALL_BLOCKED)):
        report = verify(west, WEST, stacks=["verify-sample"])
        _assert_only(report, "GOV-VERIFY-S3-001", "verify-sample", "TrailBucket",
                     "not in force: RestrictPublicBuckets (bucket-level false or unset; "
                     "no account-level configuration)")
    assert not verify(west, WEST, stacks=["verify-sample"]).failing


def test_account_level_public_access_block_is_in_force(samples, west):
    """S3 applies the stricter of the bucket's and the account's settings: with all four set
    for the account, a bucket without its own configuration passes, and says why."""
    s3control = boto3.client("s3control", region_name=WEST)
    account = boto3.client("sts", region_name=WEST).get_caller_identity()["Account"]
    with _broken(lambda: s3control.put_public_access_block(
            AccountId=account, PublicAccessBlockConfiguration=ALL_BLOCKED),
            lambda: s3control.delete_public_access_block(AccountId=account)):
        report = verify(west, WEST, stacks=["verify-gaps"])
        (finding,) = [f for f in report.findings if f.rule_id == "GOV-VERIFY-S3-001"]
        assert finding.status is Status.PASS
        assert "in force (account level)" in finding.message


def test_break_bucket_encryption(samples, west):
    s3 = boto3.client("s3", region_name=WEST)
    bucket = _physical(samples["verify-sample"], "TrailBucket")
    before = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    sse_s3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    with _broken(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=sse_s3),
                 lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=before)):
        report = verify(west, WEST, stacks=["verify-sample"])
        _assert_only(report, "GOV-VERIFY-S3-002", "verify-sample", "TrailBucket",
                     "aws:kms without KMSMasterKeyID uses the AWS managed key aws/s3")
    assert not verify(west, WEST, stacks=["verify-sample"]).failing


def test_access_log_bucket_exempt_only_while_it_receives_access_logs(deployed, reference_assembly, west):
    """The SSE-S3 access-log bucket is NOT_APPLICABLE for GOV-VERIFY-S3-002 because the archive
    bucket logs into it (GetBucketLogging), as GOV-S3-006 judges the template; with the
    archive's logging turned off it is an SSE-S3 bucket like any other and fails; with SSE-KMS
    under a customer-managed key it is judged as any bucket and passes."""
    from govcdk.policies import check

    clients, resources = deployed
    s3 = clients["s3"]
    archive = _physical(resources["airx-audit"], "ArchiveBucket")
    access = _physical(resources["airx-audit"], "AccessLogBucket")
    template = check([reference_assembly], rule_patterns=["GOV-S3-006"])
    assert {f.logical_id: f.status for f in template.findings if f.stack == "airx-audit"} == {
        "ArchiveBucket": Status.PASS, "AccessLogBucket": Status.NOT_APPLICABLE}

    def s3_002(report) -> dict[str, Status]:
        return {f.logical_id: f.status for f in report.findings if f.rule_id == "GOV-VERIFY-S3-002"}

    assert s3_002(verify(west, WEST, stacks=["airx-audit"])) == {
        "ArchiveBucket": Status.PASS, "AccessLogBucket": Status.NOT_APPLICABLE}
    logging = s3.get_bucket_logging(Bucket=archive)["LoggingEnabled"]
    with _broken(lambda: s3.put_bucket_logging(Bucket=archive, BucketLoggingStatus={}),
                 lambda: s3.put_bucket_logging(Bucket=archive, BucketLoggingStatus={"LoggingEnabled": logging})):
        report = verify(west, WEST, stacks=["airx-audit"])
        _assert_only(report, "GOV-VERIFY-S3-002", "airx-audit", "AccessLogBucket",
                     f"{access}: default encryption SSEAlgorithm AES256")
    key = clients["kms"].describe_key(KeyId="alias/airx/cloudtrail")["KeyMetadata"]["Arn"]
    before = s3.get_bucket_encryption(Bucket=access)["ServerSideEncryptionConfiguration"]
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]}
    with _broken(lambda: s3.put_bucket_encryption(Bucket=access, ServerSideEncryptionConfiguration=kms),
                 lambda: s3.put_bucket_encryption(Bucket=access, ServerSideEncryptionConfiguration=before)):
        assert s3_002(verify(west, WEST, stacks=["airx-audit"])) == {
            "ArchiveBucket": Status.PASS, "AccessLogBucket": Status.PASS}
    assert s3_002(verify(west, WEST, stacks=["airx-audit"])) == {
        "ArchiveBucket": Status.PASS, "AccessLogBucket": Status.NOT_APPLICABLE}


def test_break_trail_stopped(samples, west):
    cloudtrail = boto3.client("cloudtrail", region_name=WEST)
    trail = _physical(samples["verify-sample"], "Trail")
    with _broken(lambda: cloudtrail.stop_logging(Name=trail), lambda: cloudtrail.start_logging(Name=trail)):
        report = verify(west, WEST, stacks=["verify-sample"])
        _assert_only(report, "GOV-VERIFY-CLOUDTRAIL-001", "verify-sample", "Trail",
                     "the trail is not logging (IsLogging false)")
    assert not verify(west, WEST, stacks=["verify-sample"]).failing


def test_break_trail_validation(samples, west):
    cloudtrail = boto3.client("cloudtrail", region_name=WEST)
    trail = _physical(samples["verify-sample"], "Trail")
    with _broken(lambda: cloudtrail.update_trail(Name=trail, EnableLogFileValidation=False),
                 lambda: cloudtrail.update_trail(Name=trail, EnableLogFileValidation=True)):
        report = verify(west, WEST, stacks=["verify-sample"])
        _assert_only(report, "GOV-VERIFY-CLOUDTRAIL-002", "verify-sample", "Trail",
                     "log file integrity validation is disabled")
    assert not verify(west, WEST, stacks=["verify-sample"]).failing


def test_resource_deleted_outside_cloudformation(samples, west):
    logs = boto3.client("logs", region_name=WEST)
    group = _physical(samples["verify-sample"], "TrailLogs")
    (before,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
                 if g["logGroupName"] == group]

    def recreate():
        logs.create_log_group(logGroupName=group, kmsKeyId=before["kmsKeyId"])
        logs.put_retention_policy(logGroupName=group, retentionInDays=before["retentionInDays"])

    with _broken(lambda: logs.delete_log_group(logGroupName=group), recreate):
        report = verify(west, WEST, stacks=["verify-sample"])
        assert _failing(report) == {("GOV-VERIFY-LOGS-001", "verify-sample", "TrailLogs"),
                                    ("GOV-VERIFY-LOGS-002", "verify-sample", "TrailLogs")}
        assert all("the stack's log group no longer exists" in f.message for f in report.failing)
    assert not verify(west, WEST, stacks=["verify-sample"]).failing


# ------------------------------------------------------------------------------------- CLI

def _cli(*args: str):
    return CliRunner().invoke(main, ["verify", *args])


def test_cli_clean_agency(deployed, tmp_path):
    out = tmp_path / "verify.json"
    result = _cli("--agency", "agencies/reference.yaml", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Result: 0 failing findings" in result.output
    report = json.loads(out.read_text())
    assert report["summary"]["failing"] == 0
    assert {t["stack"] for t in report["templates"]} == {"airx-keys", "airx-audit", "airx-network",
                                                         "airx-compute"}
    assert all(t["region"] == WEST for t in report["templates"])


def test_cli_findings_exit_1_json(deployed):
    clients, resources = deployed
    lid, key = _stack_resource(resources, "airx-keys", "AWS::KMS::Key", 1)
    kms = clients["kms"]
    with _broken(lambda: kms.disable_key_rotation(KeyId=key), lambda: kms.enable_key_rotation(KeyId=key)):
        result = _cli("--region", WEST, "--stack", "airx-keys", "--stack", "airx-network",
                      "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert [(f["rule_id"], f["logical_id"]) for f in report["findings"] if f["status"] == "FAIL"] == [
        ("GOV-VERIFY-KMS-001", lid)]
    assert [t["stack"] for t in report["templates"]] == ["airx-keys", "airx-network"]


def test_cli_missing_stack_exit_2(deployed):
    result = _cli("--region", WEST, "--stack", "airx-keys", "--stack", "nosuch")
    assert result.exit_code == 2
    assert "govcdk: error: stack nosuch does not exist in us-gov-west-1" in result.output
    assert "Traceback" not in result.output


def test_cli_rule_selection(deployed):
    result = _cli("--region", WEST, "--stack", "airx-network", "--rule", "GOV-VERIFY-LOGS-*",
                  "--format", "json")
    assert result.exit_code == 0, result.output
    assert {f["rule_id"] for f in json.loads(result.output)["findings"]} == {"GOV-VERIFY-LOGS-001",
                                                                            "GOV-VERIFY-LOGS-002"}
    bad = _cli("--region", WEST, "--rule", "GOV-KMS-001")
    assert bad.exit_code == 2 and "no rule matches GOV-KMS-001" in bad.output


def test_cli_region_required_without_agency():
    result = _cli("--stack", "airx-keys")
    assert result.exit_code == 2
    assert "--region" in result.output


def test_cli_no_credentials_exit_2(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = _cli("--region", WEST)
    assert result.exit_code == 2, result.output
    assert "govcdk: error: DescribeStacks: no AWS credentials found" in result.output
    assert "Traceback" not in result.output


def test_cli_unknown_profile_exit_2(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = _cli("--region", WEST, "--profile", "nosuch")
    assert result.exit_code == 2
    assert "govcdk: error: --profile nosuch" in result.output


# ------------------------------------------------------------ without moto: stub clients

class _Stub:
    """A client whose every method raises ``error`` (a botocore exception)."""

    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        def call(**kwargs):
            raise self.error
        return call


def _client_error(code: str, operation: str):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "not allowed"}}, operation)


class _Stacks:
    """A CloudFormation stub with one stack holding one bucket."""

    meta = None

    def describe_stacks(self, **kwargs):
        return {"Stacks": [{"StackName": "s", "StackStatus": "CREATE_COMPLETE",
                            "StackId": "arn:aws-us-gov:cloudformation:us-gov-west-1:111111111111:stack/s/1",
                            "Tags": [{"Key": "govcdk:agency", "Value": "x"}]}]}

    def list_stack_resources(self, **kwargs):
        return {"StackResourceSummaries": [{"LogicalResourceId": "B", "PhysicalResourceId": "b-1",
                                            "ResourceType": "AWS::S3::Bucket",
                                            "ResourceStatus": "CREATE_COMPLETE"}]}

    def get_template(self, **kwargs):
        return {"TemplateBody": {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}}


class _Nested(_Stacks):
    """A parent stack whose one resource is a nested stack holding a log group."""

    CHILD = "arn:aws-us-gov:cloudformation:us-gov-west-1:111111111111:stack/s-Child-1/2"

    def describe_stacks(self, **kwargs):
        if kwargs.get("StackName") == self.CHILD:
            return {"Stacks": [{"StackName": "s-Child-1", "StackStatus": "UPDATE_ROLLBACK_COMPLETE",
                                "StackId": self.CHILD, "ParentId": "p"}]}
        return super().describe_stacks(**kwargs)

    def list_stack_resources(self, **kwargs):
        if kwargs["StackName"] == self.CHILD:
            return {"StackResourceSummaries": [
                {"LogicalResourceId": "Logs", "PhysicalResourceId": "/child/logs",
                 "ResourceType": "AWS::Logs::LogGroup", "ResourceStatus": "CREATE_COMPLETE"},
                {"LogicalResourceId": "Gone", "PhysicalResourceId": "",
                 "ResourceType": "AWS::Logs::LogGroup", "ResourceStatus": "CREATE_FAILED"}]}
        return {"StackResourceSummaries": [
            {"LogicalResourceId": "Child", "PhysicalResourceId": self.CHILD,
             "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "CREATE_COMPLETE"}]}

    def get_template(self, **kwargs):
        return {"TemplateBody": "Resources: {}"}  # YAML: no CDK paths, no failure


class _Logs:
    def describe_log_groups(self, **kwargs):
        assert kwargs == {"logGroupNamePrefix": "/child/logs"}
        return {"logGroups": [{"logGroupName": "/child/logs", "retentionInDays": 3653,
                               "kmsKeyId": "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/k"}]}


def test_nested_stacks_are_verified_with_their_parent():
    clients = {name: _Stub(AssertionError(name)) for name in ("kms", "ec2", "s3", "s3control", "cloudtrail")}
    clients.update(cloudformation=_Nested(), logs=_Logs())
    report = verify(clients, WEST)
    assert [t.stack for t in report.templates] == ["s", "s-Child-1"]
    child = report.templates[1]
    assert child.path == _Nested.CHILD and child.resource_count == 2
    assert child.notes == ("stack status UPDATE_ROLLBACK_COMPLETE: the deployment may not be what "
                           "the template says",
                           "Gone (AWS::Logs::LogGroup) not verified: status CREATE_FAILED, no physical id")
    assert {(f.rule_id, f.stack, f.logical_id, f.status) for f in report.findings} == {
        ("GOV-VERIFY-LOGS-001", "s-Child-1", "Logs", Status.PASS),
        ("GOV-VERIFY-LOGS-002", "s-Child-1", "Logs", Status.PASS)}


def test_session_without_region_is_a_verify_error(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(VerifyError, match="cannot create the cloudformation client: You must specify a region"):
        verify(boto3.Session(), WEST)


def test_access_denied_names_operation_and_permission():
    stub = _Stub(_client_error("AccessDenied", "DescribeStacks"))
    clients = {name: stub for name in ("cloudformation", "kms", "ec2", "s3", "s3control", "cloudtrail", "logs")}
    with pytest.raises(AwsAccessError, match=r"DescribeStacks was denied \(AccessDenied\): the "
                                             r"credentials in use need the IAM permission "
                                             r"cloudformation:DescribeStacks"):
        verify(clients, WEST)
    clients["cloudformation"] = _Stacks()
    with pytest.raises(AwsAccessError, match=r"GetPublicAccessBlock was denied .* IAM permission "
                                             r"s3:GetBucketPublicAccessBlock"):
        verify(clients, WEST)


def test_endpoint_unreachable():
    from botocore.exceptions import EndpointConnectionError

    stub = _Stub(EndpointConnectionError(endpoint_url="https://cloudformation.us-gov-west-1.amazonaws.com/"))
    clients = Clients.from_mapping({name: stub for name in ("cloudformation", "kms", "ec2", "s3", "s3control",
                                                            "cloudtrail", "logs")})
    with pytest.raises(AwsConnectionError, match="DescribeStacks: could not reach the AWS endpoint"):
        verify(clients, WEST)


def test_api_error_on_one_resource_is_an_error_finding():
    """A failure that is neither access nor connectivity (here a throttle after retries) makes
    that resource's finding ERROR (failing) and the run goes on."""
    stub = _Stub(_client_error("SlowDown", "GetPublicAccessBlock"))
    clients = {name: stub for name in ("kms", "ec2", "s3", "s3control", "cloudtrail", "logs")}
    clients["cloudformation"] = _Stacks()
    report = verify(clients, WEST)
    assert {(f.rule_id, f.status) for f in report.findings} == {
        ("GOV-VERIFY-S3-001", Status.ERROR), ("GOV-VERIFY-S3-002", Status.ERROR)}
    assert "GetPublicAccessBlock failed (SlowDown): not allowed" in report.findings[0].message


def test_clients_mapping_must_be_complete():
    with pytest.raises(VerifyError, match="clients: no client for s3control"):
        Clients.from_mapping({n: object() for n in ("cloudformation", "kms", "ec2", "s3", "cloudtrail", "logs")})


def test_asymmetric_key_is_judged_on_key_state_only():
    from govcdk.verify.rules import DeployedResource, VerifyContext, check_kms_key

    class Api:
        def call(self, *args, **kwargs):
            raise AssertionError("GetKeyRotationStatus must not be called for an asymmetric key")

    res = DeployedResource("s", "id", "K", "k-1", "AWS::KMS::Key")
    ctx = VerifyContext(api=Api(), region=WEST, account=None)
    ctx.cache[("kms-key", "k-1")] = {"KeyState": "Enabled", "KeyManager": "CUSTOMER",
                                     "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}
    result = check_kms_key(res, ctx)
    assert result.status is Status.PASS
    assert "automatic rotation does not exist for KeySpec RSA_2048" in result.message
    ctx.cache[("kms-key", "k-1")] = {**ctx.cache[("kms-key", "k-1")], "KeyState": "PendingDeletion"}
    (failed,) = check_kms_key(res, ctx)
    assert failed.status is Status.FAIL and "KeyState is PendingDeletion" in failed.message


def test_access_log_destination_sources_and_encryption_shapes():
    """GOV-VERIFY-S3-002 through a stub API (no moto): the sources named (``itself``, a logical
    id of the same stack, ``<stack>/<logical id>`` of another), SSE-S3 given as AES256 rules or
    as no configuration at all (S3's default), and a mixed configuration judged as usual."""
    from govcdk.verify._aws import Absent
    from govcdk.verify.rules import DeployedResource, VerifyContext, check_bucket_encryption

    bucket = "AWS::S3::Bucket"
    logs = DeployedResource("a", "id-a", "Logs", "logs-bucket", bucket)
    own = DeployedResource("a", "id-a", "Own", "own-bucket", bucket)
    data = DeployedResource("b", "id-b", "Data", "data-bucket", bucket)
    targets = {"logs-bucket": None, "own-bucket": "own-bucket", "data-bucket": "logs-bucket"}
    encryption: dict[str, object] = {}

    class Api:
        def call(self, service, method, *, expect=frozenset(), **params):
            if method == "get_bucket_logging":
                target = targets[params["Bucket"]]
                return {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": ""}} if target else {}
            assert method == "get_bucket_encryption", method
            return encryption[params["Bucket"]]

    def judge(res):
        ctx = VerifyContext(api=Api(), region=WEST, account=None, run=(logs, own, data))
        returned = check_bucket_encryption(res, ctx)
        return returned if isinstance(returned, list) else [returned]

    def sse(*algorithms):
        return {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": a}} for a in algorithms]}}

    encryption.update({"logs-bucket": sse("AES256"), "own-bucket": Absent(
        "ServerSideEncryptionConfigurationNotFoundError"), "data-bucket": sse("AES256")})
    (r,) = judge(logs)
    assert r.status is Status.NOT_APPLICABLE and "(of b/Data) with SSE-S3" in r.message
    (r,) = judge(own)
    assert r.status is Status.NOT_APPLICABLE and "(of itself)" in r.message
    (r,) = judge(data)    # nothing logs into it: an SSE-S3 bucket like any other
    assert r.status is Status.FAIL and "SSEAlgorithm AES256" in r.message
    encryption["logs-bucket"] = sse("AES256", "aws:kms")    # not SSE-S3 only: judged as usual
    assert [x.status for x in judge(logs)] == [Status.FAIL, Status.FAIL]


# ----------------------------------------------------------------------- rules and writers

@pytest.mark.parametrize("rule", VERIFY_RULES, ids=[r.id for r in VERIFY_RULES])
def test_verify_rule_carries_its_template_rules_concern(rule):
    """Same controls, backlog concerns and severity as the template rule it mirrors, so its
    FedRAMP baselines derive from the catalog the same way."""
    mirror = {r.id: r for r in load_rules()}[MIRRORS[rule.id]]
    assert (rule.controls, rule.backlog, rule.severity) == (mirror.controls, mirror.backlog, mirror.severity)
    assert rule.baselines == mirror.baselines
    assert rule.id.startswith("GOV-VERIFY-") and rule.id.split("-")[2] == mirror.id.split("-")[1]
    assert rule.scope == "deployed" and rule.resource_types
    assert set(rule.parameters) <= set(mirror.parameters)
    assert all(rule.parameters[p] == mirror.parameters[p] for p in rule.parameters)


def test_rule_ids_unique_and_mirrors_complete():
    ids = [r.id for r in VERIFY_RULES]
    assert len(set(ids)) == len(ids) and set(ids) == set(MIRRORS)


def test_required_permissions_are_reads():
    assert set(REQUIRED_PERMISSIONS) == {a for _, a in OPERATIONS.values()}
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in REQUIRED_PERMISSIONS)


def test_every_writer_renders_a_verify_report(samples, west):
    report = verify(west, WEST, stacks=["verify-gaps"])
    for name, writer in WRITERS.items():
        text = writer(report)
        assert "GOV-VERIFY-S3-002" in text, name
    assert "verify-gaps" in WRITERS["text"](report)


def test_readme_lists_the_required_permissions():
    from tests_support import ROOT

    text = (ROOT / "README.md").read_text().split("## Verify a deployed account", 1)[1]
    listed = text.split("REQUIRED_PERMISSIONS`:", 1)[1].split("(all reads)", 1)[0]
    actions = set()
    for group in listed.split(";"):
        names = [n.strip().strip("`") for n in group.replace("\n", " ").split(",") if n.strip()]
        service = names[0].split(":")[0]
        actions |= {n if ":" in n else f"{service}:{n}" for n in names}
    assert actions == set(REQUIRED_PERMISSIONS)
