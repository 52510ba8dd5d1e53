"""The reference agency's cloud assembly: deterministic, offline, GovCloud-correct, lint-clean."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from govcdk import govcloud
from govcdk.scanners import cfnlint


def test_three_stacks_with_explicit_govcloud_env(reference_assembly):
    manifest = json.loads((reference_assembly / "manifest.json").read_text())
    stacks = {k: v for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack"}
    assert sorted(stacks) == ["airx-compute", "airx-keys", "airx-network"]
    for art in stacks.values():
        assert art["environment"] == "aws://111111111111/us-gov-west-1"
        assert art["properties"]["terminationProtection"] is True
        # Stack tags `cdk deploy` sets on the deployed stack; `govcdk verify` selects by them.
        assert art["properties"]["tags"] == {
            "govcdk:agency": "airx", "govcdk:system-id": "AIRX-0001", "govcdk:impact-level": "high",
            "govcdk:data-classification": "cui"}


def test_no_commercial_partition_and_no_dummy_azs(reference_assembly):
    for f in reference_assembly.glob("*.template.json"):
        text = f.read_text()
        assert "arn:" + "aws:" not in text, f.name
        assert "dummy" not in text, f.name


def test_real_availability_zones(reference_templates):
    azs = {r["Properties"]["AvailabilityZone"] for r in reference_templates["airx-network"]["Resources"].values()
           if r["Type"] == "AWS::EC2::Subnet"}
    assert azs == set(govcloud.region("us-gov-west-1").availability_zones)


def test_every_resource_is_tagged(reference_templates):
    untaggable = {"AWS::KMS::Alias", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile", "AWS::EC2::SecurityGroupIngress",
                  "AWS::EC2::SecurityGroupEgress", "AWS::EC2::SubnetRouteTableAssociation",
                  "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::NetworkAclEntry",
                  "Custom::VpcRestrictDefaultSG", "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
                  "AWS::Backup::BackupSelection"}  # a custom resource has no Tags (its properties go to its handler)
    for name, t in reference_templates.items():
        for lid, r in t["Resources"].items():
            if r["Type"] in untaggable:
                continue
            tags = r["Properties"].get("Tags") or r["Properties"].get("TagSpecifications") or \
                r["Properties"].get("BackupVaultTags") or r["Properties"].get("BackupPlanTags") or \
                r["Properties"].get("LaunchTemplateData", {}).get("TagSpecifications")
            text = json.dumps(tags)
            for key in ("govcdk:agency", "govcdk:system-id", "govcdk:impact-level", "govcdk:data-classification"):
                assert key in text, (name, lid, r["Type"], key)


def test_target_region_rule(reference_templates):
    for name, t in reference_templates.items():
        rule = t["Rules"]["TargetRegion"]["Assertions"][0]
        assert rule["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-gov-west-1"]}


def test_cfn_lint_both_govcloud_regions_reports_no_error(reference_assembly, reference_templates):
    items = [(n, reference_assembly / f"{n}.template.json", t) for n, t in reference_templates.items()]
    report = cfnlint.scan(items, regions=govcloud.REGIONS)
    assert [(f.rule_id, f.logical_id, f.message) for f in report.findings] == []


@pytest.mark.synth
def test_two_syntheses_are_byte_identical(reference_assembly, reference_config, tmp_path):
    from govcdk.stacks import build_app

    again = tmp_path / "again"
    build_app(reference_config, again).synth()
    first = sorted(p.name for p in reference_assembly.iterdir())
    assert first == sorted(p.name for p in again.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(reference_assembly, again, [n for n in first if (again / n).is_file()],
                                               shallow=False)
    assert mismatch == [] and errors == []


def test_findings_can_name_their_construct(reference_templates):
    for t in reference_templates.values():
        for r in t["Resources"].values():
            assert r.get("Metadata", {}).get("aws:cdk:path", "").startswith("airx-")


@pytest.mark.synth
def test_npx_cdk_synth_writes_the_same_templates(reference_assembly, tmp_path):
    import shutil
    import subprocess

    root = Path(__file__).resolve().parents[2]
    if not (root / "node_modules" / ".bin" / "cdk").exists():
        pytest.fail("the CDK CLI is not installed: run `make setup`")
    out = tmp_path / "npx.out"
    proc = subprocess.run([shutil.which("npx") or "npx", "cdk", "synth", "--quiet", "-o", str(out)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "end-of-life" not in proc.stdout + proc.stderr
    for f in reference_assembly.glob("*.template.json"):
        assert (out / f.name).read_bytes() == f.read_bytes(), f.name
