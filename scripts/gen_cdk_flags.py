"""Regenerate the CDK feature flags govcdk synthesizes with.

Source: ``recommended-feature-flags.json`` inside the installed aws-cdk-lib (the flags
``cdk init`` writes for a new project), with GovCloud's partition added to
``@aws-cdk/core:target-partitions`` (GOVCLOUD.md, "Partition and regions"). Writes
``src/govcdk/data/cdk_feature_flags.json`` and the ``context`` of ``cdk.json`` so that
``govcdk synth`` and ``npx cdk synth`` build the same templates. A test keeps both current.

Usage: python scripts/gen_cdk_flags.py
"""

from __future__ import annotations

import importlib.util
import json
import tarfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = {
    # GovCloud's partition, so partition-keyed mappings include it (GOVCLOUD.md).
    "@aws-cdk/core:target-partitions": ["aws", "aws-us-gov"],
    # Strong references (Export / Fn::ImportValue) between the keys, network and compute
    # stacks: CloudFormation then refuses to delete or change a key or VPC that a later stack
    # still uses. The recommended "weak" emits Fn::GetStackOutput, which lets the keys stack be
    # deleted under a running cluster, and which moto and older tooling cannot read.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


def recommended() -> dict:
    # find_spec locates the package without importing it (an import would start jsii)
    spec = importlib.util.find_spec("aws_cdk")
    assert spec and spec.submodule_search_locations
    jsii_dir = Path(spec.submodule_search_locations[0]) / "_jsii"
    tgz = next(p for p in jsii_dir.iterdir() if p.name.endswith(".jsii.tgz"))
    with tarfile.open(str(tgz)) as tar:
        member = tar.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        return json.load(member)


def flags() -> dict:
    out = dict(recommended())
    out.update(OVERRIDES)
    return dict(sorted(out.items()))


def main() -> None:
    f = flags()
    data = ROOT / "src" / "govcdk" / "data" / "cdk_feature_flags.json"
    data.write_text(json.dumps({"aws-cdk-lib": metadata.version("aws-cdk-lib"), "flags": f},
                               indent=2) + "\n", encoding="utf-8")
    cdk_json = ROOT / "cdk.json"
    doc = json.loads(cdk_json.read_text()) if cdk_json.exists() else {}
    doc["app"] = "python app.py"
    doc["context"] = f
    cdk_json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {data} and {cdk_json} ({len(f)} flags)")


if __name__ == "__main__":
    main()
