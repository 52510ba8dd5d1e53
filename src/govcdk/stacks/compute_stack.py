"""ComputeStack: the agency's GPU training cluster."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from govcdk.config import AgencyConfig, CapacityType
from govcdk.constructs import AgencyBackup, AgencyKeyring, GpuCluster, IsolatedVpc
from govcdk.constructs.gpu_cluster import CapacityBlock, CapacityReservation, LustreStorage, OnDemand
from govcdk.stacks.base import AgencyStack, agency_tags


def _capacity(config: AgencyConfig) -> OnDemand | CapacityReservation:
    cap = config.cluster.capacity
    if cap.type is CapacityType.CAPACITY_BLOCK:
        return CapacityBlock(reservation_id=cap.reservation_id)  # type: ignore[arg-type]
    if cap.type is CapacityType.CAPACITY_RESERVATION:
        return CapacityReservation(reservation_id=cap.reservation_id)  # type: ignore[arg-type]
    return OnDemand()


class ComputeStack(AgencyStack):
    """Holds :attr:`cluster`, a :class:`GpuCluster` in one availability zone of the network
    (``cluster.availability_zone``, default the first), and :attr:`backup`, an
    :class:`AgencyBackup` of its Lustre file system when it has one."""

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, keyring: AgencyKeyring,
                 network: IsolatedVpc, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, description="GPU training cluster", **kwargs)
        c = config.cluster
        lustre = c.lustre
        self.cluster = GpuCluster(
            self, "Cluster",
            vpc=network,
            keyring=keyring,
            instance_type=c.instance_type,
            node_count=c.node_count,
            availability_zone=c.availability_zone,
            ami_ssm_parameter=config.ami_parameter,
            ami_ids=c.ami_ids,
            containers=c.containers,
            root_volume_gib=c.root_volume_gib,
            capacity=_capacity(config),
            shared_storage=LustreStorage(
                storage_capacity_gib=lustre.storage_capacity_gib,
                throughput_per_tib=lustre.throughput_per_tib,
                efa=lustre.efa,
                backup_retention_days=lustre.backup_retention_days,
            ) if lustre is not None else None,
            launch_tags=agency_tags(config),
        )
        # The file system is the stack's one stateful resource: AWS Backup keeps daily recovery
        # points in a locked vault (CP-9; GOV-BACKUP-001/002/003). FSx's own automatic backups
        # are deleted with the file system.
        self.backup = AgencyBackup(
            self, "Backup", keyring=keyring, agency_code=config.agency.code,
            impact_level=config.impact_level.value,
            resource_arns=[self.cluster.file_system.attr_resource_arn],
        ) if self.cluster.file_system is not None else None
