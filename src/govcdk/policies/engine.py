"""Run the rule pack over CloudFormation templates.

:func:`load_rules` discovers the rules (``govcdk.policies.rules.<service>.<rule_name>``, one
``RULE`` per module; nothing registers itself on import). :func:`check` loads the targets
(:func:`govcdk.policies.loader.load_targets`), resolves each template
(:class:`govcdk.policies.resolver.Resolver`) and runs the selected rules:

- a ``resource``-scope rule's ``check(resource, ctx)`` is called once per resource whose type is
  in ``rule.resource_types`` (``"*"`` matches every type);
- a ``template``-scope rule's ``check(ctx)`` returns ``{logical_id: CheckResult | [CheckResult]}``.

Results are folded into ONE :class:`Finding` per (rule, resource): the worst status wins
(ERROR > FAIL > UNKNOWN > PASS > NOT_APPLICABLE: a definite failure is the verdict even beside
values that cannot be resolved, so ``--allow-unknown`` never hides it), the message joins the
failing messages,
``property_path`` is the first failing path (``Properties.SecurityGroupIngress[0].CidrIp``) and
``paths`` lists them all. A check that raises becomes an ERROR finding, never a crash.
``AWS::CDK::Metadata`` resources are skipped; resources whose ``Condition`` is false are
NOT_APPLICABLE.

Conditions the resolver cannot evaluate (they depend on a parameter without a value, an
unknown account or stack name...) do not decide anything: every branch is checked. For each
resource (for a template-scope rule: for the template) the engine collects the unevaluable
conditions of its ``Condition`` and ``Fn::If`` calls and, up to
:data:`MAX_ASSUMED_CONDITIONS` of them, runs the check once per consistent combination of
their values (:meth:`Resolver.assuming`). When the combinations disagree, every result names
its branch (``if Condition IsDev is true: ...``) and the worst one wins, so a rule fails if any
reachable branch fails. Combinations in which an assumed condition's definition contradicts
the others (``IsProd: !Not [!Condition IsDev]``) are skipped; two conditions on the same unknown
parameter (``Env = a``, ``Env = b``) are still combined freely, which can only add a failing
branch, never hide one. Beyond that number the check runs once: ``Fn::If`` on such a condition
is UNKNOWN and a resource with such a ``Condition`` is checked as if created; a resource whose
whole ``Properties`` is then unresolved is UNKNOWN for every rule, never an empty mapping.

Parameters are treated alike. A parameter given a value (``parameters``, a cloud assembly's,
or a parent stack's) has that value. A ``String`` or ``Number`` parameter that is not given and
declares ``AllowedValues`` may take any of them at deploy time, so each resource is checked
once per combination of the allowed values of the parameters it depends on (its
``Ref``/``Fn::Sub`` uses, its conditions', and those of the resources it references), the
defaults first, up to :data:`MAX_PARAMETER_COMBINATIONS`; a parameter that does not fit is
unknown. Results that differ name the value (``if parameter P is '0.0.0.0/0': ...``). A PASS
or FAIL that rests on a parameter's value says so (``(parameter P default)``, ``(parameter P
as given)``), and one that holds for every allowed value says it was checked with each. By
default the verdict is that of the parameters' defaults (the cdk-nag#393 case: "evaluate with
Parameter defaults; report 'depends on parameter'"), and when another allowed value gives a
worse verdict the finding says which and how to make it count; with ``all_allowed_values`` the
worst of all values is the verdict.

What the engine cannot check at all is a failing UNKNOWN finding of its own (rule id
:data:`ENGINE_RULE_ID`): an ``Fn::ForEach`` loop it cannot expand (loops are expanded first, see
:mod:`govcdk.policies.language_extensions`) and an ``AWS::CloudFormation::Stack`` whose nested
template is not in the run (a plain template's ``TemplateURL``, a missing cloud assembly
asset). Without a ``region`` override, a cloud assembly stack that targets a region outside
AWS GovCloud (US) is an :class:`InputError`.

All templates of one run share an :class:`~govcdk.policies.resolver.ExportRegistry`
(``Fn::ImportValue`` across stacks), and a nested stack's parameters are the values its
parent's ``AWS::CloudFormation::Stack`` resource passes (a value the parent cannot resolve is
unknown, not the nested template's ``Default``).

Suppressions (:mod:`govcdk.policies.suppressions`): each resource's
``Metadata.govcdk.suppressions`` is validated against the whole rule pack; a valid, unexpired
entry turns the ``FAIL``/``UNKNOWN`` results it covers into ``SUPPRESSED`` (the finding keeps
its message and lists the entry in ``acknowledgements``), an expired one leaves them failing
and says so, an invalid one is a ``FAIL`` finding of rule id
:data:`~govcdk.policies.suppressions.SUPPRESSION_RULE_ID` on the resource, and a valid one that
covered nothing is listed in ``Report.unused_suppressions``. Expiry is judged against
``today``.

Rule parameters (:mod:`govcdk.policies.parameters`): checks run with their floors, tightened
or (under an exception) loosened values; a rule run under an exception says so in every
finding's message and the report lists the exception. This module never imports ``aws_cdk``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import functools
import importlib
import itertools
import pkgutil
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..govcloud import REGIONS as GOVCLOUD_REGIONS
from . import suppressions as _supp
from ._gc import collecting_less
from .errors import InputError, InputProblem, RuleError
from .language_extensions import FOREACH_PREFIX, Problem
from .language_extensions import expand as expand_foreach
from .loader import LoadedTemplate, load_targets
from .model import (
    CheckResult, Finding, Report, Rule, Severity, Status, Suppression, TemplateInfo,
    UnusedSuppression)
from .parameters import Policy, Resolved
from .validate import MAX_RESOURCES
from .parameters import resolve as resolve_parameters
from .resolver import (
    AttrRef, ExportRegistry, Resolver, ResourceRef, Unknown, UnknownParameters,
    UnknownProperties, qualify)

RULES_PACKAGE = "govcdk.policies.rules"
SOURCE = "govcdk"
SKIPPED_TYPES = frozenset({"AWS::CDK::Metadata"})
MAX_ASSUMED_CONDITIONS = 4
"""Most unevaluable conditions whose combinations the engine checks one by one (2**4 runs)."""
MAX_PARAMETER_COMBINATIONS = 64
"""Most combinations of parameter ``AllowedValues`` the engine checks one by one for one
resource (or one template, for a template-scope rule); a parameter that does not fit is
unknown, never its default."""
ENGINE_RULE_ID = "ENGINE"
"""Rule id of the engine's own findings: what it could not check at all (an ``Fn::ForEach``
it cannot expand, a nested stack whose template is not available). Always UNKNOWN."""
ENGINE_TITLE = "Every resource of the template can be checked"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"

_RANK = {
    Status.NOT_APPLICABLE: 0,
    Status.PASS: 1,
    Status.SUPPRESSED: 2,
    Status.UNKNOWN: 3,
    Status.FAIL: 4,      # a definite failure outranks "cannot tell": --allow-unknown never hides it
    Status.ERROR: 5,
}


# --------------------------------------------------------------------------------------------
# rule discovery


def load_rules(package: str = RULES_PACKAGE) -> list[Rule]:
    """Import every ``<package>.<service>.<rule_name>`` module and return their ``RULE``
    objects, sorted by id.

    Modules and packages whose name starts with ``_`` are helpers and are skipped. Raises
    :class:`RuleError` for a module without a ``Rule`` named ``RULE``, a ``RULE.name`` that
    differs from its module name, or a duplicate id.
    """
    return list(_load_rules_cached(package))


@functools.lru_cache(maxsize=None)
def _load_rules_cached(package: str) -> tuple[Rule, ...]:
    root = importlib.import_module(package)
    rules: dict[str, tuple[Rule, str]] = {}
    for service in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if service.name.startswith("_"):
            continue
        if not service.ispkg:
            raise RuleError(f"{package}.{service.name}: rule modules belong in a service "
                            f"folder ({package}.<service>.<rule_name>)")
        service_pkg = importlib.import_module(f"{package}.{service.name}")
        for mod in sorted(pkgutil.iter_modules(service_pkg.__path__), key=lambda m: m.name):
            if mod.name.startswith("_"):
                continue
            module_name = f"{package}.{service.name}.{mod.name}"
            module = importlib.import_module(module_name)
            rule = getattr(module, "RULE", None)
            if not isinstance(rule, Rule):
                raise RuleError(f"{module_name}: defines no RULE (a govcdk.policies.model.Rule)")
            if rule.name != mod.name:
                raise RuleError(f"{module_name}: RULE.name {rule.name!r} differs from the "
                                f"module name {mod.name!r}")
            if rule.id in rules:
                raise RuleError(f"{module_name}: duplicate rule id {rule.id} (also in "
                                f"{rules[rule.id][1]})")
            rules[rule.id] = (rule, module_name)
    return tuple(r for _, (r, _m) in sorted(rules.items()))


BASELINES = ("low", "moderate", "high")
"""FedRAMP Rev 5 baselines ``--baseline`` accepts."""
_CONTROL_ID = re.compile(r"^([A-Z]{2})-0*(\d+)(?:\(0*(\d+)\))?$")


def normalize_control(control: str) -> str:
    """``"sc-12"`` -> ``"SC-12"``, ``"SC-07 (01)"`` -> ``"SC-7(1)"`` (NIST SP 800-53 Rev 5
    print form). Raises :class:`InputError` for anything else."""
    m = _CONTROL_ID.match(control.upper().replace(" ", ""))
    if not m:
        raise InputError(f"--control {control!r}: expected a NIST SP 800-53 Rev 5 control id "
                         f"such as SC-12 or SC-12(1)")
    return f"{m.group(1)}-{int(m.group(2))}" + (f"({int(m.group(3))})" if m.group(3) else "")


def control_matches(wanted: str, control: str) -> bool:
    """``SC-12`` matches ``SC-12`` and its enhancements (``SC-12(1)``...); ``SC-12(1)`` matches
    only ``SC-12(1)``. Both are normalized first (:func:`normalize_control`)."""
    try:
        have = normalize_control(control)
    except InputError:
        return False
    want = normalize_control(wanted)
    return have == want or ("(" not in want and have.startswith(want + "("))


def _baseline_name(value: Any) -> str:
    text = str(getattr(value, "value", value)).lower()
    words = re.findall(r"[a-z]+", text)
    return words[-1] if words else ""


def rule_baselines(rule: Rule) -> set[str] | None:
    """The FedRAMP baselines of ``rule`` as lower-case names (``{"moderate", "high"}``), read
    from ``rule.baselines`` (strings or string enums; ``"FedRAMP Moderate"`` counts as
    ``moderate``), or None when the rule does not say."""
    baselines = getattr(rule, "baselines", None)
    if baselines is None:
        return None
    if isinstance(baselines, str):
        baselines = [baselines]
    return {_baseline_name(b) for b in baselines}


def select_rules(rules: Sequence[Rule], patterns: Iterable[str] | None, *,
                 baseline: str | None = None, controls: Iterable[str] | None = None
                 ) -> list[Rule]:
    """The rules every given criterion selects (their intersection); all rules when none is
    given.

    - ``patterns``: the rule's id (or name) matches any of these shell-style patterns
      (case-insensitive, :func:`fnmatch.fnmatchcase`);
    - ``baseline``: ``low``, ``moderate`` or ``high``; the rule's ``baselines`` (FedRAMP Rev 5,
      derived from its controls by the catalog) include it;
    - ``controls``: the rule maps to any of these controls, a base control also matching its
      enhancements (``SC-12`` selects rules mapped to ``SC-12(1)``; see
      :func:`control_matches`).

    Raises :class:`InputError` for an unknown baseline or malformed control id, when a pattern
    matches no rule, when ``baseline`` is given but no rule states its baselines, and when the
    criteria together select nothing (the message names them)."""
    chosen = list(rules)
    said: list[str] = []
    pats = [p for p in (patterns or []) if p]
    if pats:
        chosen = [r for r in chosen
                  if any(fnmatch.fnmatchcase(r.id.upper(), p.upper())
                         or fnmatch.fnmatchcase(r.name.lower(), p.lower()) for p in pats)]
        if not chosen:
            raise InputError(f"no rule matches {', '.join(pats)}")
        said.append(f"--rule {' '.join(pats)}")
    if baseline:
        wanted = baseline.lower()
        if wanted not in BASELINES:
            raise InputError(f"--baseline {baseline!r}: expected one of {', '.join(BASELINES)}")
        if all(rule_baselines(r) is None for r in rules):
            raise InputError("--baseline: the rule pack states no FedRAMP baselines "
                             "(Rule.baselines); select rules with --rule or --control")
        chosen = [r for r in chosen if wanted in (rule_baselines(r) or set())]
        said.append(f"--baseline {wanted}")
    wanted_controls = [normalize_control(c) for c in (controls or []) if c]
    if wanted_controls:
        chosen = [r for r in chosen
                  if any(control_matches(w, c) for w in wanted_controls for c in r.controls)]
        said.append(f"--control {' '.join(wanted_controls)}")
    if not chosen:
        raise InputError(f"no rule is selected by {' and '.join(said)}")
    return chosen


# --------------------------------------------------------------------------------------------
# what checks see


@dataclass
class ResolvedResource:
    """One resource as a check sees it.

    ``raw`` is the resource mapping as written (``Type``, ``Properties``, ``Metadata``...);
    ``properties`` the resolved ``Properties`` (see :mod:`govcdk.policies.resolver`; an
    :class:`~govcdk.policies.resolver.UnknownProperties` when the whole mapping cannot be
    resolved, in which case resource-scope checks are not called: the finding is UNKNOWN);
    ``cdk_path`` is ``Metadata["aws:cdk:path"]`` or ``""``; ``condition`` is the resource's
    ``Condition`` value (True without one, None when it cannot be evaluated); ``stack`` is the
    key of its template in the run (what :attr:`ResourceRef.stack` names).
    """

    logical_id: str
    type: str
    raw: Mapping[str, Any]
    metadata: Mapping[str, Any]
    cdk_path: str
    condition: bool | None
    resolver: Resolver = field(repr=False)
    stack: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        return self.resolver.resolve_resource(self.logical_id)

    @property
    def raw_properties(self) -> Mapping[str, Any]:
        """``Properties`` as written; an ``Fn::If`` around the whole mapping is replaced by
        the branch its condition (evaluated, or assumed in this variant) picks."""
        return self.resolver.raw_properties(self.logical_id)


@dataclass
class RuleContext:
    """What a check may use besides its resource: the template, its resolver, the rule's
    parameters (``params``, e.g. ``{"min_retention_days": 365}``), the other resources of the
    template and, for references across stacks, the resources of every template of the run."""

    template: LoadedTemplate
    resolver: Resolver
    rule: Rule
    params: Mapping[str, Any]
    _resources: Mapping[str, ResolvedResource] = field(repr=False)
    _run: Mapping[str, Mapping[str, ResolvedResource]] = field(default_factory=dict, repr=False)
    stack: str = ""
    _index: _RunIndex | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        return self.resolver.region

    def resource(self, logical_id: Any) -> ResolvedResource | None:
        """The resource named ``logical_id`` (whatever its condition), or None."""
        if not isinstance(logical_id, str):
            return None
        return self._resources.get(logical_id)

    def resources(self, *types: str) -> list[ResolvedResource]:
        """Resources of the given types (all when none given), in template order, leaving out
        those whose ``Condition`` is false (they are not created)."""
        if self._index is not None:
            return list(self._index.own(self._resources, types))
        return [r for r in self._resources.values()
                if (not types or r.type in types) and r.condition is not False]

    def run_resources(self, *types: str) -> list[ResolvedResource]:
        """:meth:`resources` of every template of the run, this one first (for joins across
        stacks, e.g. a flow log in one stack for a VPC imported from another)."""
        out = self.resources(*types)
        if self._index is not None:     # the run's resources by type, built once per run
            out.extend(r for r in self._index.created(types) if r.stack != self.stack)
            return out
        for key, resources in self._run.items():
            if key == self.stack:
                continue
            out.extend(r for r in resources.values()
                       if (not types or r.type in types) and r.condition is not False)
        return out

    def base_run_resources(self, *types: str) -> list[ResolvedResource]:
        """The resources of the given types (all when none given) whose ``Condition`` is not
        false of every template of the run, this one's included, each as resolved without any
        assumed condition or parameter value, in run order. With :attr:`cache`, for indexes of
        the run built once and shared by every check; a check reads its own template's
        resources from :meth:`resources` (they may be a variant's)."""
        if self._index is None:
            self._index = _RunIndex(self._run)
        return self._index.created(types)

    def run_types(self) -> set[str]:
        """The resource types of every template of the run (to ask :meth:`run_resources` for
        the types a predicate selects, e.g. every ``Custom::*`` type)."""
        if self._index is not None:
            return self._index.types(self._resources)
        return {r.type for resources in self._run.values() for r in resources.values()}

    @property
    def cache(self) -> dict[Any, Any]:
        """A dictionary shared by every context of the run (one per run; a fresh one when the
        context was built without a run index): for what a check derives from the OTHER
        templates of the run, whose resources are the same for every rule and variant. Key it
        by something unique to the check (its module name first)."""
        if self._index is None:
            self._index = _RunIndex(self._run)
        return self._index.cache

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    @functools.cached_property
    def types(self) -> dict[str, str]:
        """Logical id -> resource type, for every resource of the template."""
        return {lid: r.type for lid, r in self._resources.items()}

    def target(self, ref: ResourceRef | AttrRef, owner: str | None = None
               ) -> ResolvedResource | None:
        """The resource a reference points at: in the template that holds the reference
        (``owner``, a run key; default this template) or, for a reference imported from
        another stack (``ref.stack``), in that stack when it was checked in the same run."""
        key = ref.stack or (self.stack if owner is None else owner)
        resources = self._resources if key == self.stack else self._run.get(key, {})
        return resources.get(ref.logical_id)

    def type_of(self, ref: ResourceRef | AttrRef, owner: str | None = None) -> str | None:
        """Type of the resource a reference points at (see :meth:`target`), or None when it
        is not a resource of the checked templates."""
        res = self.target(ref, owner)
        return res.type if res is not None else None


class _RunIndex:
    """The resources of every template of a run, by type, in run order, built once per run:
    so that :meth:`RuleContext.run_resources` costs what it returns, not the size of the run
    (a check over hundreds of templates would otherwise walk every resource of every template
    for every resource it checks). Holds the run's base resources (each template as resolved,
    not a variant); a context replaces its own template's with its variant's."""

    def __init__(self, run: Mapping[str, Mapping[str, ResolvedResource]]) -> None:
        self.run = run
        self.cache: dict[Any, Any] = {}
        self._created: dict[tuple[str, ...], list[ResolvedResource]] = {}
        self._types: set[str] | None = None
        # id(resources mapping) -> (the mapping, {types: resources}); holding the mapping
        # keeps its id from being reused while the entry lives
        self._own: dict[int, tuple[Mapping[str, ResolvedResource],
                                   dict[tuple[str, ...], list[ResolvedResource]]]] = {}

    def created(self, types: tuple[str, ...]) -> list[ResolvedResource]:
        """The run's resources of ``types`` (all when empty) whose ``Condition`` is not false,
        template by template in run order, each template's in template order."""
        found = self._created.get(types)
        if found is None:
            wanted = frozenset(types)
            found = [r for resources in self.run.values() for r in resources.values()
                     if (not wanted or r.type in wanted) and r.condition is not False]
            self._created[types] = found
        return found

    def own(self, resources: Mapping[str, ResolvedResource],
            types: tuple[str, ...]) -> list[ResolvedResource]:
        """``resources`` (one template's, or a variant's) of ``types`` whose ``Condition`` is
        not false, in template order; memoized for the few mappings checked last."""
        entry = self._own.get(id(resources))
        if entry is None or entry[0] is not resources:
            if len(self._own) > 64:
                self._own.clear()
            entry = self._own[id(resources)] = (resources, {})
        found = entry[1].get(types)
        if found is None:
            wanted = frozenset(types)
            found = entry[1][types] = [r for r in resources.values()
                                       if (not wanted or r.type in wanted)
                                       and r.condition is not False]
        return found

    def types(self, own: Mapping[str, ResolvedResource]) -> set[str]:
        """The resource types of the run, with those of ``own`` (a variant's resources)."""
        if self._types is None:
            self._types = {r.type for resources in self.run.values() for r in resources.values()}
        return self._types | {r.type for r in own.values()}


class _RunView(Mapping[str, Mapping[str, ResolvedResource]]):
    """The run's resources with one template's replaced by a variant's, without copying the
    run (``{**run, key: resources}`` per check is quadratic over a large run)."""

    __slots__ = ("_base", "_key", "_resources")

    def __init__(self, base: Mapping[str, Mapping[str, ResolvedResource]], key: str,
                 resources: Mapping[str, ResolvedResource]) -> None:
        self._base, self._key, self._resources = base, key, resources

    def __getitem__(self, key: str) -> Mapping[str, ResolvedResource]:
        return self._resources if key == self._key else self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)

    def __contains__(self, key: object) -> bool:
        return key in self._base


