"""Accelerated EC2 instance facts and the EFA network-interface layout for each type.

Facts come from ``data/instance_types.json``, derived from EC2 ``DescribeInstanceTypes`` output
(``GpuInfo``, ``NeuronInfo``, ``NetworkInfo.EfaInfo.MaximumEfaInterfaces``,
``NetworkInfo.MaximumNetworkCards``, ``PlacementGroupInfo``); the file records its source.
Regenerate with ``python scripts/gen_instance_facts.py``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


class UnknownInstanceTypeError(ValueError):
    """An instance type govcdk has no facts for."""


@dataclass(frozen=True)
class InstanceFacts:
    """What govcdk knows about one instance type.

    ``accelerator`` is ``None`` or a mapping with ``kind`` (gpu|neuron), ``name``, ``count`` and
    ``memory_mib`` (per device). ``maximum_efa_interfaces`` is 0 when EFA is unsupported.
    """

    instance_type: str
    accelerator: dict[str, Any] | None
    vcpus: int
    memory_mib: int
    efa_supported: bool
    maximum_efa_interfaces: int
    maximum_network_cards: int
    network_card_efa: tuple[bool, ...]
    placement_strategies: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    text = resources.files("govcdk").joinpath("data", "instance_types.json").read_text("utf-8")
    return json.loads(text)


def known_instance_types() -> list[str]:
    return sorted(_table()["types"])


def facts(instance_type: str) -> InstanceFacts:
    """Facts for ``instance_type``; raises :class:`UnknownInstanceTypeError` listing known types."""
    row = _table()["types"].get(instance_type)
    if row is None:
        raise UnknownInstanceTypeError(
            f"no instance facts for {instance_type!r}; known accelerated types: "
            f"{', '.join(known_instance_types())}")
    return InstanceFacts(
        instance_type=instance_type,
        accelerator=row["accelerator"],
        vcpus=row["vcpus"],
        memory_mib=row["memory_mib"],
        efa_supported=row["efa_supported"],
        maximum_efa_interfaces=row["maximum_efa_interfaces"],
        maximum_network_cards=row["maximum_network_cards"],
        network_card_efa=tuple(row["network_card_efa"]),
        placement_strategies=tuple(row["placement_strategies"]),
    )


@dataclass(frozen=True)
class InterfaceSpec:
    """One entry of a launch template's ``NetworkInterfaces``."""

    network_card_index: int
    device_index: int
    interface_type: str  # "efa" (EFA with ENA) or "efa-only"


def efa_layout(instance_type: str) -> list[InterfaceSpec]:
    """The EFA network-interface layout for ``instance_type``.

    Follows the EC2 User Guide, "Maximize network bandwidth on Amazon EC2 instances with
    multiple network cards" (efa-acc-inst-types): the primary interface (network card 0,
    device 0) must carry ENA, so it is an ``efa`` interface (EFA with ENA), never ``efa-only``;
    each further network card gets one ``efa-only`` interface at device index 0, the next
    unused network card, up to ``MaximumEfaInterfaces``.

    Raises :class:`UnknownInstanceTypeError`, or ``ValueError`` when the type has no EFA.
    """
    f = facts(instance_type)
    if not f.efa_supported or f.maximum_efa_interfaces < 1:
        raise ValueError(f"{instance_type} does not support EFA")
    cards = [i for i, efa in enumerate(f.network_card_efa) if efa] or [0]
    cards = cards[: f.maximum_efa_interfaces]
    layout = [InterfaceSpec(0, 0, "efa")]
    layout += [InterfaceSpec(card, 0, "efa-only") for card in cards if card != 0]
    return layout


def efa_instance_types(region_name: str) -> list[str]:
    """Accelerated instance types offered in ``region_name`` (cfn-lint's region data) that
    support EFA and have govcdk instance facts: what a :class:`GpuCluster` can use there."""
    from govcdk import govcloud

    table = _table()["types"]
    return [t for t in govcloud.accelerated_instance_types(region_name)
            if t in table and table[t]["efa_supported"] and table[t]["maximum_efa_interfaces"] > 0]
