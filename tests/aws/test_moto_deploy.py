"""Deploy every synthesized stack of both example agencies into moto's CloudFormation, each in
its region (reference: us-gov-west-1, and its audit replica in us-gov-east-1; east:
us-gov-east-1; no real AWS: moto serves the APIs in-process) and read the result back.

Every resource must be created, unless its type is listed in MOTO_UNSUPPORTED with the reason.
MOTO_WORKAROUNDS lists the template adaptations made for moto bugs; each names the bug. The
harness and the package-scoped deployments are in harness.py and conftest.py.
"""

from __future__ import annotations

import ast
import json

import pytest

from .harness import IGNORE_UNSUPPORTED, MOTO_NO_PHYSICAL_ID, MOTO_UNSUPPORTED

pytestmark = [pytest.mark.aws, IGNORE_UNSUPPORTED]


@pytest.mark.parametrize("agency", ["reference", "east"])
def test_every_resource_created_or_listed_unsupported(agency, request):
    _, resources = request.getfixturevalue("deployed" if agency == "reference" else "deployed_east")
    templates = request.getfixturevalue(f"{agency}_templates")
    assert sorted(resources) == sorted(templates)
    for name, summaries in resources.items():
        by_id = {s["LogicalResourceId"]: s for s in summaries}
        for logical_id, res in templates[name]["Resources"].items():
            if res["Type"] in MOTO_UNSUPPORTED:
                continue
            s = by_id.get(logical_id)
            assert s is not None, f"{name}/{logical_id} ({res['Type']}) was not created"
            assert s["ResourceStatus"] == "CREATE_COMPLETE", (name, logical_id, s)
            assert s["ResourceType"] == res["Type"]
            if res["Type"] not in MOTO_NO_PHYSICAL_ID:
                assert s.get("PhysicalResourceId"), (name, logical_id)


def test_keys_rotate(deployed):
    clients, resources = deployed
    kms = clients["kms"]
    keys = [s["PhysicalResourceId"] for s in resources["airx-keys"] if s["ResourceType"] == "AWS::KMS::Key"]
    assert len(keys) == 8
    for key_id in keys:
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert {"alias/airx/ebs", "alias/airx/logs"} <= aliases


def test_vpc_has_no_internet_gateway_and_logs_flows(deployed):
    clients, resources = deployed
    ec2 = clients["ec2"]
    (vpc_id,) = [s["PhysicalResourceId"] for s in resources["airx-network"] if s["ResourceType"] == "AWS::EC2::VPC"]
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert igws["InternetGateways"] == []
    assert ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"] == []
    for rt in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        for route in rt["Routes"]:
            assert route.get("GatewayId", "local") in ("local",) or route.get("GatewayId", "").startswith("vpce-"), route
    flow_logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    assert [f["TrafficType"] for f in flow_logs] == ["ALL"]
    group = clients["logs"].describe_log_groups(logGroupNamePrefix="/govcdk/airx/vpc-flow-logs")["logGroups"][0]
    assert group["retentionInDays"] == 365
    # The harness gives moto the key under the API's name (harness._log_group_key_for_moto).
    assert group["kmsKeyId"] == clients["kms"].describe_key(KeyId="alias/airx/logs")["KeyMetadata"]["Arn"]


def test_cluster_nodes_launch_in_one_az(deployed, reference_config):
    clients, _ = deployed
    reservations = clients["ec2"].describe_instances(
        Filters=[{"Name": "tag:govcdk:agency", "Values": ["airx"]}])["Reservations"]
    nodes = [i for r in reservations for i in r["Instances"]]
    assert len(nodes) == reference_config.cluster.node_count
    assert {n["InstanceType"] for n in nodes} == {"p5.48xlarge"}
    assert {n["Placement"]["AvailabilityZone"] for n in nodes} == {"us-gov-west-1a"}


