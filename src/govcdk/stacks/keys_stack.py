"""KeysStack: the agency's customer-managed KMS keys."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from govcdk.config import AgencyConfig
from govcdk.constructs import AgencyKeyring
from govcdk.stacks.base import AgencyStack


class KeysStack(AgencyStack):
    """Holds :attr:`keyring`, one key per purpose (SC-12, SC-28(1))."""

    def __init__(self, scope: Construct, id: str, *, config: AgencyConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, config=config, description="customer-managed KMS keys", **kwargs)
        self.keyring = AgencyKeyring(self, "Keyring", agency_code=config.agency.code)
