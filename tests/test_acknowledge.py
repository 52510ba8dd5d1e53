"""govcdk.suppress writes acknowledgements into a construct's CloudFormation Metadata, validated
as the engine validates them, and `govcdk check` applies them. One synthesis for the module."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

import govcdk
from govcdk.policies import Status, check
from govcdk.stacks.agency import APP_CONTEXT

pytestmark = pytest.mark.synth

TODAY = datetime.date(2025, 6, 1)
REASON = "pilot log group, deleted with the pilot environment in Q3"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    out = tmp_path_factory.mktemp("acks")
    app = App(context=dict(APP_CONTEXT), outdir=str(out / "cdk.out"))
    stack = Stack(app, "Acks", env=Environment(account="111111111111", region="us-gov-west-1"))
    key = kms.Key(stack, "Key", enable_key_rotation=True, rotation_period=Duration.days(365))
    short = logs.LogGroup(stack, "Short", retention=logs.RetentionDays.ONE_WEEK, encryption_key=key)
    govcdk.suppress(short, id="GOV-LOGS-001", reason=REASON, expires="2025-09-30",
                    poam="POAM-2025-3")
    bucket = s3.CfnBucket(stack, "Bucket")         # no public access block: GOV-S3-001 fails
    govcdk.suppress(bucket, id="GOV-S3-001", reason="public dataset mirror, read-only by design",
                    expires=datetime.date(2025, 12, 31))
    govcdk.suppress(bucket, id="W3045", reason="the bucket policy is managed by the data team")
    artifact = app.synth().get_stack_by_name("Acks")
    path = Path(artifact.template_full_path)
    return stack, short, bucket, json.loads(path.read_text()), path


def _resource(template: dict, rtype: str) -> dict:
    (res,) = [r for r in template["Resources"].values() if r["Type"] == rtype]
    return res


def test_suppress_writes_metadata_next_to_the_cdk_path(synthesized) -> None:
    _, _, _, template, _ = synthesized
    group = _resource(template, "AWS::Logs::LogGroup")
    assert group["Metadata"]["govcdk"] == {"suppressions": [{
        "id": "GOV-LOGS-001", "reason": REASON, "expires": "2025-09-30", "poam": "POAM-2025-3"}]}
    assert group["Metadata"]["aws:cdk:path"] == "Acks/Short/Resource"
    bucket = _resource(template, "AWS::S3::Bucket")
    assert [e["id"] for e in bucket["Metadata"]["govcdk"]["suppressions"]] == ["GOV-S3-001", "W3045"]
    assert bucket["Metadata"]["govcdk"]["suppressions"][0]["expires"] == "2025-12-31"


def test_check_applies_what_suppress_wrote(synthesized) -> None:
    *_, path = synthesized
    report = check([path], rule_patterns=["GOV-LOGS-001", "GOV-S3-001"], today=TODAY)
    by = {(f.rule_id, f.resource_type): f for f in report.findings}
    group = by[("GOV-LOGS-001", "AWS::Logs::LogGroup")]
    assert group.status is Status.SUPPRESSED and group.acknowledgements[0].poam == "POAM-2025-3"
    assert group.cdk_path == "Acks/Short/Resource"
    assert by[("GOV-S3-001", "AWS::S3::Bucket")].status is Status.SUPPRESSED
    assert not any(f.rule_id == "SUPPRESSION" for f in report.findings)
    assert report.unused_suppressions == []


@pytest.mark.parametrize("kwargs, message", [
    (dict(id="GOV-LOGS-001", reason="ok"), "reason must say why"),
    (dict(id="GOV-S3-001", reason=REASON), r"expires \(YYYY-MM-DD\) is required: GOV-S3-001 has "
                                          r"severity HIGH"),
    (dict(id="GOV-LOGS-001", reason=REASON, expires="30/09/2025"), "expires must be a date"),
    (dict(id="GOV-NOPE-001", reason=REASON), "not a rule id of the rule pack"),
    (dict(id="GOV-LOGS-001", reason=REASON, wildcard=""), "wildcard must be a non-empty string"),
])
def test_suppress_refuses_what_the_engine_would_refuse(synthesized, kwargs, message) -> None:
    _, short, _, _, _ = synthesized
    with pytest.raises(ValueError, match=message):
        govcdk.suppress(short, **kwargs)


def test_suppress_needs_a_cloudformation_resource_and_refuses_duplicates(synthesized) -> None:
    stack, short, _, _, _ = synthesized
    with pytest.raises(ValueError, match="has no default CloudFormation resource"):
        govcdk.suppress(stack, id="GOV-LOGS-001", reason=REASON)
    with pytest.raises(ValueError, match="already acknowledges GOV-LOGS-001"):
        govcdk.suppress(short, id="GOV-LOGS-001", reason=REASON, expires="2025-10-31")
