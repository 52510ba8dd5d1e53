"""VPC interface endpoint profiles for :class:`~govcdk.constructs.IsolatedVpc` (SC-7, SC-13).

A profile names the interface endpoints a kind of workload needs in a VPC with no internet path
(GOVCLOUD.md, "Isolated VPC for a private GPU cluster"). :func:`resolve_endpoints` turns a
profile, the user's extra services and the FIPS choice into the list of service suffixes
(``com.amazonaws.<region>.<suffix>``) the construct creates.
"""

from __future__ import annotations

from typing import Mapping, Sequence

MINIMAL: tuple[str, ...] = ("ssm", "ssmmessages", "ec2messages", "sts", "kms", "logs")
"""Manage a node through Systems Manager, take credentials from STS, use KMS keys, write logs."""

GPU_TRAINING: tuple[str, ...] = MINIMAL + ("ec2", "monitoring", "ecr.api", "ecr.dkr", "secretsmanager", "fsx")
""":data:`MINIMAL` plus what a private GPU training cluster needs: EC2 (EFA, tags), CloudWatch
metrics, ECR (API and Docker registry; layers come through the S3 gateway endpoint), Secrets
Manager and FSx."""

PROFILES: Mapping[str, tuple[str, ...]] = {"minimal": MINIMAL, "gpu-training": GPU_TRAINING}
"""Named endpoint profiles."""

OPTIONAL_SERVICES: tuple[str, ...] = (
    "eks", "eks-auth", "autoscaling", "cloudformation", "elasticfilesystem",
    "sagemaker.api", "sagemaker.runtime",
)
"""Services that may be added with ``extra_endpoints`` besides those of the profiles
(GOVCLOUD.md)."""

KNOWN_SERVICES: tuple[str, ...] = tuple(dict.fromkeys(GPU_TRAINING + OPTIONAL_SERVICES))
"""Every service name accepted in ``extra_endpoints``."""

FIPS_SERVICES: Mapping[str, str] = {"kms": "kms-fips"}
"""Service -> FIPS interface endpoint service used when ``fips=True``.

Kept deliberately conservative: only services whose FIPS PrivateLink service name is
documented. Source: AWS KMS Developer Guide, "Create a VPC endpoint for AWS KMS"
(``com.amazonaws.<region>.kms-fips``); AWS GovCloud (US) User Guide, "Service Endpoints"
(FIPS 140 endpoints for GovCloud). Other services keep their standard endpoint, which in the
GovCloud (US) Regions already terminates TLS on FIPS-validated modules for most services."""


def resolve_endpoints(profile: str, extra_endpoints: Sequence[str] = (), *, fips: bool = True) -> list[str]:
    """Service suffixes for ``profile`` plus ``extra_endpoints``, in order, without duplicates,
    FIPS variants substituted when ``fips``.

    :raises ValueError: unknown profile or service name; the message lists what is allowed.
    """
    if profile not in PROFILES:
        raise ValueError(f"endpoint_profile {profile!r} is unknown; allowed: {', '.join(PROFILES)}")
    extras = list(extra_endpoints)
    unknown = [s for s in extras if s not in KNOWN_SERVICES]
    if unknown:
        raise ValueError(f"extra_endpoints {unknown} are unknown services; allowed: {', '.join(KNOWN_SERVICES)}")
    names = list(dict.fromkeys([*PROFILES[profile], *extras]))
    if fips:
        names = [FIPS_SERVICES.get(n, n) for n in names]
    return names
