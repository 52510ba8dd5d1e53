"""Run the rule pack over CloudFormation templates.

:func:`load_rules` discovers the rules (``govcdk.policies.rules.<service>.<rule_name>``, one
``RULE`` per module; nothing registers itself on import). :func:`check` loads the targets
(:func:`govcdk.policies.loader.load_targets`), resolves each template
(:class:`govcdk.policies.resolver.Resolver`) and runs the selected rules:

- a ``resource``-scope rule's ``check(resource, ctx)`` is called once per resource whose type is
  in ``rule.resource_types`` (``"*"`` matches every type);
- a ``template``-scope rule's ``check(ctx)`` returns ``{logical_id: CheckResult | [CheckResult]}``.

Results are folded into ONE :class:`Finding` per (rule, resource): the worst status wins
(ERROR > UNKNOWN > FAIL > PASS > NOT_APPLICABLE), the message joins the failing messages,
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
is UNKNOWN and a resource with such a ``Condition`` is checked as if created.

All templates of one run share an :class:`~govcdk.policies.resolver.ExportRegistry`
(``Fn::ImportValue`` across stacks), and a nested stack's parameters are the values its
parent's ``AWS::CloudFormation::Stack`` resource passes (a value the parent cannot resolve is
unknown, not the nested template's ``Default``). The engine does not yet apply suppressions
(``Metadata.govcdk.suppressions``) to its own rules: that arrives with issue 5. This module
never imports ``aws_cdk``.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import itertools
import pkgutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import InputError, RuleError
from .loader import LoadedTemplate, load_targets
from .model import CheckResult, Finding, Report, Rule, Status, TemplateInfo
from .resolver import (
    AttrRef, ExportRegistry, Resolver, ResourceRef, Unknown, UnknownParameters, qualify)

RULES_PACKAGE = "govcdk.policies.rules"
SOURCE = "govcdk"
SKIPPED_TYPES = frozenset({"AWS::CDK::Metadata"})
MAX_ASSUMED_CONDITIONS = 4
"""Most unevaluable conditions whose combinations the engine checks one by one (2**4 runs)."""

_RANK = {
    Status.NOT_APPLICABLE: 0,
    Status.PASS: 1,
    Status.SUPPRESSED: 2,   # reserved for suppressions (issue 5); nothing sets it yet
    Status.FAIL: 3,
    Status.UNKNOWN: 4,
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


def select_rules(rules: Sequence[Rule], patterns: Iterable[str] | None) -> list[Rule]:
    """Rules whose id (or name) matches any of the shell-style ``patterns`` (case-insensitive,
    :func:`fnmatch.fnmatchcase`); all rules when ``patterns`` is None or empty. Raises
    :class:`InputError` when patterns are given and none matches."""
    pats = [p for p in (patterns or []) if p]
    if not pats:
        return list(rules)
    chosen = [r for r in rules
              if any(fnmatch.fnmatchcase(r.id.upper(), p.upper())
                     or fnmatch.fnmatchcase(r.name.lower(), p.lower()) for p in pats)]
    if not chosen:
        raise InputError(f"no rule matches {', '.join(pats)}")
    return chosen


# --------------------------------------------------------------------------------------------
# what checks see


@dataclass
class ResolvedResource:
    """One resource as a check sees it.

    ``raw`` is the resource mapping as written (``Type``, ``Properties``, ``Metadata``...);
    ``properties`` the resolved ``Properties`` (see :mod:`govcdk.policies.resolver`);
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
        props = self.raw.get("Properties")
        return props if isinstance(props, Mapping) else {}


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
        return [r for r in self._resources.values()
                if (not types or r.type in types) and r.condition is not False]

    def run_resources(self, *types: str) -> list[ResolvedResource]:
        """:meth:`resources` of every template of the run, this one first (for joins across
        stacks, e.g. a flow log in one stack for a VPC imported from another)."""
        out = self.resources(*types)
        for key, resources in self._run.items():
            if key == self.stack:
                continue
            out.extend(r for r in resources.values()
                       if (not types or r.type in types) and r.condition is not False)
        return out

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


