"""How far govcdk's verdicts agree with those of checkov and of the AWS CloudFormation Guard
rules registry on the shared corpus (``../shared/corpus/checkov_expectations.tsv`` and
``guard_expectations.tsv``), and the tables of ``docs/AGREEMENT.md`` that explain every
disagreement.

The checks compared are those a govcdk rule names in ``Rule.equivalents`` (tool -> check ids):
the mapping comes from the rule metadata through :func:`govcdk.scanners.mappings.equivalents`,
the same index ``govcdk check --scanners`` uses to map checkov and cfn-lint findings to NIST
controls and to group them with govcdk's, never from a table of its own. govcdk runs once per
template (the library API: :func:`govcdk.policies.load_targets` and
:func:`govcdk.policies.check_templates`, what :func:`govcdk.policies.check` runs) with the rules
that template's rows map to and no cfn-lint; its verdict is compared with the expected one:

- checkov rows name a resource (``Type.LogicalId``): govcdk's verdict is its finding of the
  mapped rule on that logical id. Without one, an engine finding (rule id ``ENGINE``: a SAM or
  macro ``Transform``, an unexpandable ``Fn::ForEach``) on the resource or on the whole template
  makes it UNKNOWN; otherwise the rule does not apply to the resource (NOT_APPLICABLE).
- Guard rows judge the whole template: FAIL when any finding of the rule fails, else UNKNOWN
  when any is (or an engine finding says part of the template is unchecked), else SUPPRESSED,
  else PASS, else NOT_APPLICABLE (nothing to check). An ERROR anywhere is ERROR.

Verdicts agree when they are the same, and where both tools give no verdict: checkov's
``NOT_REPORTED`` (checkov's own UNKNOWN result) with govcdk's NOT_APPLICABLE or UNKNOWN; Guard's
``SKIP`` (no applicable resource, or suppressed) with govcdk's NOT_APPLICABLE or SUPPRESSED.
Nothing else agrees: NOT_APPLICABLE is not PASS, UNKNOWN is not FAIL, and ERROR agrees with
nothing.

Run ``PYTHONPATH=src:tests python -m policies.agreement`` for the report, and ``--rows`` for
the disagreement table rows (with the causes already documented for them) to paste into the
document.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from govcdk.policies import Report, Rule, Status, check_templates, load_rules, load_targets
from govcdk.policies.engine import select_rules
from govcdk.scanners.mappings import equivalents  # the package's mapping: (tool, check) -> rules

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "AGREEMENT.md"
ENGINE_RULE_ID = "ENGINE"

TOOLS = ("checkov", "guard")
FILES = {"checkov": "checkov_expectations.tsv", "guard": "guard_expectations.tsv"}
COLUMNS = {
    "checkov": ("template", "check_id", "resource", "expected", "check_name", "basis",
                "checkov_test"),
    "guard": ("template", "rule", "expected", "case_name", "source_test_file", "case_index"),
}
EXPECTED = {"checkov": ("PASS", "FAIL", "NOT_REPORTED"), "guard": ("PASS", "FAIL", "SKIP")}
AGREES = {
    "checkov": {"PASS": {"PASS"}, "FAIL": {"FAIL"},
                "NOT_REPORTED": {"NOT_APPLICABLE", "UNKNOWN"}},
    "guard": {"PASS": {"PASS"}, "FAIL": {"FAIL"}, "SKIP": {"NOT_APPLICABLE", "SUPPRESSED"}},
}
"""Their expected verdict -> the govcdk verdicts that agree with it (see the module docstring)."""
RIGHT = ("govcdk", "checkov", "guard", "both")
"""Values of the document's ``right`` column: who is right, ``both`` when the two checks answer
different questions and each answers its own correctly."""
TEMPLATE_WIDE = "-"
"""The ``resource`` of a Guard row: Guard judges the whole template."""


class AgreementError(ValueError):
    """An expectations file or the document is malformed (the message names file and line)."""


@dataclass(frozen=True)
class Expectation:
    """One expectations row: ``resource`` is ``Type.LogicalId`` (checkov) or ``"-"`` (Guard);
    ``note`` is checkov's ``basis`` or the Guard test case name."""

    tool: str
    template: str
    check: str
    resource: str
    expected: str
    note: str
    line: int

    @property
    def logical_id(self) -> str:
        return self.resource.split(".", 1)[1] if "." in self.resource else ""

    @property
    def resource_type(self) -> str:
        return self.resource.split(".", 1)[0] if "." in self.resource else ""


Key = tuple[str, str, str, str, str, str, str]
"""(tool, template, check, resource, rule, theirs, ours): one disagreement in the document."""


