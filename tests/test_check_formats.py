"""`govcdk check --format FORMAT` and `--output [FORMAT:]PATH`: every format on standard output
and in files, the format inferred from the file name, usage errors for names it cannot infer,
input errors present in every format.

The run checks ``open.yaml`` with GOV-EC2-003 only: ``OpenSg`` admits tcp/22 from 0.0.0.0/0
(FAIL) and ``PrivateSg`` only tcp/443 from 10.0.0.0/16 (PASS), so a clean run exits 1 with one
failing and one passing finding; with ``bad.yaml`` (an ``Fn::Bogus`` in resource ``Topic``)
beside it, it exits 2 and every format names ``bad.yaml`` and ``Topic``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from govcdk.cli import OUTPUT_SUFFIXES, REPORT_FORMATS
from govcdk.policies.reporters import WRITERS
from tests_support import run_cli

TEMPLATE = """\
Resources:
  OpenSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh from anywhere
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  PrivateSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: https from the vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}
"""
BAD = "Resources:\n  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: {Fn::Bogus: x}}}\n"
BASE = ("--no-cfn-lint", "--rule", "GOV-EC2-003")

# What SARIF 2.1.0 requires of the objects the writer emits for input errors (OASIS SARIF
# v2.1.0 sections 3.20 invocation: executionSuccessful required; 3.58 notification: message
# required, level one of none/note/warning/error).
SARIF_INVOCATION = {
    "type": "object", "required": ["executionSuccessful"],
    "properties": {
        "executionSuccessful": {"type": "boolean"},
        "toolExecutionNotifications": {"type": "array", "items": {
            "type": "object", "required": ["message"], "properties": {
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"type": "object", "required": ["text"]},
                "locations": {"type": "array", "items": {"type": "object", "properties": {
                    "physicalLocation": {"type": "object", "required": ["artifactLocation"]},
                    "logicalLocations": {"type": "array"}}}}}}}},
}


run = run_cli


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    good = tmp_path / "open.yaml"
    good.write_text(TEMPLATE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD)
    return good, bad


def test_format_choices_are_the_writers():
    assert list(REPORT_FORMATS) == list(WRITERS)


# ---------------------------------------------------------------- what each format must show

def _verdicts_json(text: str) -> dict:
    report = json.loads(text)
    assert report["schema"] == "govcdk.report/v1"
    return {f["logical_id"]: f["status"] for f in report["findings"]}


def assert_clean(fmt: str, text: str) -> None:
    """The clean run (open.yaml only) in ``fmt``: OpenSg FAIL, PrivateSg PASS, no input error."""
    if fmt == "json":
        assert _verdicts_json(text) == {"OpenSg": "FAIL", "PrivateSg": "PASS"}
        assert json.loads(text)["input_errors"] == []
    elif fmt == "sarif":
        (run_,) = json.loads(text)["runs"]
        assert [(r["ruleId"], r["properties"]["logicalId"]) for r in run_["results"]] == \
            [("GOV-EC2-003", "OpenSg")]        # SARIF lists failing findings only
        assert run_["invocations"] == [{"executionSuccessful": True}]
    elif fmt == "junit":
        root = ET.fromstring(text)
        assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
        assert [s.get("name") for s in root.iter("testsuite")] == ["open"]
    elif fmt == "markdown":
        assert "Failing: 1" in text and "| OpenSg |" in text and "PrivateSg" not in text
        assert "Input errors" not in text
    elif fmt == "oscal":
        result = json.loads(text)["assessment-results"]["results"][0]
        titles = [o["title"] for o in result["observations"]]
        assert titles == ["GOV-EC2-003 FAIL on open/OpenSg", "GOV-EC2-003 PASS on open/PrivateSg"]
        assert "remarks" not in result
    else:
        assert "OpenSg" in text and "Result: 1 failing finding (" in text
        assert "Input errors" not in text


def assert_input_error(fmt: str, text: str, bad: Path) -> None:
    """The run with bad.yaml too, in ``fmt``: the input error names bad.yaml and Topic, and
    open.yaml's findings are still there."""
    message = f"{bad}: resource Topic: Properties.TopicName: Fn::Bogus is not a CloudFormation"
    if fmt == "json":
        report = json.loads(text)
        assert _verdicts_json(text) == {"OpenSg": "FAIL", "PrivateSg": "PASS"}
        (e,) = report["input_errors"]
        assert (e["path"], e["logical_id"], e["kind"]) == (str(bad), "Topic", "intrinsic")
    elif fmt == "sarif":
        (run_,) = json.loads(text)["runs"]
        assert [r["properties"]["logicalId"] for r in run_["results"]] == ["OpenSg"]
        (invocation,) = run_["invocations"]
        jsonschema.validate(invocation, SARIF_INVOCATION)
        assert invocation["executionSuccessful"] is False
        (note,) = invocation["toolExecutionNotifications"]
        assert note["level"] == "error" and note["message"]["text"].startswith(message)
        (location,) = note["locations"]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("bad.yaml")
        assert location["physicalLocation"]["region"] == {"startLine": 2}
        assert location["logicalLocations"] == [{"name": "Topic"}]
    elif fmt == "junit":
        root = ET.fromstring(text)
        assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
        suites = list(root.iter("testsuite"))
        assert [s.get("name") for s in suites] == ["input errors", "open"]
        (case,) = suites[0].iter("testcase")
        assert case.get("name") == f"{bad} Topic" and case.get("file") == str(bad)
        (error,) = case.iter("error")
        assert error.get("type") == "INPUT_ERROR" and error.get("message").startswith(message)
        assert "Logical ID: Topic" in error.text
    elif fmt == "markdown":
        assert "· Input errors: 1" in text
        section = text.split("## Input errors (1)", 1)[1].split("## Control matrix")[0]
        assert "bad.yaml" in section and "| Topic | 2 |" in section and "Fn::Bogus" in section
        assert "| OpenSg |" in text
    elif fmt == "oscal":
        result = json.loads(text)["assessment-results"]["results"][0]
        inputs = [o for o in result["observations"]
                  if {"name": "status", "ns": "urn:govcdk:oscal", "value": "INPUT-ERROR"}
                  in o["props"]]
        (obs,) = inputs
        assert obs["description"].startswith(message) and obs["types"] == ["finding"]
        props = {p["name"]: p["value"] for p in obs["props"]}
        assert (props["template"], props["logical-id"], props["input-error-kind"]) == \
            (str(bad), "Topic", "intrinsic")
        assert "could not be checked" in result["remarks"] and str(bad) in result["remarks"]
        assert len(result["observations"]) == 3
        _validate_oscal(json.loads(text))
    else:
        assert text.splitlines()[0] == "Input errors: 1 (not checked)"
        assert f"  error: {message}" in text and "OpenSg" in text