# --------------------------------------------------------------------------------------------
# running


def check(paths: Iterable[Path | str], *, parameters: Mapping[str, str] | None = None,
          rule_patterns: Iterable[str] | None = None, region: str | None = None,
          rules: Sequence[Rule] | None = None) -> Report:
    """Check every template named by ``paths`` (cloud assemblies, template files or
    directories; see :func:`govcdk.policies.loader.load_targets`).

    ``parameters`` override template parameter values of every top-level template (names a
    template does not declare are ignored; nested stacks get what their parent passes);
    ``rule_patterns`` select rules by id (fnmatch, e.g. ``"GOV-KMS-*"``); ``region`` overrides
    the region of every template (else the assembly's, else ``us-gov-west-1``); ``rules``
    replaces the discovered rule pack (tests).

    Returns a :class:`Report` with one :class:`TemplateInfo` per template and findings ordered
    by template, then rule id, then logical id. Raises :class:`InputError` for an unreadable
    target or a pattern that selects no rule, :class:`RuleError` for a broken rule pack.
    """
    selected = select_rules(list(rules) if rules is not None else load_rules(), rule_patterns)
    templates = load_targets(paths)
    return check_templates(templates, selected, parameters=parameters, region=region)


@dataclass
class _Stack:
    """One template of the run: its key, resolver and resources."""

    key: str
    loaded: LoadedTemplate
    resolver: Resolver
    resources: dict[str, ResolvedResource] = field(default_factory=dict)


def check_templates(templates: Iterable[LoadedTemplate], rules: Sequence[Rule], *,
                    parameters: Mapping[str, str] | None = None,
                    region: str | None = None) -> Report:
    """Run ``rules`` over already loaded templates (see :func:`check`).

    All templates share one :class:`~govcdk.policies.resolver.ExportRegistry`, so
    ``Fn::ImportValue`` resolves to what another template of the run exports (CDK cross-stack
    references). A top-level template's parameters are its assembly's ``parameters`` updated
    with ``parameters``; a nested stack's are those its parent passes.
    """
    loaded = list(templates)
    exports = ExportRegistry()
    stacks: list[_Stack] = []
    by_template: dict[int, _Stack] = {}
    keys: set[str] = set()
    for t in loaded:
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
        resolver = Resolver(t.template, region=region or t.region, account=t.account,
                            parameters=overrides, stack_name=t.stack_name, exports=exports,
                            overrides_origin=origin)
        stack = _Stack(key, t, resolver)
        exports.add(resolver, key)
        stacks.append(stack)
        by_template[id(t)] = stack
    for stack in stacks:
        stack.resources = _resolved_resources(stack.loaded, stack.resolver, stack.key)
    run = {s.key: s.resources for s in stacks}
    ordered = sorted(rules, key=lambda r: r.id)
    report = Report(rules_run=[r.id for r in ordered], rule_info={
        r.id: {"title": r.title, "severity": r.severity.value, "controls": list(r.controls)}
        for r in ordered})
    for stack in stacks:
        info, findings = _check_template(stack, ordered, run)
        report.templates.append(info)
        report.findings.extend(findings)
    return report


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


def _template_notes(template: Mapping[str, Any]) -> list[str]:
    notes: list[str] = []
    transform = template.get("Transform")
    if transform:
        names = transform if isinstance(transform, list) else [transform]
        shown = ", ".join(str(n) if isinstance(n, str) else "<macro>" for n in names)
        notes.append(f"Transform {shown}: checked as written, before the transform runs")
    resources = template.get("Resources")
    for key, value in (resources.items() if isinstance(resources, Mapping) else []):
        if isinstance(key, str) and key.startswith("Fn::ForEach::"):
            notes.append(f"{key}: Fn::ForEach is not expanded; its resources were not checked")
        elif not isinstance(value, Mapping) or not isinstance(value.get("Type"), str):
            notes.append(f"{key}: not a resource mapping with a Type; not checked")
    return notes


