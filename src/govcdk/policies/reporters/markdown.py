"""Markdown report writer: a NIST SP 800-53 Rev 5 control matrix and the findings to act on,
for a pull request comment, a job summary (``$GITHUB_STEP_SUMMARY``) or an assessor's notes.

Shape::

    # govcdk check report

    Templates: 2 · Findings: 14 · Passed: 9 · Failing: 3 · Suppressed: 1 · Not applicable: 1
    · Input errors: 1                                           (only when there are any)

    Sources: govcdk 10 · checkov 4 · Groups: 2                  (when another scanner ran)

    ## Input errors (1)                                         (only when there are any)

    Not checked at all; `govcdk check` exits 2. ...

    | File | Logical ID | Line | Error |

    ## Control matrix

    Each cell counts findings as `passed / failing / suppressed` ... (legend)

    | Control | StackA | StackB | Total |
    | --- | ---: | ---: | ---: |
    | SC-12 Cryptographic Key Establishment and Management | 2 / 1 / 0 | - | 2 / 1 / 0 |
    | SC-12(1) ... | ...
    | (no control) | 0 / 1 / 0 | - | 0 / 1 / 0 |

    ## Failing findings (3)

    | Status | Severity | Rule | Controls | Stack | Logical ID | Property path | Message |

    ## Suppressed findings (1)

    | Rule | Controls | Stack | Logical ID | Reason |

    ## Same concern, several sources (1 of 2 groups)            (when there are groups)

    | Stack | Logical ID | govcdk rule | Findings |

Rows are every control of a rule that ran or of a finding, sorted by family, then number, then
enhancement (``AC-2``, ``AC-2(1)``, ``AC-3``, ``AC-17``), printed as in the catalog with its
title when :mod:`govcdk.policies.catalog` is importable (the id alone otherwise; a control
FedRAMP adds beyond NIST's High baseline, whose title the shipped catalog lacks, says so). A finding
counts once in each of its controls' rows. Failing counts FAIL, UNKNOWN and ERROR;
NOT_APPLICABLE findings are left out of the cells; ``-`` marks a stack where no rule of that
control found anything to check. A last row ``(no control)`` counts findings that map to no
control (most cfn-lint rules). Columns are stacks in report order, then ``Total``. The
failing and suppressed tables give each finding's controls (``-``: none, an unmapped check).
Failing findings are listed worst severity first (then in report order). A rule is printed
with its source (``GOV-KMS-001``, ``checkov CKV_AWS_7``, ``cfn-lint E3006``). The last section
lists the groups of findings of several sources about the same concern on the same resource
(:func:`govcdk.scanners.mappings.group_findings`) that hold a failing or suppressed finding,
each with every finding's source, rule and status; the groups whose findings all pass are
counted in the header, not listed. The suppression
reason is printed as the finding carries it (a :class:`~govcdk.policies.model.Finding` has no
separate expiry field).
"""

from __future__ import annotations

import re

from ..model import Finding, Report, Status
from ._common import (bucket, control_sort_key, group_rules, listed_groups, member_label,
                      rule_label, source_counts, stacks_of, title_lookup)

NO_CONTROL = "(no control)"
LEGEND = ("Each cell counts findings as `passed / failing / suppressed`. Failing counts FAIL, "
          "UNKNOWN (a value that could not be resolved statically) and ERROR (a rule that "
          "raised); suppressed counts failing findings acknowledged with a reason in the "
          "resource's `Metadata`. Findings that do not apply are not counted; `-` means no rule "
          "of that control found anything to check in that stack.")

INPUT_ERRORS = ("These inputs were not checked at all, so the counts below do not cover them "
                "(where an error says the rest of the template was checked, what it feeds is "
                "UNKNOWN); `govcdk check` exits 2 until they are fixed.")

