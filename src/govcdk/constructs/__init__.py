"""AWS CDK v2 L3 constructs with secure GovCloud defaults, one public construct per module."""

from govcdk.constructs.audit_logging import AuditLogging
from govcdk.constructs.audit_replica import AuditLogReplica
from govcdk.constructs.backup import AgencyBackup
from govcdk.constructs.gpu_cluster import (
    CapacityBlock,
    CapacityReservation,
    GpuCluster,
    LustreStorage,
    OnDemand,
)
from govcdk.constructs.isolated_vpc import IsolatedVpc
from govcdk.constructs.keyring import AgencyKeyring, UnknownKeyPurposeError

__all__ = [
    "AgencyBackup", "AgencyKeyring", "AuditLogReplica", "AuditLogging", "CapacityBlock",
    "CapacityReservation", "GpuCluster", "IsolatedVpc", "LustreStorage", "OnDemand",
    "UnknownKeyPurposeError",
]
