"""JUnit XML report writer, for CI test dashboards (Jenkins, GitLab, Azure DevOps...).

Shape::

    <testsuites name="govcdk check" tests="N" failures="F" errors="E" skipped="S" time="0">
      <testsuite name="input errors" ...>                     only when there are any
        <testcase classname="input errors" name="<file> <logical id>" file="<file>" time="0">
          <error type="INPUT_ERROR" message="<file>: <what is wrong>">details</error>
        </testcase>
      </testsuite>
      <testsuite name="<stack>" tests=".." failures=".." errors=".." skipped=".." time="0">
        <properties><property name="template" value="<template path>"/>
                    <property name="region" value="us-gov-west-1"/></properties>
        <testcase classname="<stack>.<logical id>" name="<rule id> <title>" file="<template>"
                  time="0">
          <failure type="FAIL" message="<message>">details</failure>   FAIL, UNKNOWN
          <error type="ERROR" message="<message>">details</error>      ERROR (a rule that raised)
          <skipped message="suppressed: <reason>"/>                    SUPPRESSED
          <skipped message="not applicable: <message>"/>               NOT_APPLICABLE
        </testcase>
      </testsuite>
    </testsuites>

One ``testsuite`` per stack (templates in report order), one ``testcase`` per (source, rule,
logical id) in report order; a template-level finding has classname ``<stack>``. Rules of
other tools are named ``<source> <rule id> <title>`` (``cfn-lint E3006 ...``). When several
findings share a testcase (a scanner reporting the same rule twice on one resource), the worst
status decides the element and the details list every finding. The details give each
finding's ``Source`` and, for a finding grouped with other sources' findings about the same
concern on the same resource, ``Same concern (<group id>): checkov CKV_AWS_18 FAIL; ...``;
a SUPPRESSED testcase's ``<skipped>`` message is the acknowledgement's reason (checkov's skip
comment for a checkov check).

Decisions: an input error (a file not checked at all, ``Report.input_errors``) is an
``<error>`` testcase of a first suite named ``input errors``, counted in ``errors``. ERROR is a JUnit ``<error>`` (the check raised: JUnit's "unanticipated problem"),
counted in ``errors``, not ``failures``; CI marks both red. NOT_APPLICABLE findings are
``<skipped>`` so every finding in the report is accounted for (``tests`` = testcases), and the
message says ``not applicable`` apart from ``suppressed``; dashboards count both as skipped.
``time`` is ``0``: the engine does not time rules, and a timestamp would make the output differ
between identical runs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Iterable

from ..model import Finding, Report, Status
from ._common import member_label, peers, stacks_of

# Characters XML 1.0 cannot carry at all (ElementTree escapes markup but not these).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


INPUT_SUITE = "input errors"
"""Name of the test suite (and class name of the test cases) of input errors."""

# Worst first: which element a testcase with several findings gets.
_RANK = [Status.ERROR, Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.NOT_APPLICABLE,
         Status.PASS]


def _details(findings: Iterable[Finding], others: dict[int, list[Finding]]) -> str:
    blocks = []
    for f in findings:
        lines = [f"{f.status.value}: {f.message}" if f.message else f.status.value,
                 f"Source: {f.source}", f"Severity: {f.severity.value}"]
        if f.controls:
            lines.append(f"Controls: {', '.join(f.controls)}")
        if f.property_path:
            lines.append(f"Property path: {f.property_path}")
        for extra in f.paths[1:]:
            lines.append(f"Also at: {extra}")
        if f.line:
            lines.append(f"Line: {f.line}")
        if f.resource_type:
            lines.append(f"Resource type: {f.resource_type}")
        if f.cdk_path:
            lines.append(f"CDK path: {f.cdk_path}")
        lines.append(f"Template: {f.template_path}")
        if f.suppression:
            lines.append(f"Suppression: {f.suppression}")
        if f.group:
            lines.append(f"Same concern ({f.group}): "
                         + "; ".join(member_label(g) for g in others.get(id(f), [])))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _message(f: Finding) -> str:
    text = f.message or f.title
    return f"{text} (at {f.property_path})" if f.property_path and f.property_path not in text else text


def _counts(el: ET.Element, tests: int, failures: int, errors: int, skipped: int) -> None:
    el.set("tests", str(tests))
    el.set("failures", str(failures))
    el.set("errors", str(errors))
    el.set("skipped", str(skipped))
    el.set("time", "0")


def to_element(report: Report) -> ET.Element:
    """The ``<testsuites>`` element (see the module docstring)."""
    root = ET.Element("testsuites", {"name": "govcdk check"})
    templates = {}
    for t in report.templates:
        templates.setdefault(t.stack, t)
    totals = [0, 0, 0, 0]
    others = peers(report)
    if report.input_errors:
        suite = ET.SubElement(root, "testsuite", {"name": INPUT_SUITE})
        for p in report.input_errors:
            case = ET.SubElement(suite, "testcase", {
                "classname": INPUT_SUITE,
                "name": f"{p.path} {p.logical_id}".strip(),
                "file": p.path,
                "time": "0",
            })
            child = ET.SubElement(case, "error", {"type": "INPUT_ERROR",
                                                  "message": p.describe()})
            details = [p.describe(), f"Kind: {p.kind}"]
            if p.logical_id:
                details.append(f"Logical ID: {p.logical_id}")
            if p.location:
                details.append(f"Location: {p.location}")
            if p.line:
                details.append(f"Line: {p.line}")
            child.text = "\n".join(details)
        n = len(report.input_errors)
        _counts(suite, n, 0, n, 0)
        totals = [n, 0, n, 0]
    for stack in stacks_of(report):
        cases: dict[tuple[str, str, str], list[Finding]] = {}
        for f in report.findings:
            if f.stack == stack:
                cases.setdefault((f.source, f.rule_id, f.logical_id), []).append(f)
        suite = ET.SubElement(root, "testsuite", {"name": stack})
        info = templates.get(stack)
        if info is not None:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", {"name": "template", "value": str(info.path)})
            ET.SubElement(props, "property", {"name": "region", "value": info.region})
            for note in info.notes:
                ET.SubElement(props, "property", {"name": "note", "value": note})
        counts = [0, 0, 0, 0]  # tests, failures, errors, skipped
        for (source, rule_id, logical_id), findings in cases.items():
            first = findings[0]
            label = rule_id if source == "govcdk" else f"{source} {rule_id}"
            case = ET.SubElement(suite, "testcase", {
                "classname": f"{stack}.{logical_id}" if logical_id else stack,
                "name": f"{label} {first.title}".strip(),
                "file": first.template_path,
                "time": "0",
            })
            worst = min(findings, key=lambda f: _RANK.index(f.status))
            counts[0] += 1
            if worst.status == Status.ERROR:
                counts[2] += 1
                child = ET.SubElement(case, "error", {"type": "ERROR", "message": _message(worst)})
                child.text = _details(findings, others)
            elif worst.status.failing:
                counts[1] += 1
                child = ET.SubElement(case, "failure", {"type": worst.status.value,
                                                        "message": _message(worst)})
                child.text = _details(findings, others)
            elif worst.status == Status.SUPPRESSED:
                counts[3] += 1
                ET.SubElement(case, "skipped", {"message": f"suppressed: {worst.suppression}"
                                                if worst.suppression else "suppressed"})
                case_out = ET.SubElement(case, "system-out")
                case_out.text = _details(findings, others)
            elif worst.status == Status.NOT_APPLICABLE:
                counts[3] += 1
                ET.SubElement(case, "skipped", {"message": f"not applicable: {worst.message}"
                                                if worst.message else "not applicable"})
        _counts(suite, *counts)
        totals = [a + b for a, b in zip(totals, counts)]
    _counts(root, *totals)
    for el in root.iter():
        for key, value in el.attrib.items():
            el.set(key, _clean(value))
        if el.text:
            el.text = _clean(el.text)
    return root


def to_junit(report: Report) -> str:
    """Render ``report`` as JUnit XML (UTF-8 declaration, two-space indent, trailing newline).
    Deterministic: the same report always renders to the same text."""
    root = to_element(report)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ('<?xml version="1.0" encoding="UTF-8"?>\n', "\n"))


__all__ = ["INPUT_SUITE", "to_element", "to_junit"]
