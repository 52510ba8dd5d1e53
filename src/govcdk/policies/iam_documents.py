"""Reading IAM policy documents (identity, resource and trust policies) out of resolved
resource properties, for the rules that judge them (GOV-KMS-002, GOV-KMS-005, GOV-IAM-*,
GOV-GOVCLOUD-004).

Shapes follow the IAM User Guide, "IAM JSON policy elements reference": a document is a
mapping with ``Statement`` (one statement mapping or a list of them); a statement has
``Effect``, ``Principal``/``NotPrincipal``, ``Action``/``NotAction``,
``Resource``/``NotResource`` and ``Condition`` (operator -> condition key -> value or list of
values). Element values may be a string or a list of strings. A document may also be given as
a JSON string (CloudFormation accepts one for ``KeyPolicy`` and ``PolicyDocument``): it is
parsed, and paths then stop at the string property (positions inside a string cannot be
pointed at).

Nothing here raises on odd shapes: what cannot be read is returned as a
:class:`~govcdk.policies.model.CheckResult` (UNKNOWN for a value known only at deploy time,
FAIL for a document IAM would reject) for the rule to report.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .helpers import describe
from .model import CheckResult
from .resolver import AttrRef, ResourceRef, Unknown, is_opaque

Path = tuple[str | int, ...]

IDENTITY_POLICY_TYPES = (
    "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role", "AWS::IAM::User",
    "AWS::IAM::Group", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy",
)
"""Resource types that carry IAM identity policies (AWS CloudFormation User Guide, IAM
resource type reference): ``PolicyDocument`` of the policy types, ``Policies[].PolicyDocument``
of roles, users and groups."""


@dataclass(frozen=True)
class Document:
    """One policy document of a resource: its resolved value (a mapping once parsed), its
    path, a label for messages (``""`` for a resource's only document, ``"Policies[0]
    (PolicyName Foo)"`` for an inline policy) and whether it was a JSON string (then
    statement paths stop at ``path``)."""

    value: Any
    path: Path
    label: str = ""
    from_json: bool = False


@dataclass(frozen=True)
class Statement:
    """One statement of a document: ``index`` in ``Statement`` (0 for a single statement
    mapping), ``sid`` (``""`` when absent) and its resolved mapping."""

    document: Document
    index: int
    sid: str
    data: Mapping[str, Any]
    path: Path

    @property
    def name(self) -> str:
        """``Statement[2] (Sid ReadLogs)``, prefixed by the document's label when it has
        one (``Policies[0] (PolicyName P) Statement[2]``)."""
        text = f"Statement[{self.index}]" + (f" (Sid {self.sid})" if self.sid else "")
        return f"{self.document.label} {text}" if self.document.label else text

    def at(self, *rest: str | int) -> Path:
        """Path of an element of this statement (the document's path when it was a JSON
        string)."""
        return self.document.path if self.document.from_json else self.path + rest

    @property
    def effect(self) -> Any:
        return self.data.get("Effect")


def parse_document(value: Any, path: Path, label: str = "") -> Document | CheckResult | None:
    """A :class:`Document` from a resolved document value; None when absent; a result when
    it is unresolved (UNKNOWN), not JSON or not a mapping (FAIL)."""
    what = f"{label} PolicyDocument" if label else path[-1] if path else "policy document"
    if value is None:
        return None
    if isinstance(value, Unknown):
        return CheckResult.unknown(f"{what} cannot be resolved: {value.reason}", path)
    if isinstance(value, (ResourceRef, AttrRef)):
        return CheckResult.unknown(f"{what} is {describe(value)}, known only at deploy time",
                                   path)
    if isinstance(value, str):
        if is_opaque(value) and not value.lstrip().startswith("{"):
            return CheckResult.unknown(f"{what} {describe(value)} is known only at deploy time",
                                       path)
        try:
            parsed = json.loads(value)
        except ValueError:
            if is_opaque(value):
                return CheckResult.unknown(f"{what} holds values known only at deploy time and "
                                           f"cannot be parsed before deployment", path)
            return CheckResult.failed(f"{what} is a string that is not valid JSON", path)
        if not isinstance(parsed, dict):
            return CheckResult.failed(f"{what} is JSON but not an object", path)
        return Document(parsed, path, label, from_json=True)
    if not isinstance(value, dict):
        return CheckResult.failed(f"{what} is {describe(value)}, not a policy document", path)
    return Document(value, path, label)


def document_mapping(value: Any, path: Path, label: str = "") -> Any:
    """A resolved policy document as rules that read it directly want it: a JSON string
    (CloudFormation accepts one for a ``Json`` property, e.g. ``PolicyDocument: !Sub '{...}'``)
    parsed into its mapping; a mapping, ``None`` or an :class:`Unknown` as they are; a
    :class:`CheckResult` (UNKNOWN or FAIL, as :func:`parse_document`) for what cannot be read."""
    if isinstance(value, str):
        doc = parse_document(value, path, label)
        return doc.value if isinstance(doc, Document) else doc
    return value


def statements(doc: Document) -> Iterator[Statement | CheckResult]:
    """The statements of a document, or results for those that cannot be read."""
    raw = doc.value.get("Statement")
    spath = doc.path if doc.from_json else doc.path + ("Statement",)
    prefix = f"{doc.label} " if doc.label else ""
    if raw is None:
        return
    if isinstance(raw, Unknown):
        yield CheckResult.unknown(f"{prefix}Statement cannot be resolved: {raw.reason}", spath)
        return
    items = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else None
    if items is None:
        yield CheckResult.failed(f"{prefix}Statement is {describe(raw)}, not a statement list",
                                 spath)
        return
    single = isinstance(raw, dict)
    for i, item in enumerate(items):
        path = spath if single or doc.from_json else spath + (i,)
        if isinstance(item, Unknown):
            yield CheckResult.unknown(f"{prefix}Statement[{i}] cannot be resolved: "
                                      f"{item.reason}", path)
            continue
        if not isinstance(item, dict):
            yield CheckResult.failed(f"{prefix}Statement[{i}] is {describe(item)}, not a "
                                     f"statement", path)
            continue
        sid = item.get("Sid")
        yield Statement(doc, i, sid if isinstance(sid, str) else "", item, path)


def as_list(value: Any) -> list[Any]:
    """An element value as a list: a list unchanged, None -> [], anything else -> [value]."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def effect(stmt: Statement) -> str | CheckResult:
    """``"Allow"`` or ``"Deny"``; a result when unresolved or invalid."""
    value = stmt.effect
    if isinstance(value, Unknown) or isinstance(value, (ResourceRef, AttrRef)) \
            or is_opaque(value):
        why = value.reason if isinstance(value, Unknown) else f"{describe(value)} is known " \
                                                              f"only at deploy time"
        return CheckResult.unknown(f"{stmt.name}: Effect cannot be resolved: {why}",
                                   stmt.at("Effect"))
    if value in ("Allow", "Deny"):
        return value
    return CheckResult.failed(f"{stmt.name}: Effect {describe(value)} is neither Allow nor Deny",
                              stmt.at("Effect"))


