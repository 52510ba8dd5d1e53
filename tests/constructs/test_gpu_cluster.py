"""GpuCluster for each instance type issue 4 names, with each capacity option, synthesized once
(one App, one synthesis for the module) and asserted on the templates.

Expected layouts are written out from the EC2 User Guide ("Maximize network bandwidth on
Amazon EC2 instances with multiple network cards") and the DescribeInstanceTypes facts in
GOVCLOUD.md, not computed by the code under test:

- p4d.24xlarge: 4 network cards, 4 EFA -> ENA (0,0), efa-only (0,1), efa-only on cards 1..3
- p5.48xlarge: 32 cards, 32 EFA -> ENA (0,0), efa-only (0,1), efa-only on cards 1..31
- p5en.48xlarge: 16 cards, 16 EFA -> ENA (0,0), efa-only (0,1), efa-only on cards 1..15
- p6-b200.48xlarge: 8 cards, 8 EFA -> ENA (0,0), efa-only (0,1), efa-only on cards 1..7
- g6.48xlarge: 1 card, 1 EFA -> one "efa" interface (EFA with ENA) at (0,0)
- p6-b300.48xlarge (us-gov-east-1): 17 cards, card 0 without EFA, 16 EFA -> ENA (0,0),
  efa-only on cards 1..16
"""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from govcdk.constructs import (
    AgencyBackup,
    AgencyKeyring,
    CapacityBlock,
    CapacityReservation,
    GpuCluster,
    IsolatedVpc,
    LustreStorage,
)
from govcdk.stacks.agency import APP_CONTEXT

pytestmark = pytest.mark.synth

ACCOUNT = "111111111111"
RESERVATION = "cr-0123456789abcdef0"

EXPECTED_LAYOUT = {
    "p4d.24xlarge": [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 4)],
    "p5.48xlarge": [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 32)],
    "p5en.48xlarge": [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 16)],
    "p6-b200.48xlarge": [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 8)],
    "g6.48xlarge": [(0, 0, "efa")],
}
EFA_COUNT = {"p4d.24xlarge": 4, "p5.48xlarge": 32, "p5en.48xlarge": 16, "p6-b200.48xlarge": 8, "g6.48xlarge": 1}
CAPACITIES = ("on-demand", "reservation", "block")

# (stack name, region, instance type, capacity, extra GpuCluster kwargs)
CASES = [(f"{t.split('.')[0]}-{c}", "us-gov-west-1", t, c, {}) for t in EXPECTED_LAYOUT for c in CAPACITIES] + [
    ("p6b200-east", "us-gov-east-1", "p6-b200.48xlarge", "on-demand", {}),
    ("p6b300-east", "us-gov-east-1", "p6-b300.48xlarge", "block", {}),
    ("lustre-efa", "us-gov-west-1", "p5.48xlarge", "on-demand",
     {"shared_storage": LustreStorage(storage_capacity_gib=4800, throughput_per_tib=1000)}),
    ("lustre-tcp", "us-gov-west-1", "p5.48xlarge", "on-demand",
     {"shared_storage": LustreStorage(efa=False, throughput_per_tib=125, backup_retention_days=0)}),
    ("no-efa", "us-gov-west-1", "g4dn.xlarge", "on-demand", {"efa": False, "containers": True}),
    ("ami-ids", "us-gov-west-1", "p5.48xlarge", "on-demand",
     {"ami_ids": {"us-gov-west-1": "ami-0123456789abcdef0", "us-gov-east-1": "ami-0fedcba9876543210"},
      "availability_zone": "us-gov-west-1b", "root_volume_gib": 1024}),
]


@pytest.fixture(scope="module")
def assembly_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("gpu")


