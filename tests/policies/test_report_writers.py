"""Tests for the SARIF, JUnit, Markdown and OSCAL report writers.

The report comes from the engine run on ``report_fixtures/`` (keys.yaml, data.yaml: their
headers give each expected verdict) with GOV-KMS-001 and a test rule that raises, plus cfn-lint
as ``govcdk check`` runs it. One finding is marked SUPPRESSED here, with the reason its template
gives, because the engine does not apply ``Metadata.govcdk.suppressions`` to its own rules
before issue 5.

No SARIF 2.1.0 JSON schema file is available offline (no ``sarif_om`` or schema package in the
virtualenv), so the SARIF test validates against :data:`SARIF_SUBSET`, a JSON schema written
here from the requirements of the OASIS SARIF 2.1.0 specification for the objects the writer
emits (required properties and enumerations), plus structural assertions.
"""

from __future__ import annotations

import json
import re
import sys
import types
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest

from govcdk.policies import Finding, Report, Rule, Severity, Status, check, load_rules
from govcdk.policies.loader import load_targets
from govcdk.policies.reporters import WRITERS, to_junit, to_markdown, to_oscal, to_sarif
from govcdk.policies.reporters._common import control_sort_key, oscal_control_id
from govcdk.policies.reporters.markdown import NO_CONTROL
from govcdk.policies.reporters.sarif import FINGERPRINT, LEVEL, SECURITY_SEVERITY

from .helpers import REPO

FIX = Path(__file__).resolve().parent / "report_fixtures"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def _raises(resource, ctx):
    raise RuntimeError("boom <&> \x01 done")


RAISES = Rule(id="TEST-RAISES-001", name="raises", title="A rule that raises",
              scope="resource", resource_types=("AWS::SNS::Topic",), controls=("SI-4",),
              severity=Severity.LOW, rationale="test rule", remediation="none", check=_raises)


def build_report() -> Report:
    """The engine's report on the fixtures (SuppressedNoRotation acknowledged by its template's
    Metadata, applied by the engine), cfn-lint's findings added as the CLI adds them."""
    from govcdk.scanners import cfnlint

    rules = [r for r in load_rules() if r.id == "GOV-KMS-001"] + [RAISES]
    report = check([FIX], rules=rules)
    loaded = load_targets([FIX])
    report.extend(cfnlint.scan((t.stack, t.path, t.template) for t in loaded))
    return report


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report()


def _status(report: Report, stack: str, rule: str, logical_id: str) -> Status:
    (f,) = [f for f in report.findings
            if (f.stack, f.rule_id, f.logical_id) == (stack, rule, logical_id)]
    return f.status


def test_fixture_verdicts(report: Report) -> None:
    kms = "GOV-KMS-001"
    assert _status(report, "keys", kms, "PassRotation") == Status.PASS
    assert _status(report, "keys", kms, "FailNoRotation") == Status.FAIL
    assert _status(report, "keys", kms, "UnknownRotation") == Status.UNKNOWN
    assert _status(report, "keys", kms, "NaHmacKey") == Status.NOT_APPLICABLE
    assert _status(report, "data", kms, "PassRotation") == Status.PASS
    assert _status(report, "data", kms, "FailRotationFalse") == Status.FAIL
    assert _status(report, "data", kms, "SuppressedNoRotation") == Status.SUPPRESSED
    assert _status(report, "data", "TEST-RAISES-001", "ErrorTopic") == Status.ERROR
    w2001 = [f for f in report.findings if f.source == "cfn-lint" and f.rule_id == "W2001"]
    assert [(f.stack, f.logical_id, f.property_path, f.status) for f in w2001] == [
        ("keys", "", "Parameters.Unused", Status.FAIL)]


# ------------------------------------------------------------------------------------- SARIF

