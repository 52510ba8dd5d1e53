"""Build the accelerated-instance facts table (``data/instance_types.json``) from EC2
``DescribeInstanceTypes`` output. This module owns the table's format; :mod:`govcdk.instances`
reads it.

Sources (EC2 API Reference): ``DescribeInstanceTypes`` and the ``InstanceTypeInfo``,
``GpuInfo``/``GpuDeviceInfo``, ``NeuronInfo``/``NeuronDeviceInfo``, ``NetworkInfo``,
``NetworkCardInfo``, ``EfaInfo`` and ``PlacementGroupInfo`` data types.

The table is a JSON object::

    {
      "source": "EC2 DescribeInstanceTypes in us-gov-west-1, us-gov-east-1 through boto3 1.x",
      "generated": "YYYY-MM-DD",            # ISO date the table was built
      "types": {"p5.48xlarge": {...}, ...}   # one row per instance type, see reduce_instance_type
    }

Rows carry ``offered_in`` (the GovCloud regions that offered the type) besides the facts
:func:`reduce_instance_type` derives. Nothing here creates AWS clients: callers pass them in.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping


class RegionRefreshError(Exception):
    """A botocore error (``BotoCoreError`` such as ``NoCredentialsError``,
    ``EndpointConnectionError`` or ``ReadTimeoutError``, a ``ClientError``, or a
    ``botocore.parsers.ResponseParserError`` for an answer that is no EC2 API response) while
    describing one region's instance types. ``region`` names the region; ``error`` and
    ``__cause__`` are the botocore exception."""

    def __init__(self, region: str, error: BaseException) -> None:
        super().__init__(f"{region}: {error}")
        self.region = region
        self.error = error


def reduce_instance_type(it: Mapping[str, Any]) -> dict[str, Any]:
    """The facts govcdk keeps for one ``InstanceTypeInfo`` (one entry of
    ``DescribeInstanceTypes``' ``InstanceTypes``, in boto3's shape).

    Returns a dict with:

    - ``accelerator``: ``None``, or ``{"kind": "gpu"|"neuron", "manufacturer", "name", "count",
      "memory_mib"}`` from the first ``GpuInfo.Gpus`` entry (else the first
      ``NeuronInfo.NeuronDevices`` entry, manufacturer ``"AWS"``); ``count`` is devices per
      instance, ``memory_mib`` is MiB per device;
    - ``vcpus``: ``VCpuInfo.DefaultVCpus``; ``memory_mib``: ``MemoryInfo.SizeInMiB`` (MiB);
    - ``efa_supported``: ``NetworkInfo.EfaSupported`` (bool);
    - ``maximum_efa_interfaces``: ``NetworkInfo.EfaInfo.MaximumEfaInterfaces``, 0 without EFA;
    - ``maximum_network_cards``: ``NetworkInfo.MaximumNetworkCards`` (1 when absent);
    - ``network_card_efa``: one bool per ``NetworkInfo.NetworkCards`` entry, ordered by
      ``NetworkCardIndex``: whether that card's ``InterfaceTypes`` include ``efa``;
    - ``placement_strategies``: sorted ``PlacementGroupInfo.SupportedStrategies``.

    Missing sections give ``None``/defaults, never an error; a ``NetworkCards`` entry without
    ``NetworkCardIndex`` raises ``KeyError``.
    """
    net = it.get("NetworkInfo") or {}
    gpu = it.get("GpuInfo") or {}
    neuron = it.get("NeuronInfo") or {}
    accel = None
    if gpu.get("Gpus"):
        g = gpu["Gpus"][0]
        accel = {"kind": "gpu", "manufacturer": g.get("Manufacturer"), "name": g.get("Name"),
                 "count": g.get("Count"), "memory_mib": (g.get("MemoryInfo") or {}).get("SizeInMiB")}
    elif neuron.get("NeuronDevices"):
        n = neuron["NeuronDevices"][0]
        accel = {"kind": "neuron", "manufacturer": "AWS", "name": n.get("Name"), "count": n.get("Count"),
                 "memory_mib": (n.get("MemoryInfo") or {}).get("SizeInMiB")}
    cards = sorted(net.get("NetworkCards") or [], key=lambda c: c["NetworkCardIndex"])
    return {
        "accelerator": accel,
        "vcpus": (it.get("VCpuInfo") or {}).get("DefaultVCpus"),
        "memory_mib": (it.get("MemoryInfo") or {}).get("SizeInMiB"),
        "efa_supported": bool(net.get("EfaSupported")),
        "maximum_efa_interfaces": (net.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0),
        "maximum_network_cards": net.get("MaximumNetworkCards", 1),
        "network_card_efa": ["efa" in c.get("InterfaceTypes", []) for c in cards],
        "placement_strategies": sorted((it.get("PlacementGroupInfo") or {}).get("SupportedStrategies", [])),
    }


def is_accelerated(it: Mapping[str, Any]) -> bool:
    """Whether an ``InstanceTypeInfo`` lists GPU (``GpuInfo.Gpus``) or Neuron
    (``NeuronInfo.NeuronDevices``) accelerators. FPGA-only and ``InferenceAcceleratorInfo``-only
    types (e.g. dl2q) are not kept."""
    return bool((it.get("GpuInfo") or {}).get("Gpus") or (it.get("NeuronInfo") or {}).get("NeuronDevices"))


def describe_accelerated_instance_types(ec2_client: Any) -> list[dict[str, Any]]:
    """Every accelerated ``InstanceTypeInfo`` the client's region describes, in API order.

    Pages through ``DescribeInstanceTypes`` with boto3's paginator (no filter: the API describes
    all instance types of the client's region) and keeps :func:`is_accelerated` entries.
    Raises whatever botocore raises (``NoCredentialsError``, ``ClientError``,
    ``EndpointConnectionError``, ...); callers report them.
    """
    out: list[dict[str, Any]] = []
    for page in ec2_client.get_paginator("describe_instance_types").paginate():
        out.extend(it for it in page.get("InstanceTypes", []) if is_accelerated(it))
    return out


def build_table(rows_by_region: Mapping[str, Iterable[Mapping[str, Any]]], *, source: str,
                generated: str) -> dict[str, Any]:
    """The table from ``InstanceTypeInfo`` entries per region: the union of the types, each row
    from :func:`reduce_instance_type` of the first region's entry (regions in mapping order) plus
    ``offered_in``, the sorted regions whose entries named the type.

    Raises ``ValueError`` when two regions describe one type with different facts (the table
    has one row per type), naming the type and the regions.
    """
    types: dict[str, dict[str, Any]] = {}
    first_region: dict[str, str] = {}
    for region, rows in rows_by_region.items():
        for it in rows:
            name = it["InstanceType"]
            row = reduce_instance_type(it)
            if name not in types:
                types[name] = {**row, "offered_in": [region]}
                first_region[name] = region
                continue
            known = {k: v for k, v in types[name].items() if k != "offered_in"}
            if known != row:
                raise ValueError(f"{name}: {first_region[name]} and {region} describe it differently")
            types[name]["offered_in"].append(region)
    for row in types.values():
        row["offered_in"] = sorted(set(row["offered_in"]))
    return {"source": source, "generated": generated, "types": dict(sorted(types.items()))}


def refresh(clients_by_region: Mapping[str, Any], *, source: str, generated: str) -> dict[str, Any]:
    """Build the table from live EC2 clients, one per region (``{"us-gov-west-1": client}``).

    ``source`` is the text to record (e.g. ``"EC2 DescribeInstanceTypes in us-gov-west-1
    through boto3 1.44.8"``); ``generated`` an ISO date (``YYYY-MM-DD``). The types are the
    union of :func:`describe_accelerated_instance_types` over the clients; ``offered_in`` lists
    the regions whose ``DescribeInstanceTypes`` returned the type (real EC2 describes only the
    types of the client's region).

    Under moto (5.2.5) ``DescribeInstanceTypes`` ignores the region: every region returns the
    same snapshot, so every type's ``offered_in`` is every region asked. It is still recorded.

    Raises ``ValueError`` for an empty mapping or a ``generated`` that is not an ISO date, the
    ``ValueError`` of :func:`build_table`, and :class:`RegionRefreshError` (naming the region,
    chained from the botocore exception) when a region's ``DescribeInstanceTypes`` fails,
    including an answer botocore cannot parse (a proxy's HTML page, an empty body).
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    if not clients_by_region:
        raise ValueError("refresh needs at least one region's EC2 client")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", generated):
        raise ValueError(f"generated {generated!r}: expected an ISO date YYYY-MM-DD")
    datetime.date.fromisoformat(generated)  # raises ValueError for a date that does not exist
    rows: dict[str, list[dict[str, Any]]] = {}
    for region, client in clients_by_region.items():
        try:
            rows[region] = describe_accelerated_instance_types(client)
        except (BotoCoreError, ClientError, ResponseParserError) as exc:
            raise RegionRefreshError(region, exc) from exc
    return build_table(rows, source=source, generated=generated)


def write_table(table: Mapping[str, Any], path: str | Path) -> None:
    """Write ``table`` as JSON (``indent=1``, sorted keys, trailing newline, UTF-8).
    Raises ``OSError`` when ``path`` cannot be written."""
    Path(path).write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
