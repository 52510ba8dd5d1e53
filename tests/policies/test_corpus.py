"""The shared corpus as one directory target (tests/test_corpus_cli.py checks every file of
it through the command line)."""

from __future__ import annotations

from pathlib import Path

from govcdk.policies import check_templates, load_rules, load_targets
from govcdk.policies.engine import select_rules
from tests_support import CORPUS_REFUSED as REFUSED

def test_corpus_as_one_directory_target(shared: Path) -> None:
    """The directory walk over the whole corpus gives one TemplateInfo per file, except the
    files CloudFormation would refuse, which are input errors naming the file and logical ID."""
    root = shared / "corpus" / "templates"
    problems: list = []
    loaded = load_targets([root], problems=problems)
    report = check_templates(loaded, select_rules(load_rules(), ["GOV-EC2-003"]))
    files = [p for p in root.rglob("*") if p.is_file()
             and p.suffix in (".json", ".yaml", ".yml", ".template")]
    assert {Path(p.path).relative_to(root).as_posix(): (p.logical_id, p.kind)
            for p in problems} == {k: (lid, "intrinsic") for k, (lid, _) in REFUSED.items()}
    for p in problems:
        assert REFUSED[Path(p.path).relative_to(root).as_posix()][1] in p.message
    assert len(report.templates) == len(files) - len(REFUSED)
