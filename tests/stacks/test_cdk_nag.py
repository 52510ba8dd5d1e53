"""cdk-nag's NIST 800-53 Rev 5 pack over both example agencies: no unacknowledged finding.

cdk-nag 3 is a CDK policy-validation plugin; ``NagPack.validate_scope(app)`` is its documented
entry point for tests. It walks the construct tree of the agency App that conftest synthesized
once (aspects, tags and overrides applied, as the plugin would see it after synthesis), so no
extra synthesis. A rule acknowledged in a construct (``govcdk.acknowledge.acknowledge(...,
tool="cdk-nag")``) is not reported by cdk-nag; the acknowledgements and their reasons ship in
the templates as ``Metadata.cdk_nag.rules_to_suppress`` and are printed here (``pytest -s``).
"""

from __future__ import annotations

import json
from pathlib import Path

import cdk_nag
import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_logs as logs

from govcdk.constructs._log_buckets import ACCESS_LOG_SSE_S3_REASON, NAG_REPLICATION, NAG_SSE_KMS
from govcdk.constructs.audit_logging import no_replication_reason
from govcdk.constructs.audit_replica import replica_access_log_reason, replica_archive_reason
from govcdk.constructs.gpu_cluster import (ALL_TRAFFIC_NAG_RULE, EFA_LUSTRE_ALL_TRAFFIC_REASON,
                                           NODES_ALL_TRAFFIC_REASON)
from govcdk.policies.suppressions import tool_acknowledgements

pytestmark = pytest.mark.synth

NIST = "NIST.800.53.R5"

# What each agency acknowledges, (construct path, rule) -> reason:
# - the all-traffic ingress rules between the GPU cluster's own security groups (EFA), which
#   cdk-nag's EC2RestrictedCommonPorts fails whatever the source (the reference agency has an
#   EFA Lustre file system, east has none);
# - S3DefaultEncryptionKMS on the server access log buckets, where S3 allows only SSE-S3;
# - S3BucketReplicationEnabled where there is nothing to replicate to: the replica buckets in
#   the other GovCloud Region (reference, High), the archive below High (east, Moderate).
NODES_SELF = "{code}-compute/Cluster/SecurityGroup/from {code}computeClusterSecurityGroup{h}:ALL TRAFFIC"
EXPECTED = {
    "reference": {
        (NODES_SELF.format(code="airx", h="96B9D998"), ALL_TRAFFIC_NAG_RULE): NODES_ALL_TRAFFIC_REASON,
        ("airx-compute/Cluster/SecurityGroup/from airxcomputeClusterFileSystemSecurityGroup9327126E:ALL TRAFFIC",
         ALL_TRAFFIC_NAG_RULE): EFA_LUSTRE_ALL_TRAFFIC_REASON,
        ("airx-compute/Cluster/FileSystemSecurityGroup/from airxcomputeClusterFileSystemSecurityGroup9327126E:"
         "ALL TRAFFIC", ALL_TRAFFIC_NAG_RULE): EFA_LUSTRE_ALL_TRAFFIC_REASON,
        ("airx-compute/Cluster/FileSystemSecurityGroup/from airxcomputeClusterSecurityGroup96B9D998:ALL TRAFFIC",
         ALL_TRAFFIC_NAG_RULE): EFA_LUSTRE_ALL_TRAFFIC_REASON,
        ("airx-audit/Audit/AccessLogBucket/Resource", NAG_SSE_KMS): ACCESS_LOG_SSE_S3_REASON,
        ("airx-audit-replica/Replica/AccessLogBucket/Resource", NAG_SSE_KMS): ACCESS_LOG_SSE_S3_REASON,
        ("airx-audit-replica/Replica/AccessLogBucket/Resource", NAG_REPLICATION):
            replica_access_log_reason("us-gov-west-1", "us-gov-east-1"),
        ("airx-audit-replica/Replica/ArchiveBucket/Resource", NAG_REPLICATION):
            replica_archive_reason("us-gov-west-1"),
    },
    "east": {
        (NODES_SELF.format(code="evalx", h="F0461869"), ALL_TRAFFIC_NAG_RULE): NODES_ALL_TRAFFIC_REASON,
        ("evalx-audit/Audit/AccessLogBucket/Resource", NAG_SSE_KMS): ACCESS_LOG_SSE_S3_REASON,
        ("evalx-audit/Audit/AccessLogBucket/Resource", NAG_REPLICATION): no_replication_reason("moderate"),
        ("evalx-audit/Audit/ArchiveBucket/Resource", NAG_REPLICATION): no_replication_reason("moderate"),
    },
}


def _violations(app: App) -> list[str]:
    report = cdk_nag.NIST80053R5Checks(verbose=True).validate_scope(app)
    return [f"{v.severity} {v.rule_name} at {r.construct_path}: {v.description}"
            for v in report.violations for r in v.violating_resources]


def _acknowledged(assembly: Path) -> list[tuple[str, str, str, str]]:
    """(stack, cdk path, rule id, reason) of every cdk-nag acknowledgement in the templates;
    asserts every tool acknowledgement is well-formed."""
    out = []
    for path in sorted(assembly.glob("*.template.json")):
        for lid, res in json.loads(path.read_text())["Resources"].items():
            acks, problems = tool_acknowledgements(res.get("Metadata"))
            assert problems == [], (path.name, lid, problems)
            out += [(path.name.removesuffix(".template.json"), res["Metadata"]["aws:cdk:path"], a.id, a.reason)
                    for a in acks if a.tool == "cdk-nag"]
    return out


@pytest.mark.parametrize("agency", ["reference", "east"])
def test_no_unacknowledged_nist_800_53_r5_finding(agency, request):
    app = request.getfixturevalue(f"{agency}_app")
    assert _violations(app) == []


@pytest.mark.parametrize("agency", ["reference", "east"])
def test_acknowledged_rules_are_the_expected_ones_with_their_reasons(agency, request, capsys):
    acked = _acknowledged(request.getfixturevalue(f"{agency}_assembly"))
    with capsys.disabled():
        print(f"\ncdk-nag {NIST} acknowledgements in the {agency} agency ({len(acked)}):")
        for stack, path, rule, reason in acked:
            print(f"  {rule} on {path}: {reason}")
    assert {(path, rule): reason for _, path, rule, reason in acked} == EXPECTED[agency]
    assert len(acked) == len(EXPECTED[agency])    # each once


def test_the_pack_reports_what_it_should_in_this_environment():
    """Control: the same pack and entry point report a log group without a customer-managed
    key and with no retention (CloudWatchLogGroupEncrypted, CloudWatchLogGroupRetentionPeriod),
    so an empty list above means no finding, not a pack that checks nothing."""
    app = App()
    stack = Stack(app, "NagControl", env=Environment(account="111111111111", region="us-gov-west-1"))
    logs.CfnLogGroup(stack, "Plain")
    found = {line.split(" at ")[0].split()[1] for line in _violations(app)}
    assert {f"{NIST}-CloudWatchLogGroupEncrypted", f"{NIST}-CloudWatchLogGroupRetentionPeriod"} <= found