def identity_documents(resource: Any) -> list[Document | CheckResult]:
    """Every identity-policy document of an IAM resource (see
    :data:`IDENTITY_POLICY_TYPES`): ``PolicyDocument``, or each ``Policies[i].PolicyDocument``
    of a role, user or group (label ``Policies[i] (PolicyName N)``)."""
    props = resource.properties
    out: list[Document | CheckResult] = []
    if resource.type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        policies = props.get("Policies")
        if policies is None:
            return out
        if isinstance(policies, Unknown):
            return [CheckResult.unknown(f"Policies cannot be resolved: {policies.reason}",
                                        ("Properties", "Policies"))]
        if not isinstance(policies, list):
            return [CheckResult.failed(f"Policies is {describe(policies)}, not a list",
                                       ("Properties", "Policies"))]
        for i, policy in enumerate(policies):
            path: Path = ("Properties", "Policies", i)
            if isinstance(policy, Unknown):
                out.append(CheckResult.unknown(f"Policies[{i}] cannot be resolved: "
                                               f"{policy.reason}", path))
                continue
            if not isinstance(policy, dict):
                out.append(CheckResult.failed(f"Policies[{i}] is {describe(policy)}, not a "
                                              f"policy", path))
                continue
            name = policy.get("PolicyName")
            label = f"Policies[{i}]" + (f" (PolicyName {name})" if isinstance(name, str) else "")
            doc = parse_document(policy.get("PolicyDocument"), path + ("PolicyDocument",), label)
            if doc is not None:
                out.append(doc)
        return out
    doc = parse_document(props.get("PolicyDocument"), ("Properties", "PolicyDocument"))
    return [doc] if doc is not None else []


# -- principals -------------------------------------------------------------------------------

def principal_values(stmt: Statement) -> tuple[str, dict[str, list[Any]]] | CheckResult | None:
    """``(element, {kind: values})`` for a statement's ``Principal`` (or ``NotPrincipal``,
    ``element`` says which): ``"*"`` is returned as ``{"*": ["*"]}``; None when the statement
    has neither; a result when unresolved or malformed."""
    for element in ("Principal", "NotPrincipal"):
        value = stmt.data.get(element)
        if value is None:
            continue
        if isinstance(value, Unknown):
            return CheckResult.unknown(f"{stmt.name}: {element} cannot be resolved: "
                                       f"{value.reason}", stmt.at(element))
        if value == "*":
            return element, {"*": ["*"]}
        if not isinstance(value, dict):
            return CheckResult.failed(f"{stmt.name}: {element} {describe(value)} is neither "
                                      f"\"*\" nor a mapping of principal types", stmt.at(element))
        return element, {str(k): as_list(v) for k, v in value.items()}
    return None


