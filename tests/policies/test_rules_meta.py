"""Meta-tests over the rule pack's metadata and the engine's source hygiene."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from govcdk.policies import Rule, Severity, load_rules

from tests_support import require_shared

from .helpers import FIXTURES, REPO, service_of

RULES = load_rules()
ID_RE = re.compile(r"^GOV-[A-Z0-9]+-\d{3}$")
CONTROL_RE = re.compile(r"^[A-Z]{2}-\d+(\(\d+\))?$")
BACKLOG_ROW = re.compile(r"^\|\s*([A-Z]+-\d+)\s*\|[^|]*\|([^|]*)\|")
CONTROL_IN_TEXT = re.compile(r"\b[A-Z]{2}-\d+(?:\(\d+\))?")


def backlog_controls() -> dict[str, tuple[str, ...]]:
    """RULES.md concern id -> the NIST SP 800-53 Rev 5 controls its row lists."""
    text = (require_shared() / "design" / "RULES.md").read_text()
    out = {}
    for line in text.splitlines():
        m = BACKLOG_ROW.match(line)
        if m and m.group(1) != "id":
            out[m.group(1)] = tuple(CONTROL_IN_TEXT.findall(m.group(2)))
    return out


BEYOND_BACKLOG = {"GOV-RDS-003"}
"""Rules outside RULES.md: GOV-RDS-003 is the DOCDB_NON_DEFAULT_PORT concept of the corpus case
cdknag-param-default-bypass (cdk-nag#393)."""


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_controls_are_those_of_the_backlog_concerns(rule: Rule) -> None:
    """A rule names the RULES.md concerns it implements and carries exactly their controls. A
    rule beyond the backlog (one a corpus case asks for, e.g. GOV-RDS-003) names no concern and
    must cite where its concern and controls come from."""
    backlog = backlog_controls()
    if rule.id in BEYOND_BACKLOG:
        assert not rule.backlog and rule.references and rule.controls, rule.id
        return
    assert rule.backlog, f"{rule.id}: no backlog concern"
    expected: list[str] = []
    for concern in rule.backlog:
        assert concern in backlog, f"{rule.id}: {concern} is not in RULES.md"
        expected += [c for c in backlog[concern] if c not in expected]
    assert sorted(rule.controls) == sorted(expected), (rule.id, rule.controls, expected)


def test_ids_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert ID_RE.match(rule_id), rule_id


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata(rule: Rule) -> None:
    module_file = Path(sys.modules[rule.check.__module__].__file__)
    assert rule.name == module_file.stem
    assert module_file.parent.parent.name == "rules"
    assert rule.id.split("-")[1].lower() == service_of(rule)
    assert not rule.title.lower().startswith("ensure"), rule.title
    assert rule.scope in ("resource", "template")
    assert rule.resource_types
    assert isinstance(rule.severity, Severity)
    for control in rule.controls:
        assert CONTROL_RE.match(control), control
    assert len(rule.rationale) > 80
    assert rule.remediation.startswith("CDK:") and "CloudFormation:" in rule.remediation
    assert rule.references and any("NIST SP 800-53" in ref for ref in rule.references)
    assert (FIXTURES / service_of(rule) / rule.name).is_dir()


def test_log_retention_floor_is_a_parameter() -> None:
    rule = next(r for r in RULES if r.id == "GOV-LOGS-001")
    assert rule.parameters == {"min_retention_days": 365}


def test_no_hardcoded_partition_literal_in_source() -> None:
    literal = "arn:" + "aws:"
    allowed = REPO / "src" / "govcdk" / "policies" / "rules" / "govcloud" / \
        "no_hardcoded_partition.py"
    offenders = [p for p in (REPO / "src" / "govcdk" / "policies").rglob("*.py")
                 if literal in p.read_text(encoding="utf-8") and p != allowed]
    assert not offenders
    assert literal not in allowed.read_text(encoding="utf-8")  # built, not written


def test_engine_never_imports_aws_cdk() -> None:
    code = (
        "import sys; from govcdk.policies import check; "
        "from govcdk.policies.reporters import to_json, render_text; "
        f"check([{str(FIXTURES / 'kms')!r}]); "
        "bad = sorted(m for m in sys.modules if m == 'aws_cdk' or m.startswith('aws_cdk.')); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": str(REPO / "src")})
