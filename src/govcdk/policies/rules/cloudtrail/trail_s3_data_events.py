"""GOV-CLOUDTRAIL-005: CloudTrail trails record S3 object-level (data) events, reads and writes.

Source: RULES.md LOG-5; AWS CloudTrail User Guide, "Logging data events" (basic event selectors:
``DataResources`` of ``Type: AWS::S3::Object``, ``ReadWriteType`` ``All`` by default; advanced
event selectors: field selectors ``eventCategory`` = ``Data`` and ``resources.type`` =
``AWS::S3::Object``, with ``readOnly`` left out to record both reads and writes); AWS
CloudFormation User Guide, ``AWS::CloudTrail::Trail`` ``EventSelectors``,
``AdvancedEventSelectors``. Reads and writes may come from one selector (``All``, or no
``readOnly`` field) or from two (``ReadOnly`` plus ``WriteOnly``, ``readOnly`` true plus false).
Selectors limited to some buckets or prefixes pass; the message names them.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe, literal
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

S3_OBJECT = "AWS::S3::Object"
BOTH = frozenset({"read", "write"})
_RW = {"All": BOTH, "ReadOnly": frozenset({"read"}), "WriteOnly": frozenset({"write"})}

Path = tuple[str | int, ...]


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _basic(selectors: Any, base: Path, covered: set[str], unknowns: list[CheckResult],
           scopes: list[str]) -> None:
    for i, sel in enumerate(_items(selectors)):
        path = base + (i,)
        if isinstance(sel, Unknown):
            unknowns.append(CheckResult.unknown(f"event selector cannot be resolved: "
                                                f"{sel.reason}", path))
            continue
        if not isinstance(sel, dict):
            continue
        resources = sel.get("DataResources")
        if isinstance(resources, Unknown):
            unknowns.append(CheckResult.unknown(f"DataResources cannot be resolved: "
                                                f"{resources.reason}", path + ("DataResources",)))
            continue
        s3 = False
        for j, res in enumerate(_items(resources)):
            rtype = literal(res.get("Type"), "Type") if isinstance(res, dict) else res
            if isinstance(rtype, Unknown):
                unknowns.append(CheckResult.unknown(
                    f"data resource Type cannot be resolved: {rtype.reason}",
                    path + ("DataResources", j, "Type")))
            elif rtype == S3_OBJECT:
                s3 = True
                values = res.get("Values")
                if isinstance(values, Unknown):
                    scopes.append("values that cannot be resolved")
                else:
                    scopes.extend(describe(v) for v in _items(values))
        if not s3:
            continue
        rw = literal(sel.get("ReadWriteType", "All"), "ReadWriteType")
        if isinstance(rw, Unknown):
            unknowns.append(CheckResult.unknown(f"ReadWriteType cannot be resolved: {rw.reason}",
                                                path + ("ReadWriteType",)))
        else:
            covered.update(_RW.get(rw, frozenset()))


def _field(selectors: Any, name: str) -> Any:
    for fs in _items(selectors):
        if isinstance(fs, dict):
            fname = literal(fs.get("Field"), "Field")
            if isinstance(fname, Unknown):
                return fname
            if isinstance(fname, str) and fname == name:
                return fs
    return None


def _advanced(selectors: Any, base: Path, covered: set[str], unknowns: list[CheckResult],
              scopes: list[str]) -> None:
    for i, sel in enumerate(_items(selectors)):
        path = base + (i,)
        if isinstance(sel, Unknown):
            unknowns.append(CheckResult.unknown(f"advanced event selector cannot be resolved: "
                                                f"{sel.reason}", path))
            continue
        if not isinstance(sel, dict):
            continue
        fields = sel.get("FieldSelectors")
        if isinstance(fields, Unknown):
            unknowns.append(CheckResult.unknown(f"FieldSelectors cannot be resolved: "
                                                f"{fields.reason}", path + ("FieldSelectors",)))
            continue
        decided: dict[str, Any] = {}
        unresolved = False
        for name in ("eventCategory", "resources.type", "readOnly"):
            fs = _field(fields, name)
            if isinstance(fs, Unknown):
                unknowns.append(CheckResult.unknown(f"a field selector name cannot be resolved: "
                                                    f"{fs.reason}", path + ("FieldSelectors",)))
                unresolved = True
                break
            if fs is None:
                decided[name] = None
                continue
            equals = fs.get("Equals")
            if isinstance(equals, Unknown) or any(isinstance(v, Unknown) or
                                                   isinstance(literal(v), Unknown)
                                                   for v in _items(equals)):
                unknowns.append(CheckResult.unknown(f"field selector {name} Equals cannot be "
                                                    f"resolved", path + ("FieldSelectors",)))
                unresolved = True
                break
            decided[name] = [str(v).lower() if isinstance(v, bool) else v
                             for v in _items(equals)]
        if unresolved:
            continue
        if decided["eventCategory"] != ["Data"] or S3_OBJECT not in (decided["resources.type"]
                                                                   or []):
            continue
        label = sel.get("Name")     # a label only; may be unresolved (never truth-tested)
        scopes.append(describe(label) if isinstance(label, Unknown)
                      or (isinstance(label, str) and label) else f"advanced selector {i}")
        ro = decided["readOnly"]
        if ro is None:
            covered.update(BOTH)
        else:
            for v in ro:
                if str(v).lower() == "true":
                    covered.add("read")
                elif str(v).lower() == "false":
                    covered.add("write")


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    props = resource.properties
    covered: set[str] = set()
    unknowns: list[CheckResult] = []
    scopes: list[str] = []
    basic, advanced = props.get("EventSelectors"), props.get("AdvancedEventSelectors")
    for name, value, fn in (("EventSelectors", basic, _basic),
                            ("AdvancedEventSelectors", advanced, _advanced)):
        path = ("Properties", name)
        if isinstance(value, Unknown):
            unknowns.append(CheckResult.unknown(f"{name} cannot be resolved: {value.reason}",
                                                path))
        elif value is not None and not isinstance(value, list):
            unknowns.append(CheckResult.unknown(f"{name} is {describe(value)}, not a list",
                                                path))
        else:
            fn(value, path, covered, unknowns, scopes)
    if covered == BOTH:
        where = ", ".join(dict.fromkeys(scopes)) or "all buckets"
        return CheckResult.passed(f"S3 data events (reads and writes) are recorded: {where}",
                                  ("Properties", "EventSelectors" if basic is not None
                                   else "AdvancedEventSelectors"))
    if unknowns:
        return unknowns
    base = ("Properties", "AdvancedEventSelectors" if advanced is not None else "EventSelectors")
    if not covered:
        return CheckResult.failed(
            "no event selector records S3 data events (DataResources Type AWS::S3::Object, or "
            "advanced field selectors eventCategory Data and resources.type AWS::S3::Object)",
            base)
    missing = sorted(BOTH - covered)
    return CheckResult.failed(f"S3 data events are recorded for {', '.join(sorted(covered))} "
                              f"only, not {', '.join(missing)} (ReadWriteType All, or no "
                              f"readOnly field selector)", base)


RULE = Rule(
    id="GOV-CLOUDTRAIL-005",
    backlog=("LOG-5",),
    name="trail_s3_data_events",
    title="CloudTrail trails record S3 object-level data events for reads and writes",
    scope="resource",
    resource_types=("AWS::CloudTrail::Trail",),
    controls=("AU-2", "AU-12"),
    severity=Severity.MEDIUM,
    rationale=(
        "Management events do not show who read, wrote or deleted which object. AU-2 and AU-12 "
        "require the events needed to investigate incidents to be generated, and OMB M-21-31 "
        "lists object-level storage access; without S3 data events, exfiltration or tampering "
        "of federal data in S3 leaves no record."),
    remediation=(
        "CDK: trail.add_s3_event_selector([cloudtrail.S3EventSelector(bucket=bucket)], "
        "read_write_type=cloudtrail.ReadWriteType.ALL) or trail.log_all_s3_data_events(). "
        "CloudFormation: AWS::CloudTrail::Trail EventSelectors with DataResources Type "
        "AWS::S3::Object and ReadWriteType All, or AdvancedEventSelectors with eventCategory "
        "Data and resources.type AWS::S3::Object."),
    check=check,
    references=(
        "AWS CloudTrail User Guide: Logging data events",
        "AWS CloudFormation User Guide: AWS::CloudTrail::Trail EventSelectors, "
        "AdvancedEventSelectors",
        "OMB M-21-31, Appendix C logging requirements (storage object access)",
        "NIST SP 800-53 Rev 5: AU-2 Event Logging; AU-12 Audit Record Generation",
    ),
    equivalents={"checkov": (), "guard": (), "cdk-nag": ()},
)
