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
    """One entry of a launch template's ``NetworkInterfaces``.

    ``interface_type`` is ``"interface"`` (ENA), ``"efa"`` (EFA with ENA) or ``"efa-only"``
    (EFA without an IP address).
    """

    network_card_index: int
    device_index: int
    interface_type: str

    @property
    def is_efa(self) -> bool:
        return self.interface_type in ("efa", "efa-only")


def efa_layout(instance_type: str) -> list[InterfaceSpec]:
    """The EFA network-interface layout for ``instance_type``: a list of
    :class:`InterfaceSpec` ordered by network card, then device index.

    Source: Amazon EC2 User Guide, "Maximize network bandwidth on Amazon EC2 instances with
    multiple network cards" (``efa-acc-inst-types``), which settles what public examples
    disagree on (device index 0 or 1, ``efa`` or ``efa-only`` on the further cards):

    - the primary interface (network card 0, device 0) carries ENA: an ``interface``. An
      ``efa-only`` interface can never be the primary;
    - if network card 0 supports EFA, an ``efa-only`` interface at network card 0, device 1;
    - each further EFA-capable network card, in order, one ``efa-only`` interface at device 0;
    - no more EFA interfaces than ``MaximumEfaInterfaces``.

    So p5.48xlarge gets one ENA and 32 EFA interfaces (the guide's own example), p4d.24xlarge 4
    EFA, p5en.48xlarge 16, p6-b200.48xlarge 8, and p6-b300.48xlarge (whose card 0 has no EFA)
    16 on cards 1..16. A type with a single network card and one EFA (g6.48xlarge, g4dn) gets
    one ``efa`` interface (EFA with ENA) at card 0, device 0, the layout of the EC2 User Guide
    "Get started with EFA" for such types.

    Raises :class:`UnknownInstanceTypeError`, or ``ValueError`` when the type has no EFA.
    """
    f = facts(instance_type)
    if not f.efa_supported or f.maximum_efa_interfaces < 1:
        raise ValueError(f"{instance_type} does not support EFA")
    efa_cards = [i for i, efa in enumerate(f.network_card_efa) if efa]
    if f.maximum_network_cards <= 1 and f.maximum_efa_interfaces == 1:
        return [InterfaceSpec(0, 0, "efa")]
    layout = [InterfaceSpec(0, 0, "interface")]
    for card in efa_cards:
        if len(layout) - 1 == f.maximum_efa_interfaces:
            break
        layout.append(InterfaceSpec(card, 1 if card == 0 else 0, "efa-only"))
    return layout


def ena_layout() -> list[InterfaceSpec]:
    """The layout without EFA: one ENA ``interface`` at network card 0, device 0."""
    return [InterfaceSpec(0, 0, "interface")]


def efa_instance_types(region_name: str) -> list[str]:
    """Accelerated instance types offered in ``region_name`` (cfn-lint's region data) that
    support EFA and have govcdk instance facts: what a :class:`GpuCluster` can use there."""
    from govcdk import govcloud

    table = _table()["types"]
    return [t for t in govcloud.accelerated_instance_types(region_name)
            if t in table and table[t]["efa_supported"] and table[t]["maximum_efa_interfaces"] > 0]