_MESSAGE = {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {"text": {"type": "string"}}}
SARIF_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "run": {"type": "object", "required": ["tool"], "properties": {
            "tool": {"type": "object", "required": ["driver"], "properties": {
                "driver": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "version": {"type": "string"},
                    "rules": {"type": "array", "uniqueItems": True,
                              "items": {"$ref": "#/definitions/reportingDescriptor"}}}}}},
            "results": {"type": "array", "items": {"$ref": "#/definitions/result"}}}},
        "reportingDescriptor": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "shortDescription": _MESSAGE, "fullDescription": _MESSAGE,
            "defaultConfiguration": {"type": "object", "properties": {
                "level": {"enum": ["none", "note", "warning", "error"]}}},
            "properties": {"type": "object", "properties": {
                "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}}}}},
        "result": {"type": "object", "required": ["message"], "properties": {
            "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
            "level": {"enum": ["none", "note", "warning", "error"]},
            "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
            "message": _MESSAGE,
            "locations": {"type": "array", "items": {"type": "object", "properties": {
                "physicalLocation": {"type": "object", "anyOf": [
                    {"required": ["address"]}, {"required": ["artifactLocation"]}], "properties": {
                    "artifactLocation": {"type": "object", "properties": {
                        "uri": {"type": "string", "format": "uri-reference"},
                        "uriBaseId": {"type": "string"}}},
                    "region": {"type": "object", "properties": {
                        "startLine": {"type": "integer", "minimum": 1}}}}},
                "logicalLocations": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "fullyQualifiedName": {"type": "string"},
                    "kind": {"type": "string"}}}}}}},
            "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
            "suppressions": {"type": "array", "uniqueItems": True, "items": {
                "type": "object", "required": ["kind"], "properties": {
                    "kind": {"enum": ["inSource", "external"]},
                    "status": {"enum": ["accepted", "underReview", "rejected"]},
                    "justification": {"type": "string"}}}}}},
    },
}


