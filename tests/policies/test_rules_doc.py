"""docs/RULES.md is generated from the rule metadata and is current."""

from __future__ import annotations

import sys

from govcdk.policies import catalog, load_rules

from .helpers import REPO

sys.path.insert(0, str(REPO / "scripts"))
try:
    import gen_rules_doc
finally:
    sys.path.pop(0)

DOC = REPO / "docs" / "RULES.md"


def test_rules_doc_is_current():
    expected = gen_rules_doc.render()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert current == expected, "docs/RULES.md is stale: run python scripts/gen_rules_doc.py"


def test_rules_doc_has_a_row_and_a_section_per_rule_sorted_by_id():
    """Template rules first, then the deployed-account rules of ``govcdk verify``, each part
    with a summary row and a section per rule, in id order."""
    from govcdk.verify.rules import MIRRORS, VERIFY_RULES

    full = gen_rules_doc.render()
    text, deployed = full.split("\n# Deployed-account rules (`govcdk verify`)\n")
    rules = load_rules()
    for part, pack in ((text, rules), (deployed, VERIFY_RULES)):
        rows = [l for l in part.splitlines() if l.startswith("| [GOV-")]
        assert [r.split("]")[0][3:] for r in rows] == sorted(r.id for r in pack)
        sections = [l[3:] for l in part.splitlines() if l.startswith("## ")]
        assert sections == sorted(r.id for r in pack)
    for vid, mirrored in MIRRORS.items():
        body = deployed.split(f"\n## {vid}\n")[1].split("\n## ")[0]
        assert f"what [{mirrored}](#{mirrored.lower()}) checks in the template" in body
    for rule in (*rules, *VERIFY_RULES):
        text = full
        body = text.split(f"\n## {rule.id}\n")[1].split("\n## ")[0]
        for cid in rule.controls:
            c = catalog.control(cid)
            assert f"  - {cid} {c.title or 'title not in the catalog'}" in body
        for key, value in rule.parameters.items():
            assert f"`{key}` (default `{gen_rules_doc._value(value)}`)" in body
        assert rule.rationale.split()[0] in body and rule.remediation.split()[0] in body


def test_rules_doc_marks_unknown_controls_instead_of_failing():
    rule = next(r for r in load_rules() if r.id == "GOV-KMS-001")
    from dataclasses import replace

    odd = replace(rule, id="GOV-KMS-999", controls=("SC-99",) + rule.controls)
    text = gen_rules_doc.render([odd])
    assert "| [GOV-KMS-999](#gov-kms-999) |" in text and "| ? |" in text
    assert "  - SC-99 (not in the catalog)" in text
