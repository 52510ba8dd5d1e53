"""`govcdk check` over every public template in ../shared/corpus/templates/: exit 0 or 1 and no
traceback; exit 2 only for the files CloudFormation would refuse (tests_support.CORPUS_REFUSED),
with the file, the logical ID and the reason.

cfn-lint takes about half a second per template here (four minutes for the corpus), so the
whole corpus runs with --no-cfn-lint and cfn-lint runs on an evenly spaced sample of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from govcdk.cli import main
from tests_support import CORPUS_REFUSED, corpus_templates, require_shared, shared_dir

TEMPLATES = corpus_templates()


@pytest.fixture(autouse=True)
def _shared():
    require_shared()


def _check(path: Path, *extra: str):
    result = CliRunner().invoke(main, ["check", str(path), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), (path, result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2 and _only_reference_errors(path, result.output):
        pass    # checked; its references CloudFormation refuses are input errors (exit 2)
    elif result.exit_code == 2:
        rel = path.relative_to(shared_dir() / "corpus" / "templates").as_posix()
        assert rel in CORPUS_REFUSED, result.output[-2000:]
        logical_id, why = CORPUS_REFUSED[rel]
        assert any(line.startswith(f"govcdk: error: {path}: ") and f" {logical_id}:" in line
                   for line in result.output.splitlines()), result.output[-2000:]
        assert why in result.output
    else:
        assert result.exit_code in (0, 1), (path, result.exit_code, result.output[-2000:])
    return result


REFERENCE_CODES = {"E1012", "E1010", "E1019", "E1028", "E8002", "E3005", "E1017", "E1020",
                   "E1015", "E1011", "E1001", "E3012", "E1022", "E1018", "E1029", "E0002",
                   "E6101"}
"""cfn-lint's checks of the references govcdk refuses (Ref, GetAtt, Sub, If, Condition,
DependsOn, Select) and the errors it reports some of them as (E6101: an output whose Fn::Select
index is past its list has no string value; CloudFormation says "Fn::Select cannot select
nonexistent value at index 7")."""
REFERENCE_FILES: dict[Path, set[int]] = {}


def _only_reference_errors(path: Path, output: str) -> bool:
    """A JSON report that checked ``path`` and whose input errors are all references
    CloudFormation refuses (``checked``); their lines are kept for the cfn-lint comparison."""
    import json

    try:
        report, _ = json.JSONDecoder().raw_decode(output[output.index("{"):])
    except ValueError:   # the "govcdk: error:" lines (standard error) may follow the report
        return False
    errors = report.get("input_errors") or []
    if not report.get("templates") or not errors or \
            not all(e["checked"] and e["kind"] == "reference" and e["logical_id"] for e in errors):
        return False
    REFERENCE_FILES[path] = {e["line"] for e in errors}
    return True


def test_engine_over_the_whole_corpus():
    codes: dict[int, int] = {}
    for path in TEMPLATES:
        r = _check(path, "--no-cfn-lint", "--format", "json")
        codes[r.exit_code] = codes.get(r.exit_code, 0) + 1
        if r.exit_code != 2:
            assert '"status": "ERROR"' not in r.output, f"a rule crashed on {path}"
    print(f"exit codes over {len(TEMPLATES)} templates: {dict(sorted(codes.items()))}")
    assert codes.get(0, 0) + codes.get(1, 0) > 400
    assert codes.get(2, 0) == len(CORPUS_REFUSED) + len(REFERENCE_FILES)
    assert len(REFERENCE_FILES) > 40   # the Guard registry's snippets name undeclared parameters
    # cfn-lint agrees: each file govcdk says CloudFormation refuses for a reference has a
    # cfn-lint error about it (an evenly spaced sample: cfn-lint costs ~0.5 s a template)
    from cfnlint.api import ManualArgs, lint_file

    for path in sorted(REFERENCE_FILES):
        codes_found = {m.rule.id for m in lint_file(path, config=ManualArgs(regions=["us-gov-west-1"]))}
        assert codes_found & REFERENCE_CODES, (path, sorted(codes_found))


@pytest.mark.parametrize("index", range(0, 471, 20))
def test_with_cfn_lint_on_a_sample(index):
    if index >= len(TEMPLATES):
        pytest.fail(f"the corpus has {len(TEMPLATES)} templates, expected 471")
    _check(TEMPLATES[index], "--format", "json")