@dataclass
class _Variant:
    """The template under one combination of assumed condition values (``assume``; empty for
    the template as resolved)."""

    assume: Mapping[str, bool]
    resolver: Resolver
    resources: Mapping[str, ResolvedResource]


class _Variants:
    """The variants of one template a check runs under (see the module docstring)."""

    def __init__(self, stack: _Stack) -> None:
        self.stack = stack
        self.base = _Variant({}, stack.resolver, stack.resources)
        self._cache: dict[frozenset[tuple[str, bool]], _Variant | None] = {}
        self._names: dict[str, list[str]] = {}

    def conditions_of(self, logical_id: str) -> list[str]:
        if logical_id not in self._names:
            res = self.stack.resources.get(logical_id)
            self._names[logical_id] = \
                self.stack.resolver.unknown_conditions(res.raw) if res is not None else []
        return self._names[logical_id]

    def for_conditions(self, names: Sequence[str]) -> list[_Variant]:
        if not names or len(names) > MAX_ASSUMED_CONDITIONS:
            return [self.base]
        out: list[_Variant] = []
        for values in itertools.product((True, False), repeat=len(names)):
            assume = dict(zip(names, values))
            key = frozenset(assume.items())
            if key not in self._cache:
                resolver = self.stack.resolver.assuming(assume)
                if resolver.contradicts():
                    self._cache[key] = None
                else:
                    self._cache[key] = _Variant(assume, resolver, _resolved_resources(
                        self.stack.loaded, resolver, self.stack.key))
            variant = self._cache[key]
            if variant is not None:
                out.append(variant)
        return out or [self.base]


def _check_template(stack: _Stack, rules: Sequence[Rule],
                    run: Mapping[str, Mapping[str, ResolvedResource]],
                    ) -> tuple[TemplateInfo, list[Finding]]:
    loaded = stack.loaded
    info = TemplateInfo(stack=loaded.stack, path=str(loaded.path),
                        resource_count=len(stack.resources), region=stack.resolver.region,
                        notes=tuple(_template_notes(loaded.template)))
    variants = _Variants(stack)
    findings: list[Finding] = []
    for rule in rules:
        per_resource = _run_rule(rule, stack, variants, run)
        for lid in sorted(per_resource):
            findings.append(_finding(rule, loaded, stack.resources.get(lid), lid,
                                     per_resource[lid]))
    return info, findings


def _matches(rule: Rule, rtype: str) -> bool:
    return "*" in rule.resource_types or rtype in rule.resource_types


def _error_result(exc: BaseException) -> CheckResult:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return CheckResult(Status.ERROR, f"rule raised {type(exc).__name__}: {exc}{where}")


def _context(rule: Rule, stack: _Stack, variant: _Variant,
             run: Mapping[str, Mapping[str, ResolvedResource]]) -> RuleContext:
    return RuleContext(template=stack.loaded, resolver=variant.resolver, rule=rule,
                       params=dict(rule.parameters), _resources=variant.resources,
                       _run={**run, stack.key: variant.resources}, stack=stack.key)


def _raw_paths(rule: Rule, resolver: Resolver, logical_id: str,
               results: list[CheckResult]) -> list[CheckResult]:
    """Paths into resolved properties -> paths into the template as written (list indexes
    shift where ``AWS::NoValue`` removed items), with the resolver that produced them."""
    if rule.raw_paths or not logical_id:
        return results
    return [CheckResult(r.status, r.message, resolver.raw_path(logical_id, r.path))
            if r.path else r for r in results]


def _run_rule(rule: Rule, stack: _Stack, variants: _Variants,
              run: Mapping[str, Mapping[str, ResolvedResource]]) -> dict[str, list[CheckResult]]:
    if rule.scope == "template":
        names: list[str] = []
        for lid in stack.resources:
            names.extend(n for n in variants.conditions_of(lid) if n not in names)
        chosen = variants.for_conditions(names)
        per_variant = [(v.assume, _run_template_rule(rule, stack, v, run)) for v in chosen]
        lids = sorted({lid for _, out in per_variant for lid in out})
        return {lid: _merge([(a, out[lid]) for a, out in per_variant if lid in out])
                for lid in lids}
    out: dict[str, list[CheckResult]] = {}
    for lid, res in stack.resources.items():
        if not _matches(rule, res.type):
            continue
        out[lid] = _merge([
            (v.assume, _run_resource_rule(rule, v.resources[lid], _context(rule, stack, v, run)))
            for v in variants.for_conditions(variants.conditions_of(lid))])
    return out


