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
NOT_APPLICABLE. This module never imports ``aws_cdk``.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import pkgutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import InputError, RuleError
from .loader import LoadedTemplate, load_targets
from .model import CheckResult, Finding, Report, Rule, Status, TemplateInfo
from .resolver import AttrRef, ExportRegistry, Resolver, ResourceRef

RULES_PACKAGE = "govcdk.policies.rules"
SOURCE = "govcdk"
SKIPPED_TYPES = frozenset({"AWS::CDK::Metadata"})

_RANK = {
    Status.NOT_APPLICABLE: 0,
    Status.PASS: 1,
    Status.SUPPRESSED: 2,   # only ever set by the suppression step, never by a check
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
    ``Condition`` value (True without one, None when it cannot be evaluated).
    """

    logical_id: str
    type: str
    raw: Mapping[str, Any]
    metadata: Mapping[str, Any]
    cdk_path: str
    condition: bool | None
    resolver: Resolver = field(repr=False)

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
    parameters (``params``, e.g. ``{"min_retention_days": 365}``) and the other resources."""

    template: LoadedTemplate
    resolver: Resolver
    rule: Rule
    params: Mapping[str, Any]
    _resources: Mapping[str, ResolvedResource] = field(repr=False)
    _stack_types: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

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

    def resolve(self, value: Any) -> Any:
        return self.resolver.resolve(value)

    @functools.cached_property
    def types(self) -> dict[str, str]:
        """Logical id -> resource type, for every resource of the template."""
        return {lid: r.type for lid, r in self._resources.items()}

    def type_of(self, ref: ResourceRef | AttrRef) -> str | None:
        """Type of the resource a reference points at: in this template, or in the stack that
        exported it (``Fn::ImportValue``) when that stack was checked in the same run."""
        if ref.stack:
            return self._stack_types.get(ref.stack, {}).get(ref.logical_id)
        return self.types.get(ref.logical_id)


# --------------------------------------------------------------------------------------------
# running


def check(paths: Iterable[Path | str], *, parameters: Mapping[str, str] | None = None,
          rule_patterns: Iterable[str] | None = None, region: str | None = None,
          rules: Sequence[Rule] | None = None) -> Report:
    """Check every template named by ``paths`` (cloud assemblies, template files or
    directories; see :func:`govcdk.policies.loader.load_targets`).

    ``parameters`` override template parameter values (every template; names a template does
    not declare are ignored); ``rule_patterns`` select rules by id (fnmatch, e.g.
    ``"GOV-KMS-*"``); ``region`` overrides the region of every template (else the assembly's,
    else ``us-gov-west-1``); ``rules`` replaces the discovered rule pack (tests).

    Returns a :class:`Report` with one :class:`TemplateInfo` per template and findings ordered
    by template, then rule id, then logical id. Raises :class:`InputError` for an unreadable
    target or a pattern that selects no rule, :class:`RuleError` for a broken rule pack.
    """
    selected = select_rules(list(rules) if rules is not None else load_rules(), rule_patterns)
    templates = load_targets(paths)
    return check_templates(templates, selected, parameters=parameters, region=region)


def check_templates(templates: Iterable[LoadedTemplate], rules: Sequence[Rule], *,
                    parameters: Mapping[str, str] | None = None,
                    region: str | None = None) -> Report:
    """Run ``rules`` over already loaded templates (see :func:`check`).

    All templates share one :class:`~govcdk.policies.resolver.ExportRegistry`, so
    ``Fn::ImportValue`` resolves to what another template of the run exports (CDK cross-stack
    references).
    """
    loaded = list(templates)
    exports = ExportRegistry()
    resolvers = []
    stack_types: dict[str, dict[str, str]] = {}
    for t in loaded:
        # Key of this template among the run's exporters: its stack name, made unique when two
        # plain files share a stem.
        key = t.stack if t.stack not in stack_types else f"{t.stack}#{len(stack_types)}"
        stack_types[key] = {str(lid): str(res["Type"]) for lid, res in t.resources.items()
                            if isinstance(res, Mapping) and isinstance(res.get("Type"), str)}
        resolver = Resolver(t.template, region=region or t.region, account=t.account,
                            parameters=parameters, stack_name=t.stack, exports=exports)
        exports.add(resolver, key)
        resolvers.append(resolver)
    ordered = sorted(rules, key=lambda r: r.id)
    report = Report(rules_run=[r.id for r in ordered], rule_info={
        r.id: {"title": r.title, "severity": r.severity.value, "controls": list(r.controls)} for r in ordered})
    for t, resolver in zip(loaded, resolvers):
        info, findings = _check_template(t, resolver, rules, stack_types)
        report.templates.append(info)
        report.findings.extend(findings)
    return report


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


def _check_template(loaded: LoadedTemplate, resolver: Resolver, rules: Sequence[Rule],
                    stack_types: Mapping[str, Mapping[str, str]],
                    ) -> tuple[TemplateInfo, list[Finding]]:
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
            condition=resolver.resource_condition(lid), resolver=resolver)

    info = TemplateInfo(stack=loaded.stack, path=str(loaded.path),
                        resource_count=len(resources), region=resolver.region,
                        notes=tuple(_template_notes(loaded.template)))
    findings: list[Finding] = []
    for rule in sorted(rules, key=lambda r: r.id):
        ctx = RuleContext(template=loaded, resolver=resolver, rule=rule,
                          params=dict(rule.parameters), _resources=resources,
                          _stack_types=stack_types)
        per_resource = _run_rule(rule, ctx, resources)
        for lid in sorted(per_resource):
            findings.append(_finding(rule, loaded, resolver, resources.get(lid), lid,
                                     per_resource[lid]))
    return info, findings