# --------------------------------------------------------------------------------------------
# running


def check(paths: Iterable[Path | str], *, parameters: Mapping[str, str] | None = None,
          rule_patterns: Iterable[str] | None = None, region: str | None = None,
          rules: Sequence[Rule] | None = None, all_allowed_values: bool = False,
          baseline: str | None = None, controls: Iterable[str] | None = None,
          policy: Policy | None = None, today: _dt.date | None = None) -> Report:
    """Check every template named by ``paths`` (cloud assemblies, template files or
    directories; see :func:`govcdk.policies.loader.load_targets`).

    ``parameters`` override template parameter values of every top-level template (names a
    template does not declare are ignored; nested stacks get what their parent passes);
    ``all_allowed_values`` checks a parameter that is not given with each of its
    ``AllowedValues`` (worst verdict wins, the finding names the value); by default it takes its
    ``Default``, and a verdict resting on such a default says which other values the template
    allows (cdk-nag#393: "evaluate with Parameter defaults; report 'depends on parameter'");
    ``rule_patterns`` select rules by id (fnmatch, e.g. ``"GOV-KMS-*"``); ``region`` overrides
    the region of every template (else the assembly's, else ``us-gov-west-1``); ``rules``
    replaces the discovered rule pack (tests); ``baseline`` and ``controls`` select rules too
    (see :func:`select_rules`); ``policy`` sets rule parameters (see
    :mod:`govcdk.policies.parameters`); ``today`` (default :meth:`datetime.date.today`) is the
    date suppressions and parameter exceptions expire against.

    Returns a :class:`Report` with one :class:`TemplateInfo` per template and findings ordered
    by template, then rule id, then logical id (the engine's own findings first: rule id
    :data:`ENGINE_RULE_ID`, then invalid suppressions). Raises :class:`InputError` for an
    unreadable target, a selection that selects no rule, a parameter policy the rule pack
    refuses, or (without ``region``) a cloud assembly stack outside AWS GovCloud (US);
    :class:`RuleError` for a broken rule pack.
    """
    today = today or _dt.date.today()
    pack = list(rules) if rules is not None else load_rules()
    selected = select_rules(pack, rule_patterns, baseline=baseline, controls=controls)
    resolved = resolve_parameters(policy, pack, today)
    templates = load_targets(paths)
    return check_templates(templates, selected, parameters=parameters, region=region,
                           all_allowed_values=all_allowed_values, known_rules=pack,
                           rule_parameters=resolved, today=today)