@dataclass(frozen=True)
class Comparison:
    """One expectation compared with one govcdk rule's verdict."""

    expectation: Expectation
    rule_id: str
    ours: str
    message: str

    @property
    def agrees(self) -> bool:
        return self.ours in AGREES[self.expectation.tool][self.expectation.expected]

    @property
    def key(self) -> Key:
        e = self.expectation
        return (e.tool, e.template, e.check, e.resource, self.rule_id, e.expected, self.ours)


@dataclass
class Result:
    """Every comparison, the rows per tool, and the checks no rule maps to
    ((tool, check) -> rows)."""

    comparisons: list[Comparison] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)
    mapped_rows: Counter = field(default_factory=Counter)
    unmapped: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def disagreements(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.agrees]

    def summary(self) -> dict[str, dict[str, object]]:
        """tool -> {rows, mapped, comparisons, agree, disagree, agreement ("70.9%")}."""
        out: dict[str, dict[str, object]] = {}
        for tool in TOOLS:
            mine = [c for c in self.comparisons if c.expectation.tool == tool]
            agree = sum(c.agrees for c in mine)
            out[tool] = {"rows": self.rows[tool], "mapped": self.mapped_rows[tool],
                         "comparisons": len(mine), "agree": agree,
                         "disagree": len(mine) - agree,
                         "agreement": f"{100 * agree / len(mine):.1f}%" if mine else "-"}
        return out

    def by_basis(self) -> dict[str, dict[str, int]]:
        """checkov ``basis`` -> {comparisons, agree, disagree}: how far the verdicts compared
        rest on what checkov's own tests assert (``explicit``), on a verified run
        (``count-only``) or on checkov giving no verdict (``run-derived``)."""
        out: dict[str, dict[str, int]] = {}
        for c in self.comparisons:
            if c.expectation.tool != "checkov":
                continue
            row = out.setdefault(c.expectation.note, {"comparisons": 0, "agree": 0,
                                                      "disagree": 0})
            row["comparisons"] += 1
            row["agree" if c.agrees else "disagree"] += 1
        return dict(sorted(out.items()))


def read_expectations(corpus: Path, tool: str) -> list[Expectation]:
    """The rows of ``corpus/<tool file>``. Raises :class:`AgreementError` for a missing column,
    an unknown expected verdict, a checkov resource not written ``Type.LogicalId`` or a
    template that is not under ``corpus/templates``."""
    path = corpus / FILES[tool]
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in COLUMNS[tool] if c not in (reader.fieldnames or ())]
        if missing:
            raise AgreementError(f"{path}: missing column(s) {', '.join(missing)}; expected "
                                 f"{', '.join(COLUMNS[tool])}")
        out = []
        for line, row in enumerate(reader, start=2):
            expected = row["expected"]
            if expected not in EXPECTED[tool]:
                raise AgreementError(f"{path}:{line}: expected {expected!r}, allowed: "
                                     f"{', '.join(EXPECTED[tool])}")
            if not (corpus / "templates" / row["template"]).is_file():
                raise AgreementError(f"{path}:{line}: template {row['template']!r} is not in "
                                     f"{corpus / 'templates'}")
            if tool == "checkov":
                resource = row["resource"]
                if not re.fullmatch(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+\.[A-Za-z0-9]+",
                                    resource):
                    raise AgreementError(f"{path}:{line}: resource {resource!r} is not "
                                         f"Type.LogicalId (AWS::S3::Bucket.MyBucket)")
                out.append(Expectation(tool, row["template"], row["check_id"], resource,
                                       expected, row["basis"], line))
            else:
                out.append(Expectation(tool, row["template"], row["rule"], TEMPLATE_WIDE,
                                       expected, row["case_name"], line))
    return out


def _engine(report: Report, logical_id: str | None) -> str | None:
    """The message of an engine finding on ``logical_id`` (any, when None) or on the whole
    template."""
    for f in report.findings:
        if f.rule_id == ENGINE_RULE_ID and (not f.logical_id or logical_id is None
                                            or f.logical_id == logical_id):
            return f.message
    return None


def resource_verdict(report: Report, rule_id: str, logical_id: str) -> tuple[str, str]:
    """govcdk's (verdict, message) for one resource (see the module docstring)."""
    for f in report.findings:
        if f.rule_id == rule_id and f.logical_id == logical_id:
            return f.status.value, f.message
    engine = _engine(report, logical_id)
    if engine is not None:
        return Status.UNKNOWN.value, f"not checked by the engine: {engine}"
    return Status.NOT_APPLICABLE.value, f"{rule_id} does not apply to this resource"


