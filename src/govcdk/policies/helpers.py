"""Small, pure helpers shared by rule checks: reading resolved values the way CloudFormation
does (booleans and numbers may be strings), following references, and the verdicts two rules
share (log retention, customer-managed KMS keys).

Every helper that reads a value passes :class:`~govcdk.policies.resolver.Unknown` through
unchanged, so checks can turn it into ``CheckResult.unknown``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Mapping

from .model import CheckResult, Status
from .resolver import AttrRef, ResourceRef, Unknown, tokens_in

Path = tuple[str | int, ...]

# Amazon CloudWatch Logs API Reference, PutRetentionPolicy: the values retentionInDays accepts.
VALID_RETENTION_DAYS: frozenset[int] = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
})

KMS_KEY_TYPES = ("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/", re.IGNORECASE)


def as_bool(value: Any) -> bool | Unknown | None:
    """``True``/``"true"`` -> True, ``False``/``"false"`` -> False (case-insensitive, as
    CloudFormation accepts), :class:`Unknown` unchanged, anything else (absent included) ->
    None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
    return None


def as_int(value: Any) -> int | Unknown | None:
    """An integer from an int, an integral float or a numeric string (``"365"``, ``" 22 "``);
    :class:`Unknown` unchanged; None for anything else (booleans included)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def describe(value: Any) -> str:
    """A short human rendering of a resolved value for messages."""
    where = f"{value.stack}::" if isinstance(value, (ResourceRef, AttrRef)) and value.stack else ""
    if isinstance(value, ResourceRef):
        return f"Ref {where}{value.logical_id}"
    if isinstance(value, AttrRef):
        return f"Fn::GetAtt {where}{value.logical_id}.{value.attribute}"
    if isinstance(value, Unknown):
        return f"an unresolved value ({value.reason})"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    return repr(value)


def raw_ref_ids(raw: Any) -> set[str]:
    """Names referenced by ``Ref``/``Fn::GetAtt``/``Fn::Sub`` anywhere inside a raw template
    value (used to say *which* resources an unresolved value may point at)."""
    out: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, val in node.items():
                if key == "Ref" and isinstance(val, str):
                    out.add(str(val))
                elif key == "Fn::GetAtt":
                    if isinstance(val, str):
                        out.add(str(val).split(".", 1)[0])
                    elif isinstance(val, list) and val and isinstance(val[0], str):
                        out.add(str(val[0]))
                elif key == "Fn::Sub":
                    template = val[0] if isinstance(val, list) and val else val
                    if isinstance(template, str):
                        for name in re.findall(r"\$\{([^!}][^}]*)\}", template):
                            out.add(name.split(".", 1)[0].strip())
                    if isinstance(val, list):
                        walk(val[1:])
                    continue
                walk(val)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw)
    return out


def ref_ids(value: Any, raw: Any = None) -> tuple[set[str], set[str]]:
    """(definite, possible) logical ids of THIS template a property value points at.

    Definite: a resolved :class:`ResourceRef`/:class:`AttrRef`, or the ``${Ref:..}`` /
    ``${GetAtt:..}`` tokens inside a resolved string; references imported from another stack
    are left out. Possible: when the value is :class:`Unknown`, the resources its raw form
    (``raw``) references.
    """
    if isinstance(value, (ResourceRef, AttrRef)):
        return ({value.logical_id} if not value.stack else set()), set()
    if isinstance(value, str):
        return {t.logical_id for t in tokens_in(value) if not t.stack}, set()
    if isinstance(value, Unknown):
        return set(), raw_ref_ids(raw) if raw is not None else set()
    return set(), set()


def retention_result(value: Any, min_days: int, path: Path, *, subject: str = "") -> CheckResult:
    """Verdict on a log group's ``RetentionInDays`` (GOV-LOGS-001, AU-11).

    Absent -> PASS with a note (never expires); a valid CloudWatch Logs value at or above
    ``min_days`` -> PASS; an invalid value or one below the floor -> FAIL; unresolved ->
    UNKNOWN. ``subject`` prefixes messages (e.g. ``"destination log group G: "``).
    """
    if value is None:
        return CheckResult.passed(f"{subject}RetentionInDays not set: log events never expire "
                                  f"(meets the {min_days}-day floor; consider a lifecycle to "
                                  f"archive)", path)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{subject}RetentionInDays cannot be resolved: "
                                   f"{value.reason}", path)
    days = as_int(value)
    if not isinstance(days, int) or days not in VALID_RETENTION_DAYS:
        return CheckResult.failed(f"{subject}RetentionInDays {describe(value)} is not a valid "
                                  f"CloudWatch Logs retention value", path)
    if days < min_days:
        return CheckResult.failed(f"{subject}RetentionInDays {days} is below the "
                                  f"{min_days}-day floor (AU-11, OMB M-21-31)", path)
    return CheckResult.passed(f"{subject}RetentionInDays {days} meets the {min_days}-day floor",
                              path)


def log_group_retention_result(props: Mapping[str, Any], min_days: int, *,
                               subject: str = "") -> CheckResult:
    """Verdict on a resolved ``AWS::Logs::LogGroup``'s retention (GOV-LOGS-001): the
    ``DELIVERY`` log class keeps events one day whatever ``RetentionInDays`` says (Amazon
    CloudWatch Logs API Reference, CreateLogGroup ``logGroupClass``), else
    :func:`retention_result` on ``RetentionInDays``."""
    log_class = props.get("LogGroupClass")
    class_path = ("Properties", "LogGroupClass")
    if isinstance(log_class, Unknown):
        return CheckResult.unknown(f"{subject}LogGroupClass cannot be resolved: "
                                   f"{log_class.reason}", class_path)
    if log_class == "DELIVERY":
        return CheckResult.failed(f"{subject}LogGroupClass DELIVERY keeps log events for one "
                                  f"day only, below the {min_days}-day floor", class_path)
    return retention_result(props.get("RetentionInDays"), min_days,
                            ("Properties", "RetentionInDays"), subject=subject)


def kms_key_result(value: Any, path: Path,
                   type_of: Callable[[ResourceRef | AttrRef], str | None], *,
                   subject: str = "KmsKeyId", absent: str | None = None) -> CheckResult:
    """Verdict on a property that should name a customer-managed KMS key.

    ``type_of`` gives the resource type a reference points at (``RuleContext.type_of``: this
    template, or the exporting stack for an imported reference). PASS for a reference to an
    ``AWS::KMS::Key``/``AWS::KMS::ReplicaKey``/``AWS::KMS::Alias`` of the template (aliases
    created by CloudFormation cannot use the reserved ``alias/aws/`` prefix) or a key id/ARN or
    customer alias string; FAIL for an absent value (``absent`` is the message) or an
    AWS-managed alias (``alias/aws/...``); UNKNOWN when unresolved or when it references a
    resource that is not a KMS key.
    """
    if value is None:
        return CheckResult.failed(absent or f"{subject} not set: an AWS-owned or AWS-managed "
                                              f"key is used, not a customer-managed key", path)
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{subject} cannot be resolved: {value.reason}", path)
    refs: list[ResourceRef | AttrRef] = []
    if isinstance(value, (ResourceRef, AttrRef)):
        refs = [value]
    elif isinstance(value, str):
        if _AWS_MANAGED_ALIAS.search(value):
            return CheckResult.failed(f"{subject} {describe(value)} is an AWS-managed key "
                                      f"alias, not a customer-managed key", path)
        if not value.strip():
            return CheckResult.failed(f"{subject} is empty", path)
        refs = tokens_in(value)
        if not refs:
            return CheckResult.passed(f"{subject} {describe(value)} names a customer-managed "
                                      f"key", path)
    else:
        return CheckResult.unknown(f"{subject} is {describe(value)}, not a key reference", path)
    for ref in refs:
        rtype = type_of(ref)
        if rtype not in KMS_KEY_TYPES + ("AWS::KMS::Alias",):
            kind = rtype or "not a resource of the checked templates"
            return CheckResult.unknown(f"{subject} refers to {describe(ref)} ({kind}), which is "
                                       f"not a KMS key", path)
    where = f" of stack {refs[0].stack}" if refs[0].stack else ""
    return CheckResult.passed(f"{subject} refers to customer-managed key "
                              f"{refs[0].logical_id}{where}", path)


def worst(results: Iterable[CheckResult]) -> Status:
    """The engine's folding order: ERROR > UNKNOWN > FAIL > PASS > NOT_APPLICABLE."""
    rank = [Status.NOT_APPLICABLE, Status.PASS, Status.FAIL, Status.UNKNOWN, Status.ERROR]
    return max((r.status for r in results), key=rank.index, default=Status.NOT_APPLICABLE)


def parameter_note(resolver: Any, raw: Any) -> str:
    """`` (parameter P default)`` / `` (parameter P as given)`` when the raw property value is a
    direct ``Ref`` to a template parameter, so a verdict says it depends on that parameter
    (cdk-nag#393: a Ref to a non-compliant default must not look compliant); else ``""``."""
    if not (isinstance(raw, Mapping) and len(raw) == 1 and isinstance(raw.get("Ref"), str)):
        return ""
    name = str(raw["Ref"])
    if name not in getattr(resolver, "parameters", {}):
        return ""
    given = name in getattr(resolver, "overrides", {})
    return f" (parameter {name} {'as given' if given else 'default'})"
