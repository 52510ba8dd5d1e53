"""Tests for the JSON and text reporters (pure functions of a Report)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from govcdk.policies import check
from govcdk.policies.reporters import render_text, to_json
from govcdk.policies.reporters.json_report import SCHEMA

from .helpers import FIXTURES

KMS = FIXTURES / "kms" / "kms_key_rotation" / "literals.yaml"


def test_json_report_is_deterministic_and_complete() -> None:
    report = check([KMS])
    text = to_json(report)
    assert text == to_json(check([KMS]))
    data = json.loads(text)
    assert data["schema"] == SCHEMA == "govcdk.report/v1"
    assert list(data) == sorted(data)
    summary = data["summary"]
    assert summary["findings"] == len(report.findings)
    assert summary["by_status"] == report.counts()
    assert summary["failing"] == len(report.failing)
    assert summary["by_control"]["SC-12"]["FAIL"] == sum(
        1 for f in report.findings if f.status.value == "FAIL" and "SC-12" in f.controls)
    assert data["templates"][0]["path"] == str(KMS)
    assert data["templates"][0]["notes"] == []
    first = data["findings"][0]
    assert set(first) >= {"rule_id", "status", "logical_id", "property_path", "line", "paths",
                          "controls", "severity", "stack", "template_path", "cdk_path"}
    assert [f["logical_id"] for f in data["findings"]] == [f.logical_id for f in report.findings]


def test_text_report_lists_failures_summary_templates_and_controls() -> None:
    report = check([KMS], rule_patterns=["GOV-KMS-001"])  # other KMS rules fail these keys
    console = Console(record=True, width=200, color_system=None)
    render_text(report, console)
    out = console.export_text()
    assert "FailRotationPeriod730" in out and "GOV-KMS-001" in out
    assert "PassRotationTrue" not in out          # passing findings hidden by default
    assert "Result: " in out and "failing finding" in out and "NOT_APPLICABLE" in out
    assert str(KMS) in out
    assert "SC-12(1)" in out
    # the rules table counts the evidence per rule, by status
    (row,) = [l for l in out.splitlines() if l.startswith("│ GOV-KMS-001")]
    cells = [c.strip() for c in row.strip("│").split("│")]
    header = next(l for l in out.splitlines() if "┃ Rule" in l)
    names = [c.strip() for c in header.strip("┃").split("┃")]
    kms = [f.status.value for f in report.findings if f.rule_id == "GOV-KMS-001"]
    by_col = dict(zip(names, cells))
    assert by_col["PASS"] == str(kms.count("PASS")) and by_col["FAIL"] == str(kms.count("FAIL")) == "6"
    console = Console(record=True, width=200, color_system=None)
    render_text(report, console, show_passed=True)
    assert "PassRotationTrue" in console.export_text()


def test_text_report_without_failures(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n"
                    "      EnableKeyRotation: true\n")
    console = Console(record=True, width=120, color_system=None)
    render_text(check([path], rule_patterns=["GOV-KMS-001"]), console)
    out = console.export_text()
    assert "Result: 0 failing findings (PASS 1," in out


def test_text_report_shows_suppressed_findings_with_reason() -> None:
    from dataclasses import replace

    from govcdk.policies import Status

    report = check([KMS])
    failing = next(f for f in report.findings if f.status == Status.FAIL)
    report.findings.append(replace(failing, status=Status.SUPPRESSED, logical_id="Acked",
                                   suppression="POA&M-12: key retired 2025-01"))
    console = Console(record=True, width=400, color_system=None)
    render_text(report, console)
    out = console.export_text()
    assert "Acked" in out and "POA&M-12" in out and "SUPPRESSED" in out
    assert json.loads(to_json(report))["summary"]["by_status"]["SUPPRESSED"] == 1


def test_text_report_keeps_brackets_in_paths_and_messages() -> None:
    path = FIXTURES / "ec2" / "security_group_no_public_ingress" / "literals.yaml"
    console = Console(record=True, width=400, color_system=None)
    render_text(check([path], rule_patterns=["GOV-EC2-003"]), console)
    assert "Properties.SecurityGroupIngress[1].CidrIp" in console.export_text()


def test_text_report_template_level_path_has_no_leading_space(tmp_path: Path) -> None:
    from govcdk.policies.model import Finding, Report, Severity, Status

    report = Report(findings=[
        Finding(source="cfn-lint", rule_id="E0000", title="t", severity=Severity.HIGH,
                controls=(), status=Status.FAIL, message="template-level", stack="s",
                template_path="s.yaml", line=1),
        Finding(source="govcdk", rule_id="GOV-X", title="t", severity=Severity.HIGH,
                controls=(), status=Status.FAIL, message="resource-level", stack="s",
                template_path="s.yaml", logical_id="R", property_path="Properties.A", line=7),
    ])
    console = Console(record=True, width=200, color_system=None)
    render_text(report, console)
    out = console.export_text()
    assert "│ line 1 " in out and " (line 1)" not in out
    assert "│ Properties.A (line 7) " in out
