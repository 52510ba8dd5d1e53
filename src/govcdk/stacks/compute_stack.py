"""ComputeStack: the agency's GPU training cluster."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from govcdk.config import AgencyConfig
from govcdk.constructs import AgencyKeyring, GpuCluster, IsolatedVpc
from govcdk.stacks.base import AgencyStack, agency_tags


class ComputeStack(AgencyStack):
    """Holds :attr:`cluster`, a :class:`GpuCluster` in the network's first isolated subnet."""

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, keyring: AgencyKeyring,
                 network: IsolatedVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, description="GPU training cluster", **kwargs)
        self.cluster = GpuCluster(
            self, "Cluster",
            vpc=network.vpc,
            subnet=network.isolated_subnets[0],
            endpoint_security_group=network.endpoint_security_group,
            ebs_key=keyring.key_for("ebs"),
            instance_type=config.cluster.instance_type,
            node_count=config.cluster.node_count,
            ami_ssm_parameter=config.ami_parameter,
            launch_tags=agency_tags(config),
        )