def test_sarif_structure_levels_locations_and_suppressions(report: Report) -> None:
    log = json.loads(to_sarif(report, base=REPO))
    jsonschema.validate(log, SARIF_SUBSET)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert [r["tool"]["driver"]["name"] for r in log["runs"]] == ["govcdk", "cfn-lint"]
    gov, lint = log["runs"]

    rules = gov["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == report.rules_run[:len(rules)] == ["GOV-KMS-001", "TEST-RAISES-001"]
    kms_info = report.rule_info["GOV-KMS-001"]
    kms_rule = rules[0]
    assert kms_rule["shortDescription"]["text"] == kms_info["title"]
    assert kms_rule["properties"]["tags"] == ["security", *kms_info["controls"]]
    assert kms_rule["properties"]["security-severity"] == SECURITY_SEVERITY[Severity(kms_info["severity"])]
    assert rules[1]["properties"]["security-severity"] == "3.0"          # LOW
    assert rules[1]["defaultConfiguration"]["level"] == "note"

    # results: failing and suppressed findings only, in report order
    expected = [f for f in report.findings if f.source == "govcdk"
                and (f.status.failing or f.status == Status.SUPPRESSED)]
    assert len(gov["results"]) == len(expected) == 5
    for res, f in zip(gov["results"], expected):
        assert res["ruleId"] == f.rule_id and rules[res["ruleIndex"]]["id"] == f.rule_id
        assert res["level"] == LEVEL[f.severity]
        assert res["properties"]["status"] == f.status.value
        (loc,) = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"] == {
            "uri": f"tests/policies/report_fixtures/{f.stack}.yaml", "uriBaseId": "%SRCROOT%"}
        assert loc["physicalLocation"]["region"] == {"startLine": f.line}
        assert loc["logicalLocations"] == [{"name": f.logical_id, "kind": "resource",
                                            "fullyQualifiedName": f"{f.stack}/{f.logical_id}"}]
        assert ("suppressions" in res) == (f.status == Status.SUPPRESSED)
    by_id = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r for r in gov["results"]}
    # EnableKeyRotation is absent: the line is that of its parent, Properties (keys.yaml:22)
    assert by_id["keys/FailNoRotation"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 22}
    assert by_id["data/FailRotationFalse"]["message"]["text"].startswith("EnableKeyRotation is false")
    assert by_id["keys/UnknownRotation"]["message"]["text"].startswith("UNKNOWN: ")
    assert by_id["data/ErrorTopic"]["level"] == "note" and by_id["data/ErrorTopic"]["properties"]["status"] == "ERROR"
    assert by_id["data/SuppressedNoRotation"]["suppressions"] == [{
        "kind": "inSource",
        "justification": "Imported key material | rotated by the HSM team <quarterly>, POA&M-12 (no expiry)"}]
    assert {r["locations"][0]["logicalLocations"][0]["name"] for r in gov["results"]} & {
        "PassRotation"} == set()

    # cfn-lint: its own run, rules named by its findings, a template-level location
    (w2001,) = [r for r in lint["results"] if r["ruleId"] == "W2001"]
    assert [r["id"] for r in lint["tool"]["driver"]["rules"]] == sorted(
        {f.rule_id for f in report.findings if f.source == "cfn-lint"})
    assert w2001["locations"][0]["logicalLocations"] == [{"name": "keys", "fullyQualifiedName": "keys",
                                                          "kind": "module"}]
    assert w2001["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    assert w2001["level"] == "warning"           # MEDIUM


def test_sarif_fingerprints_are_stable_and_distinct(report: Report) -> None:
    first = json.loads(to_sarif(report, base=REPO))
    second = json.loads(to_sarif(build_report(), base=REPO))   # a second, independent run
    assert first == second

    def prints(log: dict) -> list[str]:
        return [r["partialFingerprints"][FINGERPRINT] for run in log["runs"] for r in run["results"]]

    assert len(set(prints(first))) == len(prints(first))
    assert all(re.fullmatch(r"[0-9a-f]{64}", p) for p in prints(first))
    # the fingerprint ignores the line and message, and follows the property path
    moved = replace(report.findings[0], line=999, message="other words")
    other_path = replace(report.findings[0], property_path="Properties.Other")
    base = Report(findings=[report.findings[0]])
    for variant, same in ((moved, True), (other_path, False)):
        a = json.loads(to_sarif(Report(findings=[replace(base.findings[0], status=Status.FAIL)])))
        b = json.loads(to_sarif(Report(findings=[replace(variant, status=Status.FAIL)])))
        assert (a["runs"][0]["results"][0]["partialFingerprints"]
                == b["runs"][0]["results"][0]["partialFingerprints"]) is same


def _finding(**kw) -> Finding:
    base = dict(source="govcdk", rule_id="GOV-X-001", title="x", severity=Severity.HIGH,
                controls=("SC-7",), status=Status.FAIL, message="m", stack="s",
                template_path="t.yaml", logical_id="R")
    base.update(kw)
    return Finding(**base)


def test_sarif_paths_outside_base_and_repeated_keys(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "t.yaml"
    inside = tmp_path / "repo" / "cdk.out" / "t.template.json"
    rep = Report(findings=[_finding(template_path=str(outside)),
                           _finding(template_path=str(inside), logical_id="S"),
                           _finding(template_path="../rel/t.yaml", logical_id="T"),
                           _finding(template_path="../rel/t.yaml", logical_id="T", message="again"),
                           _finding(status=Status.PASS, logical_id="P")])
    log = json.loads(to_sarif(rep, base=tmp_path / "repo"))
    results = log["runs"][0]["results"]
    assert len(results) == 4                                            # the PASS is no result
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert uris[0] == {"uri": outside.as_uri()}
    assert uris[1] == {"uri": "cdk.out/t.template.json", "uriBaseId": "%SRCROOT%"}
    assert uris[2] == {"uri": "../rel/t.yaml", "uriBaseId": "%SRCROOT%"}
    assert "region" not in results[0]["locations"][0]["physicalLocation"]   # no line known
    p3, p4 = (r["partialFingerprints"][FINGERPRINT] for r in results[2:])
    assert p4 == f"{p3}:2"
    jsonschema.validate(log, SARIF_SUBSET)


# ------------------------------------------------------------------------------------- JUnit

def test_junit_counts_match_the_report(report: Report) -> None:
    text = to_junit(report)
    assert text == to_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text)
    assert root.tag == "testsuites"

    # expected: one testcase per (stack, source, rule, logical id), worst status wins
    rank = [Status.ERROR, Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.NOT_APPLICABLE,
            Status.PASS]
    worst: dict[tuple, Status] = {}
    for f in report.findings:
        key = (f.stack, f.source, f.rule_id, f.logical_id)
        worst[key] = min(worst.get(key, Status.PASS), f.status, key=rank.index)
    want = Counter()
    for status in worst.values():
        want["tests"] += 1
        if status == Status.ERROR:
            want["errors"] += 1
        elif status.failing:
            want["failures"] += 1
        elif status in (Status.SUPPRESSED, Status.NOT_APPLICABLE):
            want["skipped"] += 1
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key)) == want[key], key
        assert sum(int(s.get(key)) for s in root) == want[key], key
    assert want["errors"] == 1 and want["skipped"] == 2           # SUPPRESSED and NOT_APPLICABLE

    suites = {s.get("name"): s for s in root}
    assert list(suites) == [t.stack for t in report.templates]
    for suite in root:
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None])
        assert int(suite.get("errors")) == len([c for c in cases if c.find("error") is not None])
        assert int(suite.get("skipped")) == len([c for c in cases if c.find("skipped") is not None])
        for case in cases:
            assert len([c for c in case if c.tag in ("failure", "error", "skipped")]) <= 1

    def case(stack: str, classname: str, name_start: str) -> ET.Element:
        (c,) = [c for c in suites[stack].findall("testcase")
                if c.get("classname") == classname and c.get("name").startswith(name_start)]
        return c

    fail = case("keys", "keys.FailNoRotation", "GOV-KMS-001 ").find("failure")
    assert fail.get("type") == "FAIL"
    assert "Property path: Properties.EnableKeyRotation" in fail.text and "Line: 22" in fail.text
    assert case("keys", "keys.UnknownRotation", "GOV-KMS-001").find("failure").get("type") == "UNKNOWN"
    assert case("keys", "keys.PassRotation", "GOV-KMS-001").find("*") is None
    assert case("keys", "keys.NaHmacKey", "GOV-KMS-001").find("skipped").get("message").startswith(
        "not applicable: ")
    err = case("data", "data.ErrorTopic", "TEST-RAISES-001 A rule that raises").find("error")
    assert "boom <&> \ufffd done" in err.get("message")                # escaped, control char replaced
    skipped = case("data", "data.SuppressedNoRotation", "GOV-KMS-001").find("skipped")
    assert skipped.get("message") == (
        "suppressed: Imported key material | rotated by the HSM team <quarterly>, POA&M-12 (no expiry)")
    w2001 = case("keys", "keys", "cfn-lint W2001 ")
    assert w2001.find("failure").get("message").startswith("Parameter Unused not used.")


