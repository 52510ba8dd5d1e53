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
     r"the capacity reservation is in us-gov-west-1b but the subnets are in us-gov-west-1a; a reservation serves one availability zone"),
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
    ({"shared_storage": LustreStorage(storage_capacity_gib=1300)}, r"storage_capacity_gib=1300: allowed 1200 or a multiple of 2400"),
    ({"shared_storage": LustreStorage(throughput_per_tib=200)}, r"throughput_per_tib=200: allowed 125, 250, 500, 1000"),
    ({"shared_storage": LustreStorage(backup_retention_days=91)}, r"backup_retention_days=91: allowed 0..90"),
    ({"shared_storage": LustreStorage(efa="yes")}, r"LustreStorage.efa='yes': allowed True, False or None"),
    ({"shared_storage": {"storage_capacity_gib": 1200}}, r"shared_storage=\{.*\}: allowed LustreStorage\(...\) or None"),
    ({"shared_storage": LustreStorage(efa=True), "efa": False, "instance_type": "g4dn.xlarge"}, r"LustreStorage.efa=True needs an EFA cluster \(efa=True\)"),
    # props of the wrong kind (break-test findings): a ValueError saying what is allowed
    ({"launch_tags": {"a": 1}}, r"launch_tags\['a'\]=1: allowed a string of 0..256"),
    ({"launch_tags": ["a"]}, r"launch_tags=\['a'\]: give a mapping of tag key to tag value"),
    ({"launch_tags": {"aws:owner": "x"}}, r"launch_tags: key 'aws:owner': allowed 1..128 .* not starting with 'aws:'"),
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
    if args.get("subnets") == "no-az":
        args["subnets"] = [ec2.Subnet.from_subnet_id(stack, f"N{i}{abs(hash(str(kwargs)))}", f"subnet-0{i}bcdef12")
                           for i in range(2)]
    if args["vpc"] in ("plain", "plain-no-subnets"):
        if args["vpc"] == "plain":
            args["subnets"] = [adopted_subnets["us-gov-west-1a"]]
        args["vpc"] = net.vpc
    with pytest.raises(ValueError, match=message):
        GpuCluster(stack, f"C{abs(hash(str(kwargs)))}", **args)


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


def test_one_gpu_cluster_per_stack():
    stack = Stack(App(), "Two", env=Environment(account="111111111111", region="us-gov-west-1"))
    keys = AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs"])
    vpc = IsolatedVpc(stack, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    GpuCluster(stack, "Gpu", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1, ami_ssm_parameter="/t/ami")
    with pytest.raises(ValueError, match=r"one GpuCluster per stack: .* put each cluster in its own stack"):
        GpuCluster(stack, "Gpu2", vpc=vpc, keyring=keys, instance_type="p5.48xlarge", node_count=1,
                   ami_ssm_parameter="/t/ami")


def test_capacity_block_for_a_type_not_sold_as_blocks_is_a_warning():
    from aws_cdk.assertions import Annotations as A, Match

    stack = Stack(App(), "Blk", env=Environment(account="111111111111", region="us-gov-west-1"))
    keys = AgencyKeyring(stack, "Keys", agency_code="t", purposes=["ebs", "logs"])
    vpc = IsolatedVpc(stack, "Net", cidr="10.1.0.0/16", availability_zones=["us-gov-west-1a", "us-gov-west-1b"],
                      flow_log_key=keys.key_for("logs"), agency_code="t")
    GpuCluster(stack, "Gpu", vpc=vpc, keyring=keys, instance_type="g4dn.8xlarge", node_count=1,
               ami_ssm_parameter="/t/ami", capacity=CapacityBlock("cr-0123456789abcdef0"))
    A.from_stack(stack).has_warning("/Blk/Gpu", Match.string_like_regexp("Capacity Blocks for ML for P and Trn"))