_TEMPLATE_ORDER = (Status.ERROR, Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.PASS)


def template_verdict(report: Report, rule_id: str) -> tuple[str, str]:
    """govcdk's (verdict, message) for a whole template (see the module docstring); the
    message lists the deciding findings as ``LogicalId: message``."""
    mine = [f for f in report.findings if f.rule_id == rule_id]
    engine = _engine(report, None)
    for status in _TEMPLATE_ORDER:
        deciding = [f for f in mine if f.status == status]
        if status == Status.UNKNOWN and engine is not None:
            return status.value, "; ".join([f"{f.logical_id}: {f.message}" for f in deciding]
                                           + [f"not checked by the engine: {engine}"])
        if deciding:
            return status.value, "; ".join(f"{f.logical_id or '(template)'}: {f.message}"
                                           for f in deciding)
    return Status.NOT_APPLICABLE.value, f"{rule_id} finds nothing to check in the template"


def run(corpus: Path, rules: Sequence[Rule] | None = None) -> Result:
    """Compare every expectations row that maps to a govcdk rule; govcdk runs once per
    template (:func:`govcdk.policies.check_templates`, the engine behind
    :func:`govcdk.policies.check`) with the rules its rows map to. Raises
    :class:`AgreementError` when a checkov row names a logical id the template does not declare
    with that type."""
    pack = list(rules) if rules is not None else load_rules()
    index = equivalents(pack)
    result = Result()
    rows: list[tuple[Expectation, list[Rule]]] = []
    needed: dict[str, set[str]] = defaultdict(set)
    for tool in TOOLS:
        for e in read_expectations(corpus, tool):
            result.rows[tool] += 1
            mapped = index.get((tool, e.check), [])
            if not mapped:
                result.unmapped[(tool, e.check)] += 1
                continue
            result.mapped_rows[tool] += 1
            rows.append((e, mapped))
            needed[e.template].update(r.id for r in mapped)
    reports: dict[str, Report] = {}
    declared: dict[str, dict[str, str]] = {}
    for template, ids in sorted(needed.items()):
        loaded = load_targets([corpus / "templates" / template])
        reports[template] = check_templates(loaded, select_rules(pack, sorted(ids)),
                                            known_rules=pack)
        declared[template] = {str(lid): str(res.get("Type")) for t in loaded
                              for lid, res in t.resources.items() if isinstance(res, dict)}
        declared[template].update({f.logical_id: f.resource_type
                                   for f in reports[template].findings if f.logical_id})
    for e, mapped in rows:
        report = reports[e.template]
        for f in report.findings:
            if f.status == Status.ERROR:
                result.errors.append(f"{e.template}: {f.rule_id} {f.logical_id}: {f.message}")
        if e.tool == "checkov":
            rtype = declared[e.template].get(e.logical_id)
            if rtype != e.resource_type:
                what = f"of type {rtype}" if rtype else "not declared in the template"
                raise AgreementError(f"{corpus / FILES[e.tool]}:{e.line}: {e.logical_id} is "
                                     f"{what}, not {e.resource_type} ({e.template})")
        for rule in mapped:
            if e.tool == "checkov":
                ours, message = resource_verdict(report, rule.id, e.logical_id)
            else:
                ours, message = template_verdict(report, rule.id)
            result.comparisons.append(Comparison(e, rule.id, ours, message))
    result.errors = sorted(set(result.errors))
    return result