@dataclass
class _Stack:
    """One template of the run: its key, resolver and resources. ``loaded`` holds the template
    as checked (``Fn::ForEach`` loops expanded); ``problems`` are the loops that could not be
    expanded, ``expanded`` those that were (key path -> keys produced), ``unavailable`` the
    ``AWS::CloudFormation::Stack`` resources whose template is not in the run (logical id ->
    why)."""

    key: str
    loaded: LoadedTemplate
    resolver: Resolver
    resources: dict[str, ResolvedResource] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    expanded: dict[tuple[str | int, ...], list[str]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    source: LoadedTemplate | None = None
    """The template as loaded, before ``Fn::ForEach`` expansion (for the lines of loops)."""
    all_allowed_values: bool = False
    """Check each ``AllowedValues`` entry of parameters not given a value (see :func:`check`)."""


def check_templates(templates: Iterable[LoadedTemplate], rules: Sequence[Rule], *,
                    parameters: Mapping[str, str] | None = None,
                    region: str | None = None, all_allowed_values: bool = False,
                    known_rules: Sequence[Rule] | None = None,
                    rule_parameters: Resolved | None = None,
                    today: _dt.date | None = None) -> Report:
    """Run ``rules`` over already loaded templates (see :func:`check`).

    ``known_rules`` is the whole rule pack suppressions are validated against (default
    ``rules``: a suppression naming a rule that is not run is valid when the pack has it, and
    is then neither applied nor reported unused). ``rule_parameters`` are the parameter values
    :func:`govcdk.policies.parameters.resolve` accepted (default: the floors). ``today``
    (default :meth:`datetime.date.today`) is the date suppressions expire against.

    All templates share one :class:`~govcdk.policies.resolver.ExportRegistry`, so
    ``Fn::ImportValue`` resolves to what another template of the run exports (CDK cross-stack
    references). A top-level template's parameters are its assembly's ``parameters`` updated
    with ``parameters``; a nested stack's are those its parent passes. ``Fn::ForEach`` loops
    (``AWS::LanguageExtensions``) are expanded first (:mod:`~govcdk.policies.language_extensions`).

    A template whose ``Fn::ForEach`` loops expand it beyond CloudFormation's
    :data:`~govcdk.policies.validate.MAX_RESOURCES` resources is not checked (nor are its nested
    stacks): ``Report.input_errors`` says so.

    Raises :class:`InputError` when, without a ``region`` override, a cloud assembly stack
    targets a region outside AWS GovCloud (US): govcdk checks GovCloud templates.
    """
    with collecting_less():
        return _check_templates(list(templates), rules, parameters=parameters, region=region,
                                all_allowed_values=all_allowed_values,
                                known_rules=known_rules, rule_parameters=rule_parameters,
                                today=today)


def _check_templates(loaded: list[LoadedTemplate], rules: Sequence[Rule], *,
                     parameters: Mapping[str, str] | None, region: str | None,
                     all_allowed_values: bool, known_rules: Sequence[Rule] | None,
                     rule_parameters: Resolved | None, today: _dt.date | None) -> Report:
    _require_govcloud(loaded, region)
    exports = ExportRegistry()
    stacks: list[_Stack] = []
    by_template: dict[int, _Stack] = {}
    keys: set[str] = set()
    refused: list[InputProblem] = []
    refused_ids: set[int] = set()
    kept: list[LoadedTemplate] = []
    for t in loaded:
        if t.parent is not None and id(t.parent) in refused_ids:
            refused_ids.add(id(t))
            refused.append(InputProblem(
                str(t.path), f"not checked: nested stack {t.nested_id} of stack {t.parent.stack}, "
                             f"which could not be checked", logical_id=t.nested_id or "",
                kind="nested"))
            continue
        # Key of this template among the run's stacks: its stack name, made unique when two
        # plain files share a stem.
        key = t.stack if t.stack not in keys else f"{t.stack}#{len(keys)}"
        keys.add(key)
        parent = by_template.get(id(t.parent)) if t.parent is not None else None
        overrides: Any
        origin = "as given"
        if parent is not None and t.nested_id is not None:
            overrides = functools.partial(_nested_parameters, parent, t.nested_id)
            origin = f"as passed by parent stack {parent.loaded.stack}"
        else:
            overrides = {**dict(t.parameters), **dict(parameters or {})}

        def make(template: Mapping[str, Any], t: LoadedTemplate = t, overrides: Any = overrides,
                 origin: str = origin) -> Resolver:
            return Resolver(template, region=region or t.region, account=t.account,
                            parameters=overrides, stack_name=t.stack_name, exports=exports,
                            overrides_origin=origin)

        resolver = make(t.template)
        expansion = expand_foreach(t.template, resolver.resolve)
        checked = t
        if expansion.template is not t.template:
            count = len(expansion.template.get("Resources") or {})
            if count > MAX_RESOURCES:
                refused_ids.add(id(t))
                refused.append(InputProblem(
                    str(t.path), f"Fn::ForEach loops expand the template to {count} resources; "
                                 f"CloudFormation allows at most {MAX_RESOURCES} resources in one "
                                 f"stack (move some into nested stacks)",
                    kind="too-many-resources", location="Resources"))
                continue
            checked = dataclasses.replace(t, template=expansion.template)
            resolver = make(expansion.template)
        stack = _Stack(key, checked, resolver, problems=list(expansion.problems),
                       expanded=dict(expansion.expanded), source=t,
                       all_allowed_values=all_allowed_values)
        exports.add(resolver, key)
        stacks.append(stack)
        kept.append(t)
        by_template[id(t)] = stack
    children = {(id(t.parent), t.nested_id) for t in kept if t.parent is not None}
    for t, stack in zip(kept, stacks):
        for lid, res in stack.loaded.resources.items():
            if isinstance(res, Mapping) and res.get("Type") == NESTED_STACK_TYPE \
                    and (id(t), lid) not in children:
                stack.unavailable[str(lid)] = t.nested_missing.get(str(lid)) or (
                    "govcdk reads a nested template only from a cloud assembly "
                    "(Metadata aws:asset:path); it does not fetch TemplateURL")
    for stack in stacks:
        stack.resources = _resolved_resources(stack.loaded, stack.resolver, stack.key)
    run = _RunIndex({s.key: s.resources for s in stacks})
    resolved = rule_parameters or Resolved()
    ordered = [dataclasses.replace(r, parameters=resolved.parameters_of(r))
               if resolved.values.get(r.id) else r for r in sorted(rules, key=lambda r: r.id)]
    acks = _Acknowledging(
        {r.id: r.severity for r in (known_rules if known_rules is not None else rules)},
        today or _dt.date.today(), _engine_severity(ordered))
    report = Report(rules_run=[r.id for r in ordered], rule_info={
        r.id: {"title": r.title, "severity": r.severity.value, "controls": list(r.controls),
               "parameters": dict(r.parameters)}
        for r in ordered})
    report.parameter_exceptions = [e for e in resolved.exceptions
                                   if e.rule_id in report.rule_info]
    report.input_errors = refused
    notes = {r.id: " ".join(
        f"[{e.parameter}={e.value} under a parameter exception (FedRAMP floor {e.floor}) "
        f"until {e.expires.isoformat()}: {e.reason}]" for e in resolved.exceptions_of(r.id))
        for r in ordered}
    for info, findings, unused in _check_stacks(stacks, ordered, run, acks, notes):
        report.templates.append(info)
        report.findings.extend(findings)
        report.unused_suppressions.extend(unused)
    if any(f.rule_id == ENGINE_RULE_ID for f in report.findings):
        report.rules_run.append(ENGINE_RULE_ID)
        report.rule_info[ENGINE_RULE_ID] = {"title": ENGINE_TITLE,
                                            "severity": _engine_severity(ordered).value,
                                            "controls": []}
    if any(f.rule_id == _supp.SUPPRESSION_RULE_ID for f in report.findings):
        report.rules_run.append(_supp.SUPPRESSION_RULE_ID)
        report.rule_info[_supp.SUPPRESSION_RULE_ID] = {
            "title": _supp.SUPPRESSION_TITLE,
            "severity": max((f.severity for f in report.findings
                             if f.rule_id == _supp.SUPPRESSION_RULE_ID),
                            key=lambda s: s.rank).value,
            "controls": []}
    return report


WORKERS_ENV = "GOVCDK_WORKERS"
"""Environment variable: how many processes check the templates of a run (``1``: in this
process only; default: one per CPU this process may use, see :func:`_workers`)."""
MIN_TEMPLATES_PER_WORKER = 24
"""Fewest templates per worker process worth the cost of starting one (forking and sending
the findings back take tens of milliseconds; checking a template takes a few)."""

_Checked = tuple[TemplateInfo, list[Finding], list[UnusedSuppression]]
_FORKED: tuple[Any, ...] | None = None
"""What a forked worker checks: (stacks, rules, run, acknowledging, notes), set by the parent
just before it forks (the child inherits it; nothing is pickled on the way in)."""


def _workers(count: int) -> int:
    """How many processes check ``count`` templates: :data:`WORKERS_ENV` when set (a positive
    integer; ``1`` forces the serial run), else one per usable CPU, at most one per
    :data:`MIN_TEMPLATES_PER_WORKER` templates; 1 where ``fork`` is not available (the workers
    inherit the resolved run instead of rebuilding it)."""
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise InputError(f"{WORKERS_ENV}={wanted!r}: expected a positive integer "
                             f"(1 checks every template in this process)")
        return min(int(wanted), max(count, 1))
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, count // MIN_TEMPLATES_PER_WORKER))


def _check_stacks(stacks: Sequence[_Stack], rules: Sequence[Rule], run: _RunIndex,
                  acks: _Acknowledging, notes: Mapping[str, str]) -> list[_Checked]:
    """(template info, findings, unused suppressions) of each stack, in ``stacks`` order.

    With more than one worker (:func:`_workers`) the stacks are shared out among forked
    processes, which inherit the run as resolved so far (the resolvers, the run index, the
    exports) and send back only their results; a check reads the same resolved values either
    way, so the results are the same as in one process, in the same order."""
    workers = _workers(len(stacks))
    if workers <= 1:
        return [_check_one(stack, rules, run, acks, notes) for stack in stacks]
    import multiprocessing

    global _FORKED
    _FORKED = (stacks, rules, run, acks, notes)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            # small chunks in order: the costly templates do not all land on one worker
            chunk = max(1, len(stacks) // (workers * 16))
            return list(pool.imap(_check_forked, range(len(stacks)), chunksize=chunk))
    finally:
        _FORKED = None


def _check_forked(index: int) -> _Checked:
    assert _FORKED is not None
    stacks, rules, run, acks, notes = _FORKED
    return _check_one(stacks[index], rules, run, acks, notes)


def _check_one(stack: _Stack, rules: Sequence[Rule], run: _RunIndex, acks: _Acknowledging,
               notes: Mapping[str, str]) -> _Checked:
    info, findings = _check_template(stack, rules, run, acks, notes)
    unused, acks.unused = acks.unused, []
    return info, findings, unused


def _require_govcloud(loaded: Sequence[LoadedTemplate], region: str | None) -> None:
    """Without a ``region`` override, every cloud assembly stack must target GovCloud."""
    if region is not None:
        return
    for t in loaded:
        if t.manifest is not None and t.parent is None and t.region not in GOVCLOUD_REGIONS:
            raise InputError(
                f"{t.manifest}: stack {t.stack} targets {t.region}, which is not an AWS GovCloud "
                f"(US) region; pass --region to check it as a GovCloud template")
def _nested_parameters(parent: _Stack, logical_id: str) -> Mapping[str, Any]:
    """The parameter values the parent's ``AWS::CloudFormation::Stack`` resource
    ``logical_id`` passes its nested stack, resolved in the parent (references qualified with
    the parent's key; a value that cannot be resolved is :class:`Unknown`)."""
    where = f"the value parent stack {parent.loaded.stack} passes ({logical_id}.Parameters)"
    res = parent.loaded.resources.get(logical_id)
    props = res.get("Properties") if isinstance(res, Mapping) else None
    raw = props.get("Parameters") if isinstance(props, Mapping) else None
    if raw is None:
        return {}
    resolved = parent.resolver.resolve(raw)
    if isinstance(resolved, Unknown):
        return UnknownParameters(f"{where} cannot be resolved: {resolved.reason}")
    if not isinstance(resolved, dict):
        return UnknownParameters(f"{where} is not a mapping")
    out: dict[str, Any] = {}
    for name, value in resolved.items():
        if isinstance(value, Unknown):
            out[str(name)] = Unknown(f"{where} cannot be resolved: {value.reason}")
        elif isinstance(value, bool):
            out[str(name)] = "true" if value else "false"
        elif isinstance(value, (str, int, float, ResourceRef, AttrRef)):
            out[str(name)] = qualify(value, parent.key)
        else:
            out[str(name)] = Unknown(f"{where} is not a string")
    return out


def _resolved_resources(loaded: LoadedTemplate, resolver: Resolver,
                        key: str) -> dict[str, ResolvedResource]:
    resources: dict[str, ResolvedResource] = {}
    for lid, res in loaded.resources.items():
        if not isinstance(lid, str) or not isinstance(res, Mapping):
            continue
        rtype = res.get("Type")
        if not isinstance(rtype, str) or rtype in SKIPPED_TYPES:
            continue
        meta = res.get("Metadata") if isinstance(res.get("Metadata"), Mapping) else {}
        cdk_path = meta.get("aws:cdk:path")
        resources[str(lid)] = ResolvedResource(
            logical_id=str(lid), type=str(rtype), raw=res, metadata=meta,
            cdk_path=str(cdk_path) if isinstance(cdk_path, str) else "",
            condition=resolver.resource_condition(lid), resolver=resolver, stack=key)
    return resources




def _template_notes(stack: _Stack) -> list[str]:
    template = stack.loaded.template
    notes: list[str] = []
    transform = template.get("Transform")
    if transform:
        names = transform if isinstance(transform, list) else [transform]
        others = [str(n) if isinstance(n, str) else "<macro>" for n in names
                  if n != "AWS::LanguageExtensions"]
        if len(others) < len(names):
            notes.append("Transform AWS::LanguageExtensions: Fn::ForEach loops expanded as the "
                         "transform would; its other functions are resolved where possible")

    for path, produced in stack.expanded.items():
        if path[0] == "Outputs":
            continue
        shown = ", ".join(produced[:8]) + (f" and {len(produced) - 8} more"
                                           if len(produced) > 8 else "")
        notes.append(f"{render_path(path)}: Fn::ForEach expanded into {shown or 'nothing'}")
    for problem in stack.problems:
        notes.append(f"{render_path(problem.path)}: Fn::ForEach not expanded ({problem.reason}); "
                     f"what it declares was not checked")
    return notes


Fact = tuple[str, str]
"""What a variant assumes: ``("condition", name)`` -> bool, ``("parameter", name)`` -> value."""


@dataclass
class _Variant:
    """The template under one combination of assumed condition and parameter values
    (``facts``; empty for the template as resolved)."""

    facts: Mapping[Fact, Any]
    resolver: Resolver
    resources: Mapping[str, ResolvedResource]


class _Variants:
    """The variants of one template a check runs under (see the module docstring)."""

    def __init__(self, stack: _Stack) -> None:
        self.stack = stack
        self.base = _Variant({}, stack.resolver, stack.resources)
        self._resolvers: dict[frozenset[tuple[str, str]], Resolver] = {}
        self._cache: dict[tuple[frozenset[tuple[str, str]], frozenset[tuple[str, bool]]],
                          _Variant | None] = {}
        self._allowed: dict[str, list[str] | None] = {}
        self._for: dict[tuple[str, ...] | None, list[_Variant]] = {}
        self._varying: bool | None = None

    def for_resource(self, logical_id: str) -> list[_Variant]:
        return self._variants((logical_id,))

    def for_template(self) -> list[_Variant]:
        return self._variants(None)

    def _variants(self, lids: tuple[str, ...] | None) -> list[_Variant]:
        if lids in self._for:
            return self._for[lids]
        ids = list(self.stack.resources) if lids is None else list(lids)
        base = self.stack.resolver
        if self._varying is None:   # whether any parameter may take several values
            self._varying = any(self._allowed_values(n) for n in base.parameters)
        used = base.parameters_used_by(ids) if self._varying else []
        combos, overflow = self._parameter_sets(used)
        out: list[_Variant] = []
        for combo in combos:
            assumed: dict[str, Any] = {**combo, **overflow}
            presolver = self._resolver(assumed)
            names: list[str] = []
            for lid in ids:
                res = self.stack.resources.get(lid)
                if res is not None:
                    names.extend(n for n in presolver.unknown_conditions(res.raw)
                                 if n not in names)
            facts = {("parameter", n): v for n, v in combo.items()}
            out.extend(self._condition_variants(assumed, presolver, names, facts))
        self._for[lids] = out or [self.base]
        return self._for[lids]

    def _allowed_values(self, name: str) -> list[str] | None:
        if name not in self._allowed:
            self._allowed[name] = self.stack.resolver.allowed_values(name)
        return self._allowed[name]

    def _parameter_sets(self, names: Sequence[str]
                        ) -> tuple[list[dict[str, str]], dict[str, Unknown]]:
        """Each combination of the allowed values of the parameters ``names`` (the defaults
        first), up to :data:`MAX_PARAMETER_COMBINATIONS`, taking the parameters with the
        fewest values first; the parameters that do not fit are unknown (``overflow``), never
        their default."""
        chosen: list[tuple[str, list[str]]] = []
        overflow: dict[str, Unknown] = {}
        total = 1
        candidates = [(n, v) for n in names if (v := self._allowed_values(n))]
        for name, values in sorted(candidates, key=lambda c: len(c[1])):
            if total * len(values) <= MAX_PARAMETER_COMBINATIONS:
                chosen.append((name, values))
                total *= len(values)
            else:
                overflow[name] = Unknown(
                    f"parameter {name} may take any of its {len(values)} AllowedValues, and "
                    f"with the other parameters this depends on that makes more than "
                    f"{MAX_PARAMETER_COMBINATIONS} combinations to check one by one")
        combos = [dict(zip([n for n, _ in chosen], values))
                  for values in itertools.product(*(v for _, v in chosen))]
        return combos, overflow

    def _resolver(self, assumed: Mapping[str, Any]) -> Resolver:
        if not assumed:
            return self.stack.resolver
        key = frozenset((n, v if isinstance(v, str) else "\x00unknown")
                        for n, v in assumed.items())
        if key not in self._resolvers:
            self._resolvers[key] = self.stack.resolver.derive(assume_parameters=assumed)
        return self._resolvers[key]

    def _variant(self, pkey: frozenset[tuple[str, str]], resolver: Resolver,
                 assume: Mapping[str, bool], facts: Mapping[Fact, Any]) -> _Variant | None:
        key = (pkey, frozenset(assume.items()))
        if key not in self._cache:
            if not pkey and not assume:
                self._cache[key] = self.base
            elif assume and resolver.contradicts():
                self._cache[key] = None
            else:
                self._cache[key] = _Variant(facts, resolver, _resolved_resources(
                    self.stack.loaded, resolver, self.stack.key))
        return self._cache[key]

    def _condition_variants(self, assumed: Mapping[str, Any], presolver: Resolver,
                            names: Sequence[str], facts: Mapping[Fact, Any]) -> list[_Variant]:
        pkey = frozenset((n, v if isinstance(v, str) else "\x00unknown")
                         for n, v in assumed.items())
        if not names or len(names) > MAX_ASSUMED_CONDITIONS:
            variant = self._variant(pkey, presolver, {}, facts)
            return [variant] if variant is not None else []
        out: list[_Variant] = []
        for values in itertools.product((True, False), repeat=len(names)):
            assume = dict(zip(names, values))
            variant = self._variant(pkey, presolver.assuming(assume), assume,
                                    {**facts, **{("condition", n): v for n, v in assume.items()}})
            if variant is not None:
                out.append(variant)
        if not out:
            variant = self._variant(pkey, presolver, {}, facts)
            out = [variant] if variant is not None else []
        return out


class _Acknowledging:
    """Applies the suppressions of each resource's Metadata to the results of the rules run
    (see :mod:`govcdk.policies.suppressions`) and keeps what an assessor must see: invalid
    entries (as findings) and unused ones."""

    def __init__(self, severities: Mapping[str, Severity], today: _dt.date,
                 engine_severity: Severity) -> None:
        self.severities = severities
        self.today = today
        self.engine_severity = engine_severity
        self.unused: list[UnusedSuppression] = []

    def start(self, stack: _Stack) -> None:
        self.parsed = {lid: _supp.parse(res.metadata, self.severities)
                       for lid, res in stack.resources.items()}
        self.used: dict[str, set[int]] = {lid: set() for lid in self.parsed}
        self.outcome: dict[tuple[str, str], Finding] = {}

    def apply(self, rule: Rule, logical_id: str, results: list[CheckResult]
              ) -> tuple[list[CheckResult], tuple[Suppression, ...]]:
        parsed = self.parsed.get(logical_id)
        if parsed is None or not parsed.suppressions:
            return results, ()
        applied = _supp.apply(results, rule.id, parsed.suppressions, self.today)
        self.used[logical_id] |= applied.used
        return applied.results, applied.acknowledgements

    def record(self, finding: Finding) -> None:
        self.outcome[(finding.rule_id, finding.logical_id)] = finding

    def problems(self, stack: _Stack) -> list[Finding]:
        """One FAIL finding per resource with invalid entries, as severe as the most severe
        rule they name (the engine's severity when they name no known rule)."""
        out = []
        for lid, parsed in self.parsed.items():
            if not parsed.problems:
                continue
            res = stack.resources[lid]
            named = [self.severities.get(p.rule_id) or _supp.cfnlint_severity(p.rule_id)
                     if p.rule_id else None for p in parsed.problems]
            severity = max((s or self.engine_severity for s in named), key=lambda s: s.rank)
            first = parsed.problems[0].path
            out.append(Finding(
                source=SOURCE, rule_id=_supp.SUPPRESSION_RULE_ID,
                title=_supp.SUPPRESSION_TITLE, severity=severity, controls=(),
                status=Status.FAIL,
                message="invalid suppression, not applied: " + "; ".join(
                    p.describe() for p in parsed.problems),
                stack=stack.loaded.stack, template_path=str(stack.loaded.path),
                logical_id=lid, resource_type=res.type, property_path=render_path(first),
                cdk_path=res.cdk_path, line=stack.loaded.line_of(lid, first),
                paths=tuple(dict.fromkeys(render_path(p.path) for p in parsed.problems))))
        return out

    def finish(self, stack: _Stack, rules: Sequence[Rule]) -> None:
        """Collect the valid suppressions of rules run that covered nothing."""
        by_id = {r.id: r for r in rules}
        for lid, parsed in self.parsed.items():
            res = stack.resources[lid]
            for i, s in enumerate(parsed.suppressions):
                rule = by_id.get(s.id)
                if rule is None or i in self.used[lid]:
                    continue
                finding = self.outcome.get((s.id, lid))
                if finding is None:
                    why = (f"{s.id} does not check {res.type} resources" if not _matches(rule, res.type)
                           else f"{s.id} reported nothing for this resource")
                elif finding.status == Status.ERROR:
                    why = f"{s.id} raised an error on this resource (ERROR is never suppressed)"
                elif s.wildcard is not None and finding.status.failing:
                    why = f'no failing result of {s.id} names "{s.wildcard}"'
                elif s.wildcard is not None and finding.status == Status.SUPPRESSED:
                    why = f'no failing result of {s.id} names "{s.wildcard}"'
                else:
                    why = f"{s.id} has no failing result on this resource ({finding.status.value})"
                self.unused.append(UnusedSuppression(
                    stack=stack.loaded.stack, template_path=str(stack.loaded.path),
                    logical_id=lid, resource_type=res.type, cdk_path=res.cdk_path,
                    suppression=s, why=why, expired=_supp.expired(s, self.today)))


def _check_template(stack: _Stack, rules: Sequence[Rule],
                    run: _RunIndex,
                    acks: _Acknowledging | None = None,
                    notes: Mapping[str, str] | None = None,
                    ) -> tuple[TemplateInfo, list[Finding]]:
    loaded = stack.loaded
    info = TemplateInfo(stack=loaded.stack, path=str(loaded.path),
                        resource_count=len(stack.resources), region=stack.resolver.region,
                        notes=tuple(_template_notes(stack)))
    variants = _Variants(stack)
    findings: list[Finding] = _engine_findings(stack, rules) if rules else []
    if acks is not None:
        acks.start(stack)
        findings.extend(acks.problems(stack))
    for rule in rules:
        per_resource = _run_rule(rule, stack, variants, run)
        note = (notes or {}).get(rule.id, "")
        for lid in sorted(per_resource):
            results, applied = per_resource[lid], ()
            if acks is not None:
                results, applied = acks.apply(rule, lid, results)
            finding = _finding(rule, loaded, stack.resources.get(lid), lid, results, applied)
            if note:
                finding = dataclasses.replace(
                    finding, message=f"{finding.message} {note}" if finding.message else note)
            if acks is not None:
                acks.record(finding)
            findings.append(finding)
    if acks is not None:
        acks.finish(stack, rules)
    return info, findings


def _engine_severity(rules: Sequence[Rule]) -> Severity:
    """An engine finding stands for every rule that could not check what it names."""
    return max((r.severity for r in rules), key=lambda s: s.rank, default=Severity.HIGH)


def _engine_findings(stack: _Stack, rules: Sequence[Rule]) -> list[Finding]:
    """UNKNOWN findings (rule id :data:`ENGINE_RULE_ID`) for what the engine could not check
    at all: ``Fn::ForEach`` loops it could not expand (in ``Resources`` or ``Conditions``),
    nested stacks whose template is not available, a ``Transform`` other than
    ``AWS::LanguageExtensions`` (a macro or SAM generates resources at deploy time), and a
    ``Resources`` entry without a ``Type`` (``Fn::Transform`` with ``AWS::Include``)."""
    loaded = stack.loaded
    severity = _engine_severity(rules)
    out: list[Finding] = []

    def add(message: str, logical_id: str, path: Sequence[str | int], line: int | None,
            resource: ResolvedResource | None) -> None:
        out.append(Finding(
            source=SOURCE, rule_id=ENGINE_RULE_ID, title=ENGINE_TITLE, severity=severity,
            controls=(), status=Status.UNKNOWN, message=message, stack=loaded.stack,
            template_path=str(loaded.path), logical_id=logical_id,
            resource_type=resource.type if resource is not None else "",
            property_path=render_path(path), cdk_path=resource.cdk_path if resource else "",
            line=line))

    for problem in stack.problems:
        section = problem.path[0]
        if section not in ("Resources", "Conditions"):
            continue
        line = (stack.source or loaded).line_at(problem.path)
        what = "the conditions it declares are missing" if section == "Conditions" else \
            "the resources it declares are not checked"
        message = f"{problem.key}: Fn::ForEach cannot be expanded ({problem.reason}); {what}"
        if section == "Resources" and len(problem.path) > 2 and isinstance(problem.path[1], str):
            lid = problem.path[1]
            add(f"{message.replace('the resources it declares are not', 'what it declares is not')}",
                lid, problem.path[2:], line, stack.resources.get(lid))
        else:
            add(message, "", problem.path, line, None)
    for lid, reason in stack.unavailable.items():
        res = stack.resources.get(lid)
        if res is not None and res.condition is False:
            continue
        add(f"nested template not available: its resources are not checked ({reason})", lid,
            (), loaded.line_of(lid), res)
    template = loaded.template
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform else []
    macros = [describe_transform(n) for n in names if n != "AWS::LanguageExtensions"]
    if macros:
        add(f"Transform {', '.join(macros)}: the resources the transform generates at deploy "
            f"time are not in the template and are not checked", "", ("Transform",),
            loaded.line_at(("Transform",)), None)
    resources = template.get("Resources")
    for key, value in (resources.items() if isinstance(resources, Mapping) else []):
        if isinstance(key, str) and key.startswith(FOREACH_PREFIX):
            continue
        if not isinstance(value, Mapping) or not isinstance(value.get("Type"), str):
            add(f"{key}: not a resource with a Type (e.g. an AWS::Include Fn::Transform); what "
                f"it stands for at deploy time is not checked", str(key), (),
                loaded.line_of(str(key)), None)
    return out


def describe_transform(name: Any) -> str:
    """A Transform entry as text: its name, or the Name of a macro given with parameters."""
    if isinstance(name, str):
        return name
    if isinstance(name, Mapping) and isinstance(name.get("Name"), str):
        return name["Name"]
    return "<macro>"


def _matches(rule: Rule, rtype: str) -> bool:
    return "*" in rule.resource_types or rtype in rule.resource_types


def _error_result(exc: BaseException) -> CheckResult:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return CheckResult(Status.ERROR, f"rule raised {type(exc).__name__}: {exc}{where}")


def _context(rule: Rule, stack: _Stack, variant: _Variant,
             run: _RunIndex) -> RuleContext:
    return RuleContext(template=stack.loaded, resolver=variant.resolver, rule=rule,
                       params=dict(rule.parameters), _resources=variant.resources,
                       _run=_RunView(run.run, stack.key, variant.resources), stack=stack.key,
                       _index=run)


def _raw_path(rule: Rule, resolvers: Sequence[Resolver], logical_id: str,
              path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A path into resolved properties -> the path into the template as written (list indexes
    shift where ``AWS::NoValue`` removed items; an ``Fn::If`` whose branch is known is
    entered), with the resolvers of the variants that gave the result: where they disagree
    (the result holds in both branches of an ``Fn::If``), their common part."""
    if rule.raw_paths or not logical_id or not path:
        return path
    raws = list(dict.fromkeys(r.raw_path(logical_id, path) for r in resolvers))
    common = raws[0]
    for other in raws[1:]:
        n = 0
        while n < min(len(common), len(other)) and common[n] == other[n]:
            n += 1
        common = common[:n]
    return common


def _overlaps(a: Sequence[str | int], b: Sequence[str | int]) -> bool:
    n = min(len(a), len(b))
    return tuple(a[:n]) == tuple(b[:n])


def _noted(results: list[CheckResult], resolver: Resolver,
           logical_id: str) -> list[CheckResult]:
    """PASS and FAIL results whose deciding values came from template parameters name them
    and where their value came from: `` (parameter P default)``, `` (parameter P as given)``,
    `` (parameter P as passed by parent stack S)`` (cdk-nag#393: a verdict that rests on a
    parameter's default must say so). A parameter without a value is not named (its
    :class:`Unknown` says why), nor one the variant assumes (its branch label names it). Only
    results with a property path are noted: the parameters read at that path (or inside it,
    or by the resource's ``Condition``), so a parameter used elsewhere in the resource (a tag,
    a name) is not named."""
    if not logical_id or logical_id not in resolver.resources:
        return results
    reads = resolver.parameter_reads(logical_id)
    if not reads:
        return results
    out: list[CheckResult] = []
    for r in results:
        if r.status not in (Status.PASS, Status.FAIL) or not r.path:
            out.append(r)
            continue
        names = list(dict.fromkeys(n for p, n in reads if _overlaps(p, r.path)))
        note = _parameter_note(resolver, names, r.message)
        out.append(CheckResult(r.status, r.message + note, r.path) if note else r)
    return out


def _parameter_note(resolver: Resolver, names: Sequence[str], message: str) -> str:
    groups: dict[str, list[str]] = {}
    for name in names:
        if re.search(rf"\bparameters? {re.escape(name)}\b", message):
            continue
        origin = resolver.parameter_origin(name)
        if origin is not None:
            groups.setdefault(origin, []).append(name)
    parts = [f"parameter {ns[0]} {origin}" if len(ns) == 1
             else f"parameters {', '.join(ns)} {origin}" for origin, ns in groups.items()]
    return f" ({'; '.join(parts)})" if parts else ""


def _run_rule(rule: Rule, stack: _Stack, variants: _Variants,
              run: _RunIndex) -> dict[str, list[CheckResult]]:
    fold = _merge if stack.all_allowed_values else _merge_defaults
    if rule.scope == "template":
        chosen = variants.for_template()
        per_variant = [(v, _run_template_rule(rule, stack, v, run)) for v in chosen]
        lids = sorted({lid for _, out in per_variant for lid in out})
        return {lid: fold([(v, out[lid]) for v, out in per_variant if lid in out], lid, rule)
                for lid in lids}
    out: dict[str, list[CheckResult]] = {}
    for lid, res in stack.resources.items():
        if not _matches(rule, res.type):
            continue
        out[lid] = fold([
            (v, _run_resource_rule(rule, v.resources[lid], _context(rule, stack, v, run)))
            for v in variants.for_resource(lid)], lid, rule)
    return out


def _worst(results: Sequence[CheckResult]) -> Status:
    return max((r.status for r in results), key=lambda st: _RANK[st], default=Status.PASS)


def _name_parameters(results: list[CheckResult], resolver: Resolver, logical_id: str,
                     among: set[str], note: str) -> list[CheckResult]:
    """Append `` (<note>)`` to each PASS or FAIL result with a property path, ``{which}`` in
    ``note`` naming the parameters of ``among`` read at that path that the message does not
    name yet (``parameter P`` / ``parameters P, Q``)."""
    if not among or logical_id not in resolver.resources:
        return results
    reads = resolver.parameter_reads(logical_id)
    out = []
    for r in results:
        names = [n for n in dict.fromkeys(n for p, n in reads if n in among and _overlaps(p, r.path))
                 if not re.search(rf"\bparameters? {re.escape(n)}\b", r.message)]
        if r.status in (Status.PASS, Status.FAIL) and r.path and names:
            which = f"parameter {names[0]}" if len(names) == 1 else f"parameters {', '.join(names)}"
            r = CheckResult(r.status, f"{r.message} ({note.format(which=which)})", r.path)
        out.append(r)
    return out


def _merge_defaults(per_variant: list[tuple[_Variant, list[CheckResult]]], logical_id: str,
                    rule: Rule) -> list[CheckResult]:
    """Parameters take their defaults (the default mode): the verdict is that of the variants
    whose assumed parameter values are the defaults (their condition branches still all
    count). When another allowed value gives a worse verdict, the worst result says so and how
    to make it count (``--all-allowed-values``), so a default never hides a reachable failure
    silently."""
    def is_default(v: _Variant) -> bool:
        return all(value == v.resolver.parameter_default(name)
                   for (kind, name), value in v.facts.items() if kind == "parameter")

    defaults = [(v, r) for v, r in per_variant if is_default(v)]
    if not defaults or len(defaults) == len(per_variant):
        return _merge(per_variant, logical_id, rule)
    first = defaults[0][0]
    verdict = _name_parameters(_merge(defaults, logical_id, rule), first.resolver, logical_id,
                               {n for kind, n in first.facts if kind == "parameter"}, "{which} default")
    every = _merge(per_variant, logical_id, rule)
    if _RANK[_worst(every)] <= _RANK[_worst(verdict)]:
        return verdict
    worse = next(r for r in every if r.status == _worst(every))
    at = max(range(len(verdict)), key=lambda i: _RANK[verdict[i].status])
    r = verdict[at]
    verdict[at] = CheckResult(r.status, f"{r.message} [other AllowedValues give "
                              f"{worse.status.value}: {worse.message}; check them with "
                              f"--all-allowed-values]", r.path)
    return verdict


def _run_resource_rule(rule: Rule, res: ResolvedResource, ctx: RuleContext) -> list[CheckResult]:
    if res.condition is False:
        return [_not_created(res, ctx.resolver)]
    props = res.properties
    if isinstance(props, UnknownProperties):
        return [CheckResult.unknown(props.reason, ("Properties",))]
    try:
        results = _as_results(rule.check(res, ctx))
    except Exception as exc:  # a crashing rule is a finding, not a crash
        return [_error_result(exc)]
    return _noted(results, ctx.resolver, res.logical_id)


def _run_template_rule(rule: Rule, stack: _Stack, variant: _Variant,
                       run: _RunIndex
                       ) -> dict[str, list[CheckResult]]:
    ctx = _context(rule, stack, variant, run)
    resources = variant.resources
    try:
        returned = rule.check(ctx)
        if not isinstance(returned, Mapping):
            raise TypeError(f"template check returned {type(returned).__name__}, "
                            f"not a mapping of logical id to results")
    except Exception as exc:  # a crashing rule is a finding, not a crash
        err = _error_result(exc)
        targets = [lid for lid, r in resources.items() if _matches(rule, r.type)]
        return {lid: [err] for lid in targets} or {"": [err]}
    out: dict[str, list[CheckResult]] = {}
    for lid, results in returned.items():
        out[str(lid)] = _noted(_as_results(results), variant.resolver, str(lid))
    for lid, res in resources.items():
        if res.condition is False and lid not in out and _matches(rule, res.type):
            out[lid] = [_not_created(res, variant.resolver)]
    return out


def _merge(per_variant: list[tuple[_Variant, list[CheckResult]]], logical_id: str,
           rule: Rule) -> list[CheckResult]:
    """Fold the results of the variants of a check (each with its assumed conditions and
    parameter values) into one list.

    One variant: its results. When no variant has a failing result and all give the same
    statuses, the branches do not matter: the first variant's results (the parameters'
    defaults), saying which parameters they rest on were checked with each allowed value.
    Otherwise each distinct result is kept once; one that not every variant gave is prefixed
    with the branches that gave it, stated with as few facts as tell them apart (``if
    Condition A is true: ...``, ``if parameter P is '0.0.0.0/0': ...``), so the finding names
    the failing branch.

    Results are compared with their paths into the resolved properties; each is then given
    its path into the template as written (:func:`_raw_path`)."""
    def raw(r: CheckResult, resolvers: Sequence[Resolver]) -> CheckResult:
        path = _raw_path(rule, resolvers, logical_id, r.path)
        return r if path == r.path else CheckResult(r.status, r.message, path)

    first_variant, first = per_variant[0]
    if len(per_variant) == 1:
        return [raw(r, [first_variant.resolver]) for r in first]
    describe = _fact_describer(first_variant.resolver)
    statuses = {frozenset(r.status for r in results) for _, results in per_variant}
    if len(statuses) == 1 and not any(s.failing for s in next(iter(statuses))):
        return [raw(r, [first_variant.resolver])
                for r in _each_value_noted(per_variant, logical_id)]
    everywhere = [dict(v.facts) for v, _ in per_variant]
    order: list[CheckResult] = []
    where: dict[CheckResult, list[dict[Fact, Any]]] = {}
    by: dict[CheckResult, list[Resolver]] = {}
    for variant, results in per_variant:
        for r in results:
            if r not in where:
                where[r] = []
                by[r] = []
                order.append(r)
            if dict(variant.facts) not in where[r]:
                where[r].append(dict(variant.facts))
                by[r].append(variant.resolver)
    out: list[CheckResult] = []
    for r in order:
        if len(where[r]) == len(everywhere):
            out.append(raw(r, by[r]))
            continue
        label = _branches(where[r], everywhere, describe)
        out.append(raw(CheckResult(r.status, f"{label}: {r.message}" if r.message else label,
                                   r.path), by[r]))
    return out


def _each_value_noted(per_variant: list[tuple[_Variant, list[CheckResult]]],
                      logical_id: str) -> list[CheckResult]:
    """The first variant's results (the defaults), each saying which parameters it rests on
    were checked with every allowed value (they all agree)."""
    variant, first = per_variant[0]
    varied = {n for v, _ in per_variant for kind, n in v.facts if kind == "parameter"}
    return _name_parameters(first, variant.resolver, logical_id, varied,
                            "same verdict for every AllowedValues entry of {which}")


def _fact_describer(resolver: Resolver):  # type: ignore[no-untyped-def]
    def describe(fact: Fact, value: Any) -> str:
        kind, name = fact
        if kind == "condition":
            return f"Condition {name} is {'true' if value else 'false'}"
        default = " (its default)" if value == resolver.parameter_default(name) else ""
        return f"parameter {name} is {value!r}{default}"
    return describe


def _branches(group: list[dict[Fact, Any]], everywhere: list[dict[Fact, Any]],
              describe: Any) -> str:
    """``if Condition A is true[ and ...][ or if ...]``: the variants of ``group``, described
    by the fewest facts whose values single them out among ``everywhere``."""
    names = list(dict.fromkeys(n for a in everywhere for n in a))
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            if any(n not in a for a in group for n in subset):
                continue
            shown = list(dict.fromkeys(tuple(a[n] for n in subset) for a in group))
            if all((tuple(a.get(n) for n in subset) in shown) == (a in group)
                   for a in everywhere):
                return " or ".join(
                    "if " + " and ".join(describe(n, v) for n, v in zip(subset, values))
                    for values in shown)
    return "if " + " or if ".join(" and ".join(describe(n, v) for n, v in a.items())
                                  for a in group)


def _not_created(res: ResolvedResource, resolver: Resolver) -> CheckResult:
    if resolver.assumed or resolver.assumed_parameters:
        return CheckResult.not_applicable("not created")
    return CheckResult.not_applicable(
        f"not created with the given or default parameter values: Condition "
        f"{res.raw.get('Condition')} is false")


def _as_results(returned: Any) -> list[CheckResult]:
    items = returned if isinstance(returned, (list, tuple)) else [returned]
    results: list[CheckResult] = []
    for item in items:
        if not isinstance(item, CheckResult):
            return [CheckResult(Status.ERROR, f"check returned {type(item).__name__}, "
                                              f"not a CheckResult")]
        results.append(item)
    if not results:
        return [CheckResult(Status.ERROR, "check returned no result")]
    return results


def render_path(path: Sequence[str | int]) -> str:
    """``("Properties", "SecurityGroupIngress", 0, "CidrIp")`` ->
    ``"Properties.SecurityGroupIngress[0].CidrIp"``."""
    out = ""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out


def _finding(rule: Rule, loaded: LoadedTemplate, resource: ResolvedResource | None,
             logical_id: str, results: list[CheckResult],
             acknowledgements: tuple[Suppression, ...] = ()) -> Finding:
    """Fold a resource's results (paths already into the raw template) into one finding.

    With ``acknowledgements`` (suppressions applied to some results): a finding whose failing
    results were all acknowledged is ``SUPPRESSED`` with their messages and paths; one with
    failing results left is failing, and its message names the acknowledged ones too."""
    worst = max(results, key=lambda r: _RANK[r.status]).status
    failing = [r for r in results if r.status.failing]
    if worst == Status.SUPPRESSED:
        failing = [r for r in results if r.status == Status.SUPPRESSED]
    if worst.failing or worst == Status.SUPPRESSED:
        chosen = failing
    else:
        chosen = [r for r in results if r.status == worst]
    first_path: tuple[str | int, ...] = next(
        (r.path for r in (failing or chosen) if r.path), ())
    paths: list[str] = []
    for r in failing:
        if r.path:
            p = render_path(r.path)
            if p not in paths:
                paths.append(p)
    messages: list[str] = []
    multi = len([r for r in chosen if r.path]) > 1
    for r in chosen:
        if not r.message:
            continue
        text = f"{render_path(r.path)}: {r.message}" if multi and r.path else r.message
        if text not in messages:
            messages.append(text)
    if worst.failing and acknowledgements:
        acked = list(dict.fromkeys(r.message for r in results
                                   if r.status == Status.SUPPRESSED and r.message))
        if acked:
            messages.append(f"acknowledged: {'; '.join(acked)}")
    line = loaded.line_of(logical_id, first_path) if logical_id else None
    return Finding(
        source=SOURCE,
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        controls=tuple(rule.controls),
        status=worst,
        message="; ".join(messages),
        stack=loaded.stack,
        template_path=str(loaded.path),
        logical_id=logical_id,
        resource_type=resource.type if resource else "",
        property_path=render_path(first_path),
        cdk_path=resource.cdk_path if resource else "",
        line=line,
        paths=tuple(paths),
        suppression=_supp.describe(acknowledgements),
        acknowledgements=acknowledgements,
    )
