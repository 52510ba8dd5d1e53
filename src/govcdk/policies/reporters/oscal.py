"""OSCAL Assessment Results writer (NIST OSCAL 1.1.2, JSON), for FedRAMP Rev 5 evidence.

Shape (OSCAL ``assessment-results`` model)::

    {"assessment-results": {
       "uuid": ..., "metadata": {"title", "last-modified", "version", "oscal-version": "1.1.2",
                                 "remarks"},
       "import-ap": {"href": "#<back-matter resource>", "remarks": "no assessment plan ..."},
       "results": [{
          "uuid", "title", "description", "start", "end",
          "local-definitions": {"assessment-assets": {"components": [govcdk, cfn-lint tools],
                                                       "assessment-platforms": [govcdk check]}},
          "reviewed-controls": {"control-selections": [{"include-controls": [{"control-id": "sc-28.1"}, ...]}]},
          "observations": [one per finding that applies (PASS, FAIL, UNKNOWN, ERROR, SUPPRESSED):
             {"uuid", "title", "description", "props": [status, source, rule-id, severity, stack,
              logical-id, resource-type, property-path, line, template, cdk-path, control...,
              suppression, group],
              "methods": ["TEST"], "types": ["finding"] (failing and suppressed only),
              "origins": [{"actors": [{"type": "tool", "actor-uuid": <tool component>}]}],
              "subjects": [{"subject-uuid": <template resource>, "type": "resource", "title": "Stack/LogicalId"}],
              "relevant-evidence": [{"href": "#<template resource>", "description": ...}],
              "collected", "remarks"?}],
          "findings": [one per control with evidence:
             {"uuid", "title": "SC-28(1) <catalog title>", "description": counts,
              "target": {"type": "objective-id", "target-id": "sc-28.1",
                         "status": {"state": "satisfied" | "not-satisfied",
                                    "reason": "pass" | "fail" | "other"}},
              "related-observations": [...], "remarks"?}],
          "remarks"?: "N input(s) could not be checked: ..."}],
       "back-matter": {"resources": [the no-plan note, one per template (rlinks: its path)]}}}

Every observation names its ``source`` (``govcdk``, ``cfn-lint``, ``checkov``: the tool
component that made it, in ``origins``); a finding grouped with other sources' findings about
the same concern on the same resource has a ``group`` prop, the group id (the observations
sharing it are the group: an OSCAL 1.1.2 observation has no link to another), and ``remarks``
naming the group's other findings. A scanner's component description gives the version it
reported (checkov).

Verdict per control (over every finding naming it): any FAIL or ERROR -> ``not-satisfied`` /
``fail``; else any UNKNOWN (could not be decided statically) or SUPPRESSED (an acknowledged
deviation, with its reason in ``remarks``) -> ``not-satisfied`` / ``other``; else, with at least
one PASS -> ``satisfied`` / ``pass``. A control whose findings are all NOT_APPLICABLE, or whose
rules found nothing to check, gets no finding (nothing passes without evidence) but is listed in
``reviewed-controls``. Observation props use the namespace ``urn:govcdk:oscal``.

An input error (a file not checked at all, ``Report.input_errors``) is an observation of type
``finding`` with props ``status`` ``INPUT-ERROR``, ``input-error-kind``, ``logical-id``,
``location`` and ``line``, whose subject is the file (a back-matter resource); it relates to no
control. The result's ``remarks`` say how many inputs were not checked, so no control's
``satisfied`` reads as covering them.

UUIDs are version 5 over stable keys, so the same report gives the same document, and a
control's finding, a finding's observation and the document itself keep their UUIDs across
revisions (OSCAL: "assigned per-subject ... consistently used ... across revisions"): the
document and result over the checked stacks and template paths, a finding over its control, an
observation over source, rule id, stack, template, logical id and property path. ``now`` sets
``last-modified``, ``start``, ``end`` and ``collected`` (default: the current UTC time).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

from ..errors import InputProblem
from ..model import Finding, Report, Status
from ._common import (control_sort_key, member_label, oscal_control_id, peers, rule_label,
                      stacks_of, title_lookup)

OSCAL_VERSION = "1.1.2"
PROP_NS = "urn:govcdk:oscal"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:govcdk:oscal:assessment-results")
DEFAULT_TITLE = "govcdk check: automated assessment of CloudFormation templates"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "\0".join(parts)))


def _line(text: str) -> str:
    """One line without leading or trailing space (OSCAL title and token-like strings)."""
    return " ".join(str(text).split())


def _prop(name: str, value: Any) -> dict[str, str] | None:
    text = _line(value) if value is not None else ""
    return {"name": name, "ns": PROP_NS, "value": text} if text else None


def _iso(now: datetime) -> str:
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.isoformat(timespec="seconds")


def _tools(report: Report) -> dict[str, str]:
    sources = ["govcdk"] + sorted({f.source for f in report.findings if f.source != "govcdk"})
    return {s: _uuid("tool", s) for s in sources}


def _observation(f: Finding, ident: str, tool: str, template_uuid: str, when: str,
                 others: list[Finding]) -> dict[str, Any]:
    where = f"{f.stack}/{f.logical_id}" if f.logical_id else f.stack
    props = [p for p in (
        _prop("status", f.status.value), _prop("source", f.source), _prop("rule-id", f.rule_id),
        _prop("severity", f.severity.value), _prop("stack", f.stack),
        _prop("logical-id", f.logical_id), _prop("resource-type", f.resource_type),
        _prop("property-path", f.property_path), _prop("line", f.line),
        _prop("template", f.template_path), _prop("cdk-path", f.cdk_path),
        *(_prop("control", c) for c in f.controls),
        _prop("suppression", f.suppression), _prop("group", f.group)) if p]
    evidence = f"Template {f.template_path}"
    if f.logical_id:
        evidence += f", resource {f.logical_id}" + (f" ({f.resource_type})" if f.resource_type else "")
    if f.property_path:
        evidence += f", property {f.property_path}"
    if f.line:
        evidence += f", line {f.line}"
    obs: dict[str, Any] = {
        "uuid": ident,
        "title": _line(f"{rule_label(f)} {f.status.value} on {where}"),
        "description": f.message or f.title or f.rule_id,
        "props": props,
        "methods": ["TEST"],
    }
    if f.status.failing or f.status == Status.SUPPRESSED:
        obs["types"] = ["finding"]
    obs["origins"] = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]
    obs["subjects"] = [{"subject-uuid": template_uuid, "type": "resource", "title": _line(where)}]
    obs["relevant-evidence"] = [{"href": f"#{template_uuid}", "description": evidence + "."}]
    obs["collected"] = when
    remarks = []
    if f.status == Status.SUPPRESSED:
        remarks.append(f"Acknowledged deviation: {f.suppression or '(no reason given)'}")
    if f.group:
        remarks.append("Same concern on the same resource, other sources: "
                       + "; ".join(member_label(g) for g in others) + ".")
    if remarks:
        obs["remarks"] = " ".join(remarks)
    return obs


def _input_stack(p: InputProblem) -> str:
    """The name a file with an input error is listed under (it has no stack): the file."""
    return p.path


def _input_observation(p: InputProblem, ident: str, tool: str, template_uuid: str,
                       when: str) -> dict[str, Any]:
    props = [q for q in (
        _prop("status", "INPUT-ERROR"), _prop("source", "govcdk"),
        _prop("input-error-kind", p.kind), _prop("template", p.path),
        _prop("logical-id", p.logical_id), _prop("location", p.location),
        _prop("line", p.line)) if q]
    where = f"{p.path} {p.logical_id}".strip()
    return {
        "uuid": ident,
        "title": _line(f"Input error: {where} " + ("(the rest of the template checked)"
                                                    if p.checked else "not checked")),
        "description": p.describe(),
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "origins": [{"actors": [{"type": "tool", "actor-uuid": tool}]}],
        "subjects": [{"subject-uuid": template_uuid, "type": "resource", "title": _line(where)}],
        "relevant-evidence": [{"href": f"#{template_uuid}",
                               "description": f"Template {p.path} "
                                              + ("(checked in part)." if p.checked
                                                 else "(not checked).")}],
        "collected": when,
        "remarks": ("CloudFormation refuses this reference; the rest of the template was "
                    "checked and what the reference feeds is UNKNOWN." if p.checked else
                    "The input could not be checked at all, so no rule judged it."),
    }


def _versioned(report: Report, source: str) -> str:
    version = report.rule_info.get(source, {}).get("version")
    return f"{source} {version}" if version else source


def _verdict(findings: list[Finding]) -> tuple[str, str] | None:
    statuses = {f.status for f in findings}
    if statuses & {Status.FAIL, Status.ERROR}:
        return "not-satisfied", "fail"
    if statuses & {Status.UNKNOWN, Status.SUPPRESSED}:
        return "not-satisfied", "other"
    if Status.PASS in statuses:
        return "satisfied", "pass"
    return None


def to_dict(report: Report, *, title: str = DEFAULT_TITLE, now: datetime | None = None,
            version: str = "1.0") -> dict[str, Any]:
    """The OSCAL document as a dict (see the module docstring for the shape)."""
    when = _iso(now or datetime.now(timezone.utc))
    titles = title_lookup()
    system_key = "\0".join(sorted(f"{t.stack}={t.path}" for t in report.templates)
                           or sorted(stacks_of(report)))
    tools = _tools(report)

    # Templates: one back-matter resource each (the observations' subject and evidence).
    templates: dict[tuple[str, str], str] = {}
    resources: list[dict[str, Any]] = []
    plan_uuid = _uuid("no-plan", system_key)
    resources.append({"uuid": plan_uuid, "title": "No assessment plan",
                      "description": "govcdk check runs the rule pack selected on the command "
                                     "line against the templates; there is no OSCAL assessment "
                                     "plan to import."})
    pairs = [(t.stack, str(t.path)) for t in report.templates]
    pairs += [(f.stack, f.template_path) for f in report.findings]
    pairs += [(_input_stack(p), p.path) for p in report.input_errors]
    for stack, path in pairs:
        if (stack, path) in templates:
            continue
        ident = _uuid("template", stack, path)
        templates[(stack, path)] = ident
        resources.append({"uuid": ident, "title": _line(f"CloudFormation template of {stack}"),
                          "description": f"Template {path} (stack {stack}).",
                          "rlinks": [{"href": path}]})

    observations: list[dict[str, Any]] = []
    others = peers(report)
    obs_of: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, f in enumerate(report.findings):
        if f.status == Status.NOT_APPLICABLE:
            continue
        key = "\0".join((f.source, f.rule_id, f.stack, f.template_path, f.logical_id, f.property_path))
        seen[key] = seen.get(key, 0) + 1
        ident = _uuid("observation", key, str(seen[key]))
        obs_of[i] = ident
        observations.append(_observation(f, ident, tools[f.source],
                                         templates[(f.stack, f.template_path)], when,
                                         others.get(id(f), [])))

    seen_inputs: dict[str, int] = {}
    for p in report.input_errors:
        key = "\0".join((p.path, p.kind, p.logical_id, p.location, p.message))
        seen_inputs[key] = seen_inputs.get(key, 0) + 1
        observations.append(_input_observation(
            p, _uuid("input-error", key, str(seen_inputs[key])), tools["govcdk"],
            templates[(_input_stack(p), p.path)], when))

    controls = {c for info in report.rule_info.values() for c in info.get("controls", ())}
    controls |= {c for f in report.findings for c in f.controls}
    ordered = sorted(controls, key=control_sort_key)
    findings: list[dict[str, Any]] = []
    for control in ordered:
        named = [(i, f) for i, f in enumerate(report.findings) if control in f.controls]
        verdict = _verdict([f for _, f in named])
        if verdict is None:
            continue
        state, reason = verdict
        ctitle = titles(control)
        n = {s: sum(1 for _, f in named if f.status == s) for s in Status}
        rules = sorted({rule_label(f) for _, f in named if f.status != Status.NOT_APPLICABLE})
        description = (f"{n[Status.PASS]} passed, "
                       f"{n[Status.FAIL] + n[Status.UNKNOWN] + n[Status.ERROR]} failing "
                       f"(FAIL {n[Status.FAIL]}, UNKNOWN {n[Status.UNKNOWN]}, ERROR {n[Status.ERROR]}), "
                       f"{n[Status.SUPPRESSED]} suppressed findings of {', '.join(rules)}.")
        target: dict[str, Any] = {"type": "objective-id", "target-id": oscal_control_id(control),
                                  "title": _line(f"{control} {ctitle}"),
                                  "status": {"state": state, "reason": reason}}
        finding: dict[str, Any] = {
            "uuid": _uuid("finding", system_key, control),
            "title": _line(f"{control} {ctitle}"),
            "description": description,
            "target": target,
            "related-observations": [{"observation-uuid": obs_of[i]} for i, _ in named if i in obs_of],
        }
        acks = [f for _, f in named if f.status == Status.SUPPRESSED]
        if acks:
            finding["remarks"] = "Acknowledged deviations: " + "; ".join(
                f"{rule_label(f)} on {f.stack}/{f.logical_id or '(template)'}: "
                f"{f.suppression or '(no reason given)'}" for f in acks)
        findings.append(finding)

    if ordered:
        selection: dict[str, Any] = {"include-controls": [{"control-id": oscal_control_id(c)}
                                                          for c in ordered]}
    else:
        selection = {"include-all": {}, "remarks": "No rule that ran names a NIST control."}
    stacks = stacks_of(report)
    result: dict[str, Any] = {
        "uuid": _uuid("result", system_key),
        "title": "Static analysis of CloudFormation templates",
        "description": (f"govcdk check of {len(report.templates)} template(s) "
                        f"({', '.join(stacks) or 'none'}): {len(report.findings)} findings "
                        f"from {len(report.rules_run)} rules and scanners."),
        "start": when,
        "end": when,
        "local-definitions": {"assessment-assets": {
            "components": [{"uuid": ident, "type": "software", "title": source,
                            "description": ("govcdk policy engine (FedRAMP Rev 5 rule pack)"
                                            if source == "govcdk" else
                                            f"{_versioned(report, source)}, run and "
                                            "normalized by govcdk"),
                            "status": {"state": "operational"}}
                           for source, ident in tools.items()],
            "assessment-platforms": [{"uuid": _uuid("platform", "govcdk check"),
                                      "title": "govcdk check",
                                      "uses-components": [{"component-uuid": ident}
                                                          for ident in tools.values()]}]}},
        "reviewed-controls": {"control-selections": [selection]},
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    if report.input_errors:
        files = sorted({p.path for p in report.input_errors})
        result["remarks"] = (f"{len(report.input_errors)} input error(s): {', '.join(files)} "
                             f"could not be checked (see the observations with status "
                             f"INPUT-ERROR); no finding of this result covers them.")

    from govcdk import __version__

    return {"assessment-results": {
        "uuid": _uuid("assessment-results", system_key),
        "metadata": {
            "title": _line(title) or DEFAULT_TITLE,
            "last-modified": when,
            "version": _line(version) or "1.0",
            "oscal-version": OSCAL_VERSION,
            "remarks": f"Generated by govcdk {__version__} from a govcdk check report.",
        },
        "import-ap": {"href": f"#{plan_uuid}",
                      "remarks": "Automated static analysis; no assessment plan was imported."},
        "results": [result],
        "back-matter": {"resources": resources},
    }}


def to_oscal(report: Report, *, title: str = DEFAULT_TITLE, now: datetime | None = None,
             version: str = "1.0") -> str:
    """Render ``report`` as an OSCAL 1.1.2 Assessment Results document (JSON, two-space indent,
    trailing newline). ``title`` is the document title, ``version`` the document version,
    ``now`` the timestamp (a naive datetime is taken as UTC; default: now). The same report and
    ``now`` always render to the same text."""
    return json.dumps(to_dict(report, title=title, now=now, version=version), indent=2,
                      ensure_ascii=False) + "\n"


__all__ = ["DEFAULT_TITLE", "NAMESPACE", "OSCAL_VERSION", "PROP_NS", "to_dict", "to_oscal"]