# ---------------------------------------------------------------------------------- Markdown

def _matrix(text: str) -> tuple[list[str], dict[str, list[str]]]:
    lines = text.splitlines()
    start = lines.index("## Control matrix")
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("| Control |"))
    cols = [c.strip() for c in lines[header].strip("|").split("|")]
    rows = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        label = NO_CONTROL if cells[0] == NO_CONTROL else cells[0].split(" ")[0]
        rows[label] = cells[1:]
    return cols[1:], rows


def _cell_counts(report: Report, control: str, stack: str | None) -> str:
    fs = [f for f in report.findings if (control in f.controls if control != NO_CONTROL
                                          else not f.controls)
          and (stack is None or f.stack == stack)]
    p = sum(f.status == Status.PASS for f in fs)
    x = sum(f.status.failing for f in fs)
    s = sum(f.status == Status.SUPPRESSED for f in fs)
    return "-" if p + x + s == 0 else f"{p} / {x} / {s}"


def test_markdown_matrix_counts_equal_the_report(report: Report, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "govcdk.policies.catalog", None)   # catalog not importable
    text = to_markdown(report)
    assert text == to_markdown(report)
    stacks, rows = _matrix(text)
    assert stacks == [*(t.stack for t in report.templates), "Total"]
    controls = sorted({c for f in report.findings for c in f.controls}
                      | {c for i in report.rule_info.values() for c in i.get("controls", ())},
                      key=control_sort_key)
    assert list(rows) == [*controls, NO_CONTROL]
    assert {"SC-12", "SC-12(1)", "SC-13", "SI-4"} <= set(rows)
    for control, cells in rows.items():
        for stack, got in zip(stacks, cells):
            assert got == _cell_counts(report, control, None if stack == "Total" else stack), (control, stack)
    # literal spot checks of the reasoning in the fixture headers
    assert rows["SC-12"][stacks.index("keys")] == "1 / 2 / 0"      # pass, fail + unknown
    assert rows["SC-12"][stacks.index("data")] == "1 / 1 / 1"
    assert rows["SI-4"][stacks.index("data")] == "0 / 1 / 0"       # the ERROR
    assert rows["SC-12"][-1] == "2 / 3 / 1"
    # rows print the id alone without the catalog
    assert "| SC-12(1) |" in text

    failing = text.split("## Failing findings", 1)[1].split("## Suppressed findings")[0]
    assert f"({len(report.failing)})" in failing.splitlines()[0]
    for f in report.failing:
        assert f"| {f.logical_id or '(template)'} |" in failing
        # each failing row names its controls (break test: reviewers had to open the JSON)
        assert f"| {', '.join(f.controls) or '-'} | {f.stack} | {f.logical_id or '(template)'} |" in failing
    assert "| rule raised RuntimeError: boom \\<\\&\\> done (at test\\_report\\_writers.py:" in failing
    suppressed = text.split("## Suppressed findings", 1)[1]
    assert ("| GOV-KMS-001 | SC-12, SC-12(1), SC-13 | data | SuppressedNoRotation | Imported key material \\| rotated by "
            "the HSM team \\<quarterly\\>, POA\\&M-12 (no expiry) |") in suppressed


