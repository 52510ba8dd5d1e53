"""Human-readable report for a terminal (rich).

:func:`render_text` prints a table of failing findings and acknowledged (SUPPRESSED) ones with
their reason (all findings with ``show_passed=True``), a summary line per status, the templates
checked (with anything the engine could not check in them) and the NIST SP 800-53 controls the
run covered.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Report, Status

_STYLE = {
    Status.ERROR: "bold magenta",
    Status.UNKNOWN: "bold yellow",
    Status.FAIL: "bold red",
    Status.SUPPRESSED: "cyan",
    Status.PASS: "green",
    Status.NOT_APPLICABLE: "dim",
}
_ORDER = [Status.ERROR, Status.UNKNOWN, Status.FAIL, Status.SUPPRESSED, Status.PASS,
          Status.NOT_APPLICABLE]


def render_text(report: Report, console: Console, *, show_passed: bool = False) -> None:
    """Print ``report`` to ``console``. Only failing (FAIL, UNKNOWN, ERROR) and SUPPRESSED
    findings are listed unless ``show_passed``; the summary always counts every status."""
    rows = [f for f in report.findings
            if show_passed or f.status.failing or f.status == Status.SUPPRESSED]
    if rows:
        table = Table(title="Findings" if show_passed else "Failing and suppressed findings",
                      show_lines=False, expand=False)
        for col in ("Status", "Source", "Rule", "Severity", "Stack", "Logical ID", "Path",
                    "Message"):
            table.add_column(col, overflow="fold")
        for f in rows:
            path = f.property_path + (f" (line {f.line})" if f.line else "")
            message = f.message
            if f.status == Status.SUPPRESSED and f.suppression:
                message = f"{message} [suppressed: {f.suppression}]"
            # Text cells: messages and paths contain brackets that are not rich markup.
            table.add_row(Text(f.status.value, style=_STYLE.get(f.status, "")),
                          *(Text(cell) for cell in (f.source, f.rule_id, f.severity.value,
                                                    f.stack, f.logical_id, path, message)))
        console.print(table)
    else:
        console.print("No failing findings." if not show_passed else "No findings.")

    counts = report.counts()
    console.print(Text("Summary: ", style="bold") + Text("  ".join(
        f"{s.value} {counts.get(s.value, 0)}" for s in _ORDER)))
    for s in _ORDER:
        console.print(Text(f"  {s.value:<15} {counts.get(s.value, 0)}", style=_STYLE.get(s, "")))

    console.print(Text(f"Templates checked ({len(report.templates)}):", style="bold"))
    for t in report.templates:
        console.print(f"  {t.stack}  {t.path}  ({t.resource_count} resources, {t.region})",
                      markup=False, highlight=False)
        for note in t.notes:
            console.print(f"    note: {note}", markup=False, highlight=False)

    controls: dict[str, set[str]] = {}
    for f in report.findings:
        for c in f.controls:
            controls.setdefault(c, set()).add(f.status.value)
    if controls:
        shown = ", ".join(
            c + ("" if not ({"FAIL", "UNKNOWN", "ERROR"} & statuses) else " (failing)")
            for c, statuses in sorted(controls.items()))
        console.print(Text("Controls covered: ", style="bold") + Text(shown))
    if report.rules_run:
        console.print(Text("Rules run: ", style="bold") + Text(", ".join(report.rules_run)))
