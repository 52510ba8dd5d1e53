"""SARIF 2.1.0 report writer, shaped for GitHub code scanning.

Shape (OASIS SARIF v2.1.0; GitHub "SARIF support for code scanning")::

    {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
     "runs": [
       {"tool": {"driver": {"name": "govcdk", "version": "0.1.0", "rules": [
          {"id": "GOV-KMS-001", "name": "GOV-KMS-001",
           "shortDescription": {"text": <title>}, "fullDescription": {"text": <title + controls>},
           "defaultConfiguration": {"level": "error"},
           "properties": {"tags": ["security", "SC-12", "SC-12(1)"], "security-severity": "8.0",
                          "severity": "HIGH", "controls": [...]}}, ...]}},
        "results": [
          {"ruleId": "GOV-KMS-001", "ruleIndex": 0, "level": "error", "kind": "fail",
           "message": {"text": ...},
           "locations": [{"physicalLocation": {"artifactLocation": {"uri": "templates/a.yaml",
                                                                    "uriBaseId": "%SRCROOT%"},
                                               "region": {"startLine": 12}},
                          "logicalLocations": [{"name": "Key", "fullyQualifiedName": "Stack/Key",
                                                "kind": "resource"}]}],
           "partialFingerprints": {"govcdkFindingHash/v1": <sha256 hex>},
           "suppressions": [{"kind": "inSource", "justification": <reason>}],   # SUPPRESSED only
           "properties": {"status": "FAIL", "severity": "HIGH", "controls": [...], "stack": ...,
                          "logicalId": ..., "resourceType": ..., "propertyPath": ...,
                          "cdkPath": ..., "paths": [...], "source": "govcdk",
                          "group": "<group id>",                   # grouped findings only
                          "sameConcern": ["checkov CKV_AWS_18 FAIL", ...]}}],
        "invocations": [{"executionSuccessful": false,                 # false: input errors
                         "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": "<file>: <what is wrong>"},
                             "locations": [...same shape as a result's...],
                             "properties": {"kind": "circular", "logicalId": ...,
                                            "location": "Resources.A"}}]}]},
       {"tool": {"driver": {"name": "cfn-lint", ...}}, "results": [...]}]}

Choices:

- One run per source tool: ``govcdk`` first (always, when any govcdk rule ran), then each
  scanner (``cfn-lint``) that ran or produced findings. Each run has its own ``tool.driver.name``,
  which is what GitHub code scanning keys alerts on: since 2025 it rejects several runs of the
  *same* tool and category in one file, and accepts runs of distinct tools. An empty ``results``
  list is kept so that an upload closes the alerts a fix resolved.
- Results only for failing (FAIL, UNKNOWN, ERROR) and SUPPRESSED findings; passing evidence
  belongs in the JSON and OSCAL reports. SUPPRESSED results carry an ``inSource`` suppression
  (the acknowledgement lives in the template's ``Metadata``), which GitHub shows as dismissed.
- ``level`` follows severity (CRITICAL, HIGH: ``error``; MEDIUM: ``warning``; LOW: ``note``) and
  ``properties.security-severity`` gives GitHub's numeric score (9.5, 8.0, 5.5, 3.0: critical,
  high, medium, low bands). ``tags`` are ``security`` (GitHub files the alert under security)
  followed by the rule's NIST SP 800-53 Rev 5 controls. No ``helpUri``: nothing links out.
- ``artifactLocation.uri`` is the template path relative to ``base`` (default: the current
  directory) with ``uriBaseId`` ``%SRCROOT%``; a relative path is kept as given; an absolute
  path outside ``base`` becomes a ``file://`` URI. ``region.startLine`` is set only when the
  finding has a line (GitHub then places the alert at file level).
- Input errors (files not checked at all: ``Report.input_errors``) are tool execution
  notifications of level ``error`` in the ``govcdk`` run's one invocation, whose
  ``executionSuccessful`` is then false (SARIF 2.1.0 section 3.20.21: problems of the tool's run
  rather than of the analyzed code); they are not results, since no rule judged anything.
- A finding grouped with other sources' findings about the same concern on the same resource
  (``Finding.group``) carries the group id in ``properties.group`` and the other findings of
  the group (``source rule status``) in ``properties.sameConcern``, whatever run they are in:
  each tool keeps its own run and alerts, and the property ties them together.
- A scanner's ``tool.driver.version`` is the version it reported (checkov, which runs in its
  own environment) or the installed package's (cfn-lint).
- ``partialFingerprints["govcdkFindingHash/v1"]`` is the SHA-256 of source, rule id, stack,
  logical id and property path, so the same finding keeps its fingerprint across runs and line
  moves; a repeat of the same key within a run gets ``:2``, ``:3``... appended in report order.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..errors import InputProblem
from ..model import SCANNER_NAMES, Finding, Report, Severity, Status
from ._common import member_label, peers

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
FINGERPRINT = "govcdkFindingHash/v1"
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note"}
_SCANNERS = SCANNER_NAMES


def _severity(value: Any) -> Severity | None:
    try:
        return Severity(value)
    except ValueError:
        return None


def _rule_descriptor(rule_id: str, title: str, severity: Severity | None,
                     controls: list[str]) -> dict[str, Any]:
    full = title or rule_id
    if controls:
        full = f"{full}. NIST SP 800-53 Rev 5: {', '.join(controls)}."
    out: dict[str, Any] = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title or rule_id},
        "fullDescription": {"text": full},
    }
    props: dict[str, Any] = {"tags": ["security", *controls], "controls": list(controls)}
    if severity is not None:
        out["defaultConfiguration"] = {"level": LEVEL[severity]}
        props["security-severity"] = SECURITY_SEVERITY[severity]
        props["severity"] = severity.value
    out["properties"] = props
    return out


def _artifact(path: str, base: Path) -> dict[str, str]:
    p = Path(path)
    if not p.is_absolute():
        return {"uri": p.as_posix(), "uriBaseId": "%SRCROOT%"}
    try:
        rel = Path(os.path.abspath(p)).relative_to(base)
    except ValueError:
        return {"uri": p.as_uri()}
    return {"uri": rel.as_posix(), "uriBaseId": "%SRCROOT%"}


def fingerprint(f: Finding) -> str:
    """SHA-256 hex of source, rule id, stack, logical id and property path (NUL-separated)."""
    key = "\0".join((f.source, f.rule_id, f.stack, f.logical_id, f.property_path))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _message(f: Finding) -> str:
    text = f.message or f.title or f.rule_id
    if f.status in (Status.UNKNOWN, Status.ERROR):
        text = f"{f.status.value}: {text}"
    if f.property_path and f.property_path not in text:
        text = f"{text} (at {f.property_path})"
    return text


def _result(f: Finding, index: int, base: Path, seen: dict[str, int],
            others: dict[int, list[Finding]]) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(f.template_path, base)}
    if f.line:
        physical["region"] = {"startLine": int(f.line)}
    if f.logical_id:
        logical = {"name": f.logical_id, "fullyQualifiedName": f"{f.stack}/{f.logical_id}",
                   "kind": "resource"}
    else:
        logical = {"name": f.stack, "fullyQualifiedName": f.stack, "kind": "module"}
    fp = fingerprint(f)
    seen[fp] = seen.get(fp, 0) + 1
    if seen[fp] > 1:
        fp = f"{fp}:{seen[fp]}"
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": LEVEL[f.severity],
        "kind": "fail",
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": physical, "logicalLocations": [logical]}],
        "partialFingerprints": {FINGERPRINT: fp},
    }
    if f.status == Status.SUPPRESSED:
        result["suppressions"] = [{"kind": "inSource",
                                   "justification": f.suppression or "acknowledged"}]
    result["properties"] = {
        "status": f.status.value,
        "severity": f.severity.value,
        "controls": list(f.controls),
        "stack": f.stack,
        "logicalId": f.logical_id,
        "resourceType": f.resource_type,
        "propertyPath": f.property_path,
        "cdkPath": f.cdk_path,
        "paths": list(f.paths),
        "source": f.source,
    }
    if f.group:
        result["properties"]["group"] = f.group
        result["properties"]["sameConcern"] = [member_label(g) for g in others.get(id(f), [])]
    return result


def _tool_version(source: str) -> str | None:
    if source == "govcdk":
        from govcdk import __version__

        return __version__
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return None
    try:
        return version(source)
    except PackageNotFoundError:
        return None


def _run(source: str, report: Report, findings: list[Finding], base: Path,
         others: dict[int, list[Finding]]) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    if source == "govcdk":
        ids = [r for r in report.rules_run if r not in _SCANNERS]
        ids += sorted({f.rule_id for f in findings} - set(ids))
        for rule_id in ids:
            info = report.rule_info.get(rule_id, {})
            example = next((f for f in findings if f.rule_id == rule_id), None)
            title = info.get("title") or (example.title if example else "")
            severity = _severity(info.get("severity")) or (example.severity if example else None)
            controls = list(info.get("controls") or (example.controls if example else ()))
            index[rule_id] = len(rules)
            rules.append(_rule_descriptor(rule_id, title, severity, controls))
    else:  # a scanner's rules are those its findings name (its rule_info is keyed by source)
        for rule_id in sorted({f.rule_id for f in findings}):
            example = next(f for f in findings if f.rule_id == rule_id)
            index[rule_id] = len(rules)
            rules.append(_rule_descriptor(rule_id, example.title, example.severity,
                                          list(example.controls)))
    driver: dict[str, Any] = {"name": source}
    version = str(report.rule_info.get(source, {}).get("version") or "") \
        if source != "govcdk" else ""
    version = version or _tool_version(source)
    if version:
        driver["version"] = version
    driver["rules"] = rules
    seen: dict[str, int] = {}
    results = [_result(f, index[f.rule_id], base, seen, others) for f in findings
               if f.status.failing or f.status == Status.SUPPRESSED]
    run: dict[str, Any] = {"tool": {"driver": driver}, "results": results}
    if source == "govcdk":
        invocation: dict[str, Any] = {"executionSuccessful": not report.input_errors}
        if report.input_errors:
            invocation["toolExecutionNotifications"] = [_notification(p, base)
                                                        for p in report.input_errors]
        run["invocations"] = [invocation]
    return run


def _notification(p: InputProblem, base: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(p.path, base)}
    if p.line:
        physical["region"] = {"startLine": int(p.line)}
    location: dict[str, Any] = {"physicalLocation": physical}
    if p.logical_id:
        location["logicalLocations"] = [{"name": p.logical_id}]
    return {"level": "error", "message": {"text": p.describe()}, "locations": [location],
            "properties": {"kind": p.kind, "logicalId": p.logical_id, "location": p.location}}


def to_dict(report: Report, *, base: Path | str | None = None) -> dict[str, Any]:
    """The SARIF log as a dict (see the module docstring for the shape)."""
    root = Path(os.path.abspath(base if base is not None else os.getcwd()))
    by_source: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_source.setdefault(f.source, []).append(f)
    sources: list[str] = []
    if "govcdk" in by_source or report.input_errors \
            or any(r not in _SCANNERS for r in report.rules_run):
        sources.append("govcdk")
    scanners = {s for s in by_source if s != "govcdk"} | {r for r in report.rules_run if r in _SCANNERS}
    sources += sorted(scanners)
    others = peers(report)
    return {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [_run(s, report, by_source.get(s, []), root, others) for s in sources],
    }


def to_sarif(report: Report, *, base: Path | str | None = None) -> str:
    """Render ``report`` as SARIF 2.1.0 JSON (two-space indent, trailing newline).

    ``base`` is the directory artifact URIs are made relative to (default: the current
    directory). The same report and base always render to the same text.
    """
    return json.dumps(to_dict(report, base=base), indent=2, ensure_ascii=False) + "\n"


__all__ = ["SCHEMA_URI", "VERSION", "FINGERPRINT", "SECURITY_SEVERITY", "LEVEL", "fingerprint",
           "to_dict", "to_sarif"]
