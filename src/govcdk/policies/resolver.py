"""Resolve CloudFormation intrinsic functions into plain Python values, as far as a static
reading of one template allows.

:class:`Resolver` turns a template value into plain data: strings, numbers, booleans, lists and
dicts, plus four kinds of marker that rules must handle:

- :class:`ResourceRef` ``(logical_id)``: ``{"Ref": "<resource>"}``, a typed reference so rules
  can join resources (flow log -> VPC, route -> route table); a reference that arrived through
  ``Fn::ImportValue`` from another template of the run carries that template's ``stack``;
- :class:`AttrRef` ``(logical_id, attribute)``: ``Fn::GetAtt``, except where the attribute
  mirrors an input property of the referenced resource (``AWS::EC2::VPC.CidrBlock``,
  ``AWS::EC2::Subnet.CidrBlock``), which resolves to that property's resolved value;
- :class:`Unknown` (the generic instance is :data:`UNKNOWN`): a value that cannot be known
  before deployment (a parameter without ``Default``, an ``Fn::ImportValue`` that no checked
  template exports, an SSM parameter type, a dynamic reference, ``Fn::If`` on a condition that
  cannot be evaluated). Its ``reason`` says what could not be resolved. Truth-testing an
  ``Unknown`` raises ``TypeError``, so a rule cannot pass it silently;
- :data:`NOVALUE` (``AWS::NoValue``), which removes the key or list item that holds it.

Strings built by ``Fn::Join``/``Fn::Sub`` render references as stable tokens,
``${Ref:LogicalId}`` and ``${GetAtt:LogicalId.Attr}`` (``${Ref:Stack::LogicalId}`` when
imported; :func:`tokens_in` parses them back), so string rules keep working.
``AWS::AccountId``, ``AWS::StackName`` and ``AWS::StackId`` render as ``${AWS::AccountId}``-style
placeholders when not given. ``Fn::ImportValue`` resolves through an :class:`ExportRegistry` of
the templates checked in the same run.

Semantics follow the AWS CloudFormation User Guide, "Intrinsic function reference", "Pseudo
parameters reference", "Parameters" and "Conditions". The resolver never raises on malformed
input: whatever it cannot evaluate becomes an :class:`Unknown` naming why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..govcloud import PARTITION as GOV_PARTITION

DEFAULT_REGION = "us-gov-west-1"


class Unknown:
    """A value that cannot be resolved statically. ``reason`` names what and why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str = "value cannot be resolved statically") -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"UNKNOWN({self.reason})"

    def __bool__(self) -> bool:
        raise TypeError(f"truth value of an unresolved value is undefined: {self.reason}")


UNKNOWN = Unknown()
"""The generic unresolved value; specific ones carry their own reason. Test with
:func:`is_unknown`, not ``is UNKNOWN``."""


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOVALUE"


NOVALUE = _NoValue()
"""``{"Ref": "AWS::NoValue"}``: the enclosing key or list item is removed when resolving."""


def is_unknown(value: Any) -> bool:
    """True when ``value`` is an :class:`Unknown`."""
    return isinstance(value, Unknown)


@dataclass(frozen=True)
class ResourceRef:
    """``{"Ref": logical_id}`` where ``logical_id`` is a resource of the template.

    ``stack`` is empty for a resource of the same template, else the name of the stack that
    exported the value through ``Fn::ImportValue`` (see :class:`ExportRegistry`)."""

    logical_id: str
    stack: str = ""

    @property
    def token(self) -> str:
        where = f"{self.stack}::" if self.stack else ""
        return "${Ref:" + where + self.logical_id + "}"


@dataclass(frozen=True)
class AttrRef:
    """``{"Fn::GetAtt": [logical_id, attribute]}`` on a resource of the template (``stack`` as
    for :class:`ResourceRef`)."""

    logical_id: str
    attribute: str
    stack: str = ""

    @property
    def token(self) -> str:
        where = f"{self.stack}::" if self.stack else ""
        return "${GetAtt:" + where + self.logical_id + "." + self.attribute + "}"


