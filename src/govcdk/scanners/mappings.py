"""Other tools' checks mapped to govcdk rules, and findings of several sources grouped.

**The mapping.** Each govcdk rule names the closest checks of other tools in its metadata,
``Rule.equivalents`` (``{"checkov": ("CKV_AWS_7",), "cfn-lint": ("E3006",), "guard": (...),
"cdk-nag": (...)}``; :class:`govcdk.policies.model.Rule`). :func:`equivalents` inverts it:
``(tool, check id) -> the rules naming it``. That index is the only mapping: the scanners take
the NIST SP 800-53 Rev 5 controls of another tool's finding from it (:func:`controls_for`: the
controls of the mapped rules), ``grouping`` uses it to tell which findings are the same concern,
and the agreement test (``tests/policies/agreement.py``, ``docs/AGREEMENT.md``) compares
verdicts through it. A check no rule names has no known mapping: its findings carry the
controls the scanner itself knows (cfn-lint's GovCloud availability checks) or none.

**Grouping** (:func:`group_findings`). Two findings are the same concern on the same resource
when they have the same template file (``template_path``) and the same non-empty logical ID,
and share a concern, where the concern of a govcdk finding is its rule id and the concerns of
another tool's finding are the govcdk rules its check maps to. Sharing is transitive within a
resource (a govcdk finding and two checkov checks mapped to its rule form one group). A group is
kept only when its findings come from at least two sources (``govcdk``, ``cfn-lint``,
``checkov``): one tool's findings are not duplicates of each other. Every finding of a kept
group gets the group's id in ``Finding.group``; no finding is dropped or merged, so each keeps
its own status, severity and message (a group whose findings disagree, one PASS and one FAIL,
shows the disagreement). Template-level findings (no logical ID) and findings whose check maps
to no rule are never grouped. The group id is ``<stack>/<logical id>:<rule id>[+<rule id>...]``
(the concerns, sorted), with ``#2``, ``#3``... appended when two templates of one run give the
same id.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Iterable, Mapping, Sequence

from govcdk.policies.model import Finding, Report, Rule, Severity

GOVCDK = "govcdk"
"""``Finding.source`` of the engine's own findings."""


def equivalents(rules: Iterable[Rule], tool: str | None = None) -> dict[tuple[str, str], list[Rule]]:
    """``(tool, check id) -> the rules whose Rule.equivalents name it`` (in the order of
    ``rules``), from the rule metadata; only ``tool``'s checks when given."""
    out: dict[tuple[str, str], list[Rule]] = defaultdict(list)
    for rule in rules:
        for name, ids in rule.equivalents.items():
            if tool is not None and name != tool:
                continue
            for check_id in ids:
                out[(name, check_id)].append(rule)
    return dict(out)


def controls_for(index: Mapping[tuple[str, str], Sequence[Rule]], tool: str,
                 check_id: str) -> tuple[str, ...]:
    """The NIST SP 800-53 Rev 5 controls of the rules ``tool``'s ``check_id`` maps to in
    ``index`` (:func:`equivalents`), each once, in rule order then the rule's own order;
    ``()`` when no rule maps it."""
    out: list[str] = []
    for rule in index.get((tool, check_id), ()):
        out += [c for c in rule.controls if c not in out]
    return tuple(out)


def severity_for(index: Mapping[tuple[str, str], Sequence[Rule]], tool: str,
                 check_id: str) -> Severity | None:
    """The highest severity of the rules ``check_id`` maps to, None when none does."""
    rules = index.get((tool, check_id), ())
    return max((r.severity for r in rules), key=lambda s: s.rank) if rules else None


def concerns(finding: Finding, index: Mapping[tuple[str, str], Sequence[Rule]]) -> frozenset[str]:
    """The govcdk rule ids a finding is about: its own rule id for a govcdk finding, the rules
    its check maps to for another source's (empty when none does)."""
    if finding.source == GOVCDK:
        return frozenset((finding.rule_id,))
    return frozenset(r.id for r in index.get((finding.source, finding.rule_id), ()))


def group_findings(report: Report, rules: Iterable[Rule]) -> int:
    """Set ``Finding.group`` on every finding of ``report`` that belongs to a group (see the
    module docstring for the rule); findings keep their order and nothing else changes. A
    ``group`` set before is recomputed. Returns the number of groups."""
    index = equivalents(rules)
    by_resource: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, f in enumerate(report.findings):
        if f.logical_id:
            by_resource[(f.template_path, f.logical_id)].append(i)
    group_of: dict[int, str] = {}
    used: dict[str, str] = {}  # group id -> template path
    for (template_path, logical_id), members in by_resource.items():
        parent = {i: i for i in members}

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        owner: dict[str, int] = {}
        cons: dict[int, frozenset[str]] = {}
        for i in members:
            f = report.findings[i]
            cons[i] = concerns(f, index)
            for rule_id in cons[i]:
                if rule_id in owner:
                    parent[find(i)] = find(owner[rule_id])
                else:
                    owner[rule_id] = i
        components: dict[int, list[int]] = defaultdict(list)
        for i in members:
            if cons[i]:
                components[find(i)].append(i)
        for component in components.values():
            if len({report.findings[i].source for i in component}) < 2:
                continue
            stack = report.findings[component[0]].stack
            rule_ids = sorted(set().union(*(cons[i] for i in component)))
            base = f"{stack}/{logical_id}:{'+'.join(rule_ids)}"
            gid, n = base, 1
            while gid in used and used[gid] != template_path:
                n += 1
                gid = f"{base}#{n}"
            used[gid] = template_path
            for i in component:
                group_of[i] = gid
    report.findings = [dataclasses.replace(f, group=group_of.get(i, ""))
                       if f.group != group_of.get(i, "") else f
                       for i, f in enumerate(report.findings)]
    return len(set(group_of.values()))


__all__ = ["GOVCDK", "concerns", "controls_for", "equivalents", "group_findings", "severity_for"]