_SPECIAL = re.compile(r"([\\`*_\[\]|<>&])")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def escape(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, control characters dropped, markup
    characters (``\\ ` * _ [ ] | < > &``) backslash-escaped (CommonMark escapes)."""
    flat = " ".join(_CONTROL_CHARS.sub(" ", str(text)).split())
    return _SPECIAL.sub(r"\\\1", flat)


def cell(counts: dict[str, int] | None) -> str:
    """``"passed / failing / suppressed"``, or ``"-"`` for no counted finding."""
    if not counts or not any(counts.get(k, 0) for k in ("pass", "fail", "suppressed")):
        return "-"
    return f"{counts.get('pass', 0)} / {counts.get('fail', 0)} / {counts.get('suppressed', 0)}"


def matrix(report: Report) -> dict[str, dict[str, dict[str, int]]]:
    """``{control: {stack: {"pass": n, "fail": n, "suppressed": n}}}`` over every control of a
    rule run or a finding (``NO_CONTROL`` for findings without one); NOT_APPLICABLE is left out."""
    controls = {c for info in report.rule_info.values() for c in info.get("controls", ())}
    controls |= {c for f in report.findings for c in f.controls}
    out: dict[str, dict[str, dict[str, int]]] = {
        c: {} for c in sorted(controls, key=control_sort_key)}
    for f in report.findings:
        b = bucket(f.status)
        if b == "na":
            continue
        for c in f.controls or (NO_CONTROL,):
            stack = out.setdefault(c, {}).setdefault(f.stack, {"pass": 0, "fail": 0, "suppressed": 0})
            stack[b] += 1
    return out


def _table(header: list[str], align: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _where(f: Finding) -> str:
    path = f"`{f.property_path}`" if f.property_path and "`" not in f.property_path else escape(f.property_path)
    if f.line:
        return f"{path} (line {f.line})" if path else f"line {f.line}"
    return path


UNTITLED = "(a FedRAMP baseline control; its title is not in the NIST High baseline catalog govcdk ships)"
"""Printed for a control FedRAMP's baselines add beyond NIST's High baseline (``IA-5(7)``,
``SA-9(5)``): the NIST OSCAL file shipped in ``shared/oscal/`` carries no title for it."""


def _known_untitled(control: str) -> bool:
    try:
        from govcdk.policies.catalog import control as lookup  # type: ignore[attr-defined]
        found = lookup(control)
    except (ImportError, KeyError, LookupError, ValueError, AttributeError):
        return False
    return bool(getattr(found, "baselines", ())) and not getattr(found, "title", None)


def _controls(f: Finding) -> str:
    """The finding's NIST controls, comma-separated, or ``-`` for none (an unmapped check)."""
    return escape(", ".join(f.controls)) or "-"


def to_markdown(report: Report, *, title: str = "govcdk check report") -> str:
    """Render ``report`` as GitHub-flavored Markdown (see the module docstring for the shape).
    Deterministic: the same report always renders to the same text."""
    titles = title_lookup()
    stacks = stacks_of(report)
    counts = report.counts()
    failing = [f for f in report.findings if f.status.failing]
    suppressed = [f for f in report.findings if f.status == Status.SUPPRESSED]
    errors = report.input_errors
    out = [f"# {escape(title)}", "",
           f"Templates: {len(report.templates)} · Findings: {len(report.findings)} · "
           f"Passed: {counts['PASS']} · Failing: {len(failing)} · "
           f"Suppressed: {counts['SUPPRESSED']} · Not applicable: {counts['NOT_APPLICABLE']}"
           + (f" · Input errors: {len(errors)}" if errors else ""), ""]
    by_source = source_counts(report)
    if any(name != "govcdk" for name in by_source):
        out += ["Sources: " + " · ".join(f"{escape(n)} {c}" for n, c in by_source.items())
                + f" · Groups: {len(report.groups())}", ""]
    if errors:
        out += [f"## Input errors ({len(errors)})", "", INPUT_ERRORS, ""]
        out += _table(["File", "Logical ID", "Line", "Error"], ["---"] * 4,
                      [[escape(p.path), escape(p.logical_id) or "-", str(p.line or "-"),
                        escape(p.message)] for p in errors])
        out.append("")
    out += ["## Control matrix", "", LEGEND, ""]

    rows = []
    for control, by_stack in matrix(report).items():
        name = control
        t = titles(control) if control != NO_CONTROL else ""
        if not t and control != NO_CONTROL and _known_untitled(control):
            t = UNTITLED
        label = f"{escape(name)} {escape(t)}" if t else escape(name)
        total = {k: sum(s.get(k, 0) for s in by_stack.values()) for k in ("pass", "fail", "suppressed")}
        rows.append([label, *(cell(by_stack.get(s)) for s in stacks), cell(total)])
    if rows:
        out += _table(["Control", *(escape(s) for s in stacks), "Total"],
                      ["---", *("---:" for _ in stacks), "---:"], rows)
    else:
        out.append("No rule with NIST controls ran.")

    out += ["", f"## Failing findings ({len(failing)})", ""]
    if failing:
        ordered = sorted(failing, key=lambda f: -f.severity.rank)  # stable: report order within
        out += _table(["Status", "Severity", "Rule", "Controls", "Stack", "Logical ID", "Property path",
                       "Message"],
                      ["---"] * 8,
                      [[f.status.value, f.severity.value, escape(rule_label(f)), _controls(f),
                        escape(f.stack), escape(f.logical_id) or "(template)", _where(f),
                        escape(f.message)]
                       for f in ordered])
    else:
        out.append("None.")

    out += ["", f"## Suppressed findings ({len(suppressed)})", ""]
    if suppressed:
        out += _table(["Rule", "Controls", "Stack", "Logical ID", "Reason"], ["---"] * 5,
                      [[escape(rule_label(f)), _controls(f), escape(f.stack),
                        escape(f.logical_id) or "(template)",
                        escape(f.suppression) or "(no reason given)"] for f in suppressed])
    else:
        out.append("None.")

    groups = listed_groups(report)
    if report.groups():
        out += ["", f"## Same concern, several sources ({len(groups)} of "
                    f"{len(report.groups())} groups)", ""]
    if groups:
        out += _table(["Stack", "Logical ID", "govcdk rule", "Findings"], ["---"] * 4,
                      [[escape(m[0].stack), escape(m[0].logical_id),
                        escape(", ".join(group_rules(gid))),
                        escape("; ".join(member_label(f) for f in m))]
                       for gid, m in groups.items()])
    elif report.groups():
        out.append("None with a failing or suppressed finding.")
    return "\n".join(out) + "\n"


__all__ = ["INPUT_ERRORS", "LEGEND", "NO_CONTROL", "cell", "escape", "matrix", "to_markdown"]