def test_markdown_uses_catalog_titles_when_importable(report: Report, monkeypatch) -> None:
    catalog = types.ModuleType("govcdk.policies.catalog")

    def control(cid: str):
        if cid == "SC-12":
            return types.SimpleNamespace(title="Cryptographic Key Establishment and Management")
        raise KeyError(cid)

    catalog.control = control
    monkeypatch.setitem(sys.modules, "govcdk.policies.catalog", catalog)
    text = to_markdown(report)
    assert "| SC-12 Cryptographic Key Establishment and Management |" in text
    assert "| SC-12(1) |" in text                                 # unknown to this catalog


# ------------------------------------------------------------------------------------- OSCAL

def _validate_oscal(doc: dict):
    from trestle.oscal.assessment_results import AssessmentResults

    return AssessmentResults.model_validate(doc["assessment-results"])


def test_markdown_says_why_a_fedramp_control_has_no_title() -> None:
    """IA-5(7) and SA-9(5) are in FedRAMP's baselines but not in the NIST High baseline catalog
    govcdk ships: the matrix says so instead of printing a bare id beside titled ones."""
    from govcdk.policies.catalog import control
    from govcdk.policies.reporters.markdown import UNTITLED

    assert control("IA-5(7)").title is None and control("SC-12").title
    findings = [_finding(rule_id="GOV-EC2-X", controls=("IA-5(7)", "SC-12"))]
    report = Report(findings=findings, templates=[], rule_info={})
    text = to_markdown(report)
    assert f"| IA-5(7) {UNTITLED} |" in text
    assert "| SC-12 Cryptographic Key Establishment and Management |" in text
    assert UNTITLED not in text.split("| SC-12 ", 1)[1].split("\n", 1)[0]


def test_oscal_validates_and_marks_the_failing_control(report: Report) -> None:
    text = to_oscal(report, title="Agency X check", now=NOW)
    assert text == to_oscal(build_report(), title="Agency X check", now=NOW)   # same document
    doc = json.loads(text)
    model = _validate_oscal(doc)
    ar = doc["assessment-results"]
    assert ar["metadata"]["title"] == "Agency X check"
    assert ar["metadata"]["last-modified"] == "2025-03-04T05:06:07+00:00"
    assert ar["metadata"]["oscal-version"] == "1.1.2"
    (result,) = ar["results"]
    assert result["start"] == ar["metadata"]["last-modified"]

    uuids = re.findall(r'"uuid": "([0-9a-f-]{36})"', text)
    assert len(uuids) == len(set(uuids))
    assert all(u[14] == "5" for u in uuids)                      # version 5: deterministic

    applied = [f for f in report.findings if f.status != Status.NOT_APPLICABLE]
    assert len(result["observations"]) == len(applied)
    obs = {o["uuid"]: o for o in result["observations"]}
    reviewed = [c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]]
    assert {"sc-12", "sc-12.1", "sc-13", "si-4"} <= set(reviewed)

    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    sc12 = findings["sc-12.1"]
    assert sc12["target"]["type"] == "objective-id"
    assert sc12["target"]["status"] == {"state": "not-satisfied", "reason": "fail"}
    assert sc12["title"].startswith("SC-12(1)")
    related = [obs[r["observation-uuid"]] for r in sc12["related-observations"]]
    assert len(related) == sum(1 for f in applied if "SC-12(1)" in f.controls)
    assert {p["value"] for o in related for p in o["props"] if p["name"] == "status"} == {
        "PASS", "FAIL", "UNKNOWN", "SUPPRESSED"}
    assert "POA&M-12" in sc12["remarks"]
    assert findings["si-4"]["target"]["status"]["state"] == "not-satisfied"   # the ERROR
    assert model.results[0].findings[0].target.target_id == result["findings"][0]["target"]["target-id"]
    # tools: govcdk and cfn-lint as assessment assets, named by each observation's origin
    assets = result["local-definitions"]["assessment-assets"]["components"]
    assert [c["title"] for c in assets] == ["govcdk", "cfn-lint"]
    actors = {o["origins"][0]["actors"][0]["actor-uuid"] for o in result["observations"]}
    assert actors == {c["uuid"] for c in assets}


