"""Resolve CloudFormation intrinsic functions into plain Python values, as far as a static
reading of one template allows.

:class:`Resolver` turns a template value into plain data: strings, numbers, booleans, lists and
dicts, plus four kinds of marker that rules must handle:

- :class:`ResourceRef` ``(logical_id)``: ``{"Ref": "<resource>"}``, a typed reference so rules
  can join resources (flow log -> VPC, route -> route table); a reference that arrived through
  ``Fn::ImportValue`` from another template of the run, or through a parameter a parent stack
  passed to its nested stack, carries that template's ``stack`` key;
- :class:`AttrRef` ``(logical_id, attribute)``: ``Fn::GetAtt``, except where the attribute
  mirrors an input property of the referenced resource (``AWS::EC2::VPC.CidrBlock``,
  ``AWS::EC2::Subnet.CidrBlock``), which resolves to that property's resolved value;
- :class:`Unknown` (the generic instance is :data:`UNKNOWN`): a value that cannot be known
  before deployment (a parameter without ``Default``, an ``Fn::ImportValue`` that no checked
  template exports, an SSM parameter type, a dynamic reference, a nested-stack parameter its
  parent passes a value it cannot resolve, ``Fn::If`` on a condition that cannot be evaluated,
  ``Fn::Split`` of a string holding a placeholder). Its ``reason`` says what could not be
  resolved. Truth-testing an ``Unknown`` or comparing it (``==``, ``!=``, ``<``...) raises
  ``TypeError``, so a rule cannot pass it silently (it stays hashable);
- :data:`NOVALUE` (``AWS::NoValue``), which removes the key or list item that holds it.

Strings built by ``Fn::Join``/``Fn::Sub`` render references as stable tokens,
``${Ref:LogicalId}`` and ``${GetAtt:LogicalId.Attr}`` (``${Ref:Stack::LogicalId}`` when
imported; :func:`tokens_in` parses them back), so string rules keep working.
``AWS::AccountId`` (when no account is given), ``AWS::StackName`` (when the stack name is not
known: plain template files and nested stacks, whose names CloudFormation generates) and
``AWS::StackId`` render as ``${AWS::AccountId}``-style placeholders. A string holding a
placeholder or a token is *opaque* (:func:`is_opaque`): it stands for a value known only at
deploy time, so ``Fn::Equals`` on it cannot be evaluated (unless both sides are the same
string), and ``Fn::Split``/``Fn::FindInMap`` over it are :class:`Unknown`. ``Fn::ImportValue``
resolves through an :class:`ExportRegistry` of the templates checked in the same run.

A resolver may *assume* the value of conditions it cannot evaluate (:meth:`Resolver.assuming`):
the engine uses this to evaluate every branch of an ``Fn::If`` on such a condition.

Semantics follow the AWS CloudFormation User Guide, "Intrinsic function reference", "Pseudo
parameters reference", "Parameters" and "Conditions". The resolver never raises on malformed
input: whatever it cannot evaluate becomes an :class:`Unknown` naming why.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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

    def _compare(self, other: Any) -> bool:
        raise TypeError(f"an unresolved value cannot be compared: {self.reason}")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _compare  # type: ignore[assignment]

    def __hash__(self) -> int:
        return id(self)


UNKNOWN = Unknown()
"""The generic unresolved value; specific ones carry their own reason. Test with
:func:`is_unknown`, not ``is UNKNOWN``."""


class Null(Unknown):
    """A ``null`` written in the template (YAML ``~``/``null``, JSON ``null``). CloudFormation
    rejects it ("'null' values are not allowed in templates"), so it is never the same as an
    absent property: it is an :class:`Unknown` (a check that cannot tell fails), and a check
    that passes an absent property (log retention, ingress rules) fails it explicitly."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__("null value: CloudFormation rejects templates with null values "
                         "('null' values are not allowed in templates)")


def is_null(value: Any) -> bool:
    """True when ``value`` is a :class:`Null` (a ``null`` written in the template)."""
    return isinstance(value, Null)


