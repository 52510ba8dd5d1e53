"""AWS CDK v2 L3 constructs with secure GovCloud defaults, one public construct per module."""

from govcdk.constructs.gpu_cluster import GpuCluster
from govcdk.constructs.isolated_vpc import IsolatedVpc
from govcdk.constructs.keyring import AgencyKeyring, UnknownKeyPurposeError

__all__ = ["AgencyKeyring", "GpuCluster", "IsolatedVpc", "UnknownKeyPurposeError"]
