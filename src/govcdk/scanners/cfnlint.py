"""Run cfn-lint through its Python API and report its matches as govcdk findings.

cfn-lint checks templates against the CloudFormation resource specification of each region
given (resource types, properties, instance types offered: ``E3006``, ``E3628``). govcdk runs
it for both GovCloud (US) regions by default.

Each match becomes a finding with ``source="cfn-lint"``, ``rule_id`` the cfn-lint rule id, and
status ``FAIL`` (errors: severity HIGH; warnings: MEDIUM; informational: LOW). Suppressions
follow :mod:`govcdk.policies.suppressions`, the same module the engine uses: a match on a
resource whose ``Metadata.govcdk.suppressions`` has a valid, unexpired entry for the cfn-lint
rule id becomes ``SUPPRESSED`` (kept in the report, the entry in ``acknowledgements``); an
expired entry leaves it ``FAIL`` and says so; an invalid entry is not applied and the match's
message says why (the engine reports the invalid entry itself as a ``SUPPRESSION`` finding);
a valid entry for a cfn-lint id that no match used is listed in
``Report.unused_suppressions``. ``controls`` are the NIST SP 800-53 Rev 5 controls of the
govcdk rules whose ``Rule.equivalents`` name the cfn-lint rule (:mod:`govcdk.scanners.mappings`:
``E3006`` resource type availability, ``I3042`` hard-coded partition), plus CM-7 and SA-9 for
the GovCloud availability checks (``E3006``, ``E3628``); empty for any other cfn-lint rule.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from govcdk import govcloud
from govcdk.policies import suppressions as _supp
from govcdk.policies.model import (CheckResult, Finding, Report, Rule, Severity, Status,
                                   UnusedSuppression)

from . import mappings

SOURCE = "cfn-lint"

_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "informational": Severity.LOW}
_CONTROLS = {"E3006": ("CM-7", "SA-9"), "E3628": ("CM-7", "SA-9")}


def suppressions_of(resource: Any) -> _supp.Parsed:
    """The suppressions of a resource's ``Metadata.govcdk.suppressions`` that name cfn-lint
    rule ids, validated by :func:`govcdk.policies.suppressions.parse` (entries naming govcdk
    rules are the engine's business and left out, valid or not)."""
    meta = resource.get("Metadata") if isinstance(resource, dict) else None
    parsed = _supp.parse(meta, {})
    return _supp.Parsed(
        [s for s in parsed.suppressions if _supp.is_cfnlint_id(s.id)],
        [p for p in parsed.problems if p.rule_id is None or _supp.is_cfnlint_id(p.rule_id)])


def controls_of(rule_id: str, index: Mapping[tuple[str, str], Sequence[Rule]]) -> tuple[str, ...]:
    """The controls of a cfn-lint rule: those of the govcdk rules mapped to it in ``index``
    (:func:`govcdk.scanners.mappings.equivalents`), then cfn-lint's own GovCloud ones."""
    out = list(mappings.controls_for(index, SOURCE, rule_id))
    return tuple(out + [c for c in _CONTROLS.get(rule_id, ()) if c not in out])


def scan(templates: Iterable[tuple[str, Path, dict]], regions: Sequence[str] = govcloud.REGIONS,
         *, today: _dt.date | None = None, rules: Sequence[Rule] | None = None) -> Report:
    """Lint each ``(stack name, template path, decoded template)`` for ``regions``.

    Returns a :class:`Report` holding only cfn-lint findings (the engine's report lists the
    templates) and the unused suppressions of cfn-lint rule ids. cfn-lint's decoder errors
    (``E0000``) come back as failing findings too. ``today`` (default
    :meth:`datetime.date.today`) is the date suppressions expire against; ``rules`` (default
    the whole rule pack) give the mapping to NIST controls.
    """
    today = today or _dt.date.today()
    if rules is None:
        from govcdk.policies.engine import load_rules

        rules = load_rules()
    index = mappings.equivalents(rules, SOURCE)
    from cfnlint.api import ManualArgs, lint_file  # cfn-lint's documented Python API

    report = Report(rules_run=[SOURCE], rule_info={SOURCE: {
        "title": f"CloudFormation schema, region availability and best practice, for {', '.join(regions)}",
        "severity": "", "controls": []}})
    for stack, path, template in templates:
        matches = lint_file(Path(path), config=ManualArgs(regions=list(regions)))
        resources = template.get("Resources", {}) if isinstance(template, dict) else {}
        resources = resources if isinstance(resources, dict) else {}
        parsed = {lid: suppressions_of(res) for lid, res in resources.items()}
        used: dict[str, set[int]] = {lid: set() for lid in parsed}
        seen: set[tuple[str, str, str]] = set()
        for m in matches:
            rule_id = m.rule.id
            mpath = [p for p in (getattr(m, "path", None) or [])]
            logical_id = str(mpath[1]) if len(mpath) > 1 and mpath[0] == "Resources" else ""
            prop_path = ".".join(str(p) for p in mpath[2:]) if logical_id else ".".join(str(p) for p in mpath)
            key = (rule_id, logical_id, m.message)
            if key in seen:  # the same match in both regions
                continue
            seen.add(key)
            res = resources.get(logical_id) if logical_id else None
            message, status, acks = m.message, Status.FAIL, ()
            if logical_id in parsed:
                applied = _supp.apply([CheckResult(Status.FAIL, message)], rule_id,
                                      parsed[logical_id].suppressions, today)
                used[logical_id] |= applied.used
                status, message = applied.results[0].status, applied.results[0].message
                acks = applied.acknowledgements
                invalid = [p.describe() for p in parsed[logical_id].problems
                           if p.rule_id in (rule_id, None)]
                if invalid and status is Status.FAIL:
                    message += f" [suppression not applied: {'; '.join(invalid)}]"
            meta = res.get("Metadata", {}) if isinstance(res, dict) else {}
            report.findings.append(Finding(
                source=SOURCE,
                rule_id=rule_id,
                title=m.rule.shortdesc,
                severity=_SEVERITY.get(m.rule.severity, Severity.MEDIUM),
                controls=controls_of(rule_id, index),
                status=status,
                message=message,
                stack=stack,
                template_path=str(path),
                logical_id=logical_id,
                resource_type=res.get("Type", "") if isinstance(res, dict) else "",
                property_path=prop_path,
                cdk_path=meta.get("aws:cdk:path", "") if isinstance(meta, dict) else "",
                line=m.linenumber,
                suppression=_supp.describe(acks),
                acknowledgements=acks,
            ))
        for lid, p in parsed.items():
            res = resources[lid]
            meta = res.get("Metadata", {}) if isinstance(res, dict) else {}
            for i, s in enumerate(p.suppressions):
                if i in used[lid]:
                    continue
                report.unused_suppressions.append(UnusedSuppression(
                    stack=stack, template_path=str(path), logical_id=str(lid),
                    resource_type=str(res.get("Type", "")) if isinstance(res, dict) else "",
                    cdk_path=str(meta.get("aws:cdk:path", "")) if isinstance(meta, dict) else "",
                    suppression=s, why=f"cfn-lint reported no {s.id} match on this resource",
                    expired=_supp.expired(s, today)))
    return report
