"""AWS GovCloud (US) facts: partition, regions, availability zones, region offerings.

One source for every fact the constructs, stacks and rules need about GovCloud. Facts that
change over time (which instance types and resource types a region offers, the availability
zone names) are read from the data that ships with cfn-lint, never from a hand-typed list;
only the stable identifiers are written here.

Sources:
- AWS GovCloud (US) User Guide, "Amazon Resource Names (ARNs) in AWS GovCloud (US) Regions":
  partition ``aws-us-gov``, DNS suffix ``amazonaws.com``.
- AWS GovCloud (US) User Guide, "AWS GovCloud (US-West) and (US-East) Regions"; EC2 User
  Guide, "Availability Zone IDs": ids ``usgw1-az1..3`` and ``usge1-az1..3``.
- cfn-lint (``cfnlint.helpers.AVAILABILITY_ZONES``, ``cfnlint/data/schemas/providers/<region>.json``,
  ``cfnlint/data/schemas/extensions/aws_ec2_instance/instancetype_enum.json``).

This module imports no AWS CDK code, so the CLI and the policy engine stay fast.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

PARTITION = "aws-us-gov"
"""The GovCloud (US) partition, as it appears in ARNs: ``arn:aws-us-gov:...``."""

URL_SUFFIX = "amazonaws.com"
"""GovCloud's DNS suffix. It equals the commercial one, so it cannot tell partitions apart."""

GLOBAL_SERVICE_REGION = "us-gov-west-1"
"""Where GovCloud's global services (IAM, Organizations) live."""

_AZ_ID_PREFIX = {"us-gov-west-1": "usgw1", "us-gov-east-1": "usge1"}

REGIONS: tuple[str, ...] = tuple(_AZ_ID_PREFIX)
"""The two GovCloud (US) regions, west first."""


class RegionError(ValueError):
    """A region that is not a GovCloud (US) region where one is required."""


@dataclass(frozen=True)
class Region:
    """One GovCloud region.

    ``availability_zones`` are AZ *names* (``us-gov-west-1a``); ``availability_zone_ids`` are the
    account-independent AZ ids (``usgw1-az1``). AWS maps names to ids per account, so
    capacity reservations and cross-account placement should be expressed by id.
    """

    name: str
    availability_zones: tuple[str, ...]
    availability_zone_ids: tuple[str, ...]

    @property
    def partition(self) -> str:
        return PARTITION

    @property
    def other(self) -> str:
        """The other GovCloud region (the replication target for High)."""
        return next(r for r in REGIONS if r != self.name)


@functools.lru_cache(maxsize=None)
def region(name: str) -> Region:
    """Return the facts for a GovCloud region.

    Raises :class:`RegionError` naming the allowed regions for anything else.
    """
    if name not in _AZ_ID_PREFIX:
        raise RegionError(
            f"region {name!r} is not an AWS GovCloud (US) region; allowed: {', '.join(REGIONS)}"
        )
    from cfnlint.helpers import AVAILABILITY_ZONES  # cfn-lint's maintained region data

    names = tuple(sorted(AVAILABILITY_ZONES[name]))
    prefix = _AZ_ID_PREFIX[name]
    ids = tuple(f"{prefix}-az{i}" for i in range(1, len(names) + 1))
    return Region(name=name, availability_zones=names, availability_zone_ids=ids)


def is_govcloud(name: str) -> bool:
    return name in _AZ_ID_PREFIX


def _cfnlint_data(*parts: str) -> object:
    return json.loads(cfnlint_data_path(*parts).read_text(encoding="utf-8"))


def cfnlint_data_path(*parts: str) -> Path:
    """Path of a file under cfn-lint's ``data`` directory, found without importing cfn-lint
    (its package import loads its whole rule engine, about half a second)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cfn-lint is not installed: govcdk reads its region data")
    return Path(list(spec.submodule_search_locations)[0], "data", *parts)


@functools.lru_cache(maxsize=None)
def instance_types(region_name: str) -> frozenset[str]:
    """EC2 instance types offered in ``region_name``, from cfn-lint's per-region data.

    Raises :class:`RegionError` for a region cfn-lint does not know.
    """
    data = _cfnlint_data("schemas", "extensions", "aws_ec2_instance", "instancetype_enum.json")
    assert isinstance(data, dict)
    try:
        return frozenset(data[region_name]["enum"])
    except KeyError:
        raise RegionError(f"cfn-lint has no instance-type data for region {region_name!r}") from None


def accelerated_instance_types(region_name: str) -> list[str]:
    """Accelerated (GPU, Trainium, Inferentia, Gaudi) instance types offered in a region, sorted."""
    pat = re.compile(r"^(p\d|g\d|trn\d|inf\d|dl\d)")
    return sorted(t for t in instance_types(region_name) if pat.match(t))


@functools.lru_cache(maxsize=None)
def resource_types(region_name: str) -> frozenset[str]:
    """CloudFormation resource types that exist in ``region_name`` (cfn-lint registry schemas)."""
    data = _cfnlint_data("schemas", "providers", f"{region_name}.json")
    assert isinstance(data, dict)
    return frozenset(data)


def check_stack_region(region: str, *, allow_commercial: bool = False) -> None:
    """Raise ``ValueError`` unless ``region`` (a stack's region) is a GovCloud (US) region, or
    ``allow_commercial`` is set and the region is known. An unresolved CDK token (a stack
    without ``env``) is named as such."""
    if is_govcloud(region):
        return
    unresolved = "${Token[" in region
    shown = "an unresolved region (set env=Environment(region=...))" if unresolved else repr(region)
    if unresolved or not allow_commercial:
        raise ValueError(f"stack region {shown} is not a GovCloud (US) Region; allowed: "
                         f"{', '.join(REGIONS)} (or pass allow_commercial=True)")
