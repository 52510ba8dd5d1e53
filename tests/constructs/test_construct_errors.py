"""Every ValueError the constructs raise, with its message. No synthesis: constructs validate
in __init__, so these tests only build construct trees."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack

from govcdk.constructs import (
    AgencyKeyring,
    CapacityBlock,
    CapacityReservation,
    GpuCluster,
    IsolatedVpc,
    LustreStorage,
)


@pytest.fixture(scope="module")
def stack():
    return Stack(App(), "T", env=Environment(account="111111111111", region="us-gov-west-1"))


@pytest.fixture(scope="module")
def keyring(stack):
    return AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs"])


@pytest.fixture(scope="module")
def net(stack, keyring):
    return IsolatedVpc(stack, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                       flow_log_key=keyring.key_for("logs"), agency_code="t")


@pytest.mark.parametrize("kwargs, message", [
    ({"cidr": "10.1.0.0/33"}, r"cidr '10.1.0.0/33' is not an IPv4 network"),
    ({"cidr": "10.1.0.0/26"}, r"cidr '10.1.0.0/26': prefix length must be /16 to /24"),
    ({"availability_zones": ["us-gov-west-1a"]}, r"availability_zones: got 1; allowed 2 or 3"),
    ({"availability_zones": ["us-gov-east-1a", "us-gov-west-1a"]}, r"availability_zones \['us-gov-east-1a'\] are not in us-gov-west-1"),
    ({"flow_log_retention_days": 30}, r"flow_log_retention_days=30: allowed 365, 400"),
])
def test_isolated_vpc_errors(stack, keyring, kwargs, message):
    args = dict(cidr="10.2.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                flow_log_key=keyring.key_for("logs"), agency_code="t")
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        IsolatedVpc(stack, f"V{abs(hash(str(kwargs)))}", **args)


@pytest.fixture(scope="module")
def adopted_subnets(stack):
    from aws_cdk import aws_ec2 as ec2

    return {az: ec2.Subnet.from_subnet_attributes(stack, f"S{az}", subnet_id=f"subnet-0{i}234567", availability_zone=az)
            for i, az in enumerate(["us-gov-west-1a", "us-gov-west-1b"])}


@pytest.mark.parametrize("kwargs, message", [
    ({"node_count": 0}, r"node_count=0: allowed 1..64"),
    ({"node_count": 9, "max_nodes": 8}, r"node_count=9: allowed 1..8"),
    ({"node_count": True}, r"node_count=True: allowed 1..64"),
    ({"node_count": 2.0}, r"node_count=2.0: allowed 1..64"),
    ({"max_nodes": 0}, r"max_nodes=0: allowed a whole number >= 1"),
    ({"root_volume_gib": 4}, r"root_volume_gib=4: allowed 8..16384 \(gp3\)"),
    ({"efa": "yes"}, r"efa='yes': allowed True or False"),
    ({"containers": 1}, r"containers=1: allowed True or False"),
    ({"instance_type": "p6-b300.48xlarge"}, r"instance type p6-b300.48xlarge is not offered in us-gov-west-1; EFA-capable accelerated types offered there: .*p5.48xlarge"),
    ({"instance_type": "m5.large"}, r"no instance facts for 'm5.large'; known accelerated types:"),
    ({"instance_type": None}, r"instance_type=None: give an instance type name"),
    ({"instance_type": "g4dn.xlarge"}, r"g4dn.xlarge does not support EFA; pass efa=False or choose an EFA-capable type offered in us-gov-west-1: .*p5.48xlarge"),
    ({"capacity": "on-demand"}, r"capacity='on-demand': allowed OnDemand\(\), CapacityReservation\(...\) or CapacityBlock\(...\)"),
    ({"capacity": CapacityReservation("cr-123")}, r"reservation_id='cr-123': allowed 'cr-' and 8 or 17 lower-case hex digits"),
    ({"capacity": CapacityBlock("r-0123456789abcdef0")}, r"reservation_id='r-0123456789abcdef0': allowed 'cr-'"),
    ({"capacity": CapacityBlock("cr-0123456789abcdef0", availability_zone="us-gov-west-1b"), "availability_zone": "us-gov-west-1a"},
     r"the capacity reservation is in us-gov-west-1b \(CapacityReservation.availability_zone\) but the subnets are in us-gov-west-1a; a reservation serves one availability zone"),
    # the reservation's AZ: checked against the region even when the subnets' AZ is unknown,
    # and named as CapacityReservation.availability_zone (new-user test D8)
    ({"subnets": "one-no-az", "capacity": CapacityReservation("cr-0123456789abcdef0", availability_zone="us-gov-east-1a")},
     r"CapacityReservation.availability_zone='us-gov-east-1a' is not in us-gov-west-1; allowed: us-gov-west-1a, us-gov-west-1b, us-gov-west-1c"),
    ({"capacity": CapacityReservation("cr-0123456789abcdef0", availability_zone="us-gov-west-1q")},
     r"CapacityReservation.availability_zone='us-gov-west-1q' is not in us-gov-west-1"),
    ({"capacity": CapacityReservation("cr-0123456789abcdef0", availability_zone="us-gov-west-1c")},
     r"^CapacityReservation.availability_zone='us-gov-west-1c': the VPC has isolated subnets in us-gov-west-1a, us-gov-west-1b$"),
    ({"capacity": CapacityReservation("cr-0123456789abcdef0", availability_zone=1)},
     r"CapacityReservation.availability_zone=1: give an availability zone name"),
    # Capacity Blocks only for the types EC2 sells as blocks (EC2 User Guide, D5)
    ({"instance_type": "g6.48xlarge", "capacity": CapacityBlock("cr-0123456789abcdef0")},
     r"CapacityBlock for g6.48xlarge: EC2 does not sell Capacity Blocks for ML for this type; allowed: p4d.24xlarge, .*p5.48xlarge.*trn2.48xlarge.* \(Amazon EC2 User Guide, 'Capacity Blocks for ML'"),
    ({"instance_type": "g4dn.8xlarge", "efa": False, "capacity": CapacityBlock("cr-0123456789abcdef0")},
     r"CapacityBlock for g4dn.8xlarge: EC2 does not sell Capacity Blocks"),
    ({"availability_zone": "us-gov-west-1c"}, r"availability_zone='us-gov-west-1c': the VPC has isolated subnets in us-gov-west-1a, us-gov-west-1b"),
    ({"subnets": []}, r"subnets: give at least one subnet"),
    ({"subnets": "no-az"}, r"cannot tell the availability zone of every subnet; give subnets whose availability_zone is known, or one subnet"),
    ({"subnets": "both-azs"}, r"subnets span availability zones us-gov-west-1a, us-gov-west-1b: a cluster placement group, a capacity reservation and EFA traffic each stay within one availability zone"),
    ({"subnets": "both-azs", "efa": False, "instance_type": "g4dn.xlarge", "capacity": CapacityReservation("cr-0123456789abcdef0")},
     r"subnets span availability zones us-gov-west-1a, us-gov-west-1b"),
    ({"vpc": "plain"}, r"endpoint_security_group is required when vpc is not an IsolatedVpc"),
    ({"vpc": "plain-no-subnets"}, r"subnets is required when vpc is not an IsolatedVpc"),
    ({"ami_ssm_parameter": None}, r"give exactly one of ami_ssm_parameter .* and ami_ids"),
    ({"ami_ids": {"us-gov-west-1": "ami-0123456789abcdef0"}}, r"give exactly one of ami_ssm_parameter"),
    ({"ami_ssm_parameter": "gpu-ami"}, r"ami_ssm_parameter='gpu-ami': allowed an SSM parameter name"),
    ({"ami_ssm_parameter": None, "ami_ids": {"us-gov-east-1": "ami-0123456789abcdef0"}}, r"ami_ids has no AMI for the stack's region us-gov-west-1; it has: us-gov-east-1"),
    ({"ami_ssm_parameter": None, "ami_ids": {"us-gov-west-1": "ami-12"}}, r"ami_ids\['us-gov-west-1'\]='ami-12': allowed 'ami-' and 8 or 17"),
    ({"ami_ssm_parameter": None, "ami_ids": {}}, r"ami_ids: give a mapping of region to AMI id"),
    # ami_ids keys: GovCloud (US) regions only, as in the agency file (D9)
    ({"ami_ssm_parameter": None, "ami_ids": {"us-gov-west-1": "ami-0123456789abcdef0", "us-east-1": "ami-0123456789abcdef0"}},
     r"ami_ids key 'us-east-1' is not a GovCloud \(US\) region; allowed keys: us-gov-west-1, us-gov-east-1$"),
    ({"shared_storage": LustreStorage(storage_capacity_gib=1300)}, r"storage_capacity_gib=1300: allowed 1200 or a multiple of 2400"),
    ({"shared_storage": LustreStorage(throughput_per_tib=200)}, r"throughput_per_tib=200: allowed 125, 250, 500, 1000"),
    ({"shared_storage": LustreStorage(backup_retention_days=91)}, r"backup_retention_days=91: allowed 0..90"),
    ({"shared_storage": LustreStorage(efa="yes")}, r"LustreStorage.efa='yes': allowed True, False or None"),
    ({"shared_storage": {"storage_capacity_gib": 1200}}, r"shared_storage=\{.*\}: allowed LustreStorage\(...\) or None"),
    ({"shared_storage": LustreStorage(efa=True), "efa": False, "instance_type": "g4dn.xlarge"}, r"LustreStorage.efa=True needs an EFA cluster \(efa=True\)"),
    # EFA-enabled Lustre: a multiple of 38400/19200/9600/4800 GiB at 125/250/500/1000 MB/s/TiB (D1)
    ({"shared_storage": LustreStorage(storage_capacity_gib=2400, throughput_per_tib=500, efa=True)},
     r"LustreStorage\(storage_capacity_gib=2400, throughput_per_tib=500, efa=True\): an EFA-enabled FSx for Lustre file system needs a storage capacity that is a multiple of 38400 GiB at 125, 19200 GiB at 250, 9600 GiB at 500, 4800 GiB at 1000 MB/s per TiB .*; 2400 GiB is a multiple of none of these; .*efa=False"),
    ({"shared_storage": LustreStorage(storage_capacity_gib=9600, throughput_per_tib=250, efa=True)},
     r"throughput_per_tib=250, efa=True\): .*; 9600 GiB allows EFA at 500, 1000 MB/s per TiB; change the capacity or throughput"),
    ({"shared_storage": LustreStorage(storage_capacity_gib=1200, efa=True)}, r"1200 GiB is a multiple of none of these"),
    # props of the wrong kind (break-test findings): a ValueError saying what is allowed
    ({"launch_tags": {"a": 1}}, r"launch_tags\['a'\]=1: allowed a string of 0..256"),
    ({"launch_tags": ["a"]}, r"launch_tags=\['a'\]: give a mapping of tag key to tag value"),
    ({"launch_tags": {"aws:owner": "x"}}, r"launch_tags: key 'aws:owner': allowed 1..128 .* not starting with 'aws:'"),
    ({"launch_tags": {"team": "a<b"}}, r"launch_tags\['team'\]='a<b': allowed .*characters AWS does not allow in tags \('<'\)"),
    ({"launch_tags": {"te\u0301am": "x"}}, r"launch_tags: key 'te\u0301am': allowed 1..128"),
    ({"root_device_name": 1}, r"root_device_name=1: allowed /dev/sdX, /dev/xvdX or /dev/nvmeNn1"),
    ({"root_device_name": "sda1"}, r"root_device_name='sda1': allowed"),
    ({"subnets": ["subnet-123"]}, r"subnets: 'subnet-123' is not an ec2.ISubnet; import subnet ids with"),
    ({"subnets": "subnet-123"}, r"subnets='subnet-123': give a list of ec2.ISubnet"),
    ({"endpoint_security_group": "sg-123"}, r"endpoint_security_group='sg-123': give an ec2.ISecurityGroup"),
    ({"keyring": "keys"}, r"keyring='keys': give the AgencyKeyring"),
    ({"vpc": "vpc-123"}, r"vpc='vpc-123': give an IsolatedVpc or an ec2.IVpc"),
    ({"availability_zone": 1}, r"availability_zone=1: give an availability zone name"),
    ({"subnets": "west-1a", "availability_zone": "us-gov-west-1b"},
     r"availability_zone='us-gov-west-1b' but the subnets are in us-gov-west-1a; give one or the other"),
    ({"subnets": "east-1a"}, r"subnet availability zone 'us-gov-east-1a' is not in us-gov-west-1; allowed: us-gov-west-1a, us-gov-west-1b, us-gov-west-1c"),
    ({"subnets": "dummy"}, r"subnet availability zone 'dummy1a' is CDK's placeholder"),
])
def test_gpu_cluster_errors(stack, keyring, net, adopted_subnets, kwargs, message):
    from aws_cdk import aws_ec2 as ec2

    args = dict(vpc=net, keyring=keyring, instance_type="p5.48xlarge", node_count=2, ami_ssm_parameter="/t/ami")
    args.update(kwargs)
    if args.get("subnets") == "both-azs":
        args["subnets"] = list(adopted_subnets.values())
    if args.get("subnets") in ("west-1a", "east-1a", "dummy"):
        az = {"west-1a": "us-gov-west-1a", "east-1a": "us-gov-east-1a", "dummy": "dummy1a"}[args["subnets"]]
        args["subnets"] = [ec2.Subnet.from_subnet_attributes(stack, f"Z{abs(hash(str(kwargs)))}",
                                                             subnet_id="subnet-0abc1234", availability_zone=az)]
    if args.get("subnets") == "one-no-az":
        args["subnets"] = [ec2.Subnet.from_subnet_id(stack, f"O{abs(hash(str(kwargs)))}", "subnet-0fedcba9")]
    if args.get("subnets") == "no-az":
        args["subnets"] = [ec2.Subnet.from_subnet_id(stack, f"N{i}{abs(hash(str(kwargs)))}", f"subnet-0{i}bcdef12")
                           for i in range(2)]
    if args["vpc"] in ("plain", "plain-no-subnets"):
        if args["vpc"] == "plain":
            args["subnets"] = [adopted_subnets["us-gov-west-1a"]]
        args["vpc"] = net.vpc
    before = [c.node.path for c in stack.node.find_all()]
    cid = f"C{abs(hash(str(kwargs)))}"
    with pytest.raises(ValueError, match=message):
        GpuCluster(stack, cid, **args)
    # Every prop is validated before a construct is added: nothing half-built is left (D7).
    assert stack.node.try_find_child(cid) is None
    assert [c.node.path for c in stack.node.find_all()] == before


def test_gpu_cluster_outside_govcloud_needs_allow_commercial():
    commercial = Stack(App(), "C", env=Environment(account="111111111111", region="us-east-1"))
    keys = AgencyKeyring(commercial, "Keys", agency_code="t", purposes=["ebs", "logs"], allow_commercial=True)
    vpc = IsolatedVpc(commercial, "Net", cidr="10.1.0.0/16", availability_zones=["us-east-1a", "us-east-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t", allow_commercial=True)
    with pytest.raises(ValueError, match=r"stack region 'us-east-1' is not a GovCloud \(US\) Region"):
        GpuCluster(commercial, "Gpu", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1,
                   ami_ssm_parameter="/t/ami")
    GpuCluster(commercial, "Gpu2", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1,
               ami_ssm_parameter="/t/ami", allow_commercial=True)


def test_p5_in_us_gov_east_1_names_the_region_and_its_types():
    east = Stack(App(), "E", env=Environment(account="111111111111", region="us-gov-east-1"))
    keys = AgencyKeyring(east, "Keys", agency_code="t", purposes=["ebs", "logs"])
    vpc = IsolatedVpc(east, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-east-1a", "us-gov-east-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    with pytest.raises(ValueError) as info:
        GpuCluster(east, "Gpu", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=2,
                   ami_ssm_parameter="/t/ami")
    msg = str(info.value)
    assert msg.startswith("instance type p5.48xlarge is not offered in us-gov-east-1; "
                          "EFA-capable accelerated types offered there: ")
    offered = msg.split("offered there: ")[1].split(", ")
    # GOVCLOUD.md: us-gov-east-1 offers p6-b200, p6-b300, g6.*, g4dn.*, p3dn; none of p4d/p5/p5en.
    assert {"p6-b200.48xlarge", "p6-b300.48xlarge", "g6.48xlarge", "p3dn.24xlarge"} <= set(offered)
    assert not {"p5.48xlarge", "p4d.24xlarge", "p5en.48xlarge"} & set(offered)


@pytest.mark.parametrize("value", ["a\u00a0b", "a\u2003b", "\u00e9quipe", "a b"])
def test_launch_tags_follow_the_agency_files_tag_rule(value):
    """One tag rule (AWS's \\p{L}\\p{Z}\\p{N}): a value the agency file accepts, such as one
    with a no-break space, is accepted by GpuCluster too (it crashed synthesis once)."""
    from govcdk.config import tag_problems

    assert tag_problems("team", value) == []
    stack = Stack(App(), "Tags", env=Environment(account="111111111111", region="us-gov-west-1"))
    keys = AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs"])
    vpc = IsolatedVpc(stack, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    GpuCluster(stack, "Gpu", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1,
               ami_ssm_parameter="/t/ami", launch_tags={"team": value, "govcdk:agency": "t"})


def test_one_gpu_cluster_per_stack():
    stack = Stack(App(), "Two", env=Environment(account="111111111111", region="us-gov-west-1"))
    keys = AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs"])
    vpc = IsolatedVpc(stack, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    GpuCluster(stack, "Gpu", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1, ami_ssm_parameter="/t/ami")
    with pytest.raises(ValueError, match=r"one GpuCluster per stack: .* put each cluster in its own stack"):
        GpuCluster(stack, "Gpu2", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1,
                   ami_ssm_parameter="/t/ami")


def _small_stack(cidr: str):
    stack = Stack(App(), "Small", env=Environment(account="111111111111", region="us-gov-west-1"))
    keys = AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs", "fsx"])
    vpc = IsolatedVpc(stack, "Net", cidr=cidr, availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    return stack, keys, vpc


def test_subnet_must_hold_the_nodes_endpoints_and_lustre():
    """A /24 over 2 AZs gives /25 subnets: 128 - 5 AWS-reserved = 123 usable addresses. The
    minimal endpoint profile puts 6 interface endpoints (ssm, ssmmessages, ec2messages, sts,
    kms-fips, logs) in each subnet: 117 left. A p5.48xlarge node takes 1 (its ENA primary; the
    32 efa-only interfaces take none): 117 nodes fit. A 1200 GiB Lustre file system is
    estimated at ceil(1200/1200) + 2 = 3 addresses: 114 then."""
    stack, keys, vpc = _small_stack("10.9.0.0/24")
    assert len(vpc.interface_endpoints) == 6
    kw = dict(vpc=vpc, keyring=keys, instance_type="p5.48xlarge", ami_ssm_parameter="/t/ami", max_nodes=500)
    with pytest.raises(ValueError) as info:
        GpuCluster(stack, "Big", node_count=118, **kw)
    msg = str(info.value)
    assert msg.startswith("node_count=118: the cluster's subnet 10.9.0.0/25 has 123 usable addresses "
                          "(its size minus the 5 AWS reserves); 6 interface VPC endpoint network interface(s) leave 117; "
                          "each p5.48xlarge node takes 1 (one per ENA or efa interface; efa-only interfaces take none)"), msg
    assert msg.endswith(": at most 117 node(s) fit; lower node_count, give the VPC a larger CIDR"), msg
    with pytest.raises(ValueError, match=r"up to 3 for the FSx for Lustre file system .* leave 114; .*: at most 114 "
                                         r"node\(s\) fit; lower node_count, give the VPC a larger CIDR or give the "
                                         r"Lustre file system less storage$"):
        GpuCluster(stack, "Big", node_count=115, shared_storage=LustreStorage(), **kw)
    assert stack.node.try_find_child("Big") is None
    GpuCluster(stack, "Fits", node_count=114, shared_storage=LustreStorage(), **kw)


def test_capacity_block_types_are_the_ones_ec2_sells():
    from govcdk import sizing
    from govcdk.constructs.gpu_cluster import CAPACITY_BLOCK_INSTANCE_TYPES

    # Written out from the EC2 User Guide page ("Capacity Blocks for ML", read 2026-12-04),
    # not computed: instance blocks, the UltraServer members, and p5en from the page's
    # previous version.
    assert set(CAPACITY_BLOCK_INSTANCE_TYPES) == {
        "p6-b300.48xlarge", "p6-b200.48xlarge", "p5.4xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge",
        "p4d.24xlarge", "p4de.24xlarge", "trn1.32xlarge", "trn2.3xlarge", "trn2.48xlarge",
        "trn2u.48xlarge", "p6e-gb200.36xlarge"}
    assert "2026-12-04" in sizing.CAPACITY_BLOCK_SOURCE