def test_oscal_verdicts_per_control() -> None:
    passing = _finding(status=Status.PASS, controls=("SC-28(1)",))
    acked = _finding(status=Status.SUPPRESSED, controls=("AC-3",), suppression="risk accepted",
                     logical_id="A")
    unknown = _finding(status=Status.UNKNOWN, controls=("AU-11",), logical_id="U")
    na = _finding(status=Status.NOT_APPLICABLE, controls=("SC-7",), logical_id="N")
    rep = Report(findings=[passing, acked, unknown, na],
                 rule_info={"GOV-X-001": {"controls": ["SC-28(1)", "AC-3", "AU-11", "SC-7"]}})
    doc = json.loads(to_oscal(rep, now=NOW))
    _validate_oscal(doc)
    (result,) = doc["assessment-results"]["results"]
    status = {f["target"]["target-id"]: f["target"]["status"] for f in result["findings"]}
    assert status == {"ac-3": {"state": "not-satisfied", "reason": "other"},
                      "au-11": {"state": "not-satisfied", "reason": "other"},
                      "sc-28.1": {"state": "satisfied", "reason": "pass"}}   # SC-7: no evidence
    assert [c["control-id"] for c in result["reviewed-controls"]["control-selections"][0]["include-controls"]] == [
        "ac-3", "au-11", "sc-7", "sc-28.1"]
    assert len(result["observations"]) == 3
    # a later run of the same templates keeps the document's and each control's UUIDs
    later = json.loads(to_oscal(Report(findings=[passing]), now=datetime(2026, 1, 1)))
    assert later["assessment-results"]["uuid"] == doc["assessment-results"]["uuid"]
    assert later["assessment-results"]["metadata"]["last-modified"] == "2026-01-01T00:00:00+00:00"
    (f_later,) = later["assessment-results"]["results"][0]["findings"]
    assert f_later["uuid"] == next(f["uuid"] for f in result["findings"]
                                   if f["target"]["target-id"] == "sc-28.1")


def test_oscal_control_ids() -> None:
    assert oscal_control_id("SC-28(1)") == "sc-28.1"
    assert oscal_control_id("AC-2") == "ac-2"
    assert oscal_control_id("AC-17(12)") == "ac-17.12"
    assert sorted(["AC-17", "AC-2(1)", "SC-7", "AC-2", "AC-3"], key=control_sort_key) == [
        "AC-2", "AC-2(1)", "AC-3", "AC-17", "SC-7"]


# ----------------------------------------------------------------------------------- WRITERS

def test_writers_map_every_format_to_text(report: Report) -> None:
    assert list(WRITERS) == ["text", "json", "sarif", "junit", "markdown", "oscal"]
    for name, writer in WRITERS.items():
        out = writer(report)
        assert isinstance(out, str) and out.endswith("\n"), name
    assert "FailNoRotation" in WRITERS["text"](report)


def test_trestle_is_not_imported_by_the_writers() -> None:
    import subprocess

    code = ("import sys; from govcdk.policies import reporters; "
            "print(any(m == 'trestle' or m.startswith('trestle.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
