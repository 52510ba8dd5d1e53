"""Sizing rules shared by the agency-file loader (:mod:`govcdk.config`) and the constructs
(:class:`~govcdk.constructs.GpuCluster`, :class:`~govcdk.constructs.IsolatedVpc`): FSx for Lustre
capacity and throughput, the instance types EC2 sells as Capacity Blocks for ML, and the IPv4
addresses a cluster takes in its subnet. Plain data and arithmetic: no AWS CDK import, so the
loader can use it before anything starts jsii.
"""

from __future__ import annotations

import math
from typing import Iterable

# -- FSx for Lustre (PERSISTENT_2, SSD) ------------------------------------------------------

LUSTRE_THROUGHPUT_PER_TIB: tuple[int, ...] = (125, 250, 500, 1000)
"""``PerUnitStorageThroughput`` values for ``PERSISTENT_2`` SSD file systems, MB/s per TiB
(Amazon FSx API Reference, ``CreateFileSystemLustreConfiguration``)."""

LUSTRE_EFA_CAPACITY_STEP_GIB: dict[int, int] = {125: 38400, 250: 19200, 500: 9600, 1000: 4800}
"""Throughput tier (MB/s per TiB) -> the storage step of an EFA-enabled file system, GiB.

FSx for Lustre User Guide, "Increasing storage capacity": "For an EFA-enabled file system, this
value must be in multiples of 38400 GiB for 125 MBps/TiB, 19200 GiB for 250 MBps/TiB, 9600 GiB
for 500 MBps/TiB, and 4800 GiB for 1000 MBps/TiB" (each step is one unit of about 4.7 GB/s).
govcdk applies the same steps at creation: an EFA-enabled file system is created with a
multiple of its tier's step."""


def lustre_capacity_ok(gib: object) -> bool:
    """``PERSISTENT_2`` SSD storage capacity: 1200 GiB or a positive multiple of 2400 GiB
    (Amazon FSx API Reference, ``CreateFileSystem`` ``StorageCapacity``)."""
    return isinstance(gib, int) and not isinstance(gib, bool) and (gib == 1200 or (gib > 0 and gib % 2400 == 0))


def lustre_efa_throughputs(gib: int) -> tuple[int, ...]:
    """The throughput tiers (MB/s per TiB, ascending) for which ``gib`` is a valid capacity of an
    EFA-enabled file system (:data:`LUSTRE_EFA_CAPACITY_STEP_GIB`); empty when none is."""
    return tuple(t for t in LUSTRE_THROUGHPUT_PER_TIB
                 if gib > 0 and gib % LUSTRE_EFA_CAPACITY_STEP_GIB[t] == 0)


def lustre_efa_rule() -> str:
    """The EFA capacity rule in words, for error messages."""
    steps = ", ".join(f"{LUSTRE_EFA_CAPACITY_STEP_GIB[t]} GiB at {t}" for t in LUSTRE_THROUGHPUT_PER_TIB)
    return (f"an EFA-enabled FSx for Lustre file system needs a storage capacity that is a multiple of "
            f"{steps} MB/s per TiB (FSx for Lustre User Guide, 'Increasing storage capacity')")


# -- Capacity Blocks for ML ------------------------------------------------------------------

CAPACITY_BLOCK_INSTANCE_TYPES: tuple[str, ...] = (
    "p4d.24xlarge", "p4de.24xlarge", "p5.4xlarge", "p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge",
    "p6-b200.48xlarge", "p6-b300.48xlarge", "p6e-gb200.36xlarge",
    "trn1.32xlarge", "trn2.3xlarge", "trn2.48xlarge", "trn2u.48xlarge",
)
"""Instance types EC2 sells as Capacity Blocks for ML.

Source: Amazon EC2 User Guide, "Capacity Blocks for ML", section "Supported instance types and
Regions" (read 2026-12-04): Instance Capacity Blocks for p6-b300.48xlarge, p6-b200.48xlarge,
p5.4xlarge, p5.48xlarge, p5e.48xlarge, p4d.24xlarge, p4de.24xlarge, trn1.32xlarge,
trn2.3xlarge and trn2.48xlarge; UltraServer Capacity Blocks for Trn2 (trn2u.48xlarge) and
P6e-GB200 (p6e-gb200.36xlarge). p5en.48xlarge is kept from the page's previous version ("You
can use Capacity Blocks to reserve p6-b200, p5, p5e, p5en, p4d, p4de, trn1, and trn2
instances"). The page lists commercial Regions only; govcdk checks the type, not the Region."""

