"""govcdk.suppress writes acknowledgements into a construct's CloudFormation Metadata, validated
as the engine validates them, and `govcdk check` applies them. One synthesis for the module."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest
import cdk_nag
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

import govcdk
from govcdk.acknowledge import acknowledge, acknowledgements
from govcdk.policies import Status, check
from govcdk.policies.suppressions import ToolAcknowledgement, tool_acknowledgements
from govcdk.stacks.agency import APP_CONTEXT

pytestmark = pytest.mark.synth

TODAY = datetime.date(2025, 6, 1)
REASON = "pilot log group, deleted with the pilot environment in Q3"
NAG_INLINE = "NIST.800.53.R5-IAMNoInlinePolicy"
NAG_REASON = "pilot role, replaced by the platform team's managed policy in Q3"
IAM5_REASON = "pilot role reads and writes every object of the pilot bucket"
CKV_REASON = "pilot log group: the logs key arrives with the platform account"


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
    # Other tools' acknowledgements: the role's inline policy acknowledged for cdk-nag, the log
    # group's checkov check; a second role left unacknowledged as the control.
    for name in ("Acked", "Control"):
        role = iam.Role(stack, name, assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    policy = stack.node.find_child("Acked").node.find_child("DefaultPolicy")
    acknowledge(policy, tool="cdk-nag", id=NAG_INLINE, reason=NAG_REASON)
    acknowledge(policy, tool="cdk-nag", id="AwsSolutions-IAM5", reason=IAM5_REASON,
                applies_to=["Action::s3:*"])
    acknowledge(short, tool="checkov", id="CKV_AWS_66", reason=CKV_REASON)
    artifact = app.synth().get_stack_by_name("Acks")
    path = Path(artifact.template_full_path)
    return stack, short, bucket, json.loads(path.read_text()), path


@pytest.fixture(scope="module")
def nag_violations(synthesized) -> dict[str, list[str]]:
    """cdk-nag's NIST 800-53 Rev 5 and AWS Solutions packs run over the synthesized app:
    ``{rule id (with [finding]): [construct paths]}``."""
    app = synthesized[0].node.root
    out: dict[str, list[str]] = {}
    for pack in (cdk_nag.NIST80053R5Checks(), cdk_nag.AwsSolutionsChecks()):
        for v in pack.validate_scope(app).violations:
            out.setdefault(v.rule_name, []).extend(r.construct_path for r in v.violating_resources)
    return out


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


# -- other tools' acknowledgements (checkov, cdk-nag) ------------------------------------------

def _by_path(template: dict, path: str) -> dict:
    (res,) = [r for r in template["Resources"].values() if r.get("Metadata", {}).get("aws:cdk:path") == path]
    return res


def test_acknowledge_writes_each_tools_own_metadata_format(synthesized) -> None:
    _, _, _, template, _ = synthesized
    group = _resource(template, "AWS::Logs::LogGroup")
    assert group["Metadata"]["checkov"] == {"skip": [{"id": "CKV_AWS_66", "comment": CKV_REASON}]}
    assert group["Metadata"]["govcdk"]["suppressions"][0]["id"] == "GOV-LOGS-001"  # kept
    policy = _by_path(template, "Acks/Acked/DefaultPolicy/Resource")
    assert policy["Metadata"]["cdk_nag"] == {"rules_to_suppress": [
        {"id": NAG_INLINE, "reason": NAG_REASON},
        {"id": "AwsSolutions-IAM5", "reason": IAM5_REASON, "applies_to": ["Action::s3:*"]}]}
    assert "cdk_nag" not in _by_path(template, "Acks/Control/DefaultPolicy/Resource")["Metadata"]
    acks, problems = tool_acknowledgements(policy["Metadata"])
    assert problems == [] and acks == [
        ToolAcknowledgement("cdk-nag", NAG_INLINE, NAG_REASON),
        ToolAcknowledgement("cdk-nag", "AwsSolutions-IAM5", IAM5_REASON, ("Action::s3:*",))]


def test_cdk_nag_honours_the_acknowledgement_and_only_it(nag_violations) -> None:
    """The same rule fails on the unacknowledged control role; on the acknowledged one only the
    finding outside applies_to is left (cdk-nag 3 reads CDK's acknowledged-rules metadata)."""
    acked, control = "Acks/Acked/DefaultPolicy/Resource", "Acks/Control/DefaultPolicy/Resource"
    assert control in nag_violations[NAG_INLINE] and acked not in nag_violations[NAG_INLINE]
    assert control in nag_violations["AwsSolutions-IAM5[Action::s3:*]"]
    assert acked not in nag_violations["AwsSolutions-IAM5[Action::s3:*]"]
    assert acked in nag_violations["AwsSolutions-IAM5[Resource::*]"]


def test_acknowledgements_reads_back_what_acknowledge_wrote(synthesized) -> None:
    stack, short, *_ = synthesized
    assert acknowledgements(short) == [ToolAcknowledgement("checkov", "CKV_AWS_66", CKV_REASON)]
    assert acknowledgements(short, tool="cdk-nag") == []
    policy = stack.node.find_child("Acked").node.find_child("DefaultPolicy")
    assert [a.id for a in acknowledgements(policy, tool="cdk-nag")] == [NAG_INLINE, "AwsSolutions-IAM5"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(tool="trivy", id="AVD-AWS-0001", reason=CKV_REASON), "tool 'trivy': allowed checkov, cdk-nag"),
    (dict(tool="checkov", id="CKV_AWS_66", reason="short"), "comment must say why"),
    (dict(tool="cdk-nag", id=NAG_INLINE, reason=" " * 30), "reason must say why"),
    (dict(tool="checkov", id="AwsSolutions-IAM5", reason=CKV_REASON), "not a checkov check id"),
    (dict(tool="cdk-nag", id="CKV_AWS_66", reason=CKV_REASON), "not a cdk-nag check id"),
    (dict(tool="cdk-nag", id="AwsSolutions-IAM5[Action::s3:*]", reason=CKV_REASON),
     "give the finding in applies_to"),
    (dict(tool="checkov", id="CKV_AWS_66", reason=CKV_REASON, applies_to=["x"]),
     "applies_to: only cdk-nag"),
    (dict(tool="cdk-nag", id=NAG_INLINE, reason=CKV_REASON, applies_to=[]), "non-empty list"),
    (dict(tool="cdk-nag", id=NAG_INLINE, reason=CKV_REASON, applies_to=[""]), "is not a finding id"),
])
def test_acknowledge_refuses_malformed_entries(synthesized, kwargs, message) -> None:
    _, short, *_ = synthesized
    with pytest.raises(ValueError, match=message):
        acknowledge(short, **kwargs)


