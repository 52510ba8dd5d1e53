"""Human-readable report for a terminal (rich).

:func:`render_text` prints, in order: the input errors (files that could not be checked at
all: each names the file, the logical ID where there is one, and what is allowed); the templates
checked (with anything the engine could not
check in them); one row per rule run with its severity, NIST SP 800-53 Rev 5 controls and its
count of findings by status (the evidence table an assessor reads); the rule parameters run
looser than their FedRAMP floor under an exception; the failing and acknowledged (SUPPRESSED,
with the reason, expiry and POA&M id) findings, or every finding with ``show_passed``, each
rule shown with its source (``GOV-S3-003``, ``checkov CKV_AWS_18``) and, when it is grouped with
other sources' findings about the same concern on the same resource, their verdicts
(``[same concern: govcdk GOV-S3-003 PASS]``); the groups themselves (those with a failing or
suppressed finding; all with ``show_passed``); the unused suppressions
(acknowledgements that covered nothing, to remove); the findings per source and the number of
groups; and a one-line result, which counts the input errors too.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Report, Status
from ._common import group_rules, listed_groups, member_label, peers, source_counts, statuses_differ

_STYLE = {
    Status.ERROR: "bold magenta",
    Status.UNKNOWN: "bold yellow",
    Status.FAIL: "bold red",
    Status.SUPPRESSED: "cyan",
    Status.PASS: "green",
    Status.NOT_APPLICABLE: "dim",
}
_ORDER = [Status.PASS, Status.FAIL, Status.UNKNOWN, Status.ERROR, Status.SUPPRESSED,
          Status.NOT_APPLICABLE]
_SHORT = {Status.NOT_APPLICABLE: "N/A", Status.SUPPRESSED: "SUPPR."}


def _not_checked(report: Report) -> str:
    """`` (not checked)`` when no input with an error was checked; `` (k not checked)`` when
    some were checked all the same (``InputProblem.checked``)."""
    unchecked = sum(not p.checked for p in report.input_errors)
    if unchecked == len(report.input_errors):
        return " (not checked)"
    return f" ({unchecked} not checked)"


def _print_input_errors(report: Report, console: Console) -> None:
    """One unwrapped line per input error (paths and messages stay whole for copying)."""
    console.print(Text(f"Input errors: {len(report.input_errors)}{_not_checked(report)}",
                       style="bold magenta"))
    for p in report.input_errors:
        console.print(Text("  error: ", style="bold magenta") + Text(p.describe()),
                      soft_wrap=True)


def _templates_table(report: Report) -> Table:
    table = Table(title=f"Templates checked: {len(report.templates)}", title_justify="left")
    for col in ("Stack", "Region", "Resources", "Template"):
        table.add_column(col, overflow="fold")
    for t in report.templates:
        table.add_row(Text(t.stack), Text(t.region), str(t.resource_count), Text(str(t.path)))
        for note in t.notes:
            table.add_row("", "", "", Text(f"note: {note}", style="yellow"))
    return table


def _rules_table(report: Report) -> Table:
    counts: dict[str, Counter] = defaultdict(Counter)
    for f in report.findings:
        counts[f.rule_id if f.source == "govcdk" else f.source][f.status] += 1
    table = Table(title=f"Rules run: {len(report.rules_run)}", title_justify="left")
    for col in ("Rule", "Severity", "Controls", "Title"):
        table.add_column(col, overflow="fold")
    for s in _ORDER:
        table.add_column(_SHORT.get(s, s.value), justify="right", style=_STYLE[s])
    for rule_id in report.rules_run:
        info = report.rule_info.get(rule_id, {})
        title = info.get("title", "")
        if not counts[rule_id]:
            title += " (no resource of its types)" if rule_id.startswith("GOV-") else " (no match)"
        table.add_row(Text(rule_id), info.get("severity", ""), Text(", ".join(info.get("controls", ()))),
                      Text(title),
                      *(str(counts[rule_id][s] or "") for s in _ORDER))
    return table


def _exceptions_table(report: Report) -> Table:
    table = Table(title=f"Parameter exceptions: {len(report.parameter_exceptions)}",
                  title_justify="left")
    for col in ("Rule", "Parameter", "Floor", "Value", "Expires", "Reason"):
        table.add_column(col, overflow="fold")
    for e in report.parameter_exceptions:
        table.add_row(*(Text(str(c)) for c in (e.rule_id, e.parameter, e.floor, e.value,
                                               e.expires.isoformat(), e.reason)))
    return table


def _unused_table(report: Report) -> Table:
    table = Table(title=f"Unused suppressions: {len(report.unused_suppressions)}",
                  title_justify="left")
    for col in ("Rule", "Stack", "Logical ID", "Expires", "Why unused", "Reason"):
        table.add_column(col, overflow="fold")
    for u in report.unused_suppressions:
        s = u.suppression
        rule = s.id + (f' "{s.wildcard}"' if s.wildcard else "")
        expires = (s.expires.isoformat() if s.expires else "") + (" (expired)" if u.expired else "")
        table.add_row(*(Text(c) for c in (rule, u.stack, u.logical_id, expires, u.why, s.reason)))
    return table


def _groups_table(report: Report, groups: dict) -> Table:
    total = len(report.groups())
    table = Table(title=f"Same concern, several sources: {len(groups)} of {total} group(s) "
                        "listed (those with a failing or suppressed finding)",
                  title_justify="left")
    for col in ("Stack", "Logical ID", "govcdk rule", "Findings", "Statuses"):
        table.add_column(col, overflow="fold")
    for gid, members in groups.items():
        first = members[0]
        table.add_row(*(Text(c) for c in (
            first.stack, first.logical_id, ", ".join(group_rules(gid)),
            "; ".join(member_label(f) for f in members),
            "differ" if statuses_differ(members) else "same")))
    return table


def render_text(report: Report, console: Console, *, show_passed: bool = False) -> None:
    """Print ``report`` to ``console``. Failing (FAIL, UNKNOWN, ERROR) and SUPPRESSED findings
    are listed one by one; passing ones too with ``show_passed``. Counts cover every status.
    Input errors, parameter exceptions and unused suppressions get a table each when there
    are any."""
    if report.input_errors:
        _print_input_errors(report, console)
    console.print(_templates_table(report))
    console.print(_rules_table(report))
    if report.parameter_exceptions:
        console.print(_exceptions_table(report))

    rows = [f for f in report.findings
            if show_passed or f.status.failing or f.status == Status.SUPPRESSED]
    others = peers(report)
    if rows:
        table = Table(title="Findings" if show_passed else "Failing and suppressed findings",
                      title_justify="left")
        for col in ("Status", "Rule", "Severity", "Controls", "Stack", "Logical ID", "Path", "Message"):
            table.add_column(col, overflow="fold")
        for f in rows:
            line = f"line {f.line}" if f.line else ""
            path = f"{f.property_path} ({line})" if f.property_path and line else \
                f.property_path or line
            message = f.message
            if f.status == Status.SUPPRESSED and f.suppression:
                message = f"{message} [suppressed: {f.suppression}]"
            elif f.suppression:  # some results acknowledged (one wildcard of several)
                message = f"{message} [partly acknowledged: {f.suppression}]"
            if others.get(id(f)):
                message += f" [same concern: {'; '.join(member_label(g) for g in others[id(f)])}]"
            rule = f.rule_id if f.source == "govcdk" else f"{f.source} {f.rule_id}"
            # Text cells: messages and paths contain brackets that are not rich markup.
            table.add_row(Text(f.status.value, style=_STYLE.get(f.status, "")),
                          *(Text(cell) for cell in (rule, f.severity.value,
                                                    ", ".join(f.controls) or "-", f.stack,
                                                    f.logical_id, path, message)))
        console.print(table)
    groups = listed_groups(report, show_passed)
    if groups:
        console.print(_groups_table(report, groups))
    if report.unused_suppressions:
        console.print(_unused_table(report))

    by_source = source_counts(report)
    if len(by_source) > 1 or any(s != "govcdk" for s in by_source):
        total = len(report.groups())
        console.print(Text("Sources: " + ", ".join(f"{s} {n}" for s, n in by_source.items())
                           + f" findings; {total} group{'s' if total != 1 else ''} of findings "
                             "of several sources about the same concern"))
    counts = report.counts()
    failing = sum(counts[s.value] for s in Status if s.failing)
    errors = len(report.input_errors)
    style = "bold red" if failing or errors else "bold green"
    result = f"Result: {failing} failing finding{'s' if failing != 1 else ''}"
    if errors:
        result += f", {errors} input error{'s' if errors != 1 else ''}{_not_checked(report)}"
    console.print(Text(result, style=style)
                  + Text(" (" + ", ".join(f"{s.value} {counts[s.value]}" for s in _ORDER) + ")"))


def to_text(report: Report, *, show_passed: bool = False, width: int = 160) -> str:
    """:func:`render_text` into a string (no colour, ``width`` columns), so every writer in
    :data:`govcdk.policies.reporters.WRITERS` is ``Report -> str``."""
    import io

    console = Console(file=io.StringIO(), width=width, color_system=None, record=True)
    render_text(report, console, show_passed=show_passed)
    return console.export_text()
