"""The shared corpus as one directory target (tests/test_corpus_cli.py checks every file of
it through the command line)."""

from __future__ import annotations

from pathlib import Path

from govcdk.policies import check


def test_corpus_as_one_directory_target(shared: Path) -> None:
    """The directory walk over the whole corpus gives one TemplateInfo per file."""
    root = shared / "corpus" / "templates"
    report = check([root], rule_patterns=["GOV-EC2-003"])
    assert len(report.templates) == len([p for p in root.rglob("*") if p.is_file()
                                         and p.suffix in (".json", ".yaml", ".yml", ".template")])