def wildcard_principal(stmt: Statement) -> tuple[str, Path] | CheckResult | None:
    """How a statement grants everyone: ``("Principal \"*\"", path)`` for ``Principal: "*"``,
    ``{"AWS": "*"}`` or an ``AWS`` list holding ``"*"``; ``NotPrincipal`` (everyone but the
    named principals); None when it does not; a result when the principal is unresolved."""
    got = principal_values(stmt)
    if got is None or isinstance(got, CheckResult):
        return got
    element, kinds = got
    if element == "NotPrincipal":
        return "NotPrincipal (every principal but those named)", stmt.at(element)
    if "*" in kinds:
        return 'Principal "*"', stmt.at(element)
    raw = stmt.data.get(element)
    for kind, values in kinds.items():
        if kind != "AWS":
            continue
        for i, v in enumerate(values):
            if isinstance(v, Unknown):
                return CheckResult.unknown(f"{stmt.name}: {element}.AWS cannot be resolved: "
                                           f"{v.reason}", stmt.at(element, "AWS"))
            if v == "*":
                where = stmt.at(element, "AWS", i) if isinstance(raw.get("AWS"), list) \
                    else stmt.at(element, "AWS")
                return 'Principal {"AWS": "*"}', where
    return None


# -- conditions -------------------------------------------------------------------------------

_NEGATED = re.compile(r"Not(Equals|Like)|NotIpAddress|^Null$", re.IGNORECASE)


def constrained_keys(stmt: Statement) -> dict[str, str | Unknown]:
    """Condition keys (lower case) a statement constrains to a value, with the operator that
    does: a positive operator (``StringEquals``, ``StringLike``, ``ArnLike``...; with or
    without ``ForAnyValue:``) whose values are neither empty nor a bare wildcard (``*``,
    ``?*``...). Negated operators (``StringNotEquals``...), ``Null``, ``...IfExists``
    (true when the key is absent) and ``ForAllValues:`` (true for an empty set) do not
    constrain. A value that is unresolved gives :class:`Unknown` for that key."""
    cond = stmt.data.get("Condition")
    out: dict[str, str | Unknown] = {}
    if isinstance(cond, Unknown):
        return {"*": cond}
    if not isinstance(cond, dict):
        return out
    for op, block in cond.items():
        op = str(op)
        if op.lower().startswith("forallvalues:") or op.lower().endswith("ifexists") \
                or _NEGATED.search(op.split(":")[-1]):
            continue
        if isinstance(block, Unknown):
            out.setdefault("*", block)
            continue
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            vals = as_list(values)
            unknown = next((v for v in vals if isinstance(v, Unknown)), None)
            if unknown is not None:
                out.setdefault(str(key).lower(), unknown)
                continue
            if vals and all(not (isinstance(v, str) and set(v) <= {"*", "?"}) for v in vals):
                out[str(key).lower()] = op
    return out


def has_constraint(stmt: Statement, keys: tuple[str, ...]) -> bool | Unknown:
    """True when one of ``keys`` (condition key names, any case) is constrained (see
    :func:`constrained_keys`); :class:`Unknown` when none is but one (or the whole
    ``Condition``) is unresolved; else False."""
    got = constrained_keys(stmt)
    wanted = {k.lower() for k in keys}
    if any(isinstance(got.get(k), str) for k in wanted):
        return True
    for k in list(wanted) + ["*"]:
        if isinstance(got.get(k), Unknown):
            return got[k]  # type: ignore[return-value]
    return False


# -- actions ----------------------------------------------------------------------------------

def action_values(stmt: Statement) -> tuple[str, list[tuple[Any, Path]]] | None:
    """``(element, [(value, path)])`` for ``Action`` or ``NotAction``; None when neither."""
    for element in ("Action", "NotAction"):
        value = stmt.data.get(element)
        if value is None:
            continue
        if isinstance(value, list):
            return element, [(v, stmt.at(element, i)) for i, v in enumerate(value)]
        return element, [(value, stmt.at(element))]
    return None


def resource_values(stmt: Statement) -> tuple[str, list[tuple[Any, Path]]] | None:
    """``(element, [(value, path)])`` for ``Resource`` or ``NotResource``; None when
    neither."""
    for element in ("Resource", "NotResource"):
        value = stmt.data.get(element)
        if value is None:
            continue
        if isinstance(value, list):
            return element, [(v, stmt.at(element, i)) for i, v in enumerate(value)]
        return element, [(value, stmt.at(element))]
    return None