def test_cluster_security_group_rules(deployed):
    """The nodes' group admits all traffic from itself and from the EFA-enabled Lustre file
    system's group only; no address range at all."""
    clients, resources = deployed
    sg_ids = [s["PhysicalResourceId"] for s in resources["airx-compute"] if s["ResourceType"] == "AWS::EC2::SecurityGroup"]
    groups = {g["Description"].split(":")[0]: g
              for g in clients["ec2"].describe_security_groups(GroupIds=sg_ids)["SecurityGroups"]}
    nodes, fsx = groups["GPU nodes"], groups["FSx for Lustre"]
    ingress = sorted((p["IpProtocol"], sorted(g["GroupId"] for g in p.get("UserIdGroupPairs", [])), p.get("IpRanges"))
                     for p in nodes["IpPermissions"])
    assert ingress == [("-1", sorted([nodes["GroupId"], fsx["GroupId"]]), [])]


def test_vpc_endpoints_present_with_account_only_policies(deployed):
    clients, resources = deployed
    (vpc_id,) = [s["PhysicalResourceId"] for s in resources["airx-network"] if s["ResourceType"] == "AWS::EC2::VPC"]
    endpoints = clients["ec2"].describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    by_service = {e["ServiceName"]: e for e in endpoints}
    assert {"com.amazonaws.us-gov-west-1.s3", "com.amazonaws.us-gov-west-1.dynamodb",
            "com.amazonaws.us-gov-west-1.kms-fips", "com.amazonaws.us-gov-west-1.ecr.dkr"} <= set(by_service)
    for e in endpoints:
        # moto 5.2 returns the policy of a CloudFormation-created endpoint as a Python repr,
        # not JSON; the real API returns JSON.
        policy = ast.literal_eval(e["PolicyDocument"])
        assert all(s["Condition"]["StringEquals"]["aws:PrincipalAccount"] == "123456789012"
                   for s in policy["Statement"]), e["ServiceName"]


def test_default_security_group_has_no_rules(deployed):
    clients, resources = deployed
    (vpc_id,) = [s["PhysicalResourceId"] for s in resources["airx-network"] if s["ResourceType"] == "AWS::EC2::VPC"]
    (sg,) = clients["ec2"].describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert sg["IpPermissions"] == [] and sg["IpPermissionsEgress"] == []