def _validate_oscal(doc: dict) -> None:
    trestle = pytest.importorskip("trestle.oscal.assessment_results")
    trestle.AssessmentResults.model_validate(doc["assessment-results"])


# ---------------------------------------------------------------------- standard output

@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_format_on_stdout_clean(files, fmt):
    good, _ = files
    r = run("check", str(good), *BASE, "--format", fmt)
    assert r.exit_code == 1
    assert_clean(fmt, r.stdout)
    assert r.stderr == ""


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_format_on_stdout_with_an_input_error(files, fmt):
    good, bad = files
    r = run("check", str(bad), str(good), *BASE, "--format", fmt)
    assert r.exit_code == 2
    assert_input_error(fmt, r.stdout, bad)
    if fmt != "text":      # machine formats on stdout: the error is on stderr for people too
        assert r.stderr.startswith(f"govcdk: error: {bad}: resource Topic: ")


# ------------------------------------------------------------------------------ files

@pytest.mark.parametrize("name, fmt", [
    ("r.json", "json"), ("r.sarif", "sarif"), ("r.xml", "junit"), ("r.md", "markdown"),
    ("r.oscal.json", "oscal"), ("r.txt", "text"), ("R.SARIF", "sarif"), ("r.OSCAL.JSON", "oscal"),
])
def test_output_format_from_the_suffix(files, tmp_path, name, fmt):
    good, bad = files
    out = tmp_path / "reports" / "deep" / name           # parent directories are created
    r = run("check", str(bad), str(good), *BASE, "--output", str(out))
    assert r.exit_code == 2
    assert_input_error(fmt, out.read_text(), bad)
    assert f"{fmt} report: {out}" in r.stdout


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_output_explicit_format_prefix(files, tmp_path, fmt):
    good, _ = files
    out = tmp_path / "report.data"                        # the name says nothing
    r = run("check", str(good), *BASE, "--output", f"{fmt}:{out}")
    assert r.exit_code == 1
    assert_clean(fmt, out.read_text())


