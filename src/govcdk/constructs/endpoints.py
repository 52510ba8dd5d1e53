"""VPC interface endpoint profiles: moved to :mod:`govcdk.endpoints` (plain data, no AWS CDK
import, so the agency-file loader can count the endpoints without starting jsii). This module
re-exports it."""

from govcdk.endpoints import (  # noqa: F401 - re-exported
    FIPS_SERVICES,
    GPU_TRAINING,
    KNOWN_SERVICES,
    MINIMAL,
    OPTIONAL_SERVICES,
    PROFILES,
    resolve_endpoints,
)

__all__ = ["FIPS_SERVICES", "GPU_TRAINING", "KNOWN_SERVICES", "MINIMAL", "OPTIONAL_SERVICES", "PROFILES",
           "resolve_endpoints"]
