"""Every ValueError the constructs raise, with its message. No synthesis: constructs validate
in __init__, so these tests only build construct trees."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack

from govcdk.constructs import AgencyKeyring, GpuCluster, IsolatedVpc


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


@pytest.mark.parametrize("kwargs, message", [
    ({"node_count": 0}, r"node_count=0: allowed 1..64"),
    ({"node_count": 9, "max_nodes": 8}, r"node_count=9: allowed 1..8"),
    ({"instance_type": "p6-b300.48xlarge"}, r"instance type p6-b300.48xlarge is not offered in us-gov-west-1; EFA-capable accelerated types offered there: .*p5.48xlarge"),
    ({"instance_type": "m5.large"}, r"no instance facts for 'm5.large'; known accelerated types:"),
    ({"instance_type": "g4dn.xlarge"}, r"g4dn.xlarge does not support EFA"),
])
def test_gpu_cluster_errors(stack, keyring, net, kwargs, message):
    args = dict(vpc=net.vpc, subnet=net.isolated_subnets[0], endpoint_security_group=net.endpoint_security_group,
                ebs_key=keyring.key_for("ebs"), instance_type="p5.48xlarge", node_count=2,
                ami_ssm_parameter="/t/ami")
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        GpuCluster(stack, f"C{abs(hash(str(kwargs)))}", **args)