def _matches(rule: Rule, rtype: str) -> bool:
    return "*" in rule.resource_types or rtype in rule.resource_types


def _error_result(exc: BaseException) -> CheckResult:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return CheckResult(Status.ERROR, f"rule raised {type(exc).__name__}: {exc}{where}")


def _run_rule(rule: Rule, ctx: RuleContext,
              resources: Mapping[str, ResolvedResource]) -> dict[str, list[CheckResult]]:
    out: dict[str, list[CheckResult]] = {}
    if rule.scope == "template":
        try:
            returned = rule.check(ctx)
            if not isinstance(returned, Mapping):
                raise TypeError(f"template check returned {type(returned).__name__}, "
                                f"not a mapping of logical id to results")
        except Exception as exc:  # a crashing rule is a finding, not a crash
            err = _error_result(exc)
            targets = [lid for lid, r in resources.items() if _matches(rule, r.type)]
            return {lid: [err] for lid in targets} or {"": [err]}
        for lid, results in returned.items():
            out[str(lid)] = _as_results(results)
        for lid, res in resources.items():
            if res.condition is False and lid not in out and _matches(rule, res.type):
                out[lid] = [_not_created(res)]
        return out
    for lid, res in resources.items():
        if not _matches(rule, res.type):
            continue
        if res.condition is False:
            out[lid] = [_not_created(res)]
            continue
        try:
            out[lid] = _as_results(rule.check(res, ctx))
        except Exception as exc:  # a crashing rule is a finding, not a crash
            out[lid] = [_error_result(exc)]
    return out


def _not_created(res: ResolvedResource) -> CheckResult:
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


def _finding(rule: Rule, loaded: LoadedTemplate, resolver: Resolver,
             resource: ResolvedResource | None, logical_id: str,
             results: list[CheckResult]) -> Finding:
    worst = max(results, key=lambda r: _RANK[r.status]).status

    def raw(path: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """Paths into resolved properties -> paths into the template as written."""
        if rule.raw_paths or not logical_id:
            return path
        return resolver.raw_path(logical_id, path)

    failing = [r for r in results if r.status.failing]
    if worst.failing:
        chosen = failing
    else:
        chosen = [r for r in results if r.status == worst]
    first_path: tuple[str | int, ...] = next(
        (raw(r.path) for r in (failing or chosen) if r.path), ())
    paths: list[str] = []
    for r in failing:
        if r.path:
            p = render_path(raw(r.path))
            if p not in paths:
                paths.append(p)
    messages: list[str] = []
    multi = len([r for r in chosen if r.path]) > 1
    for r in chosen:
        if not r.message:
            continue
        text = f"{render_path(raw(r.path))}: {r.message}" if multi and r.path else r.message
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
