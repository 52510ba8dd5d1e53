"""Rule parameters: FedRAMP floors a user may tighten, and loosen only under an exception.

Each rule declares its parameters and their floors in ``Rule.parameters`` (e.g. GOV-LOGS-001
``{"min_retention_days": 365}``). The parameter's name declares its direction:

- ``min_<what>``: a lower bound; a higher value is stricter (tightening), a lower one looser;
- ``max_<what>``: an upper bound; a lower value is stricter, a higher one looser;
- ``require_<what>``: a requirement (floor ``True``); ``false`` turns it off, which is looser.

Values are numbers of the floor's type (an ``int`` floor takes integers only), or booleans
(``true``/``false``) for ``require_`` parameters. Settings that are not floors (lists of
principals, tag keys) are module constants of their rule, not parameters.

Users set parameters with ``govcdk check --rule-parameter RULE.PARAM=VALUE`` (repeatable;
wins over the policy file) or a policy file (``--policy FILE``, YAML)::

    parameters:
      GOV-LOGS-001:
        min_retention_days: 400          # tightening: always allowed
    exceptions:
      - rule: GOV-KMS-001
        parameter: max_rotation_days
        value: 730                       # the loosest value the exception allows
        reason: HSM-backed keys rotate on the vendor's two-year cycle (POA&M 12)
        expires: 2026-06-30

Loosening a parameter past its floor is refused (:class:`InputError`, exit code 2 in the CLI,
naming the rule, parameter, floor and value) unless an unexpired exception for that rule and
parameter allows it: its ``value`` is at least as strict as the one set, its ``reason`` is
substantive (:func:`govcdk.policies.suppressions.reason_problem`) and ``expires`` is a date
(required; the exception applies through that day). An unexpired exception whose parameter
is not set elsewhere sets it to the exception's ``value``; an expired one is then unused (the
floor applies). Exceptions that loosen nothing are returned as warnings
(:attr:`Resolved.unused_exceptions`). Applied exceptions are listed in the report (``Report.parameter_exceptions``) and
every finding of the rule says so in its message. Unknown rule ids, parameter names or
policy-file keys are errors naming what is allowed.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import ParameterException, Rule
from .suppressions import EXPIRY_REQUIRED, MAX_HIGH_EXPIRY_DAYS, parse_date, reason_problem

POLICY_KEYS = ("parameters", "exceptions")
EXCEPTION_KEYS = ("rule", "parameter", "value", "reason", "expires")


def direction(name: str) -> str:
    """``"min"`` or ``"max"``: the direction a parameter's name declares. Raises
    :class:`ValueError` for a name with neither prefix (a rule-pack defect; a meta-test keeps
    every rule's parameters named so)."""
    if name.startswith("min_"):
        return "min"
    if name.startswith("max_"):
        return "max"
    if name.startswith("require_"):
        return "require"
    raise ValueError(f"parameter {name!r} declares no direction (min_..., max_... or require_...)")


def looser(name: str, value: Any, than: Any) -> bool:
    """True when ``value`` is looser than ``than`` for parameter ``name``."""
    d = direction(name)
    if d == "require":
        return bool(than) and not bool(value)
    return value < than if d == "min" else value > than


@dataclass
class Policy:
    """Parameter settings: ``values`` ``{rule id: {parameter: value}}`` (later sources win)
    and ``exceptions`` as written (validated by :func:`resolve`)."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    exceptions: list[Mapping[str, Any]] = field(default_factory=list)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    """Where each value was set (``--rule-parameter``, ``policy.yaml``), for messages."""

    def set(self, rule_id: str, parameter: str, value: Any, source: str) -> None:
        self.values.setdefault(rule_id, {})[parameter] = value
        self.sources[(rule_id, parameter)] = source


def parse_rule_parameter(item: str) -> tuple[str, str, str]:
    """``"GOV-LOGS-001.min_retention_days=400"`` -> ``("GOV-LOGS-001", "min_retention_days",
    "400")``. Raises :class:`InputError` for another shape."""
    key, sep, value = item.partition("=")
    rule_id, dot, name = key.strip().rpartition(".")
    if not sep or not dot or not rule_id or not name or not value.strip():
        raise InputError(f"--rule-parameter {item!r}: expected RULE.PARAMETER=VALUE, e.g. "
                         f"GOV-LOGS-001.min_retention_days=400")
    return rule_id, name, value.strip()


def _policy_loader() -> type:
    """PyYAML's safe loader whose unquoted dates that do not exist (``expires: 2026-02-30``)
    are a YAML error with the line, not a traceback."""
    import yaml

    from govcdk.config import construct_checked, construct_timestamp

    class _PolicyLoader(yaml.SafeLoader):
        def construct_object(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
            return construct_checked(self, node, deep)

    _PolicyLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    return _PolicyLoader


def load_policy(path: Path, policy: Policy | None = None) -> Policy:
    """Read a policy file (YAML; see the module docstring) into ``policy`` (a new one by
    default). Raises :class:`InputError` naming the file for an unreadable file or a shape
    other than documented."""
    import yaml

    policy = policy or Policy()
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"),  # noqa: S506 - a SafeLoader
                         Loader=_policy_loader())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the policy file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{path}{where}: not valid YAML: {problem}") from None
    if data is None:
        return policy
    if not isinstance(data, dict):
        raise InputError(f"{path}: a policy file is a mapping with keys {', '.join(POLICY_KEYS)}")
    extra = sorted(str(k) for k in data if k not in POLICY_KEYS)
    if extra:
        raise InputError(f"{path}: unknown key(s) {', '.join(extra)}; allowed: "
                         f"{', '.join(POLICY_KEYS)}")
    params = data.get("parameters") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise InputError(f"{path}: parameters must map rule ids to {{parameter: value}} mappings")
    for rule_id, values in params.items():
        for name, value in values.items():
            policy.set(str(rule_id), str(name), value, str(path))
    exceptions = data.get("exceptions") or []
    if not isinstance(exceptions, list) or not all(isinstance(e, dict) for e in exceptions):
        raise InputError(f"{path}: exceptions must be a list of mappings with keys "
                         f"{', '.join(EXCEPTION_KEYS)}")
    for e in exceptions:
        extra = sorted(str(k) for k in e if k not in EXCEPTION_KEYS)
        if extra:
            raise InputError(f"{path}: exception {e!r}: unknown key(s) {', '.join(extra)}; "
                             f"allowed: {', '.join(EXCEPTION_KEYS)}")
        policy.exceptions.append({**e, "_source": str(path)})
    return policy


@dataclass
class Resolved:
    """:func:`resolve`'s answer: ``values`` ``{rule id: {parameter: value}}`` for the rules
    whose parameters differ from their floors, and the exceptions applied."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    exceptions: list[ParameterException] = field(default_factory=list)
    unused_exceptions: list[str] = field(default_factory=list)
    """Exceptions that loosen nothing (their value is not looser than what is set), as text
    for a warning."""

    def parameters_of(self, rule: Rule) -> dict[str, Any]:
        """The parameters ``rule`` runs with: its floors updated with what was set."""
        return {**dict(rule.parameters), **self.values.get(rule.id, {})}

    def exceptions_of(self, rule_id: str) -> list[ParameterException]:
        return [e for e in self.exceptions if e.rule_id == rule_id]


def _coerce(rule: Rule, name: str, value: Any, where: str) -> Any:
    floor = rule.parameters[name]
    if isinstance(floor, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InputError(f"{where}: {rule.id} {name} takes true or false, got {value!r}")
    if isinstance(value, bool):
        raise InputError(f"{where}: {rule.id} {name} takes a number, got {value!r}")
    if isinstance(floor, int):
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            return int(value)
        raise InputError(f"{where}: {rule.id} {name} takes an integer (FedRAMP floor "
                         f"{floor}), got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {rule.id} {name} takes a number (FedRAMP floor {floor}), "
                         f"got {value!r}") from None


def _rule_and_parameter(rules: Mapping[str, Rule], rule_id: str, name: str,
                        where: str) -> Rule:
    rule = rules.get(rule_id)
    if rule is None:
        with_params = sorted(r for r, rule in rules.items() if rule.parameters)
        raise InputError(f"{where}: unknown rule id {rule_id}; rules with parameters: "
                         f"{', '.join(with_params) or 'none'}")
    if name not in rule.parameters:
        allowed = ", ".join(f"{n} (floor {v})" for n, v in rule.parameters.items())
        raise InputError(f"{where}: {rule_id} has no parameter {name}; "
                         f"{'allowed: ' + allowed if allowed else 'it takes no parameters'}")
    return rule


def resolve(policy: Policy | None, rules: Sequence[Rule], today: _dt.date) -> Resolved:
    """Check ``policy`` against the rule pack ``rules`` (all of them, not only those selected)
    and return the values each rule runs with. Raises :class:`InputError` for an unknown rule
    or parameter, a value that is not a number, an invalid exception, or a value looser than
    the floor that no unexpired exception allows (the message names the rule, parameter, floor
    and value)."""
    out = Resolved()
    if policy is None:
        return out
    by_id = {r.id: r for r in rules}
    exceptions: dict[tuple[str, str], tuple[Any, str, _dt.date, str]] = {}
    for e in policy.exceptions:
        source = e.get("_source", "policy")
        shown = ", ".join(f"{k}: {v.isoformat() if isinstance(v, _dt.date) else v}"
                          for k, v in e.items() if k != "_source")
        where = f"{source}: exception {{{shown}}}"
        missing = [k for k in EXCEPTION_KEYS if e.get(k) is None]
        if missing:
            raise InputError(f"{where}: missing {', '.join(missing)}; an exception needs "
                             f"{', '.join(EXCEPTION_KEYS)}")
        rule = _rule_and_parameter(by_id, str(e["rule"]), str(e["parameter"]), where)
        name = str(e["parameter"])
        value = _coerce(rule, name, e["value"], where)
        problem = reason_problem(e["reason"])
        if problem:
            raise InputError(f"{where}: {problem}")
        try:
            expires = parse_date(e["expires"])
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        if rule.severity in EXPIRY_REQUIRED and (expires - today).days > MAX_HIGH_EXPIRY_DAYS:
            raise InputError(
                f"{where}: expires {expires.isoformat()} is more than {MAX_HIGH_EXPIRY_DAYS} "
                f"days ahead; {rule.id} has severity {rule.severity.value}, and an exception "
                f"to a HIGH or CRITICAL rule lasts at most {MAX_HIGH_EXPIRY_DAYS} days at a time "
                f"(renew it with its reason when it is reviewed)")
        if (rule.id, name) in exceptions:
            raise InputError(f"{where}: a second exception for {rule.id} {name}")
        exceptions[(rule.id, name)] = (value, " ".join(str(e["reason"]).split()), expires, source)

    values: dict[tuple[str, str], tuple[Any, str]] = {}
    for rule_id, params in policy.values.items():
        for name, raw in params.items():
            where = policy.sources.get((rule_id, name), "policy")
            rule = _rule_and_parameter(by_id, rule_id, name, where)
            values[(rule_id, name)] = (_coerce(rule, name, raw, where), where)
    for key, (value, _reason, expires, source) in exceptions.items():
        if expires >= today:
            values.setdefault(key, (value, source))

    for (rule_id, name), (value, where) in sorted(values.items()):
        rule = by_id[rule_id]
        floor = rule.parameters[name]
        if looser(name, value, floor):
            allowed = exceptions.get((rule_id, name))
            if allowed is not None and allowed[2] < today:
                raise InputError(
                    f"{where}: {rule_id} {name}={value} loosens the FedRAMP floor {floor}, and "
                    f"its exception ({allowed[3]}) expired on {allowed[2].isoformat()}; renew "
                    f"the exception (reason and a new date) or keep the floor")
            if allowed is None:
                bound = {"min": f"at least {floor}", "max": f"at most {floor}",
                         "require": "true"}[direction(name)]
                raise InputError(
                    f"{where}: {rule_id} {name}={value} loosens the FedRAMP floor {floor} "
                    f"(it must be {bound}); tightening is allowed, loosening needs an "
                    f"exception with a reason and an expiry date in a --policy file")
            if looser(name, value, allowed[0]):
                raise InputError(
                    f"{where}: {rule_id} {name}={value} is looser than its exception allows "
                    f"({allowed[0]}; FedRAMP floor {floor})")
            out.exceptions.append(ParameterException(rule_id, name, floor, value, allowed[1],
                                                     allowed[2]))
        if value != floor:
            out.values.setdefault(rule_id, {})[name] = value
    used = {(e.rule_id, e.parameter) for e in out.exceptions}
    for (rule_id, name), (value, _r, expires, source) in exceptions.items():
        if (rule_id, name) in used:
            continue
        floor = by_id[rule_id].parameters[name]
        if (rule_id, name) not in values:
            why = f"it expired on {expires.isoformat()}, so the floor {floor} applies"
        else:
            why = f"the value set ({values[(rule_id, name)][0]}) is not looser than the floor {floor}"
        out.unused_exceptions.append(
            f"{source}: the exception for {rule_id} {name} (value {value}) is not used: {why}")
    return out


__all__ = ["Policy", "Resolved", "direction", "load_policy", "looser",
           "parse_rule_parameter", "resolve"]