@pytest.fixture(scope="module")
def templates(assembly_dir):
    outdir = assembly_dir
    app = App(outdir=str(outdir), context=dict(APP_CONTEXT), analytics_reporting=False)
    bases = {}
    for region in ("us-gov-west-1", "us-gov-east-1"):
        base = Stack(app, f"base-{region}", env=Environment(account=ACCOUNT, region=region))
        keys = AgencyKeyring(base, "Keys", agency_code="t")
        net = IsolatedVpc(base, "Net", cidr="10.1.0.0/16", availability_zones=[f"{region}{z}" for z in "abc"],
                          flow_log_key=keys.key_for("logs"), agency_code="t")
        bases[region] = (keys, net)
    for name, region, itype, cap, extra in CASES:
        stack = Stack(app, name, env=Environment(account=ACCOUNT, region=region))
        keys, net = bases[region]
        capacity = {"on-demand": None, "reservation": CapacityReservation(RESERVATION),
                    "block": CapacityBlock(RESERVATION)}[cap]
        kwargs = {"ami_ssm_parameter": "/t/gpu-ami", **extra}
        if "ami_ids" in kwargs:
            del kwargs["ami_ssm_parameter"]
        cluster = GpuCluster(stack, "Gpu", vpc=net, keyring=keys, instance_type=itype, node_count=4,
                             capacity=capacity, **kwargs)
        if cluster.file_system is not None:  # stateful: backed up (GOV-BACKUP-001..003)
            AgencyBackup(stack, "Backup", keyring=keys, agency_code="t", impact_level="high",
                         resource_arns=[cluster.file_system.attr_resource_arn])
    assembly = app.synth()
    return {s.stack_name: s.template for s in assembly.stacks}


def _one(template: dict, rtype: str) -> dict:
    found = [r for r in template["Resources"].values() if r["Type"] == rtype]
    assert len(found) == 1, (rtype, len(found))
    return found[0]


def _lt(template: dict) -> dict:
    return _one(template, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]


def _cluster_sg_id(template: dict) -> str:
    (sg,) = [k for k, r in template["Resources"].items()
             if r["Type"] == "AWS::EC2::SecurityGroup" and r["Properties"]["GroupDescription"].startswith("GPU nodes")]
    return sg


@pytest.mark.parametrize("itype", list(EXPECTED_LAYOUT))
@pytest.mark.parametrize("cap", CAPACITIES)
def test_interfaces(templates, itype, cap):
    t = templates[f"{itype.split('.')[0]}-{cap}"]
    nics = _lt(t)["NetworkInterfaces"]
    got = [(n["NetworkCardIndex"], n["DeviceIndex"], n["InterfaceType"]) for n in nics]
    assert got == EXPECTED_LAYOUT[itype]
    assert sum(n["InterfaceType"] in ("efa", "efa-only") for n in nics) == EFA_COUNT[itype]
    sg = _cluster_sg_id(t)
    for n in nics:
        assert n["Groups"] == [{"Fn::GetAtt": [sg, "GroupId"]}]
        assert n["AssociatePublicIpAddress"] is False and n["DeleteOnTermination"] is True


@pytest.mark.parametrize("itype", list(EXPECTED_LAYOUT))
@pytest.mark.parametrize("cap", CAPACITIES)
def test_launch_template(templates, itype, cap):
    t = templates[f"{itype.split('.')[0]}-{cap}"]
    data = _lt(t)
    assert data["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1,
                                       "HttpTokens": "required", "InstanceMetadataTags": "disabled"}
    (bdm,) = data["BlockDeviceMappings"]
    assert bdm["DeviceName"] == "/dev/sda1"
    ebs = bdm["Ebs"]
    assert ebs["Encrypted"] is True and ebs["VolumeType"] == "gp3" and ebs["VolumeSize"] == 512
    assert "Fn::ImportValue" in ebs["KmsKeyId"] and "EbsKey" in json.dumps(ebs["KmsKeyId"])
    assert "KeyName" not in data and data["Monitoring"] == {"Enabled": True}
    assert data["InstanceType"] == {"Fn::FindInMap": ["GpuInstanceTypeByRegion", {"Ref": "AWS::Region"}, "InstanceType"]}
    assert t["Mappings"]["GpuInstanceTypeByRegion"] == {"us-gov-west-1": {"InstanceType": itype}}
    assert data["ImageId"] == {"Ref": "GpuAmiId"}
    assert t["Parameters"]["GpuAmiId"]["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert t["Parameters"]["GpuAmiId"]["Default"] == "/t/gpu-ami"
    user_data = data["UserData"]["Fn::Base64"]
    assert "AWS_USE_FIPS_ENDPOINT=true" in user_data
    for fetch in ("curl", "wget", "http://", "https://", "pip ", "apt", "yum", "dnf"):
        assert fetch not in user_data
    role = _one(t, "AWS::IAM::Role")["Properties"]
    assert role["ManagedPolicyArns"] == [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                             ":iam::aws:policy/AmazonSSMManagedInstanceCore"]]}]


