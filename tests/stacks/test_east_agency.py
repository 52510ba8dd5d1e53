"""The second example agency (agencies/east.yaml): us-gov-east-1, impact level Moderate,
p6-b200.48xlarge nodes in a Capacity Block. Proves region handling end to end: real east AZs,
the east TargetRegion rule, the type offered there, lint-clean for both GovCloud regions and
0 failing govcdk findings."""

from __future__ import annotations

import json

from govcdk import govcloud
from govcdk.policies.engine import check
from govcdk.scanners import cfnlint
from tests_support import untagged_resources


def test_four_stacks_in_us_gov_east_1(east_assembly, east_config):
    """Moderate: keys, audit, network, compute; no replica (AU-9(2) is a High control)."""
    from govcdk.stacks import stack_names

    manifest = json.loads((east_assembly / "manifest.json").read_text())
    stacks = {k: v for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack"}
    assert stack_names(east_config) == ["evalx-keys", "evalx-audit", "evalx-network", "evalx-compute"]
    assert sorted(stacks) == sorted(stack_names(east_config))
    for art in stacks.values():
        assert art["environment"] == "aws://222222222222/us-gov-east-1"
        assert art["properties"]["terminationProtection"] is True


def test_every_resource_is_tagged(east_templates):
    regions = {name: "us-gov-east-1" for name in east_templates}
    assert untagged_resources(east_templates, regions) == []
    tags = {t["Key"]: t["Value"] for t in east_templates["evalx-audit"]["Resources"]["ArchiveBucket"]["Properties"]["Tags"]}
    assert tags == {"govcdk:agency": "evalx", "govcdk:system-id": "EVALX-0002",
                    "govcdk:impact-level": "moderate", "govcdk:data-classification": "cui"}


def test_audit_services_from_the_landing_zone_are_not_created(east_templates):
    """east.yaml declares GuardDuty and Security Hub provided by the landing zone: neither is
    created, the declaration is in the template's metadata; the trail and AWS Config are."""
    audit = east_templates["evalx-audit"]
    types = {r["Type"] for r in audit["Resources"].values()}
    assert not {"AWS::GuardDuty::Detector", "AWS::SecurityHub::Hub", "AWS::SecurityHub::Standard"} & types
    assert {"AWS::CloudTrail::Trail", "AWS::Config::ConfigurationRecorder", "AWS::Config::DeliveryChannel"} <= types
    assert audit["Metadata"]["govcdk"]["audit"] == {"landing_zone": ["guardduty", "security_hub"]}


def test_region_specific_values(east_templates):
    network, compute = east_templates["evalx-network"], east_templates["evalx-compute"]
    azs = sorted(r["Properties"]["AvailabilityZone"] for r in network["Resources"].values()
                 if r["Type"] == "AWS::EC2::Subnet")
    assert azs == ["us-gov-east-1a", "us-gov-east-1b", "us-gov-east-1c"]
    assert compute["Mappings"]["GpuInstanceTypeByRegion"] == {"us-gov-east-1": {"InstanceType": "p6-b200.48xlarge"}}
    for t in east_templates.values():
        assert t["Rules"]["TargetRegion"]["Assertions"][0]["Assert"] == {
            "Fn::Equals": [{"Ref": "AWS::Region"}, "us-gov-east-1"]}
        text = json.dumps(t)
        assert "arn:" + "aws:" not in text and "dummy" not in text and "us-gov-west-1" not in text
    # Moderate: FIPS endpoints are not forced (kms, not kms-fips), logs kept 731 days.
    services = {r["Properties"]["ServiceName"] for r in network["Resources"].values()
                if r["Type"] == "AWS::EC2::VPCEndpoint" and isinstance(r["Properties"]["ServiceName"], str)}
    assert "com.amazonaws.us-gov-east-1.kms" in services
    retention = {r["Properties"]["RetentionInDays"] for t in (network, east_templates["evalx-audit"])
                 for r in t["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"}
    assert retention == {731}
    # Moderate: Object Lock in governance mode.
    lock = east_templates["evalx-audit"]["Resources"]["ArchiveBucket"]["Properties"]["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 913}


def test_capacity_block_cluster_in_us_gov_east_1b(east_templates):
    compute = east_templates["evalx-compute"]
    (lt,) = [r for r in compute["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate"]
    data = lt["Properties"]["LaunchTemplateData"]
    assert data["InstanceMarketOptions"] == {"MarketType": "capacity-block"}
    assert compute["Parameters"]["CapacityReservationId"]["Default"] == "cr-0123456789abcdef0"
    assert not [r for r in compute["Resources"].values() if r["Type"] == "AWS::EC2::PlacementGroup"]
    nics = [(n["NetworkCardIndex"], n["DeviceIndex"], n["InterfaceType"]) for n in data["NetworkInterfaces"]]
    assert nics == [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 8)]
    (asg,) = [r for r in compute["Resources"].values() if r["Type"] == "AWS::AutoScaling::AutoScalingGroup"]
    assert "isolatedSubnet2" in json.dumps(asg["Properties"]["VPCZoneIdentifier"])  # us-gov-east-1b


def test_zero_failing_govcdk_findings(east_assembly, east_templates):
    report = check([east_assembly])
    assert sorted(t.stack for t in report.templates) == sorted(east_templates)
    assert [(f.rule_id, f.stack, f.logical_id, f.message) for f in report.failing] == []
    assert len(report.findings) > 50


def test_cfn_lint_both_govcloud_regions_reports_nothing(east_assembly, east_templates):
    items = [(n, east_assembly / f"{n}.template.json", t) for n, t in east_templates.items()]
    report = cfnlint.scan(items, regions=govcloud.REGIONS)
    assert [(f.rule_id, f.logical_id, f.message) for f in report.findings] == []
