"""NetworkStack: the agency's isolated VPC."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from govcdk.config import NETWORK_ENDPOINT_PROFILE, AgencyConfig
from govcdk.constructs import AgencyKeyring, IsolatedVpc
from govcdk.stacks.base import AgencyStack


class NetworkStack(AgencyStack):
    """Holds :attr:`network`, an :class:`IsolatedVpc` in ``config.network.az_count`` AZs."""

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, keyring: AgencyKeyring,
                 **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, description="isolated VPC, endpoints, flow logs", **kwargs)
        self.network = IsolatedVpc(
            self, "Network",
            cidr=config.network.cidr,
            availability_zones=self.availability_zones[: config.network.az_count],
            flow_log_key=keyring.key_for("logs"),
            agency_code=config.agency.code,
            flow_log_retention_days=config.logging.retention_days,
            endpoint_profile=NETWORK_ENDPOINT_PROFILE,
            impact_level=config.impact_level.value,
        )
