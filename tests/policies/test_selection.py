"""Rule selection: --rule, --baseline and --control, alone and together (intersection).

FedRAMP baselines come from ``Rule.baselines`` (derived from the controls by the catalog);
these tests give rules their baselines themselves (a property patched onto ``Rule``), so they
do not depend on the catalog's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from govcdk.cli import main
from govcdk.policies import InputError, Rule, Severity, load_rules
from govcdk.policies.engine import control_matches, normalize_control, select_rules

load_rules()  # build the rule pack before any test patches Rule.baselines


def _rule(rule_id: str, name: str, controls: tuple[str, ...]) -> Rule:
    return Rule(id=rule_id, name=name, title="t", scope="resource", resource_types=("*",),
                controls=controls, severity=Severity.LOW, rationale="r", remediation="r",
                check=lambda resource, ctx: [])


KEYS = _rule("T-KMS-001", "key_rotation", ("SC-12", "SC-12(1)", "SC-13"))
ENH = _rule("T-KMS-002", "key_enhancement_only", ("SC-12(1)",))
LOGS = _rule("T-LOGS-001", "log_retention", ("AU-11", "SI-12"))
NET = _rule("T-EC2-001", "boundary", ("SC-7", "SC-7(5)"))
RULES = [KEYS, ENH, LOGS, NET]
BASELINES = {
    "T-KMS-001": ("low", "moderate", "high"),
    "T-KMS-002": ("moderate", "high"),
    "T-LOGS-001": ("FedRAMP Low", "FedRAMP Moderate", "FedRAMP High"),
    "T-EC2-001": ("high",),
}


@pytest.fixture()
def baselines(monkeypatch):
    """Rules state their baselines (as the catalog branch's ``Rule.baselines`` does)."""
    monkeypatch.setattr(Rule, "baselines",
                        property(lambda self: BASELINES.get(self.id)), raising=False)


def ids(rules) -> list[str]:
    return [r.id for r in rules]


def test_control_ids_are_normalized_and_bases_match_enhancements() -> None:
    assert normalize_control("sc-12") == "SC-12"
    assert normalize_control("SC-07 (05)") == "SC-7(5)"
    with pytest.raises(InputError, match="expected a NIST SP 800-53 Rev 5 control id"):
        normalize_control("SC12")
    assert control_matches("SC-12", "SC-12") and control_matches("SC-12", "SC-12(1)")
    assert control_matches("SC-12(1)", "SC-12(1)")
    assert not control_matches("SC-12(1)", "SC-12") and not control_matches("SC-1", "SC-12")
    assert not control_matches("SC-12", "SC-13")


def test_select_by_control() -> None:
    assert ids(select_rules(RULES, None, controls=["SC-12"])) == ["T-KMS-001", "T-KMS-002"]
    assert ids(select_rules(RULES, None, controls=["sc-12(1)"])) == ["T-KMS-001", "T-KMS-002"]
    assert ids(select_rules(RULES, None, controls=["SC-13"])) == ["T-KMS-001"]
    assert ids(select_rules(RULES, None, controls=["AU-11", "SC-7(5)"])) == [
        "T-LOGS-001", "T-EC2-001"]
    with pytest.raises(InputError, match=r"no rule is selected by --control AC-2"):
        select_rules(RULES, None, controls=["AC-2"])


def test_select_by_baseline(baselines) -> None:
    assert ids(select_rules(RULES, None, baseline="low")) == ["T-KMS-001", "T-LOGS-001"]
    assert ids(select_rules(RULES, None, baseline="moderate")) == [
        "T-KMS-001", "T-KMS-002", "T-LOGS-001"]
    assert ids(select_rules(RULES, None, baseline="HIGH")) == ids(RULES)
    with pytest.raises(InputError, match="expected one of low, moderate, high"):
        select_rules(RULES, None, baseline="li-saas")


def test_baseline_without_baselines_in_the_pack_is_an_input_error(monkeypatch) -> None:
    monkeypatch.setattr(Rule, "baselines", property(lambda self: None), raising=False)
    with pytest.raises(InputError, match="states no FedRAMP baselines"):
        select_rules(RULES, None, baseline="low")


def test_criteria_intersect(baselines) -> None:
    assert ids(select_rules(RULES, ["T-KMS-*"], baseline="low")) == ["T-KMS-001"]
    assert ids(select_rules(RULES, ["T-*"], baseline="moderate", controls=["SC-12(1)"])) == [
        "T-KMS-001", "T-KMS-002"]
    with pytest.raises(InputError, match="no rule is selected by --rule T-LOGS-\\* and "
                                         "--control SC-12"):
        select_rules(RULES, ["T-LOGS-*"], controls=["SC-12"])
    with pytest.raises(InputError, match="no rule matches T-NOPE"):
        select_rules(RULES, ["T-NOPE"], baseline="low")
    assert ids(select_rules(RULES, None)) == ids(RULES)


# ------------------------------------------------------------------------------- CLI

TEMPLATE = """\
Resources:
  Key:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties: {EnableKeyRotation: true}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 400}
"""


def _rules_run(tmp_path: Path, *args: str):
    p = tmp_path / "t.yaml"
    p.write_text(TEMPLATE)
    r = CliRunner().invoke(main, ["check", str(p), "--no-cfn-lint", "--format", "json", *args])
    return r, (json.loads(r.output)["summary"]["rules_run"] if r.exit_code in (0, 1) else None)


def test_cli_control_and_rule(tmp_path: Path) -> None:
    # GOV-KMS-001 maps to SC-12 and SC-12(1); GOV-LOGS-001 to AU-11.
    r, run = _rules_run(tmp_path, "--control", "SC-12")
    assert r.exit_code == 0 and "GOV-KMS-001" in run and "GOV-LOGS-001" not in run
    findings = json.loads(r.output)["findings"]
    assert findings and all(any(c.startswith("SC-12") for c in f["controls"]) for f in findings)
    r, run = _rules_run(tmp_path, "--control", "SC-12", "--control", "AU-11")
    assert {"GOV-KMS-001", "GOV-LOGS-001"} <= set(run)
    r, run = _rules_run(tmp_path, "--control", "AU-11", "--rule", "GOV-KMS-*")
    assert r.exit_code == 2 and "no rule is selected by --rule GOV-KMS-* and --control AU-11" \
        in r.output
    r, _ = _rules_run(tmp_path, "--control", "twelve")
    assert r.exit_code == 2 and "expected a NIST SP 800-53 Rev 5 control id" in r.output


def test_cli_baseline(tmp_path: Path, monkeypatch) -> None:
    by_id = {"GOV-LOGS-001": ("low", "moderate", "high"), "GOV-KMS-001": ("moderate", "high")}
    monkeypatch.setattr(Rule, "baselines", property(lambda self: by_id.get(self.id, ("high",))),
                        raising=False)
    r, run = _rules_run(tmp_path, "--baseline", "low")
    assert r.exit_code == 0 and run == ["GOV-LOGS-001"]
    r, run = _rules_run(tmp_path, "--baseline", "moderate")
    assert run == ["GOV-KMS-001", "GOV-LOGS-001"]
    r, run = _rules_run(tmp_path, "--baseline", "moderate", "--control", "SC-12")
    assert run == ["GOV-KMS-001"]
    r, _ = _rules_run(tmp_path, "--baseline", "li-saas")
    assert r.exit_code == 2
