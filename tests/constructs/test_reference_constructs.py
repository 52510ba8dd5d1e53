"""The three constructs as composed in the reference agency, asserted with aws_cdk.assertions
on the one session synthesis (tests/conftest.py)."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from govcdk import instances


@pytest.fixture(scope="module")
def keys(reference_templates):
    return Template.from_json(reference_templates["airx-keys"])


@pytest.fixture(scope="module")
def network(reference_templates):
    return Template.from_json(reference_templates["airx-network"])


@pytest.fixture(scope="module")
def compute(reference_templates):
    return Template.from_json(reference_templates["airx-compute"])


# --- AgencyKeyring ---------------------------------------------------------------------------

def test_one_rotating_retained_key_per_default_purpose(keys):
    keys.resource_count_is("AWS::KMS::Key", 8)
    keys.all_resources("AWS::KMS::Key", {
        "Properties": Match.object_like({
            "EnableKeyRotation": True, "RotationPeriodInDays": 365, "PendingWindowInDays": 30,
        }),
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    })
    for purpose in ("ebs", "fsx", "s3-data", "logs", "cloudtrail", "secrets", "backup", "ssm-sessions"):
        keys.has_resource_properties("AWS::KMS::Alias", {"AliasName": f"alias/airx/{purpose}"})


def test_logs_key_allows_cloudwatch_logs_only_for_this_accounts_log_groups(keys):
    keys.has_resource_properties("AWS::KMS::Key", {
        "KeyPolicy": {"Statement": Match.array_with([Match.object_like({
            "Sid": "CloudWatchLogsUse",
            "Principal": {"Service": "logs.us-gov-west-1.amazonaws.com"},
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Match.any_value()}},
        })])},
        "Description": "govcdk airx logs key",
    })


def test_ebs_key_lets_the_auto_scaling_service_linked_role_use_it_and_grant(keys):
    keys.has_resource_properties("AWS::KMS::Key", {
        "Description": "govcdk airx ebs key",
        "KeyPolicy": {"Statement": Match.array_with([
            Match.object_like({"Sid": "AutoScalingServiceLinkedRoleUse"}),
            Match.object_like({"Sid": "AutoScalingServiceLinkedRoleGrants", "Action": "kms:CreateGrant",
                               "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}}),
        ])},
    })


# --- IsolatedVpc -----------------------------------------------------------------------------

def test_vpc_has_no_internet_path(network):
    for rtype in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EgressOnlyInternetGateway",
                  "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP"):
        network.resource_count_is(rtype, 0)
    network.has_resource_properties("AWS::EC2::VPC", {
        "CidrBlock": "10.40.0.0/16", "EnableDnsHostnames": True, "EnableDnsSupport": True})
    for route in network.find_resources("AWS::EC2::Route").values():
        raise AssertionError(f"unexpected route {route}")


def test_isolated_subnets_in_three_real_azs(network):
    subnets = network.find_resources("AWS::EC2::Subnet")
    assert sorted(s["Properties"]["AvailabilityZone"] for s in subnets.values()) == [
        "us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"]
    assert sorted(s["Properties"]["CidrBlock"] for s in subnets.values()) == [
        "10.40.0.0/18", "10.40.128.0/18", "10.40.64.0/18"]
    for s in subnets.values():
        assert s["Properties"]["MapPublicIpOnLaunch"] is False


def test_endpoints(network):
    for service in ("s3", "dynamodb"):
        network.has_resource_properties("AWS::EC2::VPCEndpoint", {
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, f".{service}"]]},
            "VpcEndpointType": "Gateway", "RouteTableIds": Match.any_value()})
    interface = [r for r in network.find_resources("AWS::EC2::VPCEndpoint").values()
                 if r["Properties"].get("VpcEndpointType") == "Interface"]
    names = sorted(r["Properties"]["ServiceName"] for r in interface)
    assert names == sorted(f"com.amazonaws.us-gov-west-1.{s}" for s in
                           ("ssm", "ssmmessages", "ec2messages", "sts", "kms-fips", "logs", "ec2", "monitoring",
                            "ecr.api", "ecr.dkr", "secretsmanager", "fsx"))  # gpu-training, FIPS at high
    assert all(r["Properties"]["PrivateDnsEnabled"] is True for r in interface)
    network.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": Match.string_like_regexp("endpoints"),
        "SecurityGroupIngress": [Match.object_like({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                    "CidrIp": "10.40.0.0/16"})],
    })


def test_flow_log_all_traffic_to_encrypted_log_group_kept_a_year(network):
    network.has_resource_properties("AWS::EC2::FlowLog", {
        "ResourceType": "VPC", "TrafficType": "ALL",
        "LogFormat": Match.string_like_regexp(r"\$\{flow-direction\} \$\{traffic-path\}"),
    })
    network.has_resource("AWS::Logs::LogGroup", {
        "Properties": {"LogGroupName": "/govcdk/airx/vpc-flow-logs", "RetentionInDays": 365,
                       "KmsKeyId": {"Fn::ImportValue": Match.any_value()}, "Tags": Match.any_value()},
        "DeletionPolicy": "Retain",
    })


# --- GpuCluster ------------------------------------------------------------------------------

def _launch_template_data(compute):
    (lt,) = compute.find_resources("AWS::EC2::LaunchTemplate").values()
    return lt["Properties"]["LaunchTemplateData"]


def test_launch_template_hardening(compute):
    data = _launch_template_data(compute)
    assert data["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1,
                                       "HttpTokens": "required", "InstanceMetadataTags": "disabled"}
    (bdm,) = data["BlockDeviceMappings"]
    assert bdm["Ebs"]["Encrypted"] is True and bdm["Ebs"]["VolumeType"] == "gp3"
    assert "Fn::ImportValue" in bdm["Ebs"]["KmsKeyId"]
    assert "KeyName" not in data
    assert data["Monitoring"] == {"Enabled": True}
    assert data["ImageId"] == {"Ref": "GpuAmiId"}
    assert data["InstanceType"] == {"Fn::FindInMap": ["GpuInstanceTypeByRegion", {"Ref": "AWS::Region"}, "InstanceType"]}
    assert compute.to_json()["Mappings"]["GpuInstanceTypeByRegion"] == {"us-gov-west-1": {"InstanceType": "p5.48xlarge"}}
    assert compute.to_json()["Parameters"]["GpuAmiId"]["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"


def test_efa_interfaces_for_p5(compute):
    """EC2 User Guide efa-acc-inst-types: ENA primary at (0,0), efa-only at (0,1) because card 0
    supports EFA, then efa-only at device 0 of cards 1..31: 32 EFA interfaces (the maximum)."""
    nics = _launch_template_data(compute)["NetworkInterfaces"]
    assert len(nics) == 33
    assert sum(n["InterfaceType"] == "efa-only" for n in nics) == 32 == instances.facts("p5.48xlarge").maximum_efa_interfaces
    assert (nics[0]["NetworkCardIndex"], nics[0]["DeviceIndex"], nics[0]["InterfaceType"]) == (0, 0, "interface")
    assert (nics[1]["NetworkCardIndex"], nics[1]["DeviceIndex"], nics[1]["InterfaceType"]) == (0, 1, "efa-only")
    assert [n["NetworkCardIndex"] for n in nics[2:]] == list(range(1, 32))
    assert all(n["InterfaceType"] == "efa-only" and n["DeviceIndex"] == 0 for n in nics[2:])
    assert all(n["AssociatePublicIpAddress"] is False for n in nics)


def _security_groups(compute):
    groups = compute.find_resources("AWS::EC2::SecurityGroup")
    (nodes,) = [k for k, r in groups.items() if r["Properties"]["GroupDescription"].startswith("GPU nodes")]
    (fsx,) = [k for k in groups if k != nodes]
    return nodes, fsx


def test_security_groups_allow_only_the_cluster_the_file_system_and_endpoints(compute):
    nodes, fsx = _security_groups(compute)
    resources = compute.to_json()["Resources"]
    assert "SecurityGroupIngress" not in resources[nodes]["Properties"]
    rules = set()
    for r in resources.values():
        if r["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            p = r["Properties"]
            peer = p.get("SourceSecurityGroupId") or p.get("DestinationSecurityGroupId")
            peer = peer["Fn::GetAtt"][0] if "Fn::GetAtt" in peer else "endpoints" if "Endpoint" in str(peer) else str(peer)
            direction = "in" if r["Type"].endswith("Ingress") else "out"
            rules.add((direction, p["GroupId"]["Fn::GetAtt"][0], p["IpProtocol"], p.get("FromPort"), peer))
    # EFA-enabled Lustre (reference agency): all traffic within the nodes, within the file
    # system's group and between the two; HTTPS from the nodes to the endpoints; nothing else.
    assert rules == {
        ("in", nodes, "-1", None, nodes), ("out", nodes, "-1", None, nodes),
        ("in", nodes, "-1", None, fsx), ("out", nodes, "-1", None, fsx),
        ("in", fsx, "-1", None, fsx), ("out", fsx, "-1", None, fsx),
        ("in", fsx, "-1", None, nodes), ("out", fsx, "-1", None, nodes),
        ("out", nodes, "tcp", 443, "endpoints"),
    }
    assert "0.0.0.0/0" not in str(compute.to_json())


def test_lustre_file_system(compute):
    compute.has_resource("AWS::FSx::FileSystem", {
        "Properties": Match.object_like({
            "FileSystemType": "LUSTRE", "StorageCapacity": 2400, "StorageType": "SSD",
            "KmsKeyId": {"Fn::ImportValue": Match.string_like_regexp("FsxKey")},
            "LustreConfiguration": Match.object_like({
                "DeploymentType": "PERSISTENT_2", "EfaEnabled": True, "DataCompressionType": "LZ4",
                "PerUnitStorageThroughput": {"Ref": "LustreThroughputPerTiB"}}),
        }),
        "DeletionPolicy": "Retain",
    })
    assert compute.to_json()["Parameters"]["LustreThroughputPerTiB"]["Default"] == "500"


def test_placement_and_capacity(compute):
    compute.has_resource_properties("AWS::EC2::PlacementGroup", {"Strategy": "cluster"})
    compute.has_resource_properties("AWS::AutoScaling::AutoScalingGroup", {
        "MinSize": "2", "MaxSize": "2", "DesiredCapacity": "2",
        "VPCZoneIdentifier": [Match.any_value()]})


def test_instance_profile_uses_partition_aware_ssm_policy(compute):
    compute.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"]]}]})


def test_flow_log_role_trusts_only_this_accounts_flow_logs(network):
    """Confused-deputy protection (GOV-IAM-004): the flow-log delivery role can be assumed by
    vpc-flow-logs.amazonaws.com only for flow logs of this account and region."""
    network.has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111111111111"},
                "ArnLike": {"aws:SourceArn": {"Fn::Join": ["", [
                    "arn:", {"Ref": "AWS::Partition"}, ":ec2:us-gov-west-1:111111111111:vpc-flow-log/*"]]}},
            },
        })]},
    })