_TOKEN_RE = re.compile(r"\$\{(Ref|GetAtt):(?:([^{}:]+)::)?([A-Za-z0-9]+)(?:\.([^}]+))?\}")


def tokens_in(text: str) -> list[ResourceRef | AttrRef]:
    """The :class:`ResourceRef`/:class:`AttrRef` tokens rendered inside a resolved string."""
    out: list[ResourceRef | AttrRef] = []
    if not isinstance(text, str):
        return out
    for kind, stack, lid, attr in _TOKEN_RE.findall(text):
        if kind == "Ref":
            out.append(ResourceRef(lid, stack))
        elif attr:
            out.append(AttrRef(lid, attr, stack))
    return out


def _qualify(value: Any, stack: str) -> Any:
    """Mark references inside a value exported by ``stack`` as that stack's."""
    if isinstance(value, ResourceRef) and not value.stack:
        return ResourceRef(value.logical_id, stack)
    if isinstance(value, AttrRef) and not value.stack:
        return AttrRef(value.logical_id, value.attribute, stack)
    if isinstance(value, str):
        def requalify(m: "re.Match[str]") -> str:
            kind, owner, lid, attr = m.groups()
            if owner or (kind == "GetAtt" and not attr):
                return m.group(0)
            ref = ResourceRef(lid, stack) if kind == "Ref" else AttrRef(lid, attr, stack)
            return ref.token
        return _TOKEN_RE.sub(requalify, value)
    if isinstance(value, list):
        return [_qualify(v, stack) for v in value]
    if isinstance(value, dict):
        return {k: _qualify(v, stack) for k, v in value.items()}
    return value


class ExportRegistry:
    """``Outputs.*.Export.Name`` of every template checked in one run, so ``Fn::ImportValue``
    resolves across the stacks of a cloud assembly (CDK cross-stack references).

    Exports are per region (CloudFormation User Guide, "Exporting stack output values"): a name
    resolves only for an importer in the exporter's region. A name exported by two templates
    (e.g. a JSON and a YAML copy of one template) is ambiguous and stays unknown.
    """

    def __init__(self) -> None:
        self._exports: dict[tuple[str, str], tuple["Resolver", Any, str] | None] = {}
        self._active: set[tuple[str, str]] = set()

    def add(self, resolver: "Resolver", stack: str) -> None:
        """Register the exports of the template ``resolver`` reads, as stack ``stack``."""
        outputs = resolver.template.get("Outputs")
        if not isinstance(outputs, Mapping):
            return
        for output in outputs.values():
            if not isinstance(output, Mapping):
                continue
            export = output.get("Export")
            if not isinstance(export, Mapping) or "Name" not in export:
                continue
            if "Condition" in output and resolver.condition(output.get("Condition")) is False:
                continue
            name = resolver.resolve(export["Name"])
            if not isinstance(name, str):
                continue
            key = (resolver.region, name)
            self._exports[key] = None if key in self._exports else \
                (resolver, output.get("Value"), stack)

    def lookup(self, region: str, name: str) -> Any:
        """The exported value, resolved in the exporting template and qualified with its stack;
        :class:`Unknown` when no (or more than one) template of the run exports ``name``."""
        key = (region, name)
        if key not in self._exports:
            return Unknown(f"Fn::ImportValue {name!r}: no template checked in this run "
                           f"exports it")
        entry = self._exports[key]
        if entry is None:
            return Unknown(f"Fn::ImportValue {name!r}: exported by more than one template")
        if key in self._active:
            return Unknown(f"Fn::ImportValue {name!r}: circular exports")
        exporter, raw, stack = entry
        self._active.add(key)
        try:
            return _qualify(exporter.resolve(raw), stack)
        finally:
            self._active.discard(key)