def test_prefix_wins_over_the_suffix(files, tmp_path):
    good, _ = files
    out = tmp_path / "results.json"
    r = run("check", str(good), *BASE, "--output", f"sarif:{out}")
    assert r.exit_code == 1
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_repeated_outputs_and_stdout_match(files, tmp_path):
    """Several reports in one run; the deterministic formats write to the file exactly what
    they print."""
    good, bad = files
    outs = {fmt: tmp_path / f"out/r{suffix}" for suffix, fmt in OUTPUT_SUFFIXES}
    r = run("check", str(bad), str(good), *BASE, "--format", "sarif",
            *[arg for out in outs.values() for arg in ("--output", str(out))])
    assert r.exit_code == 2
    for fmt, out in outs.items():
        assert_input_error(fmt, out.read_text(), bad)
    assert outs["sarif"].read_text() == r.stdout
    for fmt in ("json", "junit", "markdown"):
        again = run("check", str(bad), str(good), *BASE, "--format", fmt)
        assert again.stdout == outs[fmt].read_text()


def test_make_check_output_still_writes_json(files, tmp_path, monkeypatch):
    """`make check` runs `govcdk check cdk.out --output reports/<agency>.json`."""
    good, _ = files
    monkeypatch.chdir(tmp_path)
    r = run("check", str(good), *BASE, "--output", "reports/reference.json")
    assert r.exit_code == 1
    assert_clean("json", (tmp_path / "reports" / "reference.json").read_text())
    assert "json report: reports/reference.json" in r.stdout


@pytest.mark.parametrize("value", ["report.html", "report", "reports/x.yaml", "pdf:report.pdf"])
def test_output_whose_format_cannot_be_told_is_a_usage_error(files, tmp_path, value):
    good, _ = files
    r = run("check", str(good), *BASE, "--output", str(tmp_path / value))
    assert r.exit_code == 2
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"govcdk: error: --output {tmp_path / value}: cannot tell the report "
                           "format from the file name")
    assert ".json (json), .sarif (sarif), .xml (junit), .md (markdown)" in line
    assert "text, json, sarif, junit, markdown, oscal" in line
    assert r.stdout == "" and not list(tmp_path.glob("report*"))


def test_output_never_overwrites_an_input(files, tmp_path):
    good, bad = files
    for target in (good, bad):              # a checked template, or one that failed to load
        r = run("check", str(bad), str(good), *BASE, "--output", f"json:{target}")
        assert r.exit_code == 2 and "is one of the templates being checked" in r.stderr
    assert good.read_text() == TEMPLATE and bad.read_text() == BAD


def test_output_inside_a_checked_directory_is_refused(files, tmp_path):
    r = run("check", str(tmp_path), *BASE, "--output", str(tmp_path / "report.json"))
    assert r.exit_code == 2 and "lies inside" in r.stderr


def test_same_output_twice_is_a_usage_error(files, tmp_path):
    good, _ = files
    out = tmp_path / "o" / "r.json"
    r = run("check", str(good), *BASE, "--output", str(out), "--output", f"sarif:{out}")
    assert r.exit_code == 2 and "given twice" in r.stderr and not out.exists()


def test_empty_file_name_after_a_prefix(files):
    good, _ = files
    r = run("check", str(good), *BASE, "--output", "sarif:")
    assert r.exit_code == 2 and "no file name after sarif:" in r.stderr
