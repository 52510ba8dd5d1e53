"""IsolatedVpc on its own, asserted with aws_cdk.assertions. Each stack is synthesized once per
module (module-scoped fixtures); the ValueError tests only build construct trees."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack, Tags
from aws_cdk.assertions import Annotations, Match, Template

from govcdk.constructs import AgencyKeyring, IsolatedVpc
from govcdk.constructs.endpoints import GPU_TRAINING, KNOWN_SERVICES, MINIMAL, resolve_endpoints

ACCOUNT = "111111111111"
PARTITION = {"Ref": "AWS::Partition"}
ACCOUNT_ONLY = {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}


def _stack(region: str) -> Stack:
    return Stack(App(), "T", env=Environment(account=ACCOUNT, region=region))


def _keyring(stack: Stack) -> AgencyKeyring:
    # The keyring refuses a region outside GovCloud too; the IsolatedVpc region tests need one.
    return AgencyKeyring(stack, "Keys", agency_code="tv", purposes=["logs", "s3-data"],
                         allow_commercial=not stack.region.startswith("us-gov-"))


@pytest.fixture(scope="module")
def gpu():
    """gpu-training profile, impact level high (FIPS by default), 3 AZs in us-gov-west-1."""
    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    net = IsolatedVpc(stack, "Net", cidr="10.8.0.0/16",
                      availability_zones=["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"],
                      flow_log_key=keys.key_for("logs"), agency_code="tv", endpoint_profile="gpu-training",
                      extra_endpoints=["eks", "eks-auth"])
    return net, Template.from_stack(stack)


@pytest.fixture(scope="module")
def minimal():
    """Default profile, impact level moderate (no FIPS by default), 2 AZs in us-gov-east-1."""
    stack = _stack("us-gov-east-1")
    keys = _keyring(stack)
    net = IsolatedVpc(stack, "Net", cidr="10.9.0.0/20", availability_zones=["us-gov-east-1a", "us-gov-east-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="tv", impact_level="moderate")
    return net, Template.from_stack(stack)


def _interface_services(template: Template) -> list[str]:
    return sorted(r["Properties"]["ServiceName"] for r in template.find_resources("AWS::EC2::VPCEndpoint").values()
                  if r["Properties"]["VpcEndpointType"] == "Interface")


# --- endpoint profiles -----------------------------------------------------------------------

def test_profiles():
    assert MINIMAL == ("ssm", "ssmmessages", "ec2messages", "sts", "kms", "logs")
    assert GPU_TRAINING == MINIMAL + ("ec2", "monitoring", "ecr.api", "ecr.dkr", "secretsmanager", "fsx")
    assert resolve_endpoints("minimal", fips=False) == list(MINIMAL)
    assert resolve_endpoints("minimal", ["kms", "eks"], fips=True) == [
        "ssm", "ssmmessages", "ec2messages", "sts", "kms-fips", "logs", "eks"]


def test_gpu_training_profile_with_fips_and_extras(gpu):
    net, t = gpu
    expected = [s if s != "kms" else "kms-fips" for s in GPU_TRAINING] + ["eks", "eks-auth"]
    assert _interface_services(t) == sorted(f"com.amazonaws.us-gov-west-1.{s}" for s in expected)
    assert sorted(net.interface_endpoints) == sorted(expected)


def test_minimal_profile_without_fips_at_moderate(minimal):
    _, t = minimal
    assert _interface_services(t) == sorted(f"com.amazonaws.us-gov-east-1.{s}" for s in MINIMAL)


def test_fips_override():
    stack = _stack("us-gov-west-1")
    net = IsolatedVpc(stack, "Net", cidr="10.8.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=_keyring(stack).key_for("logs"), agency_code="tv", fips=False)
    assert "kms" in net.interface_endpoints and "kms-fips" not in net.interface_endpoints


def test_interface_endpoints_private_dns_shared_security_group(gpu):
    _, t = gpu
    interface = [r["Properties"] for r in t.find_resources("AWS::EC2::VPCEndpoint").values()
                 if r["Properties"]["VpcEndpointType"] == "Interface"]
    assert all(p["PrivateDnsEnabled"] is True for p in interface)
    assert len({str(p["SecurityGroupIds"]) for p in interface}) == 1
    assert all(len(p["SubnetIds"]) == 3 for p in interface)
    t.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": "VPC interface endpoints: TCP 443 from inside the VPC only",
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                  "CidrIp": "10.8.0.0/16",  # literal: scanners can read it
                                  "Description": "HTTPS from the VPC"}],
        "SecurityGroupEgress": [Match.object_like({"CidrIp": "255.255.255.255/32"})],
    })


# --- endpoint policies -----------------------------------------------------------------------

def test_every_interface_endpoint_policy_is_account_only(gpu):
    _, t = gpu
    for r in t.find_resources("AWS::EC2::VPCEndpoint").values():
        p = r["Properties"]
        if p["VpcEndpointType"] != "Interface":
            continue
        assert p["PolicyDocument"]["Statement"] == [{
            "Sid": "AccountPrincipalsOnly", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
            "Resource": "*", "Condition": ACCOUNT_ONLY}], p["ServiceName"]


def test_s3_gateway_policy_account_and_aws_owned_buckets(gpu):
    _, t = gpu
    (s3,) = [r["Properties"] for r in t.find_resources("AWS::EC2::VPCEndpoint").values()
             if r["Properties"]["VpcEndpointType"] == "Gateway" and "s3" in str(r["Properties"]["ServiceName"])]
    account_stmt, owned_stmt = s3["PolicyDocument"]["Statement"]
    assert account_stmt == {
        "Sid": "AccountPrincipalsAccountBuckets", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*",
        "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"},
                                                        "aws:ResourceAccount": {"Ref": "AWS::AccountId"}}}}
    assert owned_stmt["Sid"] == "AwsOwnedBucketsReadOnly" and owned_stmt["Action"] == "s3:GetObject"
    assert owned_stmt["Condition"] == ACCOUNT_ONLY
    arns = [r["Fn::Join"] for r in owned_stmt["Resource"]]
    assert all(parts[0] == "" and parts[1][0] == "arn:" and parts[1][1] == PARTITION for parts in arns)
    suffixes = {parts[1][2] for parts in arns}
    for bucket in ("amazonlinux-2-repos-us-gov-west-1/*", "al2023-repos-us-gov-west-1-*/*",
                   "aws-ssm-us-gov-west-1/*", "prod-us-gov-west-1-starport-layer-bucket/*"):
        assert f":s3:::{bucket}" in suffixes


def test_s3_gateway_policy_without_ecr_has_no_layer_bucket(minimal):
    _, t = minimal
    assert "starport" not in str(t.find_resources("AWS::EC2::VPCEndpoint"))
    assert "amazonlinux-2-repos-us-gov-east-1" in str(t.find_resources("AWS::EC2::VPCEndpoint"))


def test_dynamodb_gateway_policy_account_only(gpu):
    _, t = gpu
    t.has_resource_properties("AWS::EC2::VPCEndpoint", {
        "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".dynamodb"]]},
        "VpcEndpointType": "Gateway", "RouteTableIds": Match.any_value(),
        "PolicyDocument": {"Statement": [{"Sid": "AccountPrincipalsOnly", "Effect": "Allow",
                                          "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
                                          "Condition": ACCOUNT_ONLY}], "Version": "2012-10-17"},
    })


# --- network ---------------------------------------------------------------------------------

def test_no_internet_path_no_ipv6_no_public_ip(gpu):
    _, t = gpu
    for rtype in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::EgressOnlyInternetGateway",
                  "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP", "AWS::EC2::Route",
                  "AWS::EC2::VPCCidrBlock"):
        t.resource_count_is(rtype, 0)
    t.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.8.0.0/16", "EnableDnsHostnames": True,
                                                "EnableDnsSupport": True})
    for s in t.find_resources("AWS::EC2::Subnet").values():
        assert s["Properties"]["MapPublicIpOnLaunch"] is False
        assert "Ipv6CidrBlock" not in s["Properties"] and "AssignIpv6AddressOnCreation" not in s["Properties"]


def test_subnet_sizes(gpu, minimal):
    for (_, t), cidrs in ((gpu, ["10.8.0.0/18", "10.8.128.0/18", "10.8.64.0/18"]),
                          (minimal, ["10.9.0.0/21", "10.9.8.0/21"])):
        assert sorted(s["Properties"]["CidrBlock"] for s in t.find_resources("AWS::EC2::Subnet").values()) == cidrs


def test_network_acl_allows_only_the_vpc(gpu):
    _, t = gpu
    t.resource_count_is("AWS::EC2::NetworkAcl", 1)
    t.resource_count_is("AWS::EC2::SubnetNetworkAclAssociation", 3)
    entries = sorted((r["Properties"] for r in t.find_resources("AWS::EC2::NetworkAclEntry").values()),
                     key=lambda e: e["Egress"])
    assert [{k: v for k, v in e.items() if k != "NetworkAclId"} for e in entries] == [
        {"CidrBlock": "10.8.0.0/16", "Egress": egress, "Protocol": -1, "RuleAction": "allow", "RuleNumber": 100}
        for egress in (False, True)]


def test_default_security_group_stripped(gpu):
    _, t = gpu
    t.has_resource_properties("Custom::VpcRestrictDefaultSG", {
        "DefaultSecurityGroupId": {"Fn::GetAtt": [Match.any_value(), "DefaultSecurityGroup"]}, "Account": ACCOUNT})
    (handler,) = t.find_resources("AWS::Lambda::Function").values()
    assert "DependsOn" not in handler  # redundant with Fn::GetAtt on the role (cfn-lint W3005)


def test_default_sg_provider_carries_the_stack_tags():
    stack = _stack("us-gov-west-1")
    Tags.of(stack).add("govcdk:agency", "tv")
    IsolatedVpc(stack, "Net", cidr="10.8.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=_keyring(stack).key_for("logs"), agency_code="tv")
    t = Template.from_stack(stack)
    for rtype in ("AWS::Lambda::Function", "AWS::IAM::Role"):
        for r in t.find_resources(rtype).values():
            assert {"Key": "govcdk:agency", "Value": "tv"} in r["Properties"]["Tags"]


def test_flow_log(gpu):
    _, t = gpu
    t.has_resource_properties("AWS::EC2::FlowLog", {
        "ResourceType": "VPC", "TrafficType": "ALL",
        "LogFormat": Match.string_like_regexp(r"\$\{flow-direction\} \$\{traffic-path\}")})
    t.has_resource("AWS::Logs::LogGroup", {
        "Properties": Match.object_like({"LogGroupName": "/govcdk/tv/vpc-flow-logs", "RetentionInDays": 365,
                                         "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}),
        "DeletionPolicy": "Retain"})


def test_flow_log_role_has_a_managed_policy_and_no_inline_policy(gpu):
    """AC-6 / CM-5(1): the role's one permission, writing to the flow-log group, is a customer
    managed policy attached to it (cdk-nag NIST.800.53.R5-IAMNoInlinePolicy)."""
    _, t = gpu
    t.resource_count_is("AWS::IAM::Policy", 0)
    (role_id,) = [k for k, r in t.find_resources("AWS::IAM::Role").items()
                  if r["Properties"].get("Description") == "Delivers VPC flow logs to CloudWatch Logs"]
    assert "Policies" not in t.find_resources("AWS::IAM::Role")[role_id]["Properties"]
    (group_id,) = [k for k, r in t.find_resources("AWS::Logs::LogGroup").items()
                   if r["Properties"]["LogGroupName"].endswith("vpc-flow-logs")]
    policies = t.find_resources("AWS::IAM::ManagedPolicy")
    assert [p["Properties"]["Roles"] for p in policies.values()] == [[{"Ref": role_id}]]
    (policy_id, policy), = policies.items()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [{
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Effect": "Allow", "Resource": {"Fn::GetAtt": [group_id, "Arn"]}}]
    (flow_log,) = [r for r in t.find_resources("AWS::EC2::FlowLog").values()]
    assert flow_log["Properties"]["DeliverLogsPermissionArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert policy_id in flow_log["DependsOn"]


def test_default_sg_handler_carries_its_checkov_acknowledgements(gpu, minimal):
    """CDK's Custom::VpcRestrictDefaultSG function: checkov's Lambda checks that cannot hold for
    it are skipped in its own Metadata format, each with its reason."""
    from govcdk.constructs.isolated_vpc import RESTRICT_DEFAULT_SG_HANDLER_CHECKOV

    assert sorted(RESTRICT_DEFAULT_SG_HANDLER_CHECKOV) == ["CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"]
    for _, t in (gpu, minimal):
        (handler,) = t.find_resources("AWS::Lambda::Function").values()
        assert handler["Metadata"]["checkov"] == {"skip": [
            {"id": k, "comment": v} for k, v in RESTRICT_DEFAULT_SG_HANDLER_CHECKOV.items()]}


def test_two_vpcs_in_one_stack_acknowledge_the_shared_handler_once():
    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    for i, cidr in enumerate(("10.10.0.0/16", "10.11.0.0/16")):
        IsolatedVpc(stack, f"Net{i}", cidr=cidr, availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                    flow_log_key=keys.key_for("logs"), agency_code=f"tv{i}")
    (handler,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert [e["id"] for e in handler["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"]


def test_resolver_query_logging(gpu, minimal):
    _, t = gpu
    t.has_resource("AWS::Logs::LogGroup", {
        "Properties": Match.object_like({"LogGroupName": "/govcdk/tv/resolver-query-logs", "RetentionInDays": 365,
                                         "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}}),
        "DeletionPolicy": "Retain"})
    (group_id,) = [k for k, r in t.find_resources("AWS::Logs::LogGroup").items()
                   if r["Properties"]["LogGroupName"].endswith("resolver-query-logs")]
    t.has_resource_properties("AWS::Route53Resolver::ResolverQueryLoggingConfig", {
        "Name": "govcdk-tv-vpc-dns", "DestinationArn": {"Fn::GetAtt": [group_id, "Arn"]}})
    t.has_resource_properties("AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation", {
        "ResolverQueryLogConfigId": {"Fn::GetAtt": [Match.any_value(), "Id"]}, "ResourceId": {"Ref": Match.any_value()}})
    minimal[1].resource_count_is("AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation", 1)


def test_resolver_query_logging_off():
    stack = _stack("us-gov-west-1")
    IsolatedVpc(stack, "Net", cidr="10.8.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=_keyring(stack).key_for("logs"), agency_code="tv", resolver_query_logging=False)
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::Route53Resolver::ResolverQueryLoggingConfig", 0)
    t.resource_count_is("AWS::Logs::LogGroup", 1)


def test_no_arn_aws_literal(gpu):
    assert "arn:aws:" not in str(gpu[1].to_json())


# --- ValueErrors -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def err_stack():
    stack = _stack("us-gov-west-1")
    return stack, _keyring(stack)


@pytest.mark.parametrize("kwargs, message", [
    ({"endpoint_profile": "gpu"}, r"endpoint_profile 'gpu' is unknown; allowed: minimal, gpu-training$"),
    ({"extra_endpoints": ["ec2", "s3", "bedrock"]},
     r"extra_endpoints \['s3', 'bedrock'\] are unknown services; allowed: ssm, ssmmessages, .*, sagemaker.runtime$"),
    ({"impact_level": "secret"}, r"impact_level 'secret': allowed low, moderate, high"),
])
def test_value_errors(err_stack, kwargs, message):
    stack, keys = err_stack
    args = dict(cidr="10.2.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=keys.key_for("logs"), agency_code="tv")
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        IsolatedVpc(stack, f"V{abs(hash(str(kwargs)))}", **args)


def test_known_services_listed_in_message():
    with pytest.raises(ValueError) as exc:
        resolve_endpoints("minimal", ["nope"])
    assert str(exc.value).endswith("allowed: " + ", ".join(KNOWN_SERVICES))


def test_commercial_region_refused_unless_allowed():
    stack = _stack("us-east-1")
    keys = _keyring(stack)
    args = dict(cidr="10.2.0.0/16", availability_zones=["us-east-1a", "us-east-1b"],
                flow_log_key=keys.key_for("logs"), agency_code="tv")
    with pytest.raises(ValueError, match=r"stack region 'us-east-1' is not a GovCloud \(US\) Region; allowed: "
                                         r"us-gov-west-1, us-gov-east-1 \(or pass allow_commercial=True\)"):
        IsolatedVpc(stack, "V1", **args)
    IsolatedVpc(stack, "V2", allow_commercial=True, **args)
    Annotations.from_stack(stack).has_warning("/T/V2", Match.string_like_regexp("outside the GovCloud"))


def test_unresolved_region_refused():
    stack = Stack(App(), "T")
    with pytest.raises(ValueError, match=r"stack region an unresolved region \(set env=Environment\(region=...\)\) "
                                         r"is not a GovCloud \(US\) Region"):
        IsolatedVpc(stack, "V", cidr="10.2.0.0/16", availability_zones=["a", "b"],
                    flow_log_key=_keyring(stack).key_for("logs"), agency_code="tv")


# --- adopt mode ------------------------------------------------------------------------------

ADOPT_ENDPOINTS = {n: f"vpce-{i:017x}" for i, n in enumerate(["s3", "dynamodb", *resolve_endpoints("minimal")])}
ADOPT = dict(existing_vpc_id="vpc-0123456789abcdef0", existing_subnet_ids=["subnet-0000000a", "subnet-0000000b"],
             existing_endpoint_ids=ADOPT_ENDPOINTS, existing_endpoint_security_group_id="sg-0123456789abcdef0")


@pytest.fixture(scope="module")
def adopted():
    stack = _stack("us-gov-west-1")
    net = IsolatedVpc(stack, "Net", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=_keyring(stack).key_for("logs"), agency_code="tv", **ADOPT)
    return net, Template.from_stack(stack)


def test_adopt_mode_creates_nothing_network_level(adopted):
    net, t = adopted
    assert net.adopted and net.network_acl is None
    for rtype in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation",
                  "AWS::EC2::Route", "AWS::EC2::VPCEndpoint", "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress",
                  "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "Custom::VpcRestrictDefaultSG",
                  "AWS::Lambda::Function"):
        t.resource_count_is(rtype, 0)
    assert net.vpc.vpc_id == "vpc-0123456789abcdef0"
    assert [s.subnet_id for s in net.isolated_subnets] == ["subnet-0000000a", "subnet-0000000b"]
    assert net.interface_endpoints["kms-fips"].vpc_endpoint_id == ADOPT_ENDPOINTS["kms-fips"]
    assert net.endpoint_security_group.security_group_id == "sg-0123456789abcdef0"


def test_adopt_mode_still_logs_flows_and_queries(adopted):
    _, t = adopted
    t.has_resource_properties("AWS::EC2::FlowLog", {"ResourceId": "vpc-0123456789abcdef0", "ResourceType": "VPC",
                                                    "TrafficType": "ALL"})
    t.has_resource_properties("AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
                              {"ResourceId": "vpc-0123456789abcdef0"})


@pytest.mark.parametrize("kwargs, message", [
    ({**ADOPT, "cidr": "10.0.0.0/16"}, r"^cidr is a create-mode property; with existing_vpc_id \(adopt mode\) allowed are "
                                       r"existing_subnet_ids, existing_endpoint_ids, existing_endpoint_security_group_id$"),
    ({"cidr": "10.0.0.0/16", "existing_subnet_ids": ["subnet-0000000a"]},
     r"^existing_subnet_ids: adopt-mode properties need existing_vpc_id; to create a VPC give cidr only$"),
    ({}, r"^cidr is required to create a VPC \(e.g. 10.40.0.0/16\), or give existing_vpc_id to adopt one$"),
    ({**ADOPT, "existing_vpc_id": "vpc-123"}, r"^existing_vpc_id: 'vpc-123' is not an id; allowed: vpc- and 8 or 17 hex digits$"),
    ({**ADOPT, "existing_subnet_ids": ["subnet-0000000a"]},
     r"^existing_subnet_ids: got 1; allowed one isolated subnet per availability zone, in the same order \(2\)$"),
    ({**ADOPT, "existing_subnet_ids": ["subnet-0000000a", "sg-0000000b"]},
     r"^existing_subnet_ids: 'sg-0000000b' is not an id; allowed: subnet- and 8 or 17 hex digits$"),
    ({**ADOPT, "existing_endpoint_ids": {k: v for k, v in ADOPT_ENDPOINTS.items() if k != "kms-fips"} | {"eks": "vpce-0000000e"}},
     r"^existing_endpoint_ids: missing \['kms-fips'\], unexpected \['eks'\]; allowed and required exactly: "
     r"s3, dynamodb, ssm, ssmmessages, ec2messages, sts, kms-fips, logs$"),
    ({**ADOPT, "existing_endpoint_ids": ADOPT_ENDPOINTS | {"s3": "vpce-xyz"}},
     r"^existing_endpoint_ids: 'vpce-xyz' is not an id; allowed: vpce- and 8 or 17 hex digits$"),
    ({**ADOPT, "existing_endpoint_security_group_id": None},
     r"^existing_endpoint_security_group_id is required in adopt mode \(sg-\.\.\.\)$"),
    ({**ADOPT, "existing_endpoint_security_group_id": "sg-1"},
     r"^existing_endpoint_security_group_id: 'sg-1' is not an id; allowed: sg- and 8 or 17 hex digits$"),
])
def test_adopt_mode_errors(err_stack, kwargs, message):
    stack, keys = err_stack
    with pytest.raises(ValueError, match=message):
        IsolatedVpc(stack, f"A{abs(hash(str(kwargs)))}", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                    flow_log_key=keys.key_for("logs"), agency_code="tv", **kwargs)


def test_flow_log_also_to_a_log_archive_bucket():
    from aws_cdk import RemovalPolicy
    from aws_cdk import aws_s3 as s3

    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    archive = s3.Bucket(stack, "Archive", encryption=s3.BucketEncryption.KMS,
                        encryption_key=keys.key_for("s3-data"), enforce_ssl=True, versioned=True,
                        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                        removal_policy=RemovalPolicy.RETAIN)
    net = IsolatedVpc(stack, "Net", cidr="10.10.0.0/16",
                      availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="tv", flow_log_bucket=archive)
    t = Template.from_stack(stack)
    assert net.archive_flow_log is not None
    t.resource_count_is("AWS::EC2::FlowLog", 2)
    t.has_resource_properties("AWS::EC2::FlowLog", {
        "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3",
        "LogDestination": {"Fn::Join": ["", [{"Fn::GetAtt": [Match.string_like_regexp("Archive"), "Arn"]},
                                             "/vpc-flow-logs/"]]},
        "LogFormat": Match.string_like_regexp(r"\$\{traffic-path\}$")})
    t.has_resource_properties("AWS::EC2::FlowLog", {"LogDestinationType": "cloud-watch-logs", "TrafficType": "ALL"})


@pytest.mark.parametrize("region", ["us-gov-west-1", "us-gov-east-1"])
def test_alone_at_high_passes_govcdk_rules_and_cfn_lint(region, tmp_path):
    import json

    from govcdk import govcloud
    from govcdk.policies import check
    from govcdk.policies.loader import load_template
    from govcdk.scanners import cfnlint

    from govcdk.stacks.agency import APP_CONTEXT

    stack = Stack(App(context=APP_CONTEXT), "T", env=Environment(account=ACCOUNT, region=region))
    keys = _keyring(stack)
    IsolatedVpc(stack, "Net", cidr="10.20.0.0/16", availability_zones=list(govcloud.region(region).availability_zones),
                flow_log_key=keys.key_for("logs"), agency_code="tv", impact_level="high",
                endpoint_profile="gpu-training")
    path = tmp_path / "vpc.template.json"
    path.write_text(json.dumps(Template.from_stack(stack).to_json()))
    report = check([path], region=region)
    assert [(f.rule_id, f.logical_id, f.message) for f in report.findings if f.status.failing] == []
    assert {f.rule_id for f in report.findings} >= {"GOV-EC2-001", "GOV-EC2-002", "GOV-EC2-003", "GOV-LOGS-001",
                                                     "GOV-LOGS-002", "GOV-GOVCLOUD-001"}
    t = load_template(path, region=region)
    lint = cfnlint.scan([(t.stack, t.path, t.template)], regions=govcloud.REGIONS)
    assert [(f.rule_id, f.logical_id, f.message) for f in lint.findings] == []


def test_ipv6_only_when_asked_and_still_isolated(gpu):
    _, t = gpu
    t.resource_count_is("AWS::EC2::VPCCidrBlock", 0)
    for subnet in t.find_resources("AWS::EC2::Subnet").values():
        assert "Ipv6CidrBlock" not in subnet["Properties"]
    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    IsolatedVpc(stack, "Net", cidr="10.30.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=keys.key_for("logs"), agency_code="tv", ipv6=True)
    dual = Template.from_stack(stack)
    dual.resource_count_is("AWS::EC2::VPCCidrBlock", 1)
    dual.resource_count_is("AWS::EC2::EgressOnlyInternetGateway", 0)
    dual.resource_count_is("AWS::EC2::InternetGateway", 0)
    for subnet in dual.find_resources("AWS::EC2::Subnet").values():
        assert subnet["Properties"]["AssignIpv6AddressOnCreation"] is False
        assert "Ipv6CidrBlock" in subnet["Properties"]
    for route in dual.find_resources("AWS::EC2::Route").values():
        raise AssertionError(f"unexpected route {route}")
    with pytest.raises(ValueError, match=r"ipv6 is a create-mode property"):
        IsolatedVpc(stack, "Adopt", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                    flow_log_key=keys.key_for("logs"), agency_code="tv", ipv6=True,
                    existing_vpc_id="vpc-0123456789abcdef0")


def test_more_bad_input():
    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    args = dict(cidr="10.2.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=keys.key_for("logs"), agency_code="tv")
    cases = [
        (dict(cidr="8.8.0.0/16"), r"cidr '8.8.0.0/16': must lie in a private \(RFC 1918\) range"),
        (dict(cidr="127.0.0.0/16"), r"must lie in a private \(RFC 1918\) range"),
        (dict(availability_zones=["us-gov-west-1a", "us-gov-west-1a"]), r"each availability zone once"),
        (dict(agency_code=None), r"agency_code None: allowed are 1..12 characters"),
        (dict(agency_code="a b"), r"agency_code 'a b': allowed are 1..12 characters"),
        (dict(fips="no"), r"fips='no': allowed True, False or None"),
    ]
    for i, (kwargs, message) in enumerate(cases):
        with pytest.raises(ValueError, match=message):
            IsolatedVpc(stack, f"B{i}", **{**args, **kwargs})


def test_fips_off_at_high_leaves_a_warning():
    stack = _stack("us-gov-west-1")
    keys = _keyring(stack)
    IsolatedVpc(stack, "N", cidr="10.2.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=keys.key_for("logs"), agency_code="tv", fips=False)
    Annotations.from_stack(stack).has_warning("/T/N", Match.string_like_regexp("fips=False at impact level high"))