def test_acknowledge_needs_a_resource_and_refuses_duplicates(synthesized) -> None:
    stack, short, *_ = synthesized
    with pytest.raises(ValueError, match="has no default CloudFormation resource"):
        acknowledge(stack, tool="checkov", id="CKV_AWS_66", reason=CKV_REASON)
    with pytest.raises(ValueError, match="already acknowledges checkov CKV_AWS_66"):
        acknowledge(short, tool="checkov", id="CKV_AWS_66", reason="another reason for the same check")


@pytest.mark.parametrize("metadata, problem", [
    ({"checkov": {"skip": [{"id": "CKV_AWS_66"}]}}, r"checkov.skip\[0\]: comment is required"),
    ({"checkov": {"skip": {"id": "CKV_AWS_66"}}}, "must be a list of entries, got a mapping"),
    ({"checkov": ["CKV_AWS_66"]}, "must be a list of entries, got a list"),
    ({"cdk_nag": {"rules_to_suppress": [{"id": NAG_INLINE, "reason": NAG_REASON, "appliesTo": ["x"]}]}},
     "unknown key\\(s\\) appliesTo"),
    ({"cdk_nag": {"rules_to_suppress": [{"id": NAG_INLINE, "reason": NAG_REASON}] * 2}},
     r"rules_to_suppress\[1\]: duplicate of \[0\]"),
])
def test_tool_acknowledgements_reports_malformed_metadata(metadata, problem) -> None:
    acks, problems = tool_acknowledgements(metadata)
    assert len(problems) == 1 and re.search(problem, problems[0]), problems
    assert len(acks) == (1 if "duplicate" in problem else 0)


def test_tool_acknowledgements_reads_cdk_nag_v2_regex_applies_to() -> None:
    acks, problems = tool_acknowledgements({"cdk_nag": {"rules_to_suppress": [
        {"id": "AwsSolutions-IAM5", "reason": IAM5_REASON, "applies_to": [{"regex": "/^Action::s3:.*$/g"}]}]}})
    assert problems == [] and acks[0].applies_to == ("regex:/^Action::s3:.*$/g",)