class UnknownProperties(dict):
    """The resolved ``Properties`` of a resource whose whole ``Properties`` value cannot be
    resolved (an ``Fn::If`` on a condition the engine cannot evaluate, a ``Ref``, a value that
    is not a mapping). It is empty, and every key read from it (``get``, ``[]``) is an
    :class:`Unknown` naming ``reason``, so no check can pass it as an empty mapping."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def get(self, key: Any, default: Any = None) -> Any:  # type: ignore[override]
        return Unknown(self.reason)

    def __getitem__(self, key: Any) -> Any:
        return Unknown(self.reason)

    def __contains__(self, key: object) -> bool:
        return True

    def __repr__(self) -> str:
        return f"UnknownProperties({self.reason})"


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
_PLACEHOLDER_RE = re.compile(r"\$\{(?:Ref:|GetAtt:|AWS::)[^{}]*\}")


def is_opaque(value: Any) -> bool:
    """True for a string holding a pseudo-parameter placeholder (``${AWS::AccountId}``...) or a
    reference token (``${Ref:X}``, ``${GetAtt:X.Y}``): part of its text is known only at deploy
    time, so it must not be compared, split or matched as if it were the real value."""
    return isinstance(value, str) and _PLACEHOLDER_RE.search(value) is not None


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


def qualify(value: Any, stack: str) -> Any:
    """Mark the references inside a value resolved in template ``stack`` (exported by it, or
    passed by it to a nested stack) as that stack's: :class:`ResourceRef`/:class:`AttrRef`
    get ``stack``, tokens in strings become ``${Ref:stack::X}``."""
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
        return [qualify(v, stack) for v in value]
    if isinstance(value, dict):
        return {k: qualify(v, stack) for k, v in value.items()}
    return value


class ExportRegistry:
    """``Outputs.*.Export.Name`` of every template checked in one run, so ``Fn::ImportValue``
    resolves across the stacks of a cloud assembly (CDK cross-stack references).

    Exports are per region (CloudFormation User Guide, "Exporting stack output values"): a name
    resolves only for an importer in the exporter's region. A name exported by two templates
    (e.g. a JSON and a YAML copy of one template) is ambiguous and stays unknown.
    """

    def __init__(self) -> None:
        self._added: list[tuple["Resolver", str]] = []
        self._index: dict[tuple[str, str], tuple["Resolver", Any, str] | None] | None = None
        self._building = False
        self._active: set[tuple[str, str]] = set()

    def add(self, resolver: "Resolver", stack: str) -> None:
        """Register the exports of the template ``resolver`` reads, as stack ``stack``. Export
        names are resolved on the first lookup, once every template of the run is added."""
        self._added.append((resolver, stack))
        self._index = None

    def _build(self) -> dict[tuple[str, str], tuple["Resolver", Any, str] | None]:
        index: dict[tuple[str, str], tuple["Resolver", Any, str] | None] = {}
        for resolver, stack in self._added:
            outputs = resolver.template.get("Outputs")
            if not isinstance(outputs, Mapping):
                continue
            for output in outputs.values():
                if not isinstance(output, Mapping):
                    continue
                export = output.get("Export")
                if not isinstance(export, Mapping) or "Name" not in export:
                    continue
                if "Condition" in output and resolver.condition(output.get("Condition")) is False:
                    continue
                name = resolver.resolve(export["Name"])
                if not isinstance(name, str) or is_opaque(name):
                    continue
                key = (resolver.region, name)
                index[key] = None if key in index else (resolver, output.get("Value"), stack)
        return index

    def lookup(self, region: str, name: str) -> Any:
        """The exported value, resolved in the exporting template and qualified with its stack;
        :class:`Unknown` when no (or more than one) template of the run exports ``name``."""
        if self._index is None:
            if self._building:
                return Unknown(f"Fn::ImportValue {name!r} inside an export name")
            self._building = True
            try:
                self._index = self._build()
            finally:
                self._building = False
        key = (region, name)
        if is_opaque(name):
            return Unknown(f"Fn::ImportValue {name!r}: the name is known only at deploy time")
        if key not in self._index:
            return Unknown(f"Fn::ImportValue {name!r}: no template checked in this run "
                           f"exports it")
        entry = self._index[key]
        if entry is None:
            return Unknown(f"Fn::ImportValue {name!r}: exported by more than one template")
        if key in self._active:
            return Unknown(f"Fn::ImportValue {name!r}: circular exports")
        exporter, raw, stack = entry
        self._active.add(key)
        try:
            return qualify(exporter.resolve(raw), stack)
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

SUB_VAR_RE = re.compile(r"\$\{([^}]*)\}")
"""A ``${...}`` of an ``Fn::Sub`` template (``${!Literal}`` is an escaped literal)."""
_MAX_DEPTH = 64
_DYNAMIC_REF = "{{resolve:"


def sub_variables(template: str) -> list[str]:
    """The variable names an ``Fn::Sub`` template string uses (``${Name}``, ``${Res.Attr}``,
    ``${AWS::Region}``), in order, leaving out escaped literals (``${!Literal}``)."""
    return [m.group(1).strip() for m in SUB_VAR_RE.finditer(template)
            if not m.group(1).startswith("!")]


def intrinsic_name(value: Mapping[Any, Any]) -> str | None:
    """``"Ref"``/``"Fn::..."`` when ``value`` is an intrinsic function call (a one-key mapping
    whose key is ``Ref`` or starts with ``Fn::``), else None."""
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
    """Normalize a resolved value for Fn::Equals (CloudFormation compares strings); None when it
    cannot be compared (unresolved, or not a scalar or list of scalars)."""
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


def _uncertain(key: Any) -> bool:
    """Whether a normalized Fn::Equals operand stands for a value known only at deploy time."""
    if isinstance(key, tuple):
        return any(_uncertain(k) for k in key)
    return isinstance(key, (ResourceRef, AttrRef)) or is_opaque(key)


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


class UnknownParameters(Mapping[str, Any]):
    """Parameter overrides in which every parameter is unknown (``reason`` says why), e.g. a
    nested stack whose parent passes a ``Parameters`` value that cannot be resolved."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __getitem__(self, key: str) -> Any:
        return Unknown(self.reason)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(())

    def __len__(self) -> int:
        return 0