def test_east_capacity_block_nodes_in_their_availability_zone(deployed_east, east_config):
    """The p6-b200.48xlarge nodes launch in us-gov-east-1b from a launch template that targets
    the Capacity Block through the CapacityReservationId parameter."""
    clients, resources = deployed_east
    (lt_id,) = [s["PhysicalResourceId"] for s in resources["evalx-compute"]
                if s["ResourceType"] == "AWS::EC2::LaunchTemplate"]
    (version,) = clients["ec2"].describe_launch_template_versions(LaunchTemplateId=lt_id)["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    assert data["InstanceMarketOptions"]["MarketType"] == "capacity-block"
    assert data["CapacityReservationSpecification"]["CapacityReservationTarget"]["CapacityReservationId"] == \
        east_config.cluster.capacity.reservation_id
    assert "Placement" not in data
    reservations = clients["ec2"].describe_instances(
        Filters=[{"Name": "tag:govcdk:agency", "Values": ["evalx"]}])["Reservations"]
    nodes = [i for r in reservations for i in r["Instances"]]
    assert len(nodes) == east_config.cluster.node_count == 4
    assert {n["InstanceType"] for n in nodes} == {"p6-b200.48xlarge"}
    assert {n["Placement"]["AvailabilityZone"] for n in nodes} == {"us-gov-east-1b"}


def _physical(resources, stack: str, logical_id: str) -> str:
    (pid,) = [r["PhysicalResourceId"] for r in resources[stack] if r["LogicalResourceId"] == logical_id]
    return pid


def test_audit_buckets_log_group_and_replica(deployed):
    """The log archive in us-gov-west-1 and its replica in us-gov-east-1, by their deterministic
    names: encryption (SSE-KMS with the keyring's cloudtrail key, SSE-S3 for server access
    logs), server access logging into the s3logs bucket of the same Region, the bucket policies
    (the harness's stand-in puts them), agency tags, the trail's log group kept 365 days under
    the logs key, the replica key's alias in us-gov-east-1. moto's CloudFormation applies
    neither Object Lock, versioning, lifecycle nor replication to a bucket, so those are
    asserted on the templates (tests/constructs/test_audit_logging.py)."""
    clients, resources = deployed
    s3, kms = clients["s3"], clients["kms"]
    names = {lid: _physical(resources, stack, lid) for stack, lid in (
        ("airx-audit", "ArchiveBucket"), ("airx-audit", "AccessLogBucket"),
        ("airx-audit-replica", "ReplicaArchiveBucket"), ("airx-audit-replica", "ReplicaAccessLogBucket"))}
    assert names == {"ArchiveBucket": "airx-audit-archive-111111111111-us-gov-west-1",
                     "AccessLogBucket": "airx-audit-s3logs-111111111111-us-gov-west-1",
                     "ReplicaArchiveBucket": "airx-audit-replica-111111111111-us-gov-east-1",
                     "ReplicaAccessLogBucket": "airx-audit-replica-s3logs-111111111111-us-gov-east-1"}
    assert s3.get_bucket_location(Bucket=names["ReplicaArchiveBucket"])["LocationConstraint"] == "us-gov-east-1"
    cloudtrail_key = kms.describe_key(KeyId="alias/airx/cloudtrail")["KeyMetadata"]["Arn"]
    (rule,) = s3.get_bucket_encryption(Bucket=names["ArchiveBucket"])["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": cloudtrail_key}
    for name in ("AccessLogBucket", "ReplicaAccessLogBucket"):
        (rule,) = s3.get_bucket_encryption(Bucket=names[name])["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", name
    for source, dest in (("ArchiveBucket", "AccessLogBucket"), ("ReplicaArchiveBucket", "ReplicaAccessLogBucket")):
        logging = s3.get_bucket_logging(Bucket=names[source])["LoggingEnabled"]
        assert logging == {"TargetBucket": names[dest], "TargetPrefix": f"s3-access-logs/{names[source]}/"}
    for name in ("AccessLogBucket", "ReplicaAccessLogBucket"):  # logs are not logged again
        assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=names[name]), name
    policy = json.loads(s3.get_bucket_policy(Bucket=names["ArchiveBucket"])["Policy"])
    assert {st.get("Sid") for st in policy["Statement"]} >= {"CloudTrailAclCheck", "CloudTrailWrite"}
    for name in names.values():
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
        assert tags["govcdk:agency"] == "airx" and tags["govcdk:impact-level"] == "high", name
    (group,) = clients["logs"].describe_log_groups(logGroupNamePrefix="/govcdk/airx/cloudtrail")["logGroups"]
    assert group["retentionInDays"] == 365
    assert group["kmsKeyId"] == kms.describe_key(KeyId="alias/airx/logs")["KeyMetadata"]["Arn"]
    east_aliases = {a["AliasName"] for a in clients["us-gov-east-1"]["kms"].list_aliases()["Aliases"]}
    assert "alias/airx/audit-replica" in east_aliases


def test_audit_trail_created_by_the_standin(deployed):
    """The trail (created through the harness's AWS::CloudTrail::Trail stand-in) logs every
    Region into the archive bucket under its prefix, encrypted with the cloudtrail key, and
    delivers to the 365-day log group."""
    clients, resources = deployed
    assert _physical(resources, "airx-audit", "Trail") == "govcdk-airx"
    trail = clients["cloudtrail"].get_trail(Name="govcdk-airx")["Trail"]
    assert trail["S3BucketName"] == _physical(resources, "airx-audit", "ArchiveBucket")
    assert trail["S3KeyPrefix"] == "cloudtrail"
    assert trail["IsMultiRegionTrail"] is True and trail["IncludeGlobalServiceEvents"] is True
    assert trail["LogFileValidationEnabled"] is True
    assert trail["KmsKeyId"] == clients["kms"].describe_key(KeyId="alias/airx/cloudtrail")["KeyMetadata"]["Arn"]
    assert trail["CloudWatchLogsLogGroupArn"].split(":log-group:")[1].startswith("/govcdk/airx/cloudtrail")
    assert clients["cloudtrail"].get_trail_status(Name="govcdk-airx")["IsLogging"] is True


def test_east_audit_stack_without_guardduty_and_security_hub(deployed_east):
    """east.yaml: no replica stack (Moderate), GuardDuty and Security Hub from the landing zone."""
    _, resources = deployed_east
    assert sorted(resources) == ["evalx-audit", "evalx-compute", "evalx-keys", "evalx-network"]
    types = {r["ResourceType"] for r in resources["evalx-audit"]}
    assert "AWS::S3::Bucket" in types and "AWS::Logs::LogGroup" in types