def partition_for_region(region: str) -> str:
    """Partition of a region name: ``us-gov-*`` -> ``aws-us-gov``, ``cn-*`` -> ``aws-cn``,
    ``us-iso-*`` -> ``aws-iso``, ``us-isob-*`` -> ``aws-iso-b``, else ``aws``."""
    if region.startswith("us-gov-"):
        return GOV_PARTITION
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    if region.startswith("us-iso-"):
        return "aws-iso"
    return "aws"


# GetAtt attributes that return an input property unchanged (CloudFormation resource
# reference "Return values" of each type).
_MIRRORED_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("AWS::EC2::VPC", "CidrBlock"): "CidrBlock",
    ("AWS::EC2::Subnet", "CidrBlock"): "CidrBlock",
}

_SUB_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_MAX_DEPTH = 64
_DYNAMIC_REF = "{{resolve:"


def _is_intrinsic(value: Mapping[Any, Any]) -> str | None:
    if len(value) != 1:
        return None
    key = next(iter(value))
    if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
        return str(key)
    return None


def _as_text(value: Any) -> str | Unknown:
    """Render a resolved value as it would appear inside a string built by Join/Sub."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (ResourceRef, AttrRef)):
        return value.token
    return Unknown(f"a {type(value).__name__} where a string was expected")


def _scalar_key(value: Any) -> Any:
    """Normalize a resolved value for Fn::Equals (CloudFormation compares strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, list):
        keys = [_scalar_key(v) for v in value]
        return None if any(k is None for k in keys) else tuple(keys)
    if isinstance(value, (ResourceRef, AttrRef)):
        return value
    return None


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return str(value)
    return value


