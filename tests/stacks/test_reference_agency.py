"""The reference agency's cloud assembly: deterministic, offline, GovCloud-correct, lint-clean."""

from __future__ import annotations

import filecmp
import json

import pytest

from govcdk import govcloud
from govcdk.scanners import cfnlint
from tests_support import taggable, untagged_resources


STACK_REGIONS = {"airx-keys": "us-gov-west-1", "airx-audit-replica": "us-gov-east-1",
                 "airx-audit": "us-gov-west-1", "airx-network": "us-gov-west-1",
                 "airx-compute": "us-gov-west-1"}


def test_five_stacks_with_explicit_govcloud_env(reference_assembly):
    """High: keys, the audit replica in the other GovCloud Region, audit, network, compute;
    every stack with termination protection."""
    manifest = json.loads((reference_assembly / "manifest.json").read_text())
    stacks = {k: v for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack"}
    assert sorted(stacks) == sorted(STACK_REGIONS)
    for name, art in stacks.items():
        assert art["environment"] == f"aws://111111111111/{STACK_REGIONS[name]}", name
        assert art["properties"]["terminationProtection"] is True, name
        # Stack tags `cdk deploy` sets on the deployed stack; `govcdk verify` selects by them.
        assert art["properties"]["tags"] == {
            "govcdk:agency": "airx", "govcdk:system-id": "AIRX-0001", "govcdk:impact-level": "high",
            "govcdk:data-classification": "cui"}, name
    # S3 refuses a replication rule whose destination does not exist yet: replica first.
    assert "airx-audit-replica" in stacks["airx-audit"]["dependencies"]


def test_stack_names_in_deployment_order(reference_config):
    from govcdk.stacks import stack_names

    assert stack_names(reference_config) == [
        "airx-keys", "airx-audit-replica", "airx-audit", "airx-network", "airx-compute"]


def test_no_commercial_partition_and_no_dummy_azs(reference_assembly):
    for f in reference_assembly.glob("*.template.json"):
        text = f.read_text()
        assert "arn:" + "aws:" not in text, f.name
        assert "dummy" not in text, f.name


def test_real_availability_zones(reference_templates):
    azs = {r["Properties"]["AvailabilityZone"] for r in reference_templates["airx-network"]["Resources"].values()
           if r["Type"] == "AWS::EC2::Subnet"}
    assert azs == set(govcloud.region("us-gov-west-1").availability_zones)


UNTAGGABLE = {"AWS::KMS::Alias", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile",
              "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress", "AWS::EC2::SubnetRouteTableAssociation",
              "AWS::EC2::SubnetNetworkAclAssociation", "AWS::EC2::NetworkAclEntry",
              "Custom::VpcRestrictDefaultSG", "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation",
              "AWS::Backup::BackupSelection", "AWS::S3::BucketPolicy", "AWS::Config::ConfigurationRecorder",
              "AWS::Config::DeliveryChannel", "AWS::SecurityHub::Standard"}
"""Types without a tag property in CloudFormation (a custom resource's properties go to its handler)."""


def test_every_resource_is_tagged(reference_templates):
    """Every resource whose type can carry tags (cfn-lint's registry schema for its Region) has
    the four agency tags; every other type is one known to have no tag property."""
    assert untagged_resources(reference_templates, STACK_REGIONS) == []
    untaggable = {r["Type"] for name, t in reference_templates.items() for r in t["Resources"].values()
                  if not taggable(r["Type"], STACK_REGIONS[name])}
    assert untaggable <= UNTAGGABLE, untaggable - UNTAGGABLE
    types = {r["Type"] for t in reference_templates.values() for r in t["Resources"].values()}
    assert {"AWS::S3::Bucket", "AWS::CloudTrail::Trail", "AWS::Logs::LogGroup", "AWS::GuardDuty::Detector",
            "AWS::SecurityHub::Hub", "AWS::KMS::Key", "AWS::IAM::Role"} <= types


def test_agency_file_tags_reach_every_taggable_resource(reference_config, tmp_path):
    """Extra tags of the agency file go on every taggable resource (one synthesis of the keys
    and audit stacks is enough to see them on every kind of resource there)."""
    from aws_cdk import App

    from govcdk.stacks import AuditReplicaStack, AuditStack, KeysStack
    from govcdk.stacks.agency import APP_CONTEXT

    config = reference_config.model_copy(update={"tags": {"cost-center": "AI 1234", "owner": "ml-ops@agency"}})
    app = App(context=dict(APP_CONTEXT), outdir=str(tmp_path))
    keys = KeysStack(app, "airx-keys", config=config)
    AuditReplicaStack(app, "airx-audit-replica", config=config)
    AuditStack(app, "airx-audit", config=config, keyring=keys.keyring)
    assembly = app.synth()
    templates = {s.stack_name: s.template for s in assembly.stacks}
    assert untagged_resources(templates, STACK_REGIONS, extra_keys=("cost-center", "owner")) == []
    for stack in assembly.stacks:  # and on the stacks themselves
        assert {k: stack.tags.get(k) for k in ("govcdk:agency", "cost-center", "owner")} == {
            "govcdk:agency": "airx", "cost-center": "AI 1234", "owner": "ml-ops@agency"}, stack.stack_name


def test_target_region_rule(reference_templates):
    for name, t in reference_templates.items():
        rule = t["Rules"]["TargetRegion"]["Assertions"][0]
        assert rule["Assert"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, STACK_REGIONS[name]]}


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