def format_report(result: Result) -> str:
    """The summary per tool, then one line per disagreement: template, check, resource,
    theirs, ours, govcdk rule and its message."""
    lines = ["govcdk agreement with checkov and the Guard rules registry (shared corpus)"]
    for tool, s in result.summary().items():
        lines.append(f"  {tool}: {s['rows']} rows, {s['mapped']} map to govcdk rules "
                     f"({s['comparisons']} comparisons): {s['agree']} agree, "
                     f"{s['disagree']} disagree, agreement {s['agreement']}")
    for (tool, check_id), n in sorted(result.unmapped.items()):
        lines.append(f"  not mapped: {tool} {check_id} ({n} rows)")
    lines.append(f"disagreements ({len(result.disagreements)}):")
    for c in result.disagreements:
        e = c.expectation
        lines.append(f"  [{e.tool}] {e.template} | {e.check} | {e.resource} | theirs "
                     f"{e.expected} | ours {c.ours} ({c.rule_id}) | {c.message}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# docs/AGREEMENT.md


@dataclass(frozen=True)
class DocEntry:
    right: str
    cause: str
    line: int


@dataclass
class Doc:
    """The machine-read parts of docs/AGREEMENT.md."""

    disagreements: dict[Key, DocEntry]
    summary: dict[str, dict[str, str]]
    unmapped: dict[tuple[str, str], tuple[str, str]]
    """(tool, check) -> (rows, why)."""
    basis: dict[str, dict[str, str]]
    """checkov basis -> {comparisons, agree, disagree}, as written."""
    causes: dict[str, int]
    """Cause id (a ``### cause-id`` heading) -> line."""


def _table(lines: list[str], name: str, width: int, where: str
           ) -> list[tuple[int, list[str]]]:
    """The data rows (line number, cells without backticks) of the table between the
    ``<!-- agreement:NAME -->`` markers: the rows after its header and separator lines."""
    start, end = f"<!-- agreement:{name} -->", f"<!-- /agreement:{name} -->"
    try:
        first, last = lines.index(start), lines.index(end)
    except ValueError:
        raise AgreementError(f"{where}: missing the markers {start} ... {end}") from None
    table = [(n, lines[n].strip()) for n in range(first + 1, last)
             if lines[n].strip().startswith("|")]
    rows = []
    for n, text in table[2:]:  # after the header and its separator line
        cells = [c.strip() for c in text.strip("|").split("|")]
        if len(cells) != width:
            raise AgreementError(f"{where}:{n + 1}: {len(cells)} cells, expected {width}")
        rows.append((n + 1, [c.strip("`") for c in cells]))
    return rows


def read_doc(path: Path = DOC) -> Doc:
    """Parse the tables between ``<!-- agreement:NAME -->`` markers and the ``### cause``
    headings. Raises :class:`AgreementError` for a malformed row, an unknown ``right`` value or
    a disagreement listed twice."""
    lines = path.read_text(encoding="utf-8").splitlines()
    summary = {cells[0]: dict(zip(("rows", "mapped", "comparisons", "agree", "disagree",
                                   "agreement"), cells[1:]))
               for _, cells in _table(lines, "summary", 7, path.name)}
    disagreements: dict[Key, DocEntry] = {}
    for n, cells in _table(lines, "disagreements", 9, path.name):
        tool, template, check_id, resource, rule, theirs, ours, right, cause = cells
        if right not in RIGHT:
            raise AgreementError(f"{path.name}:{n}: right {right!r}, allowed: {', '.join(RIGHT)}")
        key = (tool, template, check_id, resource, rule, theirs, ours)
        if key in disagreements:
            raise AgreementError(f"{path.name}:{n}: listed twice (also line "
                                 f"{disagreements[key].line})")
        disagreements[key] = DocEntry(right, cause, n)
    unmapped = {(cells[0], cells[1]): (cells[2], cells[3])
                for _, cells in _table(lines, "unmapped", 4, path.name)}
    basis = {cells[0]: dict(zip(("comparisons", "agree", "disagree"), cells[1:]))
             for _, cells in _table(lines, "basis", 4, path.name)}
    causes = {m.group(1): n + 1 for n, text in enumerate(lines)
              if (m := re.fullmatch(r"### `?([a-z0-9-]+)`?\s*", text))}
    return Doc(disagreements, summary, unmapped, basis, causes)


def doc_row(c: Comparison, entry: DocEntry | None) -> str:
    """The document's table row for one disagreement (``?`` where no cause is documented)."""
    e = c.expectation
    right, cause = (entry.right, entry.cause) if entry else ("?", "?")
    return (f"| {e.tool} | `{e.template}` | {e.check} | `{e.resource}` | {c.rule_id} | "
            f"{e.expected} | {c.ours} | {right} | {cause} |")


def summary_rows(result: Result) -> list[str]:
    """The rows of the document's summary and basis tables."""
    return ([f"| {tool} | {s['rows']} | {s['mapped']} | {s['comparisons']} | {s['agree']} | "
             f"{s['disagree']} | {s['agreement']} |" for tool, s in result.summary().items()]
            + [""] + [f"| {basis} | {b['comparisons']} | {b['agree']} | {b['disagree']} |"
                      for basis, b in result.by_basis().items()])


def main(argv: Sequence[str]) -> int:
    from tests_support import shared_dir

    result = run(shared_dir() / "corpus")
    if "--rows" in argv:
        doc = read_doc() if DOC.is_file() else Doc({}, {}, {}, {}, {})
        print("\n".join(summary_rows(result)))
        print()
        for c in result.disagreements:
            print(doc_row(c, doc.disagreements.get(c.key)))
    else:
        print(format_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