class Resolver:
    """Resolve values of one template.

    ``region`` (default ``us-gov-west-1``) drives ``AWS::Region``, ``AWS::Partition`` and
    ``AWS::URLSuffix``; ``account`` drives ``AWS::AccountId`` (else the placeholder
    ``${AWS::AccountId}``); ``parameters`` override parameter values (strings, as
    ``--parameter-overrides`` would pass them), else each parameter's ``Default`` is used.
    ``exports`` resolves ``Fn::ImportValue`` against the other templates of the run (else it
    is unknown).
    Parameters of an ``AWS::SSM::Parameter::Value<...>`` type are always unknown (their value is
    read from Parameter Store at deploy time).
    """

    def __init__(self, template: Mapping[str, Any], *, region: str = DEFAULT_REGION,
                 account: str | None = None, parameters: Mapping[str, Any] | None = None,
                 stack_name: str | None = None,
                 exports: ExportRegistry | None = None) -> None:
        self.template = template if isinstance(template, Mapping) else {}
        self.region = region or DEFAULT_REGION
        self.partition = partition_for_region(self.region)
        self.url_suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        self.account = account
        self.stack_name = stack_name
        self.exports = exports
        self.overrides = dict(parameters or {})
        self.resources = self._mapping("Resources")
        self.parameters = self._mapping("Parameters")
        self.mappings = self._mapping("Mappings")
        self.conditions = self._mapping("Conditions")
        self._param_cache: dict[str, Any] = {}
        self._cond_cache: dict[str, bool | None] = {}
        self._cond_active: set[str] = set()
        self._resource_cache: dict[str, dict[str, Any]] = {}
        self._attr_active: set[tuple[str, str]] = set()
        # id(resolved list) -> (the list, raw index of each kept item); only lists that lost
        # items to AWS::NoValue. Holding the list keeps its id unique while we live.
        self._index_maps: dict[int, tuple[list[Any], list[int]]] = {}

    def _mapping(self, key: str) -> Mapping[str, Any]:
        value = self.template.get(key)
        return value if isinstance(value, Mapping) else {}

    # -- public API -------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Resolve ``value`` deeply; see the module docstring for the result's shape."""
        return self._r(value, 0)

    def resolve_resource(self, logical_id: str) -> dict[str, Any]:
        """The resolved ``Properties`` of resource ``logical_id`` (memoized); ``{}`` when the
        resource has no (or a non-mapping) ``Properties`` or does not exist."""
        cached = self._resource_cache.get(logical_id)
        if cached is not None:
            return cached
        res = self.resources.get(logical_id)
        props = res.get("Properties") if isinstance(res, Mapping) else None
        resolved = self._r(props, 0) if isinstance(props, Mapping) else {}
        if not isinstance(resolved, dict):
            resolved = {}
        self._resource_cache[logical_id] = resolved
        return resolved

    def resource_type(self, logical_id: str) -> str | None:
        """``Type`` of resource ``logical_id``, or None when it is not a resource."""
        res = self.resources.get(logical_id)
        if isinstance(res, Mapping) and isinstance(res.get("Type"), str):
            return str(res["Type"])
        return None

    def condition(self, name: Any) -> bool | None:
        """Evaluate the named condition: True/False, or None when it cannot be evaluated
        (undefined, cyclic, or depends on an unknown value)."""
        if not isinstance(name, str):
            return None
        if name in self._cond_cache:
            return self._cond_cache[name]
        if name not in self.conditions or name in self._cond_active:
            return None
        self._cond_active.add(name)
        try:
            result = self._eval_condition(self.conditions[name], 0)
        finally:
            self._cond_active.discard(name)
        self._cond_cache[name] = result
        return result

    def resource_condition(self, logical_id: str) -> bool | None:
        """Whether resource ``logical_id`` is created: True without a ``Condition``, else the
        condition's value (None when it cannot be evaluated)."""
        res = self.resources.get(logical_id)
        if not isinstance(res, Mapping) or "Condition" not in res:
            return True
        return self.condition(res.get("Condition"))

    def parameter_value(self, name: str) -> Any:
        """Value of parameter ``name``: override, else ``Default`` converted by ``Type``
        (``Number`` -> int/float, ``CommaDelimitedList``/``List<...>`` -> list of str,
        ``String`` -> str), else :class:`Unknown`."""
        if name in self._param_cache:
            return self._param_cache[name]
        value = self._parameter_value(name)
        self._param_cache[name] = value
        return value

    def raw_path(self, logical_id: str, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """Translate a path into the *resolved* properties of ``logical_id`` (``("Properties",
        ...)``) into the raw template's path: list indexes shift where ``AWS::NoValue`` items
        were removed."""
        if not path or path[0] != "Properties":
            return path
        node: Any = self.resolve_resource(logical_id)
        out: list[str | int] = ["Properties"]
        for step in path[1:]:
            if isinstance(node, list) and isinstance(step, int):
                entry = self._index_maps.get(id(node))
                raw_step = entry[1][step] if entry and entry[0] is node and 0 <= step < len(
                    entry[1]) else step
                out.append(raw_step)
                node = node[step] if 0 <= step < len(node) else None
            elif isinstance(node, dict):
                out.append(step)
                node = node.get(step)
            else:
                out.append(step)
                node = None
        return tuple(out)

    # -- parameters ---------------------------------------------------------------------------

    def _parameter_value(self, name: str) -> Any:
        spec = self.parameters.get(name)
        spec = spec if isinstance(spec, Mapping) else {}
        raw_type = spec.get("Type", "String")
        ptype = str(raw_type) if isinstance(raw_type, str) else "String"
        if ptype.startswith("AWS::SSM::Parameter::Value<"):
            return Unknown(f"parameter {name} ({ptype}) is read from SSM Parameter Store at "
                           f"deploy time")
        if name in self.overrides:
            value = self.overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            return Unknown(f"parameter {name} has no Default and no value was given")
        if isinstance(value, Mapping) or value is None:
            return Unknown(f"parameter {name} has a non-scalar value")
        if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
            if isinstance(value, list):
                items = [_as_text(v) for v in value]
                if any(isinstance(v, Unknown) for v in items):
                    return Unknown(f"parameter {name} has a non-scalar list item")
                value = [str(v) for v in items]
            else:
                text = _as_text(value)
                value = text if isinstance(text, Unknown) else str(text).split(",")
            if ptype == "List<Number>" and isinstance(value, list):
                value = [_to_number(v) for v in value]
            return value
        if isinstance(value, list):
            return Unknown(f"parameter {name} of type {ptype} has a list value")
        if ptype == "Number":
            return _to_number(value)
        text = _as_text(value)
        return text if isinstance(text, Unknown) else str(text)

    # -- resolution -------------------------------------------------------------------------

    def _r(self, value: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return Unknown("value nested too deeply to resolve")
        if isinstance(value, str):
            text = str(value)
            if _DYNAMIC_REF in text:
                return Unknown(f"dynamic reference {text!r} is resolved at deploy time")
            return text
        if isinstance(value, Mapping):
            fn = _is_intrinsic(value)
            if fn is not None:
                return self._intrinsic(fn, value[fn], depth + 1)
            out: dict[str, Any] = {}
            for k, v in value.items():
                rv = self._r(v, depth + 1)
                if rv is NOVALUE:
                    continue
                out[str(k) if isinstance(k, str) else k] = rv
            return out
        if isinstance(value, list):
            items: list[Any] = []
            kept: list[int] = []
            for i, v in enumerate(value):
                rv = self._r(v, depth + 1)
                if rv is NOVALUE:
                    continue
                items.append(rv)
                kept.append(i)
            if len(kept) != len(value):
                self._index_maps[id(items)] = (items, kept)
            return items
        return value

    def _intrinsic(self, fn: str, arg: Any, depth: int) -> Any:
        handler = _HANDLERS.get(fn)
        if handler is None:
            return Unknown(f"{fn} is not evaluated statically")
        return handler(self, arg, depth)

    def _ref(self, name: Any, depth: int) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to a non-string name")
        name = str(name)
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.parameters:
            return self.parameter_value(name)
        if name in self.resources:
            return ResourceRef(name)
        return Unknown(f"Ref to {name!r}, which is neither a parameter nor a resource")

    def _pseudo(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NOVALUE
        if name == "AWS::Partition":
            return self.partition
        if name == "AWS::Region":
            return self.region
        if name == "AWS::URLSuffix":
            return self.url_suffix
        if name == "AWS::AccountId":
            return self.account or "${AWS::AccountId}"
        if name == "AWS::StackName":
            return self.stack_name or "${AWS::StackName}"
        if name == "AWS::StackId":
            return "${AWS::StackId}"
        return Unknown(f"pseudo parameter {name} is not known statically")

    def _get_att(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, str):
            if "." not in arg:
                return Unknown(f"Fn::GetAtt {arg!r} has no attribute")
            logical_id, attribute = str(arg).split(".", 1)
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            logical_id = str(arg[0])
            attribute = self._r(arg[1], depth + 1)
            if not isinstance(attribute, str):
                return Unknown(f"Fn::GetAtt on {logical_id} with an unresolved attribute name")
        else:
            return Unknown("malformed Fn::GetAtt")
        return self._attr(logical_id, str(attribute), depth)

    def _attr(self, logical_id: str, attribute: str, depth: int) -> Any:
        rtype = self.resource_type(logical_id)
        if rtype is None:
            return Unknown(f"Fn::GetAtt on {logical_id!r}, which is not a resource")
        prop = _MIRRORED_ATTRIBUTES.get((rtype, attribute))
        if prop is not None and (logical_id, attribute) not in self._attr_active:
            raw = self.resources[logical_id].get("Properties")
            if isinstance(raw, Mapping) and prop in raw:
                self._attr_active.add((logical_id, attribute))
                try:
                    value = self._r(raw[prop], depth + 1)
                finally:
                    self._attr_active.discard((logical_id, attribute))
                if value is not NOVALUE:
                    return value
        return AttrRef(logical_id, attribute)

    def _join(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Join")
        delim = self._r(arg[0], depth + 1)
        if isinstance(delim, Unknown):
            return delim
        if not isinstance(delim, str):
            return Unknown("Fn::Join delimiter is not a string")
        items = self._r(arg[1], depth + 1)
        if isinstance(items, Unknown):
            return items
        if not isinstance(items, list):
            return Unknown("Fn::Join list is not a list")
        parts: list[str] = []
        for item in items:
            text = _as_text(item)
            if isinstance(text, Unknown):
                return text
            parts.append(text)
        return delim.join(parts)

    def _sub(self, arg: Any, depth: int) -> Any:
        variables: Mapping[str, Any] = {}
        if isinstance(arg, str):
            template = str(arg)
        elif isinstance(arg, list) and 1 <= len(arg) <= 2 and isinstance(arg[0], str):
            template = str(arg[0])
            if len(arg) == 2:
                if not isinstance(arg[1], Mapping):
                    return Unknown("Fn::Sub variables are not a mapping")
                variables = arg[1]
        else:
            return Unknown("malformed Fn::Sub")
        if _DYNAMIC_REF in template:
            return Unknown("Fn::Sub with a dynamic reference is resolved at deploy time")
        out: list[str] = []
        pos = 0
        for m in _SUB_VAR_RE.finditer(template):
            out.append(template[pos:m.start()])
            pos = m.end()
            inner = m.group(1)
            if inner.startswith("!"):
                out.append("${" + inner[1:] + "}")
                continue
            name = inner.strip()
            if name in variables:
                value = self._r(variables[name], depth + 1)
            elif "." in name and not name.startswith("AWS::"):
                lid, attribute = name.split(".", 1)
                value = self._attr(lid, attribute, depth)
            else:
                value = self._ref(name, depth)
            text = _as_text(value)
            if isinstance(text, Unknown):
                return Unknown(f"Fn::Sub variable ${{{name}}}: {text.reason}")
            out.append(text)
        out.append(template[pos:])
        return "".join(out)

    def _select(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Select")
        index = _to_number(self._r(arg[0], depth + 1))
        if isinstance(index, Unknown):
            return index
        if isinstance(index, bool) or not isinstance(index, int):
            return Unknown("Fn::Select index is not an integer")
        items = self._r(arg[1], depth + 1)
        if isinstance(items, Unknown):
            return items
        if not isinstance(items, list):
            return Unknown("Fn::Select list is not a list")
        if not 0 <= index < len(items):
            return Unknown(f"Fn::Select index {index} is out of range")
        return items[index]

    def _split(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            return Unknown("malformed Fn::Split")
        delim = self._r(arg[0], depth + 1)
        source = self._r(arg[1], depth + 1)
        for v in (delim, source):
            if isinstance(v, Unknown):
                return v
        if not isinstance(delim, str) or not delim or not isinstance(source, str):
            return Unknown("Fn::Split arguments are not strings")
        return source.split(delim)

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) in (3, 4)):
            return Unknown("malformed Fn::FindInMap")
        keys = []
        for k in arg[:3]:
            rk = self._r(k, depth + 1)
            text = _as_text(rk)
            if isinstance(text, Unknown):
                return Unknown(f"Fn::FindInMap key: {text.reason}")
            keys.append(text)
        top = self.mappings.get(keys[0])
        second = top.get(keys[1]) if isinstance(top, Mapping) else None
        if isinstance(second, Mapping) and keys[2] in second:
            return self._r(second[keys[2]], depth + 1)
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            return self._r(arg[3]["DefaultValue"], depth + 1)
        return Unknown(f"Fn::FindInMap {keys[0]}/{keys[1]}/{keys[2]} is not in Mappings")

    def _if(self, arg: Any, depth: int) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3):
            return Unknown("malformed Fn::If")
        chosen = self.condition(arg[0])
        if chosen is True:
            return self._r(arg[1], depth + 1)
        if chosen is False:
            return self._r(arg[2], depth + 1)
        a = self._r(arg[1], depth + 1)
        b = self._r(arg[2], depth + 1)
        if not isinstance(a, Unknown) and not isinstance(b, Unknown) and type(a) is type(b) \
                and _contains_no_unknown(a) and a == b:
            return a
        return Unknown(f"Fn::If on condition {arg[0]!r}, which cannot be evaluated")

    def _base64(self, arg: Any, depth: int) -> Any:
        value = self._r(arg, depth + 1)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, str):
            return value
        return Unknown("Fn::Base64 of a non-string")

    def _import_value(self, arg: Any, depth: int) -> Any:
        name = self._r(arg, depth + 1)
        if isinstance(name, Unknown):
            return Unknown(f"Fn::ImportValue name: {name.reason}")
        if not isinstance(name, str):
            return Unknown("Fn::ImportValue of a non-string name")
        if self.exports is None:
            return Unknown(f"Fn::ImportValue {name!r} is resolved at deploy time")
        return self.exports.lookup(self.region, name)

    def _length(self, arg: Any, depth: int) -> Any:
        value = self._r(arg, depth + 1)
        if isinstance(value, list):
            return len(value)
        return value if isinstance(value, Unknown) else Unknown("Fn::Length of a non-list")

    # -- conditions ---------------------------------------------------------------------------

    def _eval_condition(self, expr: Any, depth: int) -> bool | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, bool):
            return expr
        if not isinstance(expr, Mapping) or len(expr) != 1:
            return None
        fn, arg = next(iter(expr.items()))
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::Equals":
            if not (isinstance(arg, list) and len(arg) == 2):
                return None
            a = self._r(arg[0], depth + 1)
            b = self._r(arg[1], depth + 1)
            ka, kb = _scalar_key(a), _scalar_key(b)
            if ka is None or kb is None:
                return None
            if isinstance(ka, (ResourceRef, AttrRef)) or isinstance(kb, (ResourceRef, AttrRef)):
                return True if ka == kb else None
            return ka == kb
        if fn in ("Fn::And", "Fn::Or"):
            if not isinstance(arg, list) or not arg:
                return None
            values = [self._eval_condition(a, depth + 1) for a in arg]
            if fn == "Fn::And":
                if any(v is False for v in values):
                    return False
                return True if all(v is True for v in values) else None
            if any(v is True for v in values):
                return True
            return False if all(v is False for v in values) else None
        if fn == "Fn::Not":
            if not (isinstance(arg, list) and len(arg) == 1):
                return None
            inner = self._eval_condition(arg[0], depth + 1)
            return None if inner is None else not inner
        value = self._r(expr, depth + 1)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None


def _contains_no_unknown(value: Any) -> bool:
    if isinstance(value, Unknown):
        return False
    if isinstance(value, dict):
        return all(_contains_no_unknown(v) for v in value.values())
    if isinstance(value, list):
        return all(_contains_no_unknown(v) for v in value)
    return True


def _unknown(fn: str):
    def handler(resolver: Resolver, arg: Any, depth: int) -> Any:
        return Unknown(f"{fn} is resolved at deploy time")
    return handler


_HANDLERS: dict[str, Any] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Join": Resolver._join,
    "Fn::Sub": Resolver._sub,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::If": Resolver._if,
    "Fn::Base64": Resolver._base64,
    "Fn::Length": Resolver._length,
    "Fn::ImportValue": Resolver._import_value,
    "Fn::GetAZs": _unknown("Fn::GetAZs"),
    "Fn::Cidr": _unknown("Fn::Cidr"),
    "Fn::Transform": _unknown("Fn::Transform"),
}


def _condition_function(fn: str):
    def handler(resolver: Resolver, arg: Any, depth: int) -> Any:
        result = resolver._eval_condition({fn: arg}, depth)
        return Unknown(f"{fn} cannot be evaluated") if result is None else result
    return handler


for _fn in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
    _HANDLERS[_fn] = _condition_function(_fn)
