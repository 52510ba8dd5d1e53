"""JSON report writer (schema ``govcdk.report/v1``).

Shape::

    {"schema": "govcdk.report/v1",
     "summary": {"findings": N, "failing": N, "templates": N, "rules_run": [...],
                 "by_status": {"PASS": n, "FAIL": n, ...},
                 "by_severity": {"HIGH": {"FAIL": n, ...}, ...},
                 "by_control": {"SC-7": {"FAIL": n, ...}, ...},
                 "by_source": {"govcdk": {"PASS": n, ...}, "checkov": {...}, ...},
                 "groups": N, ...},
     "templates": [TemplateInfo fields...],
     "findings": [Finding.to_dict()...],
     "groups": [{"id": "airx-audit/AccessLogBucket:GOV-S3-003", "stack", "template_path",
                 "logical_id", "rules": ["GOV-S3-003"], "sources": ["govcdk", "checkov"],
                 "statuses_differ": true,
                 "findings": [{"source", "rule_id", "status", "index"}...]}...],
     "scanners": {"checkov": {"title", "version": "3.3.30",
                              "counts": {"passed", "failed", "skipped", "parsing_errors"}},
                  "cfn-lint": {"title"}},
     "unused_suppressions": [UnusedSuppression.to_dict()...],
     "parameter_exceptions": [ParameterException.to_dict()...],
     "rule_parameters": {"GOV-LOGS-001": {"min_retention_days": 365}, ...},
     "input_errors": [{"path", "message", "logical_id", "kind", "line", "location",
                       "checked"}...]}

Every finding has a ``source`` (``govcdk``, ``cfn-lint``, ``checkov``) and a ``group``: the id
of the findings of several sources about the same concern on the same resource, ``""`` for
none (:func:`govcdk.scanners.mappings.group_findings`); ``groups`` lists each group once, with
its findings by ``index`` into ``findings``, and ``scanners`` describes the other tools that
ran (checkov: its version and result counts). v1 added ``group``, ``groups``, ``scanners``,
``summary.by_source`` and ``summary.groups`` to v0, and later ``input_errors[].checked``;
nothing was removed or renamed.

A finding's ``acknowledgements`` lists the suppressions applied to it (``{"id", "reason",
"expires", "poam", "wildcard"}``); ``summary.unused_suppressions`` and
``summary.parameter_exceptions`` count the two lists. ``input_errors`` lists the inputs that
could not be checked at all (:class:`~govcdk.policies.errors.InputProblem`; ``kind`` is a stable
token such as ``"syntax"``, ``"circular"``, ``"too-large"``), and the references CloudFormation
refuses in templates that were checked all the same (``kind`` ``"reference"``, ``checked``
true), counted in ``summary.input_errors``; a report with any is incomplete (``govcdk check``
exits 2). ``rule_parameters`` gives the values each
govcdk rule that takes parameters ran with.

Keys are sorted and findings keep the report's order, so the same report always renders to the
same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ..model import SCANNER_NAMES, Report, Severity
from ._common import group_rules, statuses_differ

SCHEMA = "govcdk.report/v1"


def summarize(report: Report) -> dict[str, Any]:
    """Counts by status, by severity and status, and by control and status."""
    by_severity: dict[str, dict[str, int]] = {}
    by_control: dict[str, dict[str, int]] = {}
    by_source: dict[str, dict[str, int]] = {s: {} for s in report.sources()}
    for f in report.findings:
        src = by_source.setdefault(f.source, {})
        src[f.status.value] = src.get(f.status.value, 0) + 1
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
        "by_source": by_source,
        "groups": len(report.groups()),
        "unused_suppressions": len(report.unused_suppressions),
        "parameter_exceptions": len(report.parameter_exceptions),
        "input_errors": len(report.input_errors),
    }


def groups(report: Report) -> list[dict[str, Any]]:
    """One entry per group of findings (see the module docstring), in report order."""
    index = {id(f): i for i, f in enumerate(report.findings)}
    out = []
    for gid, members in report.groups().items():
        first = members[0]
        out.append({"id": gid, "stack": first.stack, "template_path": first.template_path,
                    "logical_id": first.logical_id, "rules": group_rules(gid),
                    "sources": list(dict.fromkeys(f.source for f in members)),
                    "statuses_differ": statuses_differ(members),
                    "findings": [{"source": f.source, "rule_id": f.rule_id,
                                  "status": f.status.value, "index": index[id(f)]}
                                 for f in members]})
    return out


def scanners(report: Report) -> dict[str, dict[str, Any]]:
    """The other tools that ran: name -> their ``rule_info`` entry without the empty
    ``severity`` and ``controls`` (checkov adds ``version`` and ``counts``)."""
    return {name: {k: v for k, v in report.rule_info.get(name, {}).items()
                   if k not in ("severity", "controls")}
            for name in report.rules_run if name in SCANNER_NAMES}


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
        "groups": groups(report),
        "scanners": scanners(report),
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


__all__ = ["SCHEMA", "groups", "scanners", "summarize", "to_dict", "to_json"]
