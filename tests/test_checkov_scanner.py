"""The checkov scanner: checkov's JSON report becomes govcdk findings (source ``checkov``),
mapped to NIST controls through the govcdk rules that name the check, grouped with govcdk's
findings about the same concern on the same resource, in every report format; ``govcdk check
--scanners``; and checkov itself, run offline on both example agencies.

Unit tests read ``checkov_fixtures/small.checkov.json``, the output of checkov 3.3.30 on
``checkov_fixtures/small.yaml`` (whose header reasons out each verdict), recorded with::

    cd tests/checkov_fixtures && BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \\
      CKV_SKIP_PACKAGE_UPDATE_CHECK=true ../../.venv-checkov/bin/checkov --framework \\
      cloudformation -o json --skip-download --skip-results-upload -f small.yaml \\
      > small.checkov.json

They do not need checkov; fake ``checkov`` scripts stand in for its failures. The integration
tests (``test_real_checkov_*``) run the real checkov from ``.venv-checkov`` (``make
checkov-setup``): without it they fail, saying so, unless ``GOVCDK_SKIP_CHECKOV=1``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govcdk.cli import main
from govcdk.policies import load_rules, load_targets, run
from govcdk.policies.model import Finding, Report, Severity, Status
from govcdk.policies.reporters import WRITERS, to_text
from govcdk.scanners import checkov, mappings

FIX = Path(__file__).resolve().parent / "checkov_fixtures"
SMALL = FIX / "small.yaml"
RECORDED = FIX / "small.checkov.json"
RULES = load_rules()

# (check id, logical id) -> checkov's verdict, reasoned in small.yaml's header.
S3_PAB = ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56")
EXPECTED_SMALL = {
    ("CKV_AWS_7", "RotatingKey"): Status.PASS,
    ("CKV_AWS_33", "RotatingKey"): Status.PASS,
    ("CKV_AWS_7", "StaticKey"): Status.FAIL,
    ("CKV_AWS_33", "StaticKey"): Status.PASS,
    **{(c, b): Status.PASS for b in ("PlainBucket", "LogBucket", "NoReasonBucket")
       for c in ("CKV_AWS_19", "CKV_AWS_20", "CKV_AWS_57")},
    ("CKV_AWS_18", "PlainBucket"): Status.FAIL,
    ("CKV_AWS_21", "PlainBucket"): Status.FAIL,
    **{(c, "PlainBucket"): Status.FAIL for c in S3_PAB},
    ("CKV_AWS_18", "LogBucket"): Status.SUPPRESSED,
    ("CKV_AWS_21", "LogBucket"): Status.PASS,
    **{(c, "LogBucket"): Status.PASS for c in S3_PAB},
    ("CKV_AWS_21", "NoReasonBucket"): Status.UNKNOWN,  # skipped without a reason
    ("CKV_AWS_18", "NoReasonBucket"): Status.FAIL,
    **{(c, "NoReasonBucket"): Status.FAIL for c in S3_PAB},
    ("CKV_AWS_66", "OpenLogGroup"): Status.FAIL,
    ("CKV_AWS_158", "OpenLogGroup"): Status.FAIL,
}
LOG_BUCKET_REASON = "the server access log destination does not log into itself (S3 User Guide)"


def _templates(*paths: Path):
    return [(t.stack, t.path, t.template) for t in load_targets(list(paths))]


def _recorded_report() -> Report:
    return checkov.parse(json.loads(RECORDED.read_text()), _templates(SMALL), rules=RULES)


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _fake_checkov(tmp_path: Path, *, exit_code: int = 1, stdout: Path | None = RECORDED,
                  stderr: str = "") -> Path:
    """A checkov stand-in: records its arguments and environment, prints ``stdout``'s file
    and ``stderr``, exits ``exit_code``."""
    body = (f'printf "%s\\n" "$@" > "{tmp_path}/args"\n'
            f'env > "{tmp_path}/env"\n')
    if stdout is not None:
        body += f'cat "{stdout}"\n'
    if stderr:
        body += f"printf '%s\\n' '{stderr}' >&2\n"
    body += f"exit {exit_code}\n"
    return _script(tmp_path / "checkov", body)


# --------------------------------------------------------------------------------------------
# parsing checkov's JSON report


def test_recorded_report_gives_each_reasoned_verdict():
    report = _recorded_report()
    got = {(f.rule_id, f.logical_id): f.status for f in report.findings}
    assert got == EXPECTED_SMALL
    assert len(report.findings) == len(EXPECTED_SMALL)  # no result twice
    assert all(f.source == "checkov" and f.stack == "small" and f.template_path == str(SMALL)
               for f in report.findings)
    assert report.rules_run == ["checkov"]
    info = report.rule_info["checkov"]
    assert info["version"] == "3.3.30"
    assert info["counts"] == {"passed": 17, "failed": 14, "skipped": 2, "parsing_errors": 0}


def test_finding_fields_come_from_checkov_and_controls_from_the_mapped_rule():
    report = _recorded_report()
    static = next(f for f in report.findings if (f.rule_id, f.logical_id) == ("CKV_AWS_7", "StaticKey"))
    kms_rule = next(r for r in RULES if r.id == "GOV-KMS-001")
    assert "CKV_AWS_7" in kms_rule.equivalents["checkov"]
    assert static.controls == kms_rule.controls == ("SC-12", "SC-12(1)", "SC-13")
    assert static.severity == kms_rule.severity  # checkov gives none offline
    assert static.title == "Ensure rotation for customer created CMKs is enabled"
    assert static.resource_type == "AWS::KMS::Key"
    assert static.line == 32  # StaticKey: line 32 of small.yaml
    assert SMALL.read_text().splitlines()[31].strip() == "StaticKey:"
    assert static.property_path == "Properties.EnableKeyRotation"
    assert "CKV_AWS_7 failed" in static.message


def test_skip_with_a_reason_is_suppressed_with_it_and_without_one_is_unknown():
    report = _recorded_report()
    by = {(f.rule_id, f.logical_id): f for f in report.findings}
    skipped = by[("CKV_AWS_18", "LogBucket")]
    assert skipped.status is Status.SUPPRESSED
    assert [(a.id, a.reason) for a in skipped.acknowledgements] == [("CKV_AWS_18", LOG_BUCKET_REASON)]
    assert LOG_BUCKET_REASON in skipped.suppression
    bad = by[("CKV_AWS_21", "NoReasonBucket")]
    assert bad.status is Status.UNKNOWN and bad.status.failing
    assert "No comment provided" in bad.message and "acknowledgement govcdk does not accept" in bad.message
    assert bad.acknowledgements == ()


def test_skip_entry_checkov_never_reported_is_an_unused_suppression():
    (unused,) = _recorded_report().unused_suppressions
    assert (unused.logical_id, unused.suppression.id) == ("LogBucket", "CKV_AWS_7")
    assert "checkov reported no CKV_AWS_7 result" in unused.why


def test_unmapped_check_is_medium_without_controls_and_checkov_severity_wins():
    entry = {"check_id": "CKV_AWS_116", "check_name": "Lambda DLQ", "resource": "AWS::Lambda::Function.Fn",
             "file_abs_path": "/elsewhere/t.json", "file_line_range": [3, 9],
             "check_result": {"result": "FAILED"}}
    assert not mappings.equivalents(RULES, "checkov").get(("checkov", "CKV_AWS_116"))
    out = {"check_type": "cloudformation", "summary": {},
           "results": {"failed_checks": [entry, {**entry, "severity": "high"}]}}
    plain, rated = checkov.parse(out, [], rules=RULES).findings
    assert (plain.severity, plain.controls) == (Severity.MEDIUM, ())
    assert rated.severity is Severity.HIGH
    assert (plain.template_path, plain.stack, plain.logical_id) == ("/elsewhere/t.json", "t", "Fn")


def test_output_shapes_list_bare_summary_and_parse_errors():
    recorded = json.loads(RECORDED.read_text())
    as_list = checkov.parse([recorded], _templates(SMALL), rules=RULES)
    assert len(as_list.findings) == len(EXPECTED_SMALL)
    nothing = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
    assert checkov.parse(nothing, [], rules=RULES).findings == []
    broken = {"check_type": "cloudformation", "summary": {"parsing_errors": 1},
              "results": {"passed_checks": [], "failed_checks": [], "skipped_checks": [],
                          "parsing_errors": [str(SMALL)]}}
    (error,) = checkov.parse(broken, _templates(SMALL), rules=RULES).findings
    assert (error.status, error.rule_id, error.stack) == (Status.ERROR, checkov.PARSE_ERROR_ID, "small")


@pytest.mark.parametrize("output, message", [
    ("text", "expected an object or a list of objects, got str"),
    ({"check_type": "cloudformation"}, "no 'results'"),
    ({"results": {"failed_checks": {}}}, "results.failed_checks is not a list"),
    ({"results": {"failed_checks": [{"resource": "AWS::S3::Bucket.B"}]}}, "has no check_id"),
])
def test_output_that_is_not_a_checkov_report_is_an_error(output, message):
    with pytest.raises(checkov.CheckovError, match="not a report") as info:
        checkov.parse(output, [], rules=RULES)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------
# grouping


def _finding(source, rule_id, logical_id, status=Status.FAIL, template="t.yaml", stack="s"):
    return Finding(source=source, rule_id=rule_id, title=rule_id, severity=Severity.MEDIUM,
                   controls=(), status=status, message="m", stack=stack, template_path=template,
                   logical_id=logical_id)


def test_grouping_rule():
    report = Report(findings=[
        _finding("govcdk", "GOV-KMS-001", "Key"),                        # 0 with 1
        _finding("checkov", "CKV_AWS_7", "Key"),                          # 1
        _finding("checkov", "CKV_AWS_7", "Other"),                        # 2 alone: no govcdk there
        _finding("govcdk", "GOV-S3-001", "Bucket", Status.PASS),          # 3 with 4, 5
        _finding("checkov", "CKV_AWS_53", "Bucket"),                      # 4
        _finding("checkov", "CKV_AWS_57", "Bucket", Status.PASS),         # 5
        _finding("checkov", "CKV_AWS_21", "Bucket"),                      # 6 GOV-S3-004: no govcdk
        _finding("checkov", "CKV_AWS_116", "Key"),                        # 7 unmapped
        _finding("govcdk", "GOV-KMS-001", "Key", template="u.yaml"),      # 8 another template
        _finding("checkov", "CKV_AWS_7", "Key", template="u.yaml"),       # 9
        _finding("govcdk", "GOV-KMS-001", ""),                            # 10 template-level
        _finding("cfn-lint", "E3006", "Gpu"),                             # 11 with 12
        _finding("govcdk", "GOV-GOVCLOUD-002", "Gpu"),                    # 12
    ])
    region_rule = [r.id for r in RULES if "E3006" in r.equivalents.get("cfn-lint", ())]
    report.findings[12] = _finding("govcdk", region_rule[0], "Gpu")
    assert mappings.group_findings(report, RULES) == 4
    g = [f.group for f in report.findings]
    assert len(report.findings) == 13  # nothing dropped
    assert g[0] == g[1] == "s/Key:GOV-KMS-001"
    assert g[3] == g[4] == g[5] == "s/Bucket:GOV-S3-001"
    assert g[2] == g[6] == g[7] == g[10] == ""
    assert g[8] == g[9] == "s/Key:GOV-KMS-001#2"  # same stack and logical id, other template
    assert g[11] == g[12] == f"s/Gpu:{region_rule[0]}"
    assert list(report.groups()) == ["s/Key:GOV-KMS-001", "s/Bucket:GOV-S3-001",
                                     "s/Key:GOV-KMS-001#2", f"s/Gpu:{region_rule[0]}"]


def _combined_report() -> Report:
    """govcdk's rules and the recorded checkov report on small.yaml, grouped as check_loaded
    does."""
    selection = run.select()
    loaded = load_targets([SMALL])
    report = run.check_loaded(loaded, selection, scanners=("govcdk",))
    report.extend(checkov.parse(json.loads(RECORDED.read_text()), _templates(SMALL),
                                rules=selection.pack))
    mappings.group_findings(report, selection.pack)
    return report


def test_govcdk_and_checkov_findings_on_one_concern_are_grouped_and_all_kept():
    report = _combined_report()
    groups = report.groups()
    key = groups["small/StaticKey:GOV-KMS-001"]
    assert {(f.source, f.rule_id, f.status) for f in key} == {
        ("govcdk", "GOV-KMS-001", Status.FAIL), ("checkov", "CKV_AWS_7", Status.FAIL)}
    bucket = groups["small/PlainBucket:GOV-S3-001"]
    assert Counter(f.source for f in bucket) == {"govcdk": 1, "checkov": 6}  # 20, 53..57
    assert len([f for f in report.findings if f.source == "checkov"]) == len(EXPECTED_SMALL)


def test_every_format_shows_source_and_group():
    report = _combined_report()
    gid = "small/StaticKey:GOV-KMS-001"
    text = to_text(report, width=400)
    assert "checkov CKV_AWS_7" in text and "[same concern: govcdk GOV-KMS-001 FAIL]" in text
    assert "Same concern, several sources" in text and "Sources: govcdk" in text

    data = json.loads(WRITERS["json"](report))
    assert data["schema"] == "govcdk.report/v1"
    group = next(g for g in data["groups"] if g["id"] == gid)
    assert group["rules"] == ["GOV-KMS-001"] and group["sources"] == ["govcdk", "checkov"]
    assert {data["findings"][m["index"]]["source"] for m in group["findings"]} == {"govcdk", "checkov"}
    assert all(data["findings"][m["index"]]["group"] == gid for m in group["findings"])
    assert data["summary"]["by_source"]["checkov"] == {"PASS": 17, "FAIL": 14, "SUPPRESSED": 1, "UNKNOWN": 1}
    assert data["scanners"]["checkov"]["version"] == "3.3.30"

    sarif = json.loads(WRITERS["sarif"](report))
    runs = {r["tool"]["driver"]["name"]: r for r in sarif["runs"]}
    assert runs["checkov"]["tool"]["driver"]["version"] == "3.3.30"
    result = next(r for r in runs["checkov"]["results"]
                  if r["ruleId"] == "CKV_AWS_7" and r["properties"]["logicalId"] == "StaticKey")
    assert result["properties"]["group"] == gid and result["properties"]["source"] == "checkov"
    assert result["properties"]["sameConcern"] == ["govcdk GOV-KMS-001 FAIL"]
    suppressed = next(r for r in runs["checkov"]["results"] if r["ruleId"] == "CKV_AWS_18"
                      and r["properties"]["logicalId"] == "LogBucket")
    assert LOG_BUCKET_REASON in suppressed["suppressions"][0]["justification"]

    junit = ET.fromstring(WRITERS["junit"](report))
    case = next(c for c in junit.iter("testcase")
                if c.get("classname") == "small.StaticKey" and c.get("name").startswith("checkov CKV_AWS_7"))
    details = case.find("failure").text
    assert "Source: checkov" in details and f"Same concern ({gid}): govcdk GOV-KMS-001 FAIL" in details
    skipped = next(c for c in junit.iter("testcase") if c.get("classname") == "small.LogBucket"
                   and c.get("name").startswith("checkov CKV_AWS_18"))
    assert LOG_BUCKET_REASON in skipped.find("skipped").get("message")

    md = WRITERS["markdown"](report)
    assert "## Same concern, several sources" in md
    assert "govcdk GOV-KMS-001 FAIL; checkov CKV\\_AWS\\_7 FAIL" in md
    assert "checkov CKV\\_AWS\\_18" in md and "Sources: govcdk" in md

    oscal = json.loads(WRITERS["oscal"](report))
    result = oscal["assessment-results"]["results"][0]
    components = {c["title"]: c for c in result["local-definitions"]["assessment-assets"]["components"]}
    assert "checkov 3.3.30" in components["checkov"]["description"]
    obs = [o for o in result["observations"]
           if {"name": "group", "ns": "urn:govcdk:oscal", "value": gid} in o["props"]]
    assert sorted(p["value"] for o in obs for p in o["props"] if p["name"] == "source") == ["checkov", "govcdk"]
    assert all("other sources" in o["remarks"] for o in obs)


# --------------------------------------------------------------------------------------------
# finding and running checkov


def test_find_checkov_order_and_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(checkov, "project_root", lambda: None)
    env = {"PATH": str(tmp_path / "nobin")}
    with pytest.raises(checkov.CheckovError, match="make checkov-setup") as info:
        checkov.find_checkov(cwd=tmp_path, environ=env)
    assert str(tmp_path / ".venv-checkov/bin/checkov") in str(info.value)
    on_path = _script((tmp_path / "bin").mkdir() or tmp_path / "bin" / "checkov", "exit 0\n")
    assert checkov.find_checkov(cwd=tmp_path, environ={"PATH": str(tmp_path / "bin")}) == on_path
    venv = tmp_path / ".venv-checkov" / "bin"
    venv.mkdir(parents=True)
    here = _script(venv / "checkov", "exit 0\n")
    assert checkov.find_checkov(cwd=tmp_path, environ={"PATH": str(tmp_path / "bin")}) == here
    other = _script(tmp_path / "other", "exit 0\n")
    assert checkov.find_checkov(cwd=tmp_path, environ={"GOVCDK_CHECKOV": str(other)}) == other
    assert checkov.find_checkov(on_path, cwd=tmp_path, environ={"GOVCDK_CHECKOV": str(other)}) == on_path
    with pytest.raises(checkov.CheckovError, match=r"\$GOVCDK_CHECKOV .*/missing: does not exist"):
        checkov.find_checkov(cwd=tmp_path, environ={"GOVCDK_CHECKOV": str(tmp_path / "missing")})
    (tmp_path / "plain").write_text("")
    with pytest.raises(checkov.CheckovError, match="--checkov .*/plain: is not executable"):
        checkov.find_checkov(tmp_path / "plain", cwd=tmp_path, environ={})


def test_checkov_runs_offline_on_the_files_with_json_output(tmp_path, monkeypatch):
    monkeypatch.setenv("BC_API_KEY", "secret-that-must-not-reach-checkov")
    monkeypatch.setenv("BC_SKIP_MAPPING", "FALSE")
    fake = _fake_checkov(tmp_path)
    report = checkov.scan(_templates(SMALL), executable=fake, rules=RULES)
    assert {(f.rule_id, f.logical_id): f.status for f in report.findings} == EXPECTED_SMALL
    args = (tmp_path / "args").read_text().splitlines()
    assert args == ["--framework", "cloudformation", "-o", "json", "--skip-download",
                    "--skip-results-upload", "-f", str(SMALL.resolve())]
    env = dict(line.split("=", 1) for line in (tmp_path / "env").read_text().splitlines() if "=" in line)
    assert env["BC_SKIP_MAPPING"] == "TRUE" and env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert env["CHECKOV_RUN_SCA_PACKAGE_SCAN_V2"] == "false" and "BC_API_KEY" not in env


@pytest.mark.parametrize("exit_code, stdout, expected", [
    (2, None, "failed with exit code 2; its standard error ends:\nline 3\n"),
    (0, "not json", "did not print a JSON report (exit code 0)"),
])
def test_checkov_crash_is_an_error_with_its_stderr_tail(tmp_path, exit_code, stdout, expected):
    out = None
    if stdout is not None:
        out = tmp_path / "out.txt"
        out.write_text(stdout)
    noise = "\n".join(f"line {i}" for i in range(1, 17)) + "\nline 17: ImportError: boom"
    fake = _fake_checkov(tmp_path, exit_code=exit_code, stdout=out, stderr=noise)
    with pytest.raises(checkov.CheckovError) as info:
        checkov.scan(_templates(SMALL), executable=fake, rules=RULES)
    assert expected in str(info.value)
    assert str(info.value).endswith("line 17: ImportError: boom")  # the last 15 lines
    assert "line 2\n" not in str(info.value)


def test_checkov_past_the_timeout_is_stopped_with_what_it_started(tmp_path):
    pid_file = tmp_path / "child.pid"
    fake = _script(tmp_path / "checkov",
                   f'echo starting >&2\nsleep 60 &\necho $! > "{pid_file}"\nwait\n')
    start = time.monotonic()
    with pytest.raises(checkov.CheckovError, match="did not finish within 1 s") as info:
        checkov.scan(_templates(SMALL), executable=fake, timeout=1, rules=RULES)
    assert time.monotonic() - start < 30
    assert "starting" in str(info.value)
    child = int(pid_file.read_text())
    for _ in range(50):  # killed with its session; wait until reaped or a zombie
        status = Path(f"/proc/{child}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"checkov's child {child} still runs after the timeout")


# --------------------------------------------------------------------------------------------
# govcdk check --scanners


def _cli(*args: str, env: dict | None = None):
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("args, message", [
    (["--scanners", "govcdk,bogus"], "unknown scanner(s) 'bogus'; allowed: a comma-separated list of govcdk, cfn-lint, checkov"),
    (["--scanners", ","], "no scanner given"),
    (["--scanners", "govcdk", "--cfn-lint"], "--cfn-lint conflicts with --scanners govcdk"),
    (["--scanners", "govcdk,cfn-lint", "--no-cfn-lint"], "--no-cfn-lint conflicts with --scanners govcdk,cfn-lint"),
    (["--checkov", "/opt/checkov"], "--checkov /opt/checkov: checkov is not among the scanners (govcdk,cfn-lint)"),
    (["--scanners", "checkov", "--rule", "GOV-KMS-*"], "apply to govcdk's rules, which are not among the scanners (checkov)"),
    (["--scanners", "govcdk,checkov", "--checkov", "/nonexistent/checkov"], "--checkov /nonexistent/checkov: does not exist; install it in its own environment with `make checkov-setup`"),
    (["--scanners", "govcdk,checkov", "--checkov", "/tmp"], "--checkov /tmp: is a directory, not the checkov executable (give .../bin/checkov)"),
    # repeated --scanners add up (break test: the second once replaced the first, dropping govcdk)
    (["--scanners", "govcdk", "--scanners", "checkov", "--rule", "GOV-KMS-*", "--checkov", "/nonexistent/checkov"],
     "--checkov /nonexistent/checkov: does not exist"),
    (["--scanners", "checkov", "--scanners", "cfn-lint", "--rule", "GOV-KMS-*"],
     "apply to govcdk's rules, which are not among the scanners (cfn-lint,checkov)"),
])
def test_scanner_options_usage_errors(args, message):
    result = _cli("check", str(SMALL), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_missing_checkov_exits_2_saying_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(checkov, "project_root", lambda: None)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GOVCDK_CHECKOV", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = _cli("check", str(SMALL), "--scanners", "govcdk,checkov")
    assert result.exit_code == 2
    assert "govcdk: error: checkov not found" in result.output and "make checkov-setup" in result.output


def test_checkov_crash_exits_2_with_its_stderr(tmp_path):
    fake = _fake_checkov(tmp_path, exit_code=3, stdout=None, stderr="RecursionError: too deep")
    result = _cli("check", str(SMALL), "--scanners", "govcdk,checkov", "--checkov", str(fake))
    assert result.exit_code == 2
    assert "failed with exit code 3" in result.output and "RecursionError: too deep" in result.output


def test_check_merges_checkov_findings_in_the_json_report(tmp_path):
    fake = _fake_checkov(tmp_path)
    out = tmp_path / "report.json"
    result = _cli("check", str(SMALL), "--scanners", "govcdk,checkov", "--checkov", str(fake),
                  "--output", str(out))
    assert result.exit_code == 1  # StaticKey fails in both
    data = json.loads(out.read_text())
    assert data["summary"]["rules_run"][-1] == "checkov" and "cfn-lint" not in data["summary"]["rules_run"]
    mine = {(f["rule_id"], f["logical_id"]): f["status"] for f in data["findings"] if f["source"] == "checkov"}
    assert mine == {k: v.value for k, v in EXPECTED_SMALL.items()}
    assert any(g["id"] == "small/StaticKey:GOV-KMS-001" for g in data["groups"])
    assert "Same concern, several sources" in result.output


def test_default_scanners_and_the_cfn_lint_alias():
    assert run.DEFAULT_SCANNERS == ("govcdk", "cfn-lint")
    assert run.parse_scanners(" Checkov , govcdk,checkov") == ("govcdk", "checkov")
    for args, expected in ((["--no-cfn-lint"], ["govcdk"]),
                           (["--scanners", "govcdk"], ["govcdk"]),
                           (["--scanners", "govcdk,cfn-lint", "--cfn-lint"], ["govcdk", "cfn-lint"]),
                           (["--scanners", "govcdk", "--scanners", "cfn-lint"], ["govcdk", "cfn-lint"])):
        result = _cli("check", str(SMALL), "--format", "json", "--rule", "GOV-KMS-001", *args)
        ran = json.loads(result.output)["summary"]["rules_run"]
        assert "GOV-KMS-001" in ran and ("cfn-lint" in ran) == ("cfn-lint" in expected), args
        assert "checkov" not in ran


# --------------------------------------------------------------------------------------------
# the real checkov (its own environment)


def _require_checkov() -> Path:
    try:
        return checkov.find_checkov()
    except checkov.CheckovError as exc:
        if os.environ.get("GOVCDK_SKIP_CHECKOV") == "1":
            pytest.skip(f"GOVCDK_SKIP_CHECKOV=1: {exc}")
        pytest.fail(f"the checkov integration tests need checkov: {exc}; or set "
                    "GOVCDK_SKIP_CHECKOV=1 to skip them")


def test_real_checkov_reproduces_the_recorded_fixture():
    exe = _require_checkov()
    fresh = checkov.scan(_templates(SMALL), executable=exe, rules=RULES)
    assert {(f.rule_id, f.logical_id): f.status for f in fresh.findings} == EXPECTED_SMALL
    assert fresh.rule_info["checkov"]["version"] == "3.3.30"  # requirements-checkov.lock


def _skips_of(report: Report) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for f in report.findings:
        if f.source == "checkov" and f.status is Status.SUPPRESSED:
            out.setdefault(f.cdk_path, []).extend((a.id, a.reason) for a in f.acknowledgements)
    return out


def _expected_skips(agency: str) -> dict[str, list[tuple[str, str]]]:
    from stacks.test_checkov_skips import EXPECTED

    return {path: sorted(entries) for path, entries in EXPECTED[agency].items()}


@pytest.mark.synth
def test_real_checkov_on_the_reference_agency_fails_nothing_and_shows_the_skips(reference_assembly):
    exe = _require_checkov()
    selection = run.select()
    report = run.check_loaded(load_targets([reference_assembly]), selection,
                              scanners=("govcdk", "checkov"), checkov=exe)
    mine = [f for f in report.findings if f.source == "checkov"]
    failing = [f"{f.rule_id} {f.stack}/{f.logical_id}: {f.message}" for f in mine if f.status.failing]
    assert failing == []
    assert sum(f.status is Status.PASS for f in mine) >= 100  # what checkov checked, as evidence
    assert {p: sorted(e) for p, e in _skips_of(report).items()} == _expected_skips("reference")
    assert [u for u in report.unused_suppressions if u.suppression.id.startswith("CKV")] == []
    data = json.loads(WRITERS["json"](report))
    shown = {(f["cdk_path"], f["rule_id"], f["acknowledgements"][0]["reason"])
             for f in data["findings"] if f["source"] == "checkov" and f["status"] == "SUPPRESSED"}
    assert shown == {(p, i, r) for p, e in _expected_skips("reference").items() for i, r in e}
    # every KMS key: govcdk's rotation rule and checkov's rotation check, one group
    keys = [f for f in mine if f.rule_id == "CKV_AWS_7"]
    assert keys and all(f.group.endswith(":GOV-KMS-001") for f in keys)
    assert all({g.source for g in report.groups()[f.group]} == {"govcdk", "checkov"} for f in keys)


@pytest.mark.synth
def test_real_checkov_on_the_east_agency_through_the_cli_with_no_network(east_assembly, tmp_path):
    _require_checkov()
    closed = "http://127.0.0.1:9"  # nothing listens there: any request would fail, not hang
    env = {name: closed for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy",
                                     "http_proxy", "all_proxy")}
    env.update(NO_PROXY="", no_proxy="")
    out = tmp_path / "east.json"
    result = _cli("check", str(east_assembly), "--scanners", "govcdk,checkov", "--output",
                  str(out), env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    mine = [f for f in data["findings"] if f["source"] == "checkov"]
    assert [f for f in mine if f["status"] in ("FAIL", "UNKNOWN", "ERROR")] == []
    assert data["scanners"]["checkov"]["counts"]["passed"] >= 100
    skips: dict[str, list[tuple[str, str]]] = {}
    for f in mine:
        if f["status"] == "SUPPRESSED":
            skips.setdefault(f["cdk_path"], []).extend(
                (a["id"], a["reason"]) for a in f["acknowledgements"])
    assert {p: sorted(e) for p, e in skips.items()} == _expected_skips("east")
    assert "checkov CKV_AWS_18" in result.output  # the text report lists the skips


@pytest.mark.synth
def test_real_checkov_makes_no_network_connection(east_assembly, tmp_path):
    exe = _require_checkov()
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (the proxy test above still covers hanging)")
    trace = tmp_path / "connect.trace"
    wrapper = _script(tmp_path / "checkov-traced",
                      f'exec "{strace}" -f -qq -e trace=execve,connect,sendto,sendmsg '
                      f'-o "{trace}" "{exe.resolve()}" "$@"\n')
    report = checkov.scan(_templates(east_assembly), executable=wrapper, rules=RULES)
    assert any(f.status is Status.PASS for f in report.findings)
    calls = trace.read_text().splitlines()
    assert any("execve(" in c and "checkov" in c for c in calls), \
        "the trace does not show checkov starting: it does not cover checkov"
    network = [c for c in calls if "AF_INET" in c]  # IPv4 or IPv6 connect/send: none
    assert network == [], network[:5]
