"""JSON report writer (schema ``govcdk.report/v0``).

Shape::

    {"schema": "govcdk.report/v0",
     "summary": {"findings": N, "failing": N, "templates": N, "rules_run": [...],
                 "by_status": {"PASS": n, "FAIL": n, ...},
                 "by_severity": {"HIGH": {"FAIL": n, ...}, ...},
                 "by_control": {"SC-7": {"FAIL": n, ...}, ...}},
     "templates": [TemplateInfo fields...],
     "findings": [Finding.to_dict()...],
     "unused_suppressions": [UnusedSuppression.to_dict()...],
     "parameter_exceptions": [ParameterException.to_dict()...],
     "rule_parameters": {"GOV-LOGS-001": {"min_retention_days": 365}, ...},
     "input_errors": [{"path", "message", "logical_id", "kind", "line", "location"}...]}

A finding's ``acknowledgements`` lists the suppressions applied to it (``{"id", "reason",
"expires", "poam", "wildcard"}``); ``summary.unused_suppressions`` and
``summary.parameter_exceptions`` count the two lists. ``input_errors`` lists the inputs that
could not be checked at all (:class:`~govcdk.policies.errors.InputProblem`; ``kind`` is a stable
token such as ``"syntax"``, ``"circular"``, ``"too-large"``), counted in
``summary.input_errors``; a report with any is incomplete (``govcdk check`` exits 2). ``rule_parameters`` gives the values each
govcdk rule that takes parameters ran with.

Keys are sorted and findings keep the report's order, so the same report always renders to the
same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ..model import Report, Severity

SCHEMA = "govcdk.report/v0"


def summarize(report: Report) -> dict[str, Any]:
    """Counts by status, by severity and status, and by control and status."""
    by_severity: dict[str, dict[str, int]] = {}
    by_control: dict[str, dict[str, int]] = {}
    for f in report.findings:
        sev = by_severity.setdefault(f.severity.value, {})
        sev[f.status.value] = sev.get(f.status.value, 0) + 1
        for control in f.controls:
            ctl = by_control.setdefault(control, {})
            ctl[f.status.value] = ctl.get(f.status.value, 0) + 1
    return {
        "findings": len(report.findings),
        "failing": len(report.failing),
        "templates": len(report.templates),
        "rules_run": list(report.rules_run),
        "by_status": report.counts(),
        "by_severity": {s.value: by_severity[s.value] for s in Severity if s.value in by_severity},
        "by_control": dict(sorted(by_control.items())),
        "unused_suppressions": len(report.unused_suppressions),
        "parameter_exceptions": len(report.parameter_exceptions),
        "input_errors": len(report.input_errors),
    }


def to_dict(report: Report) -> dict[str, Any]:
    templates = []
    for t in report.templates:
        d = asdict(t)
        d["notes"] = list(t.notes)
        templates.append(d)
    return {
        "schema": SCHEMA,
        "summary": summarize(report),
        "templates": templates,
        "findings": [f.to_dict() for f in report.findings],
        "unused_suppressions": [u.to_dict() for u in report.unused_suppressions],
        "parameter_exceptions": [e.to_dict() for e in report.parameter_exceptions],
        "rule_parameters": {rule_id: dict(info["parameters"])
                            for rule_id, info in report.rule_info.items()
                            if info.get("parameters")},
        "input_errors": [p.to_dict() for p in report.input_errors],
    }


def to_json(report: Report, *, indent: int | None = 2) -> str:
    """Render ``report`` as deterministic JSON (sorted keys, trailing newline)."""
    return json.dumps(to_dict(report), indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["SCHEMA", "summarize", "to_dict", "to_json"]