def _run_resource_rule(rule: Rule, res: ResolvedResource, ctx: RuleContext) -> list[CheckResult]:
    if res.condition is False:
        return [_not_created(res, ctx.resolver)]
    try:
        results = _as_results(rule.check(res, ctx))
    except Exception as exc:  # a crashing rule is a finding, not a crash
        return [_error_result(exc)]
    return _raw_paths(rule, ctx.resolver, res.logical_id, results)


def _run_template_rule(rule: Rule, stack: _Stack, variant: _Variant,
                       run: Mapping[str, Mapping[str, ResolvedResource]]
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
        out[str(lid)] = _raw_paths(rule, variant.resolver, str(lid), _as_results(results))
    for lid, res in resources.items():
        if res.condition is False and lid not in out and _matches(rule, res.type):
            out[lid] = [_not_created(res, variant.resolver)]
    return out


def _merge(per_variant: list[tuple[Mapping[str, bool], list[CheckResult]]]
           ) -> list[CheckResult]:
    """Fold the results of the variants of a check (each with its assumed conditions) into
    one list.

    One variant: its results. When no variant has a failing result and all give the same
    statuses, the branches do not matter: the first variant's results. Otherwise each distinct
    result is kept once; one that not every variant gave is prefixed with the branches that
    gave it, stated with as few conditions as tell them apart (``if Condition A is true:
    ...``), so the finding names the failing branch."""
    first = per_variant[0][1]
    if len(per_variant) == 1:
        return first
    statuses = {frozenset(r.status for r in results) for _, results in per_variant}
    if len(statuses) == 1 and not any(s.failing for s in next(iter(statuses))):
        return first
    everywhere = [dict(a) for a, _ in per_variant]
    order: list[CheckResult] = []
    where: dict[CheckResult, list[dict[str, bool]]] = {}
    for assume, results in per_variant:
        for r in results:
            if r not in where:
                where[r] = []
                order.append(r)
            if dict(assume) not in where[r]:
                where[r].append(dict(assume))
    out: list[CheckResult] = []
    for r in order:
        if len(where[r]) == len(everywhere):
            out.append(r)
            continue
        label = _branches(where[r], everywhere)
        out.append(CheckResult(r.status, f"{label}: {r.message}" if r.message else label,
                               r.path))
    return out


def _branches(group: list[dict[str, bool]], everywhere: list[dict[str, bool]]) -> str:
    """``if Condition A is true[ and ...][ or if ...]``: the variants of ``group``, described
    by the fewest conditions whose values single them out among ``everywhere``."""
    names = list(everywhere[0])
    for size in range(1, len(names) + 1):
        for subset in itertools.combinations(names, size):
            shown = {tuple(a[n] for n in subset) for a in group}
            if all((tuple(a[n] for n in subset) in shown) == (a in group) for a in everywhere):
                return " or ".join(
                    "if " + " and ".join(f"Condition {n} is {'true' if v else 'false'}"
                                         for n, v in zip(subset, values))
                    for values in sorted(shown, reverse=True))
    return "if " + " or if ".join(" and ".join(f"Condition {n} is {'true' if v else 'false'}"
                                               for n, v in a.items()) for a in group)


def _not_created(res: ResolvedResource, resolver: Resolver) -> CheckResult:
    if resolver.assumed:
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
             logical_id: str, results: list[CheckResult]) -> Finding:
    """Fold a resource's results (paths already into the raw template) into one finding."""
    worst = max(results, key=lambda r: _RANK[r.status]).status
    failing = [r for r in results if r.status.failing]
    if worst.failing:
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
    )
