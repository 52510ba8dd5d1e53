"""Helpers shared by the report writers: control ordering, OSCAL control ids, control titles,
stack order and status buckets. Pure functions; nothing here imports the catalog at module
import time.
"""

from __future__ import annotations

import re
from typing import Callable

from ..model import Finding, Report, Status

_CONTROL = re.compile(r"^([A-Z]{2})-(\d+)(?:\((\d+)\))?$")


def control_sort_key(control: str) -> tuple:
    """Sort key for NIST SP 800-53 ids: family, then number, then enhancement (``AC-2`` <
    ``AC-2(1)`` < ``AC-3`` < ``AC-17``); ids of another shape sort last, by text."""
    m = _CONTROL.match(control)
    if not m:
        return (1, control, 0, 0)
    return (0, m.group(1), int(m.group(2)), int(m.group(3) or 0))


def oscal_control_id(control: str) -> str:
    """The OSCAL catalog id of a printed control id: ``SC-28(1)`` -> ``sc-28.1``, ``AC-2`` ->
    ``ac-2`` (NIST SP 800-53 Rev 5 OSCAL catalog convention). Other shapes are lower-cased."""
    m = _CONTROL.match(control)
    if not m:
        return control.lower()
    out = f"{m.group(1).lower()}-{int(m.group(2))}"
    return f"{out}.{int(m.group(3))}" if m.group(3) else out


def title_lookup() -> Callable[[str], str]:
    """A function ``control id -> title`` backed by :mod:`govcdk.policies.catalog` when it is
    importable, else returning ``""`` (callers then print the id alone). Unknown ids give ``""``."""
    try:
        from govcdk.policies.catalog import control  # type: ignore[attr-defined]
    except ImportError:
        return lambda _cid: ""

    def lookup(cid: str) -> str:
        try:
            title = control(cid).title
        except (KeyError, LookupError, ValueError, AttributeError):
            return ""
        return str(title or "")

    return lookup


def stacks_of(report: Report) -> list[str]:
    """Stack names in report order: the templates first, then any stack only findings name."""
    out: list[str] = []
    for t in report.templates:
        if t.stack not in out:
            out.append(t.stack)
    for f in report.findings:
        if f.stack not in out:
            out.append(f.stack)
    return out


def bucket(status: Status) -> str:
    """``"pass"``, ``"fail"`` (FAIL, UNKNOWN, ERROR), ``"suppressed"`` or ``"na"``."""
    if status.failing:
        return "fail"
    if status == Status.SUPPRESSED:
        return "suppressed"
    if status == Status.PASS:
        return "pass"
    return "na"


def rule_label(f: Finding) -> str:
    """The rule as printed for people: ``GOV-KMS-001``, or ``cfn-lint E3006`` for a scanner's."""
    return f.rule_id if f.source == "govcdk" else f"{f.source} {f.rule_id}"


def member_label(f: Finding) -> str:
    """One finding of a group as printed: ``govcdk GOV-S3-003 PASS``, ``checkov CKV_AWS_18
    SUPPRESSED``."""
    return f"{f.source} {f.rule_id} {f.status.value}"


def group_rules(group_id: str) -> list[str]:
    """The govcdk rule ids (the concern) of a group id ``<stack>/<logical id>:<rule>[+<rule>]
    [#n]`` (:func:`govcdk.scanners.mappings.group_findings`)."""
    tail = group_id.rsplit(":", 1)[-1].split("#", 1)[0]
    return [r for r in tail.split("+") if r]


def statuses_differ(findings: list[Finding]) -> bool:
    """True when the findings of a group do not all have the same status."""
    return len({f.status for f in findings}) > 1


def peers(report: Report) -> dict[int, list[Finding]]:
    """``id(finding)`` -> the other findings of its group, for every grouped finding."""
    out: dict[int, list[Finding]] = {}
    for members in report.groups().values():
        for f in members:
            out[id(f)] = [g for g in members if g is not f]
    return out


def listed_groups(report: Report, show_all: bool = False) -> dict[str, list[Finding]]:
    """The groups a report lists: every group with ``show_all``, else those with a failing or
    suppressed finding (the others, all PASS or NOT_APPLICABLE, are counted, not listed)."""
    return {gid: members for gid, members in report.groups().items()
            if show_all or any(f.status.failing or f.status == Status.SUPPRESSED for f in members)}


def source_counts(report: Report) -> dict[str, int]:
    """Findings per source, sources in :meth:`Report.sources` order."""
    out = {s: 0 for s in report.sources()}
    for f in report.findings:
        out[f.source] = out.get(f.source, 0) + 1
    return out