CAPACITY_BLOCK_SOURCE = ("Amazon EC2 User Guide, 'Capacity Blocks for ML', 'Supported instance types "
                         "and Regions', read 2026-12-04")


# -- IPv4 addresses in a subnet --------------------------------------------------------------

AWS_RESERVED_ADDRESSES_PER_SUBNET = 5
"""Addresses AWS reserves in every subnet: the first four and the last (Amazon VPC User Guide,
"Subnet CIDR blocks")."""


def subnet_prefix(vpc_prefix: int, az_count: int) -> int:
    """The prefix length of each isolated subnet :class:`~govcdk.constructs.IsolatedVpc` creates:
    the VPC CIDR split evenly into a power of two at least ``az_count`` (a /16 over 3 AZs gives
    /18 subnets, one left unused)."""
    return vpc_prefix + math.ceil(math.log2(max(1, az_count)))


def usable_addresses(prefix: int) -> int:
    """IPv4 addresses an instance or network interface can take in a subnet of ``/prefix``: its
    size minus :data:`AWS_RESERVED_ADDRESSES_PER_SUBNET` (never below 0)."""
    return max(0, 2 ** (32 - prefix) - AWS_RESERVED_ADDRESSES_PER_SUBNET)


def addresses_per_node(interface_types: Iterable[str]) -> int:
    """Private IPv4 addresses one node takes: one per ``interface`` (ENA) or ``efa`` (EFA with
    ENA) network interface; an ``efa-only`` interface takes none (Amazon EC2 User Guide,
    "EFA-only interfaces": they carry no IP address)."""
    return sum(1 for t in interface_types if t != "efa-only")


LUSTRE_ADDRESSES_PER_STEP_GIB = 1200
"""Storage per address in govcdk's estimate of an FSx for Lustre file system's addresses."""


def lustre_addresses(storage_capacity_gib: int) -> int:
    """An upper estimate of the addresses an FSx for Lustre file system takes in its subnet.

    FSx does not document the number: the API says a Lustre file system "can have more than
    one" network interface (Amazon FSx API Reference, ``FileSystem.NetworkInterfaceIds``), and
    its file servers grow with storage. govcdk assumes one address per 1200 GiB of storage
    (the smallest ``PERSISTENT_2`` size) plus two for the metadata and management servers:
    ``ceil(gib / 1200) + 2``, 3 for 1200 GiB, 6 for 4800 GiB. Deliberately conservative: it
    may refuse a subnet that would just have held the cluster, never accept one that cannot."""
    return math.ceil(storage_capacity_gib / LUSTRE_ADDRESSES_PER_STEP_GIB) + 2


def max_nodes(usable: int, per_node: int, *, endpoints: int = 0, lustre: int = 0) -> int:
    """How many nodes of ``per_node`` addresses fit in ``usable`` addresses besides
    ``endpoints`` interface-endpoint network interfaces and ``lustre`` file-system addresses
    (0 when none; ``per_node`` 0 means no limit from addresses, returned as ``usable``)."""
    free = usable - endpoints - lustre
    if free <= 0:
        return 0
    return free // per_node if per_node > 0 else free


def describe_budget(subnet: str, usable: int, per_node: int, node_type: str, *, endpoints: int,
                    lustre: int) -> str:
    """The address budget in words: ``subnet`` (e.g. ``10.40.1.0/26``), what it holds besides
    the nodes, and what one ``node_type`` node takes."""
    parts = []
    if endpoints:
        parts.append(f"{endpoints} interface VPC endpoint network interface(s)")
    if lustre:
        parts.append(f"up to {lustre} for the FSx for Lustre file system (estimate: "
                     f"ceil(storage GiB / {LUSTRE_ADDRESSES_PER_STEP_GIB}) + 2)")
    besides = f"; {' and '.join(parts)} leave {max(0, usable - endpoints - lustre)}" if parts else ""
    return (f"{subnet} has {usable} usable addresses (its size minus the "
            f"{AWS_RESERVED_ADDRESSES_PER_SUBNET} AWS reserves){besides}; each {node_type} node takes "
            f"{per_node} (one per ENA or efa interface; efa-only interfaces take none)")
