"""Regenerate src/govcdk/data/instance_types.json from EC2 DescribeInstanceTypes output.

Source: the DescribeInstanceTypes snapshot that ships with moto
(``moto/ec2/resources/instance_types.json.gz``), filtered to the accelerated instance types that
cfn-lint says either GovCloud (US) region offers. ``govcdk facts refresh`` (issue 4) will do the
same from a real account through boto3.

Usage: python scripts/gen_instance_facts.py
"""

from __future__ import annotations

import gzip
import json
from importlib import metadata, resources
from pathlib import Path

from govcdk import govcloud

OUT = Path(__file__).resolve().parents[1] / "src" / "govcdk" / "data" / "instance_types.json"


def reduce(it: dict) -> dict:
    net = it.get("NetworkInfo", {})
    gpu = it.get("GpuInfo") or {}
    neuron = it.get("NeuronInfo") or {}
    accel = None
    if gpu.get("Gpus"):
        g = gpu["Gpus"][0]
        accel = {"kind": "gpu", "manufacturer": g.get("Manufacturer"), "name": g.get("Name"),
                 "count": g.get("Count"), "memory_mib": g.get("MemoryInfo", {}).get("SizeInMiB")}
    elif neuron.get("NeuronDevices"):
        n = neuron["NeuronDevices"][0]
        accel = {"kind": "neuron", "manufacturer": "AWS", "name": n.get("Name"), "count": n.get("Count"),
                 "memory_mib": n.get("MemoryInfo", {}).get("SizeInMiB")}
    return {
        "accelerator": accel,
        "vcpus": it.get("VCpuInfo", {}).get("DefaultVCpus"),
        "memory_mib": it.get("MemoryInfo", {}).get("SizeInMiB"),
        "efa_supported": bool(net.get("EfaSupported")),
        "maximum_efa_interfaces": (net.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0),
        "maximum_network_cards": net.get("MaximumNetworkCards", 1),
        "network_card_efa": [
            "efa" in c.get("InterfaceTypes", []) for c in sorted(net.get("NetworkCards", []), key=lambda c: c["NetworkCardIndex"])
        ],
        "placement_strategies": sorted((it.get("PlacementGroupInfo") or {}).get("SupportedStrategies", [])),
    }


def main() -> None:
    src = resources.files("moto").joinpath("ec2", "resources", "instance_types.json.gz")
    with src.open("rb") as fh:
        data = json.load(gzip.open(fh))
    wanted = sorted({t for r in govcloud.REGIONS for t in govcloud.accelerated_instance_types(r)})
    types = {t: reduce(data[t]) for t in wanted if t in data}
    out = {
        "source": f"EC2 DescribeInstanceTypes snapshot shipped with moto {metadata.version('moto')} "
                  f"(moto/ec2/resources/instance_types.json.gz), accelerated types offered in "
                  f"{' or '.join(govcloud.REGIONS)} per cfn-lint {metadata.version('cfn-lint')}",
        "missing_from_source": [t for t in wanted if t not in data],
        "types": types,
    }
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(types)} types)")


if __name__ == "__main__":
    main()
