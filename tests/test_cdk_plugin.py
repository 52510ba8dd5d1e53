"""GovcdkValidation, the rule pack as a CDK policy-validation plugin: it judges what
`govcdk check` judges, stops synthesis on a failing finding, and honours acknowledgements.

Syntheses (module fixtures): the reference agency twice through `govcdk synth --validate`
(clean; and with GOV-LOGS-001 tightened so it fails), and three one-key apps of ~0.5 s each.
Everything else calls the plugin on those cloud assemblies or checks options (no synthesis).
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_kms as kms
from click.testing import CliRunner

import govcdk
from govcdk import GovcdkValidation
from govcdk.cli import main
from govcdk.policies import Status
from govcdk.stacks.agency import APP_CONTEXT

pytestmark = pytest.mark.synth

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "agencies" / "reference.yaml"
TODAY = datetime.date.today()
REASON = "HSM-backed key material rotates on the vendor's own two-year cycle"


def _cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _check_json(assembly: Path) -> tuple[int, list[tuple[str, str, str, str]]]:
    """`govcdk check --baseline high --format json --no-cfn-lint`: exit code and findings as
    sorted (stack, rule id, logical ID, status)."""
    result = _cli("check", str(assembly), "--baseline", "high", "--format", "json", "--no-cfn-lint")
    findings = json.loads(result.stdout)["findings"]
    return result.exit_code, sorted((f["stack"], f["rule_id"], f["logical_id"], f["status"])
                                    for f in findings)


def _plugin_findings(plugin: GovcdkValidation) -> list[tuple[str, str, str, str]]:
    assert plugin.last_report is not None
    return sorted((f.stack, f.rule_id, f.logical_id, f.status.value)
                  for f in plugin.last_report.findings)


def _synth_agency(tmp: Path, monkeypatch: pytest.MonkeyPatch, **options):
    """`govcdk synth --validate` of the reference agency; the plugin the CLI made, captured."""
    import govcdk.cdk_validation as module

    made: list[GovcdkValidation] = []
    real = module.GovcdkValidation

    def factory(**kwargs):
        made.append(real(**kwargs, **options))
        return made[-1]

    monkeypatch.setattr(module, "GovcdkValidation", factory)
    out = tmp / "cdk.out"
    result = _cli("synth", "--agency", str(REFERENCE), "--out", str(out), "--validate")
    (plugin,) = made
    return result, out, plugin


# --------------------------------------------------------------------------------------------
# the reference agency


@pytest.fixture(scope="module")
def agency(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        return _synth_agency(tmp_path_factory.mktemp("agency"), mp)


def test_reference_agency_synthesizes_with_the_plugin_and_passes(agency) -> None:
    result, out, plugin = agency
    assert result.exit_code == 0, result.output
    assert plugin.baseline == "high" and plugin.fail_on == "low" and not plugin.allow_unknown
    assert plugin.last_verdict is not None and plugin.last_verdict.passed
    assert [t.stack for t in plugin.last_report.templates] == [
        "airx-keys", "airx-audit-replica", "airx-audit", "airx-network", "airx-compute"]
    counts = plugin.last_report.counts()
    assert f"{counts['PASS']} passed, {counts['SUPPRESSED']} suppressed, 0 failing" in result.stdout
    # CDK's own record of the run: a passing report with no violation is not listed.
    report = json.loads((out / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r["pluginName"] == "govcdk"] == []


def test_reference_agency_plugin_findings_equal_govcdk_check_baseline_high(agency) -> None:
    _, out, plugin = agency
    code, findings = _check_json(out)
    assert code == 0
    assert _plugin_findings(plugin) == findings
    assert len(findings) > 200 and {s for _, _, _, s in findings} >= {"PASS", "NOT_APPLICABLE"}
    assert sorted(plugin.rule_ids) == sorted(plugin.last_report.rules_run)


@pytest.fixture(scope="module")
def strict_agency(tmp_path_factory):
    """The reference agency keeps its logs 365 days (agencies/reference.yaml logging
    retention_days); GOV-LOGS-001 tightened to 3650 days must fail on every log group."""
    with pytest.MonkeyPatch.context() as mp:
        return _synth_agency(tmp_path_factory.mktemp("strict"), mp,
                             rule_parameters={"GOV-LOGS-001": {"min_retention_days": 3650}})


def test_synth_validate_fails_with_the_report_naming_rule_and_logical_id(strict_agency) -> None:
    result, out, plugin = strict_agency
    assert result.exit_code == 1
    groups = {(name, lid) for name in ("airx-keys", "airx-audit-replica", "airx-audit", "airx-network",
                                       "airx-compute")
              for lid, r in json.loads((out / f"{name}.template.json").read_text())["Resources"].items()
              if r["Type"] == "AWS::Logs::LogGroup"}
    assert groups
    failing = {(f.stack, f.logical_id) for f in plugin.last_verdict.failing}
    assert failing == groups
    assert all(f.rule_id == "GOV-LOGS-001" for f in plugin.last_verdict.failing)
    assert "govcdk::GOV-LOGS-001" in result.stderr
    for _, lid in groups:
        assert f"({lid})" in result.stderr
    assert "validation at the FedRAMP high baseline failed" in result.stderr


# --------------------------------------------------------------------------------------------
# one KMS key: rotation off


def _key_app(out: Path, *, expires: datetime.date | None, beta1: bool = False):
    """A stack with one ``kms.Key`` built with CDK defaults: EnableKeyRotation is left out, so
    CloudFormation leaves rotation off and GOV-KMS-001 (SC-12) fails; the key policy grants
    only the account, deletion is retained and the waiting period is KMS's 30 days, so the
    other KMS rules pass. ``expires`` acknowledges GOV-KMS-001 until that day."""
    plugin = GovcdkValidation(baseline="high")
    context = {**APP_CONTEXT, "@aws-cdk/core:appMode": "inmemory"}
    if beta1:
        app = App(context=context, outdir=str(out), builtin_cloud_formation_validation=False,
                  policy_validation_beta1=[plugin])
    else:
        app = App(context=context, outdir=str(out), builtin_cloud_formation_validation=False)
        Validations.of(app).add_plugins(plugin)
    stack = Stack(app, "Keys", env=Environment(account="111111111111", region="us-gov-west-1"))
    key = kms.Key(stack, "DataKey")
    if expires is not None:
        govcdk.suppress(key, id="GOV-KMS-001", reason=REASON, expires=expires)
    logical_id = stack.resolve(key.node.default_child.logical_id)
    try:
        app.synth()
        error = None
    except RuntimeError as exc:
        error = str(exc)
    return SimpleNamespace(plugin=plugin, error=error, out=out, logical_id=logical_id)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    return SimpleNamespace(
        plain=_key_app(root / "plain", expires=None),
        acked=_key_app(root / "acked", expires=TODAY + datetime.timedelta(days=90), beta1=True),
        expired=_key_app(root / "expired", expires=TODAY - datetime.timedelta(days=1)))


def test_failing_key_stops_synthesis_naming_rule_and_logical_id(keys) -> None:
    plain = keys.plain
    assert plain.error is not None and plain.error.startswith("ValidationFailed:")
    assert "govcdk::GOV-KMS-001" in plain.error
    assert f"({plain.logical_id})" in plain.error
    assert "[MEDIUM FAIL]" in plain.error and "EnableKeyRotation" in plain.error
    assert [(f.rule_id, f.logical_id) for f in plain.plugin.last_verdict.failing] == [
        ("GOV-KMS-001", plain.logical_id)]
    assert (plain.out / "Keys.template.json").is_file()  # CDK validates after writing


def test_valid_acknowledgement_lets_synthesis_pass(keys) -> None:
    acked = keys.acked  # registered through App(policy_validation_beta1=[...])
    assert acked.error is None
    assert acked.plugin.last_verdict.passed
    (finding,) = [f for f in acked.plugin.last_report.findings if f.rule_id == "GOV-KMS-001"]
    assert finding.status is Status.SUPPRESSED and finding.logical_id == acked.logical_id
    assert finding.acknowledgements[0].reason == REASON


def test_expired_acknowledgement_fails_again(keys) -> None:
    expired = keys.expired
    assert expired.error is not None
    assert "govcdk::GOV-KMS-001" in expired.error and f"({expired.logical_id})" in expired.error
    assert "suppression expired on" in expired.error
    (finding,) = expired.plugin.last_verdict.failing
    assert finding.status is Status.FAIL and finding.rule_id == "GOV-KMS-001"


@pytest.mark.parametrize("case, code", [("plain", 1), ("acked", 0), ("expired", 1)])
def test_key_findings_equal_govcdk_check(keys, case, code) -> None:
    app = getattr(keys, case)
    exit_code, findings = _check_json(app.out)
    assert exit_code == code
    assert _plugin_findings(app.plugin) == findings


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """A top-level stack, and a CDK Stage whose stack holds a nested stack. Two findings fail
    at MEDIUM: GOV-KMS-001 on the stage's key (CDK leaves EnableKeyRotation out, so rotation is
    off) and GOV-SQS-002 on the nested stack's queue (no queue policy denies
    aws:SecureTransport false); both stop the synthesis."""
    from aws_cdk import NestedStack, Stage
    from aws_cdk import aws_sqs as sqs

    out = tmp_path_factory.mktemp("staged") / "cdk.out"
    app = App(context={**APP_CONTEXT, "@aws-cdk/core:appMode": "inmemory"}, outdir=str(out),
              builtin_cloud_formation_validation=False)
    plugin = GovcdkValidation(baseline="high")
    Validations.of(app).add_plugins(plugin)
    env = Environment(account="111111111111", region="us-gov-west-1")
    kms.Key(Stack(app, "Top", env=env), "TopKey", enable_key_rotation=True)
    inner = Stack(Stage(app, "Prod", env=env), "Inner")
    key = kms.Key(inner, "InnerKey")
    sqs.Queue(NestedStack(inner, "Nested"), "Queue", encryption_master_key=key)
    with pytest.raises(RuntimeError, match="ValidationFailed") as info:
        app.synth()
    return out, plugin, str(info.value)


def test_stages_and_nested_stacks_are_checked_as_govcdk_check_does(staged) -> None:
    out, plugin, error = staged
    assert sorted((f.rule_id, f.stack.split("/")[-1][:6]) for f in plugin.last_verdict.failing) == [
        ("GOV-KMS-001", "Inner"), ("GOV-SQS-002", "Nested")]
    assert "govcdk::GOV-KMS-001" in error and "govcdk::GOV-SQS-002" in error
    assert {t.stack.split("/")[0] for t in plugin.last_report.templates} == {"Top", "Prod"}
    code, findings = _check_json(out)
    assert code == 1
    assert _plugin_findings(plugin) == findings


# --------------------------------------------------------------------------------------------
# options and reports, on the cloud assembly already written (no synthesis)


def _context(app) -> SimpleNamespace:
    path = str(app.out / "Keys.template.json")
    return SimpleNamespace(template_paths=[path], stack_templates=[SimpleNamespace(
        template_path=path, region="us-gov-west-1", account_id="111111111111",
        stack_construct_path="Keys")])


def test_report_shape_of_a_failing_finding(keys) -> None:
    plugin = GovcdkValidation(baseline="high")
    report = plugin.validate(_context(keys.plain))
    assert report.success is False
    (violation,) = report.violations
    assert violation.rule_name == "GOV-KMS-001" and violation.severity == "fatal"
    assert violation.fix.startswith("CDK: kms.Key(self, 'Key', enable_key_rotation=True")
    assert violation.rule_metadata["severity"] == "MEDIUM"
    assert violation.rule_metadata["controls"].startswith("SC-12")
    (resource,) = violation.violating_resources
    assert resource.resource_logical_id == keys.plain.logical_id
    assert resource.template_path == str(keys.plain.out / "Keys.template.json")
    assert resource.locations == ["Properties.EnableKeyRotation"]
    assert report.metadata["baseline"] == "high" and report.metadata["failing"] == "1"


def test_fail_on_above_the_finding_reports_a_warning_and_passes(keys) -> None:
    report = GovcdkValidation(baseline="high", fail_on="high").validate(_context(keys.plain))
    assert report.success is True
    assert [(v.rule_name, v.severity) for v in report.violations] == [("GOV-KMS-001", "warning")]


def test_rule_selection_that_skips_the_failing_rule_passes(keys) -> None:
    plugin = GovcdkValidation(baseline="high", rules=["GOV-KMS-00[234]"])
    report = plugin.validate(_context(keys.plain))
    assert report.success is True and list(report.violations) == []
    assert plugin.rule_ids == ["GOV-KMS-002", "GOV-KMS-003", "GOV-KMS-004"]


def test_unknown_fails_unless_allowed_and_parameters_give_values(tmp_path) -> None:
    # A plain template (no manifest.json beside it): RetentionInDays comes from a parameter
    # without a value, so GOV-LOGS-001 cannot decide: UNKNOWN, never a guess.
    p = tmp_path / "Logs.template.json"
    p.write_text(json.dumps({"Parameters": {"Days": {"Type": "Number"}}, "Resources": {"Logs": {
        "Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Days"}}}}}))
    context = SimpleNamespace(template_paths=[str(p)], stack_templates=[])
    strict = GovcdkValidation(rules="GOV-LOGS-001").validate(context)
    assert strict.success is False
    assert [(v.rule_name, v.severity, v.rule_metadata["status"]) for v in strict.violations] == [
        ("GOV-LOGS-001", "fatal", "UNKNOWN")]
    allowed = GovcdkValidation(rules="GOV-LOGS-001", allow_unknown=True).validate(context)
    assert allowed.success is True
    assert [(v.rule_name, v.severity) for v in allowed.violations] == [("GOV-LOGS-001", "warning")]
    # Given a value, the rule decides: 30 days is below the 365-day floor (AU-11).
    short = GovcdkValidation(rules="GOV-LOGS-001", allow_unknown=True,
                             parameters={"Days": "30"}).validate(context)
    assert short.success is False and short.violations[0].rule_metadata["status"] == "FAIL"
    assert GovcdkValidation(rules="GOV-LOGS-001", parameters={"Days": "400"}).validate(
        context).success is True


def test_input_govcdk_cannot_check_fails_with_an_error(keys, tmp_path) -> None:
    bad = tmp_path / "Broken.template.json"
    bad.write_text('{"AWSTemplateFormatVersion": "2010-09-09"}')
    report = GovcdkValidation().validate(SimpleNamespace(template_paths=[str(bad)],
                                                         stack_templates=[]))
    assert report.success is False and list(report.violations) == []
    assert str(bad) in report.metadata["error"] and "Resources" in report.metadata["error"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(baseline="fedramp-high"), "baseline='fedramp-high': expected one of 'low', 'moderate', 'high'"),
    (dict(fail_on="severe"), "fail_on='severe': expected one of 'low'"),
    (dict(region="us-east-1"), "region='us-east-1': expected one of"),
    (dict(rules="NOPE-*"), "no rule matches NOPE-*"),
    (dict(rule_parameters={"GOV-LOGS-001": {"min_retention_days": 30}}), "GOV-LOGS-001"),
    (dict(rule_parameters={"GOV-LOGS-001": 400}), "expected {rule id: {parameter: value}}"),
    (dict(policy_file="/nonexistent/policy.yaml"), "/nonexistent/policy.yaml"),
    (dict(scanners="govcdk,bogus"), "unknown scanner(s) 'bogus'"),
    (dict(scanners=["govcdk"], cfn_lint=True), "cfn_lint=True conflicts with scanners=['govcdk']"),
    (dict(checkov="/opt/checkov"), "checkov='/opt/checkov': checkov is not among the scanners"),
])
def test_bad_options_are_refused_when_the_plugin_is_made(kwargs, message) -> None:
    with pytest.raises(ValueError, match="GovcdkValidation") as info:
        GovcdkValidation(**kwargs)
    assert message in str(info.value)


def test_readme_one_line_example_stops_a_failing_app(tmp_path) -> None:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Check at synthesis (CDK plugin)", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    assert "Validations.of(app).add_plugins(GovcdkValidation(baseline=\"high\"))" in code
    assert code.count("App()") == 1
    # The jsii process of this session is already running: give App() its outdir directly;
    # CDK's built-in CloudFormation validation is off as in build_app (it costs seconds).
    code = code.replace("App()", f"App(outdir={str(tmp_path / 'cdk.out')!r}, "
                                 "builtin_cloud_formation_validation=False)")
    scope: dict = {"__name__": "readme_plugin_example"}
    exec(compile(code, "README.md", "exec"), scope)
    stack = Stack(scope["app"], "Keys", env=Environment(account="111111111111",
                                                        region="us-gov-west-1"))
    key = kms.Key(stack, "DataKey")  # rotation off: GOV-KMS-001 fails (see _key_app)
    with pytest.raises(RuntimeError, match="ValidationFailed") as info:
        scope["app"].synth()
    logical_id = stack.resolve(key.node.default_child.logical_id)
    assert "govcdk::GOV-KMS-001" in str(info.value) and f"({logical_id})" in str(info.value)