class Resolver:
    """Resolve values of one template.

    ``region`` (default ``us-gov-west-1``) drives ``AWS::Region``, ``AWS::Partition`` and
    ``AWS::URLSuffix``; ``account`` drives ``AWS::AccountId`` (else the placeholder
    ``${AWS::AccountId}``); ``stack_name`` drives ``AWS::StackName`` (else the placeholder
    ``${AWS::StackName}``: give it only when the deployed stack's name is known, e.g. a cloud
    assembly's ``stackName``). ``parameters`` override parameter values (strings, as
    ``--parameter-overrides`` would pass them; an :class:`Unknown` value makes that parameter
    unknown, a :class:`ResourceRef`/:class:`AttrRef` of another stack stands for what a parent
    stack passes its nested stack), else each parameter's ``Default`` is used; it may be a
    callable returning that mapping, called on first use (nested stacks, whose parent's
    values resolve lazily). ``exports`` resolves ``Fn::ImportValue`` against the other
    templates of the run (else it is unknown). ``overrides_origin`` says where the overrides
    come from, for messages (``"as given"``, ``"as passed by parent stack P"``). ``assume``
    fixes the value of named conditions (see :meth:`assuming`); ``assume_parameters`` fixes the
    value of named parameters (a string, or an :class:`Unknown`), ahead of any override or
    ``Default`` (the engine checks every ``AllowedValues`` entry of a parameter this way).
    Parameters of an ``AWS::SSM::Parameter::Value<...>`` type are always unknown (their value is
    read from Parameter Store at deploy time).
    """

    def __init__(self, template: Mapping[str, Any], *, region: str = DEFAULT_REGION,
                 account: str | None = None,
                 parameters: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
                 stack_name: str | None = None,
                 exports: ExportRegistry | None = None,
                 overrides_origin: str = "as given",
                 assume: Mapping[str, bool] | None = None,
                 assume_parameters: Mapping[str, Any] | None = None) -> None:
        self.template = template if isinstance(template, Mapping) else {}
        self.region = region or DEFAULT_REGION
        self.partition = partition_for_region(self.region)
        self.url_suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        self.account = account
        self.stack_name = stack_name
        self.exports = exports
        self.assumed: dict[str, bool] = dict(assume or {})
        self.assumed_parameters: dict[str, Any] = dict(assume_parameters or {})
        self._overrides_source = parameters
        self._overrides: Mapping[str, Any] | None = None
        self._overrides_busy = False
        self.overrides_origin = overrides_origin
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
        # Parameter reads while resolving a resource's Properties: (resolved path, name).
        self._reads: list[tuple[tuple[str | int, ...], str]] | None = None
        self._path: list[str | int] = []
        self._frozen = 0
        self._reads_of: dict[str, tuple[tuple[tuple[str | int, ...], str], ...]] = {}
        self._cond_params: dict[str, tuple[str, ...]] = {}
        # logical id -> (parameters its raw mapping and conditions use, resources it references)
        self._names_of: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        # The resolver without assumptions this one was derived from (None: this is it), and,
        # on that one, the parameters and conditions each resource's resolution can reach.
        self._root: Resolver | None = None
        self._reach_of: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._cond_conds: dict[str, frozenset[str]] = {}
        # id(raw resource mapping) -> (the mapping, the conditions it names); on the root
        self._conditions_in: dict[int, tuple[Any, list[str]]] = {}

    def _mapping(self, key: str) -> Mapping[str, Any]:
        value = self.template.get(key)
        return value if isinstance(value, Mapping) else {}

    @property
    def overrides(self) -> Mapping[str, Any]:
        """Parameter values given for this template (see the class docstring)."""
        if self._overrides is None:
            source = self._overrides_source
            if callable(source):
                if self._overrides_busy:
                    return UnknownParameters("its value depends on itself (a circular reference "
                                             "between a parent stack and its nested stack)")
                self._overrides_busy = True
                try:
                    source = source()
                finally:
                    self._overrides_busy = False
            self._overrides = source if isinstance(source, UnknownParameters) else \
                dict(source or {})
        return self._overrides

    def derive(self, *, region: str | None = None,
               assume: Mapping[str, bool] | None = None,
               assume_parameters: Mapping[str, Any] | None = None) -> "Resolver":
        """A resolver of the same template with the same account, stack name, parameters and
        exports, for another ``region`` and/or other assumed conditions (``assume``) and
        parameter values (``assume_parameters``)."""
        source = self._overrides if self._overrides is not None else self._overrides_source
        derived = Resolver(self.template, region=region or self.region, account=self.account,
                           parameters=source, stack_name=self.stack_name, exports=self.exports,
                           overrides_origin=self.overrides_origin,
                           assume=self.assumed if assume is None else assume,
                           assume_parameters=self.assumed_parameters
                           if assume_parameters is None else assume_parameters)
        root = self._root or self
        if derived.region == root.region and not root.assumed and not root.assumed_parameters:
            derived._root = root
        return derived

    def assuming(self, assume: Mapping[str, bool]) -> "Resolver":
        """A resolver of the same template in which each named condition of ``assume`` has the
        given value (the engine evaluates both branches of a condition it cannot evaluate)."""
        return self.derive(assume={**self.assumed, **assume})

    def contradicts(self) -> bool:
        """Whether the assumed conditions contradict each other: an assumed condition whose
        definition, evaluated with the other assumptions, gives the opposite value."""
        for name, value in self.assumed.items():
            others = self.derive(assume={k: v for k, v in self.assumed.items() if k != name})
            if others.condition(name) is (not value):
                return True
        return False

    def unknown_conditions(self, resource: Any) -> list[str]:
        """Names of the template's conditions that decide a raw resource mapping (its
        ``Condition`` and the ``Fn::If`` calls anywhere inside it) and that cannot be evaluated
        (nor are assumed), in order of first use."""
        out: list[str] = []
        if not self.conditions:
            return out
        root = self._root or self
        cached = root._conditions_in.get(id(resource))
        if cached is None or cached[0] is not resource:
            cached = (resource, root._condition_names(resource))
            root._conditions_in[id(resource)] = cached
        for name in cached[1]:
            if self.condition(name) is None:
                out.append(name)
        return out

    def _condition_names(self, resource: Any) -> list[str]:
        """The template's conditions a raw resource mapping names (its ``Condition``, then
        ``Fn::If`` calls anywhere inside it), in order of first use."""
        out: list[str] = []

        def add(name: Any) -> None:
            if isinstance(name, str) and name in self.conditions and name not in out:
                out.append(str(name))

        def walk(node: Any, depth: int) -> None:
            if depth > _MAX_DEPTH or isinstance(node, (str, int, float)) or node is None:
                return
            if isinstance(node, dict) or (not isinstance(node, list)
                                          and isinstance(node, Mapping)):
                for key, val in node.items():
                    if key == "Fn::If" and isinstance(val, list) and val:
                        add(val[0])
                    walk(val, depth + 1)
            elif isinstance(node, list):
                for item in node:
                    walk(item, depth + 1)

        if isinstance(resource, Mapping):
            add(resource.get("Condition"))
        walk(resource, 0)
        return out

    # -- public API -------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """Resolve ``value`` deeply; see the module docstring for the result's shape."""
        return self._r(value, 0)

    def resolve_resource(self, logical_id: str) -> dict[str, Any]:
        """The resolved ``Properties`` of resource ``logical_id`` (memoized): ``{}`` when the
        resource has no ``Properties`` (or they resolve to ``AWS::NoValue``) or does not exist;
        an :class:`UnknownProperties` when ``Properties`` as a whole cannot be resolved (an
        ``Fn::If`` on a condition that cannot be evaluated, any other intrinsic, ``null`` or a
        value that is not a mapping), so a check never sees an unresolved resource as one
        without properties. Which parameters were read where is kept for
        :meth:`parameter_reads`."""
        cached = self._resource_cache.get(logical_id)
        if cached is not None:
            return cached
        root = self._root
        if root is not None and self._unaffected(logical_id):
            # Nothing this resource's resolution reaches is assumed: the resolver without
            # assumptions resolves it the same way (once for every variant of the template).
            resolved_root = root.resolve_resource(logical_id)
            self._resource_cache[logical_id] = resolved_root
            self._reads_of[logical_id] = root._reads_of.get(logical_id, ())
            return resolved_root
        res = self.resources.get(logical_id)
        saved = (self._reads, self._path, self._frozen)
        self._reads, self._path, self._frozen = [], ["Properties"], 0
        try:
            if not isinstance(res, Mapping) or "Properties" not in res:
                resolved: Any = {}
            else:
                resolved = self._r(res.get("Properties"), 0)
            if isinstance(res, Mapping) and "Condition" in res:
                for name in self.condition_parameters(res.get("Condition")):
                    self._reads.append(((), name))
            reads = tuple(dict.fromkeys(self._reads))
        finally:
            self._reads, self._path, self._frozen = saved
        if resolved is NOVALUE:
            resolved = {}
        elif isinstance(resolved, Unknown):
            resolved = UnknownProperties(f"Properties cannot be resolved: {resolved.reason}")
        elif not isinstance(resolved, dict):
            resolved = UnknownProperties(f"Properties is {type(resolved).__name__}, not a "
                                         f"mapping")
        self._resource_cache[logical_id] = resolved
        self._reads_of[logical_id] = reads
        return resolved

    def _unaffected(self, logical_id: str) -> bool:
        """Whether no assumed condition or parameter of this resolver can change how resource
        ``logical_id`` resolves (see :meth:`_reach`)."""
        if not self.assumed and not self.assumed_parameters:
            return True
        root = self._root or self
        params, conditions = root._reach(logical_id)
        return params.isdisjoint(self.assumed_parameters) and conditions.isdisjoint(self.assumed)

    def _reach(self, logical_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """(parameters, conditions) the resolution of resource ``logical_id`` may consult: those
        its raw mapping names (``Ref``, ``Fn::Sub``, ``Fn::If``, ``Condition``...), the ones the
        conditions it uses are defined with (transitively), and the same for every resource it
        references (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``; a mirrored attribute resolves the
        other resource's property). Memoized; read from the template only."""
        cached = self._reach_of.get(logical_id)
        if cached is not None:
            return cached
        params: set[str] = set()
        conditions: set[str] = set()
        todo = collections.deque([logical_id])
        seen: set[str] = set()
        while todo:
            lid = todo.popleft()
            if lid in seen:
                continue
            seen.add(lid)
            res = self.resources.get(lid)
            if not isinstance(res, Mapping):
                continue
            found: list[str] = []
            used: list[str] = []
            refs: list[str] = []
            _names_in({k: v for k, v in res.items() if k != "Metadata"}, found, used,
                      set(self.parameters), refs)
            if isinstance(res.get("Condition"), str):
                used.append(str(res["Condition"]))
            params.update(found)
            for name in used:
                conditions.add(name)
                conditions.update(self._conditions_of(name))
                params.update(self.condition_parameters(name))
            todo.extend(r for r in refs if r in self.resources and r not in seen)
        out = (frozenset(params), frozenset(conditions))
        self._reach_of[logical_id] = out
        return out

    def _conditions_of(self, name: str) -> frozenset[str]:
        """The conditions the definition of condition ``name`` uses, transitively."""
        cached = self._cond_conds.get(name)
        if cached is not None:
            return cached
        self._cond_conds[name] = frozenset()     # cycles end here
        params: list[str] = []
        used: list[str] = []
        _names_in(self.conditions.get(name), params, used, set(self.parameters))
        out: set[str] = set(used)
        for other in used:
            out.update(self._conditions_of(other))
        self._cond_conds[name] = frozenset(out)
        return self._cond_conds[name]

    def parameter_reads(self, logical_id: str) -> tuple[tuple[tuple[str | int, ...], str], ...]:
        """``(path, parameter name)`` for every template parameter whose value went into the
        resolved ``Properties`` of ``logical_id``: ``path`` is where in the resolved properties
        (``("Properties", "RetentionInDays")``; the location of the outermost intrinsic
        function that read it), ``()`` for a parameter the resource's ``Condition`` depends
        on."""
        self.resolve_resource(logical_id)
        return self._reads_of.get(logical_id, ())

    def raw_properties(self, logical_id: str) -> Mapping[str, Any]:
        """The ``Properties`` of ``logical_id`` as written, with an ``Fn::If`` around the whole
        mapping replaced by the branch its (evaluated or assumed) condition picks; ``{}`` when
        absent or when the branch cannot be told."""
        res = self.resources.get(logical_id)
        props = res.get("Properties") if isinstance(res, Mapping) else None
        props = self._unwrap_if(props)
        if isinstance(props, Mapping) and intrinsic_name(props) is None:
            return props
        return {}

    def _unwrap_if(self, node: Any) -> Any:
        """Follow ``Fn::If`` calls whose condition is known (or assumed) to the chosen branch."""
        for _ in range(_MAX_DEPTH):
            if not (isinstance(node, Mapping) and intrinsic_name(node) == "Fn::If"):
                return node
            arg = node["Fn::If"]
            if not (isinstance(arg, list) and len(arg) == 3):
                return node
            chosen = self.condition(arg[0])
            if chosen is None:
                return node
            node = arg[1] if chosen else arg[2]
        return node

    def _if_steps(self, node: Any) -> tuple[Any, list[str | int]]:
        """(branch, path steps) of the ``Fn::If`` chain :meth:`_unwrap_if` follows."""
        steps: list[str | int] = []
        for _ in range(_MAX_DEPTH):
            if not (isinstance(node, Mapping) and intrinsic_name(node) == "Fn::If"):
                break
            arg = node["Fn::If"]
            if not (isinstance(arg, list) and len(arg) == 3):
                break
            chosen = self.condition(arg[0])
            if chosen is None:
                break
            index = 1 if chosen else 2
            steps += ["Fn::If", index]
            node = arg[index]
        return node, steps

    # -- parameters the engine may vary ------------------------------------------------------

    def condition_parameters(self, name: Any) -> tuple[str, ...]:
        """Template parameters the named condition's definition refers to, through the
        conditions it uses (``{"Condition": X}``), in order of first use."""
        if not isinstance(name, str):
            return ()
        if name not in self._cond_params:
            self._cond_params[name] = ()    # cycles end here
            params: list[str] = []
            conditions: list[str] = []
            _names_in(self.conditions.get(name), params, conditions, set(self.parameters))
            for c in conditions:
                params.extend(self.condition_parameters(c))
            self._cond_params[name] = tuple(dict.fromkeys(params))
        return self._cond_params[name]

    def parameters_used_by(self, logical_ids: Any) -> list[str]:
        """Template parameters the raw resources ``logical_ids`` depend on: referenced in them
        (``Ref``, ``Fn::Sub``, ``Fn::FindInMap`` keys), in the conditions they use, and, the
        same way, in the resources they reference (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), in
        order of first use."""
        params: list[str] = []
        todo = collections.deque(lid for lid in logical_ids if isinstance(lid, str))
        seen: set[str] = set()
        while todo:
            lid = todo.popleft()
            if lid in seen:
                continue
            seen.add(lid)
            direct = self._direct_names(lid)
            if direct is None:
                continue
            found, refs = direct
            params.extend(found)
            todo.extend(r for r in refs if r not in seen)
        return list(dict.fromkeys(params))

    def _direct_names(self, lid: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(parameters, referenced resources) of one raw resource, without following the
        references (memoized; None when ``lid`` is no resource mapping)."""
        cached = self._names_of.get(lid)
        if cached is not None:
            return cached
        res = self.resources.get(lid)
        if not isinstance(res, Mapping):
            return None
        found: list[str] = []
        conditions: list[str] = []
        refs: list[str] = []
        _names_in({k: v for k, v in res.items() if k != "Metadata"}, found, conditions,
                  set(self.parameters), refs)
        if "Condition" in res and isinstance(res.get("Condition"), str):
            conditions.append(str(res["Condition"]))
        for c in conditions:
            found.extend(self.condition_parameters(c))
        out = (tuple(found), tuple(r for r in refs if r in self.resources))
        self._names_of[lid] = out
        return out

    def allowed_values(self, name: str) -> list[str] | None:
        """The values CloudFormation accepts for parameter ``name`` when the engine should check
        each of them: its ``AllowedValues`` (as strings, the ``Default`` first) when it is a
        ``String`` or ``Number`` parameter, is neither given (:attr:`overrides`) nor assumed,
        and allows some value other than its ``Default``; else None."""
        spec = self.parameters.get(name)
        if not isinstance(spec, Mapping) or name in self.assumed_parameters:
            return None
        ptype = spec.get("Type", "String")
        if ptype not in ("String", "Number"):
            return None
        allowed = spec.get("AllowedValues")
        if not isinstance(allowed, list) or not allowed:
            return None
        if name in self.overrides:
            return None
        values: list[str] = []
        for v in allowed:
            text = _as_text(v)
            if isinstance(text, Unknown) or isinstance(v, (Mapping, list)):
                return None
            if text not in values:
                values.append(text)
        default = spec.get("Default")
        if "Default" in spec and not isinstance(default, (Mapping, list)) and default is not None:
            text = _as_text(default)
            if isinstance(text, str):
                if text in values:
                    values.remove(text)
                values.insert(0, text)
                if len(values) == 1:
                    return None
        return values

    def parameter_default(self, name: str) -> str | None:
        """The ``Default`` of parameter ``name`` as a string, or None."""
        spec = self.parameters.get(name)
        if isinstance(spec, Mapping) and "Default" in spec:
            text = _as_text(spec["Default"])
            return text if isinstance(text, str) else None
        return None

    def parameter_origin(self, name: str) -> str | None:
        """Where the value of parameter ``name`` comes from, for messages: ``"default"``,
        :attr:`overrides_origin` (``"as given"``...) when given, None when it is assumed by
        the engine or has no value (its :class:`Unknown` says why)."""
        if name in self.assumed_parameters or name not in self.parameters:
            return None
        if isinstance(self.parameter_value(name), Unknown):
            return None
        return self.overrides_origin if name in self.overrides else "default"

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
        if name in self.assumed:
            return self.assumed[name]
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
        res = self.resources.get(logical_id)
        raw: Any = res.get("Properties") if isinstance(res, Mapping) else None
        out: list[str | int] = ["Properties"]
        for step in path[1:]:
            # An Fn::If whose condition is known (or assumed) on the way: the path goes into
            # the branch taken (Properties.Fn::If[1].CidrIp), so the line is the branch's.
            raw, steps = self._if_steps(raw)
            out.extend(steps)
            if isinstance(raw, Mapping) and intrinsic_name(raw) is not None:
                raw = None
            if isinstance(node, list) and isinstance(step, int):
                entry = self._index_maps.get(id(node))
                if entry is None and self._root is not None:   # resolved by the root
                    entry = self._root._index_maps.get(id(node))
                raw_step = entry[1][step] if entry and entry[0] is node and 0 <= step < len(
                    entry[1]) else step
                out.append(raw_step)
                node = node[step] if 0 <= step < len(node) else None
                raw = raw[raw_step] if isinstance(raw, list) and isinstance(raw_step, int) \
                    and 0 <= raw_step < len(raw) else None
            elif isinstance(node, dict):
                out.append(step)
                node = node.get(step)
                raw = raw.get(step) if isinstance(raw, Mapping) else None
            else:
                out.append(step)
                node = None
                raw = None
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
        overrides = self.overrides
        if name in self.assumed_parameters:
            value = self.assumed_parameters[name]
            if isinstance(value, Unknown):
                return value
        elif name in overrides:
            value = overrides[name]
            if isinstance(value, Unknown):
                return Unknown(f"parameter {name}: {value.reason}")
            if isinstance(value, (ResourceRef, AttrRef)):
                value = value.token
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
        if value is None:
            return Null()
        if isinstance(value, str):
            text = str(value)
            if _DYNAMIC_REF in text:
                return Unknown(f"dynamic reference {text!r} is resolved at deploy time")
            return text
        if isinstance(value, (int, float)):     # bool too; never a mapping or list
            return value
        tracking = self._reads is not None and not self._frozen
        if isinstance(value, dict) or (not isinstance(value, list)
                                       and isinstance(value, Mapping)):
            fn = intrinsic_name(value)
            if fn is not None:
                self._frozen += 1
                try:
                    return self._intrinsic(fn, value[fn], depth + 1)
                finally:
                    self._frozen -= 1
            out: dict[str, Any] = {}
            for k, v in value.items():
                if tracking:
                    self._path.append(str(k))
                try:
                    rv = self._r(v, depth + 1)
                finally:
                    if tracking:
                        self._path.pop()
                if rv is NOVALUE:
                    continue
                out[str(k) if isinstance(k, str) else k] = rv
            return out
        if isinstance(value, list):
            items: list[Any] = []
            kept: list[int] = []
            for i, v in enumerate(value):
                if tracking:
                    self._path.append(len(items))
                try:
                    rv = self._r(v, depth + 1)
                finally:
                    if tracking:
                        self._path.pop()
                if rv is NOVALUE:
                    continue
                items.append(rv)
                kept.append(i)
            if len(kept) != len(value):
                self._index_maps[id(items)] = (items, kept)
            return items
        return value

    def _read(self, name: str) -> None:
        if self._reads is not None:
            self._reads.append((tuple(self._path), name))

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
            self._read(name)
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
            if not isinstance(attribute, str) or is_opaque(attribute):
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
        for m in SUB_VAR_RE.finditer(template):
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
        if is_opaque(source) or is_opaque(delim):
            return Unknown(f"Fn::Split of {source!r}, which holds a value known only at deploy "
                           f"time")
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
            if is_opaque(text):
                return Unknown(f"Fn::FindInMap key {text!r} is known only at deploy time")
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
        for name in self.condition_parameters(arg[0]):
            self._read(name)
        chosen = self.condition(arg[0])
        if chosen is True:
            return self._r(arg[1], depth + 1)
        if chosen is False:
            return self._r(arg[2], depth + 1)
        a = self._r(arg[1], depth + 1)
        b = self._r(arg[2], depth + 1)
        if not isinstance(a, Unknown) and not isinstance(b, Unknown) and type(a) is type(b) \
                and _contains_no_unknown(a) and _contains_no_unknown(b) and a == b:
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
            if ka == kb:
                return True
            # A reference or a placeholder-bearing string may equal anything at deploy time.
            if _uncertain(ka) or _uncertain(kb):
                return None
            return False
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


def _names_in(node: Any, params: list[str], conditions: list[str], param_names: set[str],
              refs: list[str] | None = None, depth: int = 0) -> None:
    """Collect, from a raw template value, the parameters it refers to (``Ref``, ``Fn::Sub``
    variables) into ``params``, the conditions it uses (``Fn::If``, ``{"Condition": X}``) into
    ``conditions`` and the other names it refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``) into
    ``refs``."""
    if depth > _MAX_DEPTH or isinstance(node, (str, int, float)) or node is None:
        return

    def name(n: str) -> None:
        if n in param_names:
            params.append(n)
        elif refs is not None and not n.startswith("AWS::"):
            refs.append(n)

    if isinstance(node, dict) or (not isinstance(node, list) and isinstance(node, Mapping)):
        for key, val in node.items():
            if key == "Ref" and isinstance(val, str):
                name(str(val))
            elif key == "Condition" and isinstance(val, str) and len(node) == 1:
                conditions.append(str(val))
            elif key == "Fn::If" and isinstance(val, list) and val:
                if isinstance(val[0], str):
                    conditions.append(str(val[0]))
                _names_in(val[1:], params, conditions, param_names, refs, depth + 1)
            elif key == "Fn::GetAtt":
                target = val.split(".", 1)[0] if isinstance(val, str) else \
                    val[0] if isinstance(val, list) and val and isinstance(val[0], str) else None
                if isinstance(target, str) and refs is not None:
                    refs.append(str(target))
                if isinstance(val, list):
                    _names_in(val[1:], params, conditions, param_names, refs, depth + 1)
            elif key == "Fn::Sub":
                template = val[0] if isinstance(val, list) and val else val
                given = val[1] if isinstance(val, list) and len(val) > 1 and isinstance(
                    val[1], Mapping) else {}
                if isinstance(template, str):
                    for var in sub_variables(template):
                        if var not in given:
                            name(var.split(".", 1)[0] if "." in var and not var.startswith(
                                "AWS::") else var)
                if isinstance(val, list):
                    _names_in(val[1:], params, conditions, param_names, refs, depth + 1)
            else:
                _names_in(val, params, conditions, param_names, refs, depth + 1)
    elif isinstance(node, list):
        for item in node:
            _names_in(item, params, conditions, param_names, refs, depth + 1)


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
