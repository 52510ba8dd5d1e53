"""Run the engine over every template of the shared corpus (``<shared>/corpus/templates``).

Each file either yields a Report or raises InputError (never any other exception), and no
finding is ERROR: an ERROR means a rule or the resolver crashed on real-world input.
"""

from __future__ import annotations

from pathlib import Path

from govcdk.policies import InputError, Status, check, load_rules
from govcdk.policies.engine import check_templates
from govcdk.policies.loader import load_template


def test_every_corpus_template_checks_without_error(shared: Path) -> None:
    root = shared / "corpus" / "templates"
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) >= 400, f"expected the full corpus under {root}, found {len(files)}"
    rules = load_rules()
    input_errors: list[str] = []
    errors: list[str] = []
    findings = 0
    for path in files:
        try:
            report = check_templates([load_template(path)], rules)
        except InputError as exc:
            input_errors.append(str(exc))
            continue
        findings += len(report.findings)
        errors += [f"{path.relative_to(root)} {f.rule_id} {f.logical_id}: {f.message}"
                   for f in report.findings if f.status == Status.ERROR]
    print(f"\ncorpus: {len(files)} templates, {len(input_errors)} InputError(s), "
          f"{findings} findings")
    for message in input_errors:
        print(f"  InputError: {message}")
    assert not errors, "\n".join(errors[:20])
    assert findings > 0


def test_corpus_as_one_directory_target(shared: Path) -> None:
    """The directory walk over the whole corpus gives one TemplateInfo per file."""
    root = shared / "corpus" / "templates"
    try:
        report = check([root], rule_patterns=["GOV-EC2-003"])
    except InputError:  # a non-template file in the corpus stops a directory walk
        return
    assert len(report.templates) == len([p for p in root.rglob("*") if p.is_file()
                                         and p.suffix in (".json", ".yaml", ".yml", ".template")])
