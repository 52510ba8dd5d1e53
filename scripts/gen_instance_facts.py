"""Regenerate src/govcdk/data/instance_types.json from EC2 DescribeInstanceTypes output, offline.

Source: the DescribeInstanceTypes snapshot that ships with moto
(``moto/ec2/resources/instance_types.json.gz``), filtered to the accelerated instance types that
cfn-lint says either GovCloud (US) region offers; each row's ``offered_in`` lists the regions
cfn-lint names for it. The row format is :mod:`govcdk.facts`'; ``govcdk facts refresh`` builds
the same table from a real account through boto3 (there ``offered_in`` comes from EC2 itself).

Usage: python scripts/gen_instance_facts.py
"""

from __future__ import annotations

import datetime
import gzip
import json
from importlib import metadata, resources
from pathlib import Path

from govcdk import govcloud
from govcdk.facts import build_table, write_table

OUT = Path(__file__).resolve().parents[1] / "src" / "govcdk" / "data" / "instance_types.json"


def main() -> None:
    src = resources.files("moto").joinpath("ec2", "resources", "instance_types.json.gz")
    with src.open("rb") as fh:
        data = json.load(gzip.open(fh))
    wanted = sorted({t for r in govcloud.REGIONS for t in govcloud.accelerated_instance_types(r)})
    rows = {r: [data[t] for t in govcloud.accelerated_instance_types(r) if t in data] for r in govcloud.REGIONS}
    table = build_table(
        rows,
        source=f"EC2 DescribeInstanceTypes snapshot shipped with moto {metadata.version('moto')} "
               f"(moto/ec2/resources/instance_types.json.gz), accelerated types offered in "
               f"{' or '.join(govcloud.REGIONS)} per cfn-lint {metadata.version('cfn-lint')}",
        generated=datetime.date.today().isoformat(),
    )
    table["missing_from_source"] = [t for t in wanted if t not in data]
    write_table(table, OUT)
    print(f"wrote {OUT} ({len(table['types'])} types)")


if __name__ == "__main__":
    main()