@functools.lru_cache(maxsize=None)
def _service_data() -> Mapping[str, Any]:
    """policyuniverse's IAM service data (``policyuniverse/data.json``: service -> ``prefix``,
    ``actions``), read without importing policyuniverse, whose import also builds action
    categories govcdk does not use."""
    import importlib.util
    spec = importlib.util.find_spec("policyuniverse")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("policyuniverse is not installed: govcdk reads its IAM action data")
    with open(f"{list(spec.submodule_search_locations)[0]}/data.json", encoding="utf-8") as f:
        data = json.load(f)
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=None)
def _all_actions() -> frozenset[str]:
    """Every known action, lower case: what policyuniverse's ``all_permissions`` holds."""
    return frozenset(f"{body['prefix']}:{name.lower()}".lower()
                     for body in _service_data().values() for name in body["actions"])


@functools.lru_cache(maxsize=None)
def _actions_by_service() -> Mapping[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for action in _all_actions():
        out.setdefault(action.partition(":")[0], []).append(action)
    return {service: tuple(actions) for service, actions in out.items()}


@functools.lru_cache(maxsize=4096)
def _expand_pattern(lower: str) -> frozenset[str]:
    """The known actions a lower-case wildcard pattern matches (:func:`fnmatch.fnmatchcase`);
    only the service's actions are tried when the service prefix holds no wildcard."""
    service, colon, _ = lower.partition(":")
    if colon and not any(c in service for c in "*?["):
        candidates: Iterable[str] = _actions_by_service().get(service, ())
    else:
        candidates = _all_actions()
    match = re.compile(fnmatch.translate(lower), re.DOTALL).match
    return frozenset(a for a in candidates if match(a))


def expand_actions(patterns: list[str]) -> set[str]:
    """Every known action (lower case, ``service:action``) the patterns match, from
    policyuniverse's IAM action data; a pattern matching no known action is kept as written
    (lower case), so a new action is not lost."""
    out: set[str] = set()
    for p in patterns:
        lower = p.lower()
        if "*" not in lower and "?" not in lower:
            out.add(lower)
            continue
        out |= _expand_pattern(lower) or {lower}
    return out


@functools.lru_cache(maxsize=None)
def _cfnlint_policies() -> Mapping[str, Any]:
    from ..govcloud import cfnlint_data_path
    ref = cfnlint_data_path("AdditionalSpecs", "Policies.json")
    data = json.loads(ref.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def action_resource_types(action: str) -> list[str] | None:
    """The resource types an IAM action can be scoped to, from cfn-lint's copy of the Service
    Authorization Reference (``cfnlint/data/AdditionalSpecs/Policies.json``): ``[]`` for an
    action that only takes ``Resource: "*"`` (``kms:CreateKey``, ``s3:ListAllMyBuckets``),
    None for an action the data does not know."""
    found = _action_resource_types(action.lower())
    return list(found) if found is not None else None


@functools.lru_cache(maxsize=None)
def _action_resource_types(action: str) -> tuple[str, ...] | None:
    service, _, name = action.partition(":")
    body = _cfnlint_policies().get(service)
    if not isinstance(body, dict):
        return None
    actions = body.get("Actions")
    if not isinstance(actions, dict) or name not in actions:
        return None
    entry = actions[name]
    res = entry.get("Resources") if isinstance(entry, dict) else None
    return tuple(str(r) for r in res) if isinstance(res, list) else ()


def display_action(action: str) -> str:
    """``kms:decrypt`` -> ``kms:Decrypt`` when policyuniverse knows the action's case."""
    return _case_map().get(action.lower(), action)


@functools.lru_cache(maxsize=None)
def _case_map() -> Mapping[str, str]:
    out: dict[str, str] = {}
    for body in _service_data().values():
        prefix = body.get("prefix")
        for name in body.get("actions", {}):
            out[f"{prefix}:{name}".lower()] = f"{prefix}:{name}"
    return out


def literal_strings(values: list[tuple[Any, Path]], what: str, stmt: Statement
                    ) -> tuple[list[tuple[str, Path]], CheckResult | None]:
    """The string values of an element, and an UNKNOWN result for the first value that is
    unresolved (a non-string, non-reference value is a FAIL: IAM rejects it)."""
    out: list[tuple[str, Path]] = []
    for value, path in values:
        if isinstance(value, Unknown):
            return out, CheckResult.unknown(f"{stmt.name}: {what} cannot be resolved: "
                                            f"{value.reason}", path)
        if isinstance(value, (ResourceRef, AttrRef)):
            out.append((value.token, path))
            continue
        if not isinstance(value, str):
            return out, CheckResult.failed(f"{stmt.name}: {what} {describe(value)} is not a "
                                           f"string", path)
        out.append((value, path))
    return out, None
