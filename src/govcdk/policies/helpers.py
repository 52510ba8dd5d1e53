"""Small, pure helpers shared by rule checks: reading resolved values the way CloudFormation
does (booleans and numbers may be strings), following references, launch templates, and the
verdicts several rules share (log retention, customer-managed KMS keys).

Every helper that reads a value passes :class:`~govcdk.policies.resolver.Unknown` through
unchanged, so checks can turn it into ``CheckResult.unknown``; a value known only at deploy
time (a reference, or a string holding a placeholder such as ``${AWS::AccountId}``, see
:func:`~govcdk.policies.resolver.is_opaque`) becomes one where a literal is needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .model import CheckResult
from .resolver import (
    AttrRef, ResourceRef, Unknown, is_null, is_opaque, sub_variables, tokens_in)

Path = tuple[str | int, ...]

LOG_RETENTION_FLOOR_DAYS = 365
"""FedRAMP AU-11 floor for online log retention (OMB M-21-31: 12 months active storage), the
default of every rule that judges a log group's retention."""

# Amazon CloudWatch Logs API Reference, PutRetentionPolicy: the values retentionInDays accepts.
VALID_RETENTION_DAYS: frozenset[int] = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
})

KMS_KEY_TYPES = ("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
_AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/", re.IGNORECASE)
# AWS KMS Developer Guide, "Key identifiers (KeyId)": key id, key ARN, alias name, alias ARN;
# multi-Region keys have ids "mrk-" + 32 hex digits.
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_KEY_ID = rf"(?:{_UUID}|mrk-[0-9a-fA-F]{{32}})"
_KMS_ARN = r"arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:"
_ALIAS_NAME = r"alias/[A-Za-z0-9/_-]+"
_KEY_IDENTIFIER = re.compile(rf"{_KEY_ID}|{_KMS_ARN}key/{_KEY_ID}|(?:{_KMS_ARN})?{_ALIAS_NAME}")
_PSEUDO_STANDINS = (("${AWS::AccountId}", "000000000000"), ("${AWS::StackName}", "stack"))


def literal(value: Any, what: str = "value") -> Any:
    """``value`` when it is a literal; :class:`Unknown` when it is one already or is known only
    at deploy time (a :class:`ResourceRef`/:class:`AttrRef`, or an opaque string). Use it
    before comparing a property with the literals it may take (``HttpTokens == "required"``):
    a placeholder never equals a literal, so the comparison would silently decide."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (ResourceRef, AttrRef)) or is_opaque(value):
        return Unknown(f"{what} {describe(value)} is known only at deploy time")
    return value


def same_value(a: Any, b: Any) -> bool | Unknown:
    """Whether two resolved values of one template are equal: True for identical values (an
    opaque string equals itself), :class:`Unknown` when either is unknown or known only at
    deploy time, else False."""
    if isinstance(a, Unknown):
        return a
    if isinstance(b, Unknown):
        return b
    if type(a) is type(b) and a == b:
        return True
    for v in (a, b):
        if isinstance(v, (ResourceRef, AttrRef)) or is_opaque(v):
            return Unknown(f"{describe(v)} is known only at deploy time")
    return False


def as_bool(value: Any) -> bool | Unknown | None:
    """``True``/``"true"`` -> True, ``False``/``"false"`` -> False (case-insensitive, as
    CloudFormation accepts), :class:`Unknown` unchanged, a value known only at deploy time
    (reference, opaque string) -> :class:`Unknown`, anything else (absent included) -> None."""
    value = literal(value)
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
    """An integer from an int, an integral float or a string of decimal digits (``"365"``,
    ``" 22 "``), as CloudFormation reads an ``Integer`` property; :class:`Unknown` unchanged, a
    value known only at deploy time -> :class:`Unknown`; None for anything else: booleans, and
    strings that are not an integer literal (``"3.653e3"``, ``"365.0"``, ``"0x16"``), which
    CloudFormation rejects for an integer property."""
    value = literal(value)
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
        return None
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
                        for name in sub_variables(template):
                            out.add(name.split(".", 1)[0])
                    if isinstance(val, list):
                        walk(val[1:])
                    continue
                walk(val)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw)
    return out


def refs_in(value: Any) -> list[ResourceRef | AttrRef]:
    """The references a resolved property value holds: the value itself when it is a
    :class:`ResourceRef`/:class:`AttrRef`, else the ``${Ref:..}``/``${GetAtt:..}`` tokens
    inside a resolved string. References from another stack (``Fn::ImportValue``, a parent
    stack's parameter) keep their ``stack``: follow them with ``RuleContext.target`` /
    ``RuleContext.type_of``, never by logical id alone. When the value is :class:`Unknown`,
    :func:`raw_ref_ids` of its raw form says what it may refer to."""
    if isinstance(value, (ResourceRef, AttrRef)):
        return [value]
    if isinstance(value, str):
        return tokens_in(value)
    return []


def retention_result(value: Any, min_days: int, path: Path, *, subject: str = "") -> CheckResult:
    """Verdict on a log group's ``RetentionInDays`` (GOV-LOGS-001, AU-11).

    Absent -> PASS with a note (never expires); a valid CloudWatch Logs value at or above
    ``min_days`` -> PASS; an invalid value (``"3.653e3"`` is not an integer), ``null`` (which
    CloudFormation rejects, so it is not "absent") or one below the floor -> FAIL; unresolved
    -> UNKNOWN. ``subject`` prefixes messages (e.g. ``"destination log group G: "``).
    """
    if is_null(value):
        return CheckResult.failed(f"{subject}RetentionInDays is null: CloudFormation rejects "
                                  f"null property values; set a retention of at least "
                                  f"{min_days} days or remove the property", path)
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
    log_class = literal(props.get("LogGroupClass"), "LogGroupClass")
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
    ``AWS::KMS::Key``/``AWS::KMS::ReplicaKey``/``AWS::KMS::Alias`` of the checked templates
    (aliases created by CloudFormation cannot use the reserved ``alias/aws/`` prefix) or a
    string that is a key identifier (AWS KMS Developer Guide, "Key identifiers"): a key id
    (UUID), a multi-Region key id (``mrk-`` + 32 hex digits), a key ARN, or an alias name or
    alias ARN other than ``alias/aws/*`` (``${AWS::AccountId}``/``${AWS::StackName}``
    placeholders are accepted in them). FAIL for an absent value (``absent`` is the message),
    ``null`` (which CloudFormation rejects), an AWS-managed alias (``alias/aws/...``) or any other string (``"default"``); UNKNOWN when
    unresolved or when it references a resource that is not a KMS key.
    """
    if value is None:
        return CheckResult.failed(absent or f"{subject} not set: an AWS-owned or AWS-managed "
                                              f"key is used, not a customer-managed key", path)
    if is_null(value):
        return CheckResult.failed(f"{subject} is null: CloudFormation rejects null property "
                                  f"values; name a customer-managed key", path)
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
            text = value.strip()
            for placeholder, standin in _PSEUDO_STANDINS:
                text = text.replace(placeholder, standin)
            if not _KEY_IDENTIFIER.fullmatch(text):
                return CheckResult.failed(f"{subject} {describe(value)} is not a KMS key id, key "
                                          f"ARN, multi-Region key id or alias", path)
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


# -- launch templates -------------------------------------------------------------------------

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"


def launch_template_data(lt: Any, key: str) -> Any:
    """``LaunchTemplateData.<key>`` of a launch template resource (resolved): the value, None
    when absent, :class:`Unknown` when ``LaunchTemplateData`` cannot be resolved."""
    data = lt.properties.get("LaunchTemplateData")
    if isinstance(data, Unknown):
        return data
    return data.get(key) if isinstance(data, dict) else None


def find_launch_template(ctx: Any, spec: Any) -> tuple[Any, str | None]:
    """The ``AWS::EC2::LaunchTemplate`` a ``LaunchTemplate`` specification names: (resource |
    None, reason it is unknown | None). ``LaunchTemplateId`` may be ``Ref`` or ``Fn::GetAtt
    LT.LaunchTemplateId`` (of this template, or imported from another stack of the run);
    ``LaunchTemplateName`` a ``GetAtt`` or the literal name a launch template of this template
    declares."""
    if isinstance(spec, Unknown):
        return None, f"LaunchTemplate cannot be resolved: {spec.reason}"
    if not isinstance(spec, dict):
        return None, None
    for key in ("LaunchTemplateId", "LaunchTemplateName"):
        value = spec.get(key)
        if value is None:
            continue
        for ref in refs_in(value):
            res = ctx.target(ref)
            if res is not None and res.type == LAUNCH_TEMPLATE:
                return res, None
        if isinstance(value, Unknown):
            return None, f"LaunchTemplate {key} cannot be resolved: {value.reason}"
        if isinstance(value, str) and key == "LaunchTemplateName":
            unsure: Unknown | None = None
            for lt in ctx.resources(LAUNCH_TEMPLATE):
                same = same_value(lt.properties.get("LaunchTemplateName"), value)
                if same is True:
                    return lt, None
                if isinstance(same, Unknown):
                    unsure = same
            if unsure is not None:
                return None, (f"LaunchTemplate {key} {describe(value)}: a launch template "
                              f"name of this template cannot be resolved ({unsure.reason})")
        return None, (f"LaunchTemplate {key} {describe(value)} is not a launch template of the "
                      f"checked templates")
    return None, None


def from_launch_template(results: list[CheckResult], lt: Any, ctx: Any) -> list[CheckResult]:
    """Results of a launch template, reported at the instance's ``LaunchTemplate``."""
    name = lt.logical_id if lt.stack == ctx.stack else f"{lt.logical_id} (stack {lt.stack})"
    return [CheckResult(r.status, f"launch template {name}: {r.message}",
                        ("Properties", "LaunchTemplate")) for r in results]


# -- boolean settings -------------------------------------------------------------------------

def bool_setting(value: Any, name: str, path: Path) -> bool | None | CheckResult:
    """A boolean property read as CloudFormation does: True/False for a literal boolean
    (``"true"``/``"false"`` strings included), None when absent, or an UNKNOWN
    :class:`CheckResult` naming ``name`` when the value is unresolved, known only at deploy
    time, ``null`` or not a boolean (which CloudFormation rejects)."""
    if value is None:
        return None
    flag = as_bool(value)
    if isinstance(flag, Unknown):
        return CheckResult.unknown(f"{name} cannot be resolved: {flag.reason}", path)
    if flag is None:
        return CheckResult.unknown(f"{name} is {describe(value)}, not a boolean", path)
    return flag
