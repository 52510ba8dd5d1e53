"""Run cfn-lint through its Python API and report its matches as govcdk findings.

cfn-lint checks templates against the CloudFormation resource specification of each region
given (resource types, properties, instance types offered: ``E3006``, ``E3628``). govcdk runs
it for both GovCloud (US) regions by default.

Each match becomes a finding with ``source="cfn-lint"``, ``rule_id`` the cfn-lint rule id, and
status ``FAIL`` (errors: severity HIGH; warnings: MEDIUM; informational: LOW). A match on a
resource whose ``Metadata.govcdk.suppressions`` lists the cfn-lint rule id with a reason becomes
``SUPPRESSED`` and stays in the report. cfn-lint's own rule ids carry no NIST mapping yet, so
``controls`` is empty except for the GovCloud availability checks (``E3006``, ``E3628``:
CM-7, SA-9).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from govcdk import govcloud
from govcdk.policies.model import Finding, Report, Severity, Status

SOURCE = "cfn-lint"

_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "informational": Severity.LOW}
_CONTROLS = {"E3006": ("CM-7", "SA-9"), "E3628": ("CM-7", "SA-9")}


def suppressions_of(resource: Any) -> dict[str, str]:
    """``{rule id: reason}`` from a resource's ``Metadata.govcdk.suppressions`` list."""
    if not isinstance(resource, dict):
        return {}
    meta = resource.get("Metadata")
    gov = meta.get("govcdk") if isinstance(meta, dict) else None
    items = gov.get("suppressions") if isinstance(gov, dict) else None
    out: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("reason"), str):
            out[item["id"]] = item["reason"]
    return out


def scan(templates: Iterable[tuple[str, Path, dict]], regions: Sequence[str] = govcloud.REGIONS) -> Report:
    """Lint each ``(stack name, template path, decoded template)`` for ``regions``.

    Returns a :class:`Report` holding only cfn-lint findings (the engine's report lists the
    templates). cfn-lint's decoder errors (``E0000``) come back as failing findings too.
    """
    from cfnlint.api import ManualArgs, lint_file  # cfn-lint's documented Python API

    report = Report(rules_run=[SOURCE], rule_info={SOURCE: {
        "title": f"CloudFormation schema, region availability and best practice, for {', '.join(regions)}",
        "severity": "", "controls": []}})
    for stack, path, template in templates:
        matches = lint_file(Path(path), config=ManualArgs(regions=list(regions)))
        resources = template.get("Resources", {}) if isinstance(template, dict) else {}
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
            reason = suppressions_of(res).get(rule_id, "")
            meta = res.get("Metadata", {}) if isinstance(res, dict) else {}
            report.findings.append(Finding(
                source=SOURCE,
                rule_id=rule_id,
                title=m.rule.shortdesc,
                severity=_SEVERITY.get(m.rule.severity, Severity.MEDIUM),
                controls=_CONTROLS.get(rule_id, ()),
                status=Status.SUPPRESSED if reason else Status.FAIL,
                message=m.message,
                stack=stack,
                template_path=str(path),
                logical_id=logical_id,
                resource_type=res.get("Type", "") if isinstance(res, dict) else "",
                property_path=prop_path,
                cdk_path=meta.get("aws:cdk:path", "") if isinstance(meta, dict) else "",
                line=m.linenumber,
                suppression=reason,
            ))
    return report