@pytest.mark.parametrize("itype", list(EXPECTED_LAYOUT))
def test_security_group_rules(templates, itype):
    t = templates[f"{itype.split('.')[0]}-on-demand"]
    sg = _cluster_sg_id(t)
    assert "SecurityGroupIngress" not in t["Resources"][sg]["Properties"]
    assert "SecurityGroupEgress" not in t["Resources"][sg]["Properties"]
    ingress = [r["Properties"] for r in t["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    egress = [r["Properties"] for r in t["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"]
    me = {"Fn::GetAtt": [sg, "GroupId"]}
    assert [(i["IpProtocol"], i["SourceSecurityGroupId"]) for i in ingress] == [("-1", me)]
    got = sorted((e["IpProtocol"], e.get("FromPort"), e.get("ToPort"), json.dumps(e["DestinationSecurityGroupId"]))
                 for e in egress)
    assert len(got) == 2
    assert ("-1", None, None, json.dumps(me)) in got
    (https,) = [g for g in got if g[0] == "tcp"]
    assert https[1:3] == (443, 443) and "EndpointSecurityGroup" in https[3] and "ImportValue" in https[3]
    text = json.dumps(t)
    assert "0.0.0.0/0" not in text and "::/0" not in text and "CidrIp" not in text


@pytest.mark.parametrize("itype", list(EXPECTED_LAYOUT))
def test_on_demand_uses_cluster_placement_group_in_one_az(templates, itype):
    t = templates[f"{itype.split('.')[0]}-on-demand"]
    pg = [k for k, r in t["Resources"].items() if r["Type"] == "AWS::EC2::PlacementGroup"]
    assert len(pg) == 1 and t["Resources"][pg[0]]["Properties"] == {"Strategy": "cluster"}
    data = _lt(t)
    assert data["Placement"] == {"GroupName": {"Ref": pg[0]}}
    assert "CapacityReservationSpecification" not in data and "InstanceMarketOptions" not in data
    asg = _one(t, "AWS::AutoScaling::AutoScalingGroup")["Properties"]
    assert (asg["MinSize"], asg["MaxSize"], asg["DesiredCapacity"]) == ("4", "4", "4")
    (subnet,) = asg["VPCZoneIdentifier"]
    assert "isolatedSubnet1Subnet" in json.dumps(subnet)  # the first AZ's isolated subnet (us-gov-west-1a)


@pytest.mark.parametrize("itype", list(EXPECTED_LAYOUT))
@pytest.mark.parametrize("cap", ["reservation", "block"])
def test_reservations_target_the_parameter_and_drop_the_placement_group(templates, itype, cap):
    t = templates[f"{itype.split('.')[0]}-{cap}"]
    assert not [r for r in t["Resources"].values() if r["Type"] == "AWS::EC2::PlacementGroup"]
    data = _lt(t)
    assert "Placement" not in data
    assert data["CapacityReservationSpecification"] == {
        "CapacityReservationTarget": {"CapacityReservationId": {"Ref": "CapacityReservationId"}}}
    param = t["Parameters"]["CapacityReservationId"]
    assert param["Default"] == RESERVATION and param["AllowedPattern"] == "cr-[0-9a-f]{8}(?:[0-9a-f]{9})?"
    if cap == "block":
        assert data["InstanceMarketOptions"] == {"MarketType": "capacity-block"}
        assert param["Description"].startswith("Capacity Block")
    else:
        assert "InstanceMarketOptions" not in data


def test_east_region_types(templates):
    east = templates["p6b200-east"]
    assert east["Mappings"]["GpuInstanceTypeByRegion"] == {"us-gov-east-1": {"InstanceType": "p6-b200.48xlarge"}}
    b300 = _lt(templates["p6b300-east"])["NetworkInterfaces"]
    assert [(n["NetworkCardIndex"], n["DeviceIndex"], n["InterfaceType"]) for n in b300] == \
        [(0, 0, "interface")] + [(c, 0, "efa-only") for c in range(1, 17)]


def test_lustre_with_efa(templates):
    t = templates["lustre-efa"]
    fs = _one(t, "AWS::FSx::FileSystem")
    assert fs["DeletionPolicy"] == "Retain"
    p = fs["Properties"]
    assert (p["FileSystemType"], p["StorageType"], p["StorageCapacity"]) == ("LUSTRE", "SSD", 4800)
    assert "FsxKey" in json.dumps(p["KmsKeyId"])
    lc = p["LustreConfiguration"]
    assert lc["DeploymentType"] == "PERSISTENT_2" and lc["EfaEnabled"] is True
    assert lc["MetadataConfiguration"] == {"Mode": "AUTOMATIC"}
    assert lc["PerUnitStorageThroughput"] == {"Ref": "LustreThroughputPerTiB"}
    assert t["Parameters"]["LustreThroughputPerTiB"]["Default"] == "1000"
    assert t["Parameters"]["LustreThroughputPerTiB"]["AllowedValues"] == ["125", "250", "500", "1000"]
    asg_subnet = _one(t, "AWS::AutoScaling::AutoScalingGroup")["Properties"]["VPCZoneIdentifier"]
    assert p["SubnetIds"] == asg_subnet
    # EFA-enabled Lustre: all traffic within the file system's group and with the nodes only.
    nodes = _cluster_sg_id(t)
    (fsx_sg,) = [k for k, r in t["Resources"].items()
                 if r["Type"] == "AWS::EC2::SecurityGroup" and k != nodes]
    assert p["SecurityGroupIds"] == [{"Fn::GetAtt": [fsx_sg, "GroupId"]}]
    rules = _rules(t)
    assert ("in", fsx_sg, "-1", None, None, fsx_sg) in rules and ("in", fsx_sg, "-1", None, None, nodes) in rules
    assert ("out", fsx_sg, "-1", None, None, fsx_sg) in rules and ("out", fsx_sg, "-1", None, None, nodes) in rules
    assert ("in", nodes, "-1", None, None, fsx_sg) in rules and ("out", nodes, "-1", None, None, fsx_sg) in rules
    assert {r[5] for r in rules} <= {fsx_sg, nodes, "endpoints"}


def test_lustre_without_efa_opens_only_lnet_ports(templates):
    t = templates["lustre-tcp"]
    lc = _one(t, "AWS::FSx::FileSystem")["Properties"]["LustreConfiguration"]
    assert lc["EfaEnabled"] is False and lc["AutomaticBackupRetentionDays"] == 0
    nodes = _cluster_sg_id(t)
    (fsx_sg,) = [k for k, r in t["Resources"].items() if r["Type"] == "AWS::EC2::SecurityGroup" and k != nodes]
    fsx_rules = {r for r in _rules(t) if fsx_sg in (r[1], r[5])}
    expected = set()
    for low, high in ((988, 988), (1018, 1023)):
        for peer in (fsx_sg, nodes):
            expected |= {("in", fsx_sg, "tcp", low, high, peer), ("out", fsx_sg, "tcp", low, high, peer)}
        expected |= {("in", nodes, "tcp", low, high, fsx_sg), ("out", nodes, "tcp", low, high, fsx_sg)}
    assert fsx_rules == expected


@pytest.mark.parametrize("name", ["lustre-efa", "lustre-tcp", "no-efa"])
def test_all_traffic_rules_between_groups_carry_the_cdk_nag_acknowledgement(templates, name):
    """cdk-nag's EC2RestrictedCommonPorts fails every all-traffic ingress rule whatever its
    source; the rules between the cluster's own groups acknowledge it with the reason (the
    EFA requirement), every other rule acknowledges nothing."""
    from govcdk.constructs.gpu_cluster import (ALL_TRAFFIC_NAG_RULE, EFA_LUSTRE_ALL_TRAFFIC_REASON,
                                               NODES_ALL_TRAFFIC_REASON)

    t = templates[name]
    nodes = _cluster_sg_id(t)
    seen = {}
    for lid, r in t["Resources"].items():
        meta = r.get("Metadata", {})
        if r["Type"] != "AWS::EC2::SecurityGroupIngress" or r["Properties"]["IpProtocol"] != "-1":
            assert "cdk_nag" not in meta, lid
            continue
        p = r["Properties"]
        assert "CidrIp" not in p and "CidrIpv6" not in p
        (entry,) = meta["cdk_nag"]["rules_to_suppress"]
        assert entry["id"] == ALL_TRAFFIC_NAG_RULE
        pair = (p["GroupId"]["Fn::GetAtt"][0], p["SourceSecurityGroupId"]["Fn::GetAtt"][0])
        seen[pair] = entry["reason"]
    if name == "lustre-efa":
        (fsx_sg,) = [k for k, r in t["Resources"].items() if r["Type"] == "AWS::EC2::SecurityGroup" and k != nodes]
        assert seen == {(nodes, nodes): NODES_ALL_TRAFFIC_REASON, (fsx_sg, fsx_sg): EFA_LUSTRE_ALL_TRAFFIC_REASON,
                        (fsx_sg, nodes): EFA_LUSTRE_ALL_TRAFFIC_REASON, (nodes, fsx_sg): EFA_LUSTRE_ALL_TRAFFIC_REASON}
    else:
        assert seen == {(nodes, nodes): NODES_ALL_TRAFFIC_REASON}


def _rules(t: dict) -> set[tuple]:
    out = set()
    for r in t["Resources"].values():
        if r["Type"] not in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            continue
        p = r["Properties"]
        direction = "in" if r["Type"].endswith("Ingress") else "out"
        peer = p.get("SourceSecurityGroupId") or p.get("DestinationSecurityGroupId")
        peer_id = peer["Fn::GetAtt"][0] if "Fn::GetAtt" in peer else "endpoints"
        out.add((direction, p["GroupId"]["Fn::GetAtt"][0], p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), peer_id))
    return out


def test_without_efa_one_ena_interface_and_container_hop_limit(templates):
    data = _lt(templates["no-efa"])
    assert [(n["NetworkCardIndex"], n["DeviceIndex"], n["InterfaceType"]) for n in data["NetworkInterfaces"]] == \
        [(0, 0, "interface")]
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert data["MetadataOptions"]["HttpTokens"] == "required"


def test_ami_ids_availability_zone_and_root_volume(templates):
    t = templates["ami-ids"]
    assert t["Parameters"]["GpuAmiId"] == {
        "Type": "AWS::EC2::Image::Id", "Default": "ami-0123456789abcdef0",
        "Description": "GPU AMI id in us-gov-west-1 (must carry EFA, NCCL and the GPU driver)"}
    assert _lt(t)["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 1024
    (subnet,) = _one(t, "AWS::AutoScaling::AutoScalingGroup")["Properties"]["VPCZoneIdentifier"]
    assert "isolatedSubnet2Subnet" in json.dumps(subnet)  # us-gov-west-1b


def test_same_input_same_templates(templates):
    """Synthesis is deterministic: the module's templates have no dummy AZ and no commercial ARN."""
    text = json.dumps(templates)
    assert "dummy1a" not in text and "arn:aws:" not in text


def test_every_cluster_passes_govcdk_rules_and_cfn_lint_in_both_regions(templates, assembly_dir):
    """0 failing govcdk findings, and cfn-lint with both GovCloud regions finds nothing (no
    E3628 for the per-region instance type, no E3006, no W for the reservation parameter)."""
    from govcdk.policies.engine import check
    from govcdk.scanners import cfnlint

    report = check([assembly_dir])
    assert len(report.templates) == len(templates)
    assert [(f.rule_id, f.stack, f.logical_id, f.message) for f in report.failing] == []
    items = [(n, assembly_dir / f"{n}.template.json", t) for n, t in templates.items() if not n.startswith("base-")]
    lint = cfnlint.scan(items, regions=("us-gov-west-1", "us-gov-east-1"))
    assert [(f.rule_id, f.stack, f.logical_id, f.message) for f in lint.findings] == []
