"""Check at synthesis: govcdk as an AWS CDK policy-validation plugin.

One line in a CDK app runs the govcdk rule pack on every template when the app synthesizes::

    from aws_cdk import App, Validations
    from govcdk import GovcdkValidation

    app = App()
    Validations.of(app).add_plugins(GovcdkValidation(baseline="high"))

(``App(policy_validation_beta1=[GovcdkValidation()])``, the older form, works too.) After the
templates are written, CDK calls :meth:`GovcdkValidation.validate` with their paths; the plugin
checks them exactly as ``govcdk check --baseline high --no-cfn-lint <cdk.out>`` does (the same
functions: :mod:`govcdk.policies.run`), acknowledgements in ``Metadata.govcdk.suppressions``
(:func:`govcdk.suppress`) included, and reports each failing finding as a CDK violation. When a
failing finding at or above ``fail_on`` remains, the report fails and CDK stops the synthesis:
``app.synth()`` raises (in tests, and in apps run by ``cdk synth``) with the report, which names
the rule id, the construct and the logical ID. Source: AWS CDK v2 Developer Guide, "AWS CDK
policy validation at synthesis time"; ``aws_cdk.IPolicyValidationPlugin``.

Violation severities: a finding that fails the run is CDK severity ``fatal``; a failing finding
that does not (below ``fail_on``, or ``UNKNOWN`` with ``allow_unknown``) is ``warning``. Fatal
because CDK's own ``Validations.of(scope).acknowledge(...)`` removes any non-fatal violation
with a reason of any length and no expiry, which would bypass govcdk's acknowledgement rules
(reason of substance, expiry required at HIGH and CRITICAL, POA&M id; see
:mod:`govcdk.policies.suppressions`); a govcdk finding is accepted only by
:func:`govcdk.suppress`. The govcdk severity (``LOW`` .. ``CRITICAL``) and status are in each
violation's description and ``ruleMetadata``.

One caveat from CDK, not govcdk: with ``CDK_APP_MODE=process`` (or context
``@aws-cdk/core:appMode: process``) CDK only sets the exit code of its Node.js process, which a
Python app does not inherit, so a failing validation does not stop a Python app; leave the mode
unset (``cdk synth`` does) or set it to ``inmemory``.

This module imports ``aws_cdk``; ``import govcdk`` does not (``govcdk.GovcdkValidation`` loads it
on first use).
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import aws_cdk
import jsii

from govcdk import __version__
from govcdk.policies import run
from govcdk.policies.engine import BASELINES, ENGINE_RULE_ID
from govcdk.policies.errors import PolicyError
from govcdk.policies.loader import DEFAULT_REGION, LoadedTemplate, load_targets, load_template
from govcdk.policies.model import Finding, Report
from govcdk.policies.suppressions import NOT_SUPPRESSIBLE, SUPPRESSION_RULE_ID

PLUGIN_NAME = "govcdk"
"""The plugin's name in CDK's report; CDK shows rule ids as ``govcdk::GOV-KMS-001``."""

_SUPPRESSION_FIX = (
    "Correct the entry in the resource's Metadata.govcdk.suppressions (id: a rule id; reason: "
    "at least 20 characters of substance; expires: YYYY-MM-DD, required at HIGH and CRITICAL; "
    "optional poam and wildcard; no other key) or remove it; govcdk.suppress(...) writes valid "
    "entries.")
_ENGINE_FIX = (
    "govcdk could not check this part of the template (see the description): expand the "
    "Fn::ForEach loop or keep the nested stack's template in the cloud assembly.")


@jsii.implements(aws_cdk.IPolicyValidationPlugin, aws_cdk.IPolicyValidationPluginBeta1)
class GovcdkValidation:
    """The govcdk rule pack as a CDK policy-validation plugin (see the module docstring).

    Options (keyword only; the ``govcdk check`` option of the same name in brackets):

    - ``baseline``: FedRAMP Rev 5 baseline whose rules run, ``"low"``, ``"moderate"`` or
      ``"high"`` (default ``"high"``) [``--baseline``]; ``None`` runs every rule;
    - ``rules``: rule id patterns (fnmatch, e.g. ``"GOV-KMS-*"``; a string or a sequence) the
      rules must match too [``--rule``];
    - ``controls``: NIST SP 800-53 Rev 5 control ids (``"SC-12"`` also selects ``SC-12(1)``)
      the rules must map to too [``--control``];
    - ``fail_on``: lowest govcdk severity whose failing findings fail the synthesis,
      ``"low"`` (default), ``"medium"``, ``"high"`` or ``"critical"`` [``--fail-on``];
    - ``allow_unknown``: ``UNKNOWN`` findings (a value the engine cannot resolve statically)
      are reported as warnings and do not fail (default False: they fail) [``--allow-unknown``];
    - ``rule_parameters``: ``{rule id: {parameter: value}}``, e.g.
      ``{"GOV-LOGS-001": {"min_retention_days": 400}}``; tightening only, loosening needs an
      exception in ``policy_file`` [``--rule-parameter``];
    - ``policy_file``: a policy file (YAML: ``parameters`` and ``exceptions``;
      :mod:`govcdk.policies.parameters`) [``--policy``];
    - ``parameters``: template parameter values ``{name: value}`` [``--parameter``];
      ``all_allowed_values``: check each ``AllowedValues`` entry of a parameter not given
      [``--all-allowed-values``]; ``region``: check every template for this GovCloud region
      instead of its stack's [``--region``];
    - ``cfn_lint``: also run cfn-lint for both GovCloud regions (default False, as
      ``--no-cfn-lint``: it takes seconds per template) [``--cfn-lint``];
    - ``scanners``: the scanners to run, a comma-separated string or a sequence of
      ``"govcdk"``, ``"cfn-lint"``, ``"checkov"`` (default: ``govcdk``, plus ``cfn-lint`` with
      ``cfn_lint``; checkov is never run unless named) [``--scanners``]; ``checkov``: the
      checkov executable (default as ``govcdk check`` finds it) [``--checkov``].

    Raises :class:`ValueError` naming the option for a value outside those, an unreadable or
    malformed policy file, a selection that selects no rule, or a rule parameter the rule
    pack refuses.

    After each :meth:`validate`, :attr:`last_report` holds the govcdk
    :class:`~govcdk.policies.model.Report` (every finding, passing and suppressed ones
    included) and :attr:`last_verdict` its :class:`~govcdk.policies.run.Verdict`.
    """

    def __init__(self, *, baseline: str | None = "high", rules: str | Sequence[str] | None = None,
                 controls: str | Sequence[str] | None = None, fail_on: str = "low",
                 allow_unknown: bool = False,
                 rule_parameters: Mapping[str, Mapping[str, Any]] | None = None,
                 policy_file: str | Path | None = None,
                 parameters: Mapping[str, str] | None = None, all_allowed_values: bool = False,
                 region: str | None = None, cfn_lint: bool = False,
                 scanners: str | Sequence[str] | None = None,
                 checkov: str | Path | None = None) -> None:
        if baseline is not None and baseline not in BASELINES:
            raise ValueError(f"GovcdkValidation baseline={baseline!r}: expected one of "
                             f"{', '.join(map(repr, BASELINES))} or None (every rule)")
        if fail_on not in run.SEVERITIES:
            raise ValueError(f"GovcdkValidation fail_on={fail_on!r}: expected one of "
                             f"{', '.join(map(repr, run.SEVERITIES))}")
        from govcdk.govcloud import REGIONS

        if region is not None and region not in REGIONS:
            raise ValueError(f"GovcdkValidation region={region!r}: expected one of "
                             f"{', '.join(map(repr, REGIONS))} or None (each stack's region)")
        if rule_parameters is not None and not (
                isinstance(rule_parameters, Mapping)
                and all(isinstance(v, Mapping) for v in rule_parameters.values())):
            raise ValueError("GovcdkValidation rule_parameters: expected {rule id: {parameter: "
                             "value}}, e.g. {'GOV-LOGS-001': {'min_retention_days': 400}}")
        self.baseline = baseline
        self.rules = _strings(rules)
        self.controls = _strings(controls)
        self.fail_on = fail_on
        self.allow_unknown = bool(allow_unknown)
        self.rule_parameters = {str(r): dict(v) for r, v in (rule_parameters or {}).items()}
        self.policy_file = Path(policy_file) if policy_file is not None else None
        self.parameters = {str(k): str(v) for k, v in (parameters or {}).items()}
        self.all_allowed_values = bool(all_allowed_values)
        self.region = region
        self.cfn_lint = bool(cfn_lint)
        self.scanners: tuple[str, ...] | None = None
        if scanners is not None:
            try:
                self.scanners = run.parse_scanners(scanners)
            except PolicyError as exc:
                raise ValueError(f"GovcdkValidation scanners: {exc}") from None
            if self.cfn_lint and "cfn-lint" not in self.scanners:
                raise ValueError(f"GovcdkValidation cfn_lint=True conflicts with scanners="
                                 f"{scanners!r}, which leave cfn-lint out")
        if checkov is not None and "checkov" not in (self.scanners or ()):
            raise ValueError(f"GovcdkValidation checkov={str(checkov)!r}: checkov is not among "
                             f"the scanners; add scanners=[..., 'checkov']")
        self.checkov = checkov
        self.last_report: Report | None = None
        self.last_verdict: run.Verdict | None = None
        try:
            self._rule_ids = [r.id for r in self._select(_dt.date.today()).rules]
        except PolicyError as exc:
            raise ValueError(f"GovcdkValidation: {exc}") from None

    # -- IPolicyValidationPlugin ---------------------------------------------------------------

    @property
    def name(self) -> str:
        """``"govcdk"`` (:data:`PLUGIN_NAME`)."""
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        """The installed govcdk version."""
        return __version__

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules the options select (CDK uses them for analytics only)."""
        return list(self._rule_ids)

    def validate(self, context: aws_cdk.IPolicyValidationContext) -> aws_cdk.PolicyValidationPluginReport:
        """Check ``context.template_paths`` (absolute paths of the stack templates CDK just
        wrote) and report.

        The templates are loaded from their cloud assembly (the ``manifest.json`` beside them:
        stack names, regions, parameters, nested stacks), as ``govcdk check <cdk.out>`` loads
        them; a template with no manifest beside it is loaded as a plain file, for the region
        CDK gives for its stack. The report fails (``success`` False) when a failing finding
        at or above ``fail_on`` remains (an expired acknowledgement no longer hides one; an
        invalid one is a ``SUPPRESSION`` finding), and when govcdk cannot check the input
        (a stack outside AWS GovCloud (US) without ``region``, an unreadable template):
        then it carries no violation and ``metadata["error"]`` says why.
        """
        today = _dt.date.today()
        self.last_report = self.last_verdict = None
        regions = {str(Path(s.template_path).resolve()): s.region
                   for s in (getattr(context, "stack_templates", None) or [])}
        try:
            selection = self._select(today)
            templates = _load(list(context.template_paths), regions)
            report = run.check_loaded(templates, selection, parameters=self.parameters,
                                      region=self.region,
                                      all_allowed_values=self.all_allowed_values,
                                      cfn_lint=self.cfn_lint, scanners=self.scanners,
                                      checkov=self.checkov, today=today)
        except PolicyError as exc:
            return aws_cdk.PolicyValidationPluginReport(
                success=False, violations=[], plugin_version=__version__,
                metadata={"error": f"govcdk cannot check the templates: {exc}"})
        outcome = run.verdict(report, self.fail_on, self.allow_unknown)
        self.last_report, self.last_verdict = report, outcome
        remediation = {r.id: r.remediation for r in selection.pack}
        violations = [_violation(f, remediation, fatal=True) for f in outcome.failing]
        violations += [_violation(f, remediation, fatal=False)
                       for f in outcome.below + outcome.allowed]
        return aws_cdk.PolicyValidationPluginReport(
            success=outcome.passed, violations=violations, plugin_version=__version__,
            metadata=self._metadata(report, outcome))

    # -- helpers -------------------------------------------------------------------------------

    def _select(self, today: _dt.date) -> run.Selection:
        settings = [(rule_id, name, value, f"GovcdkValidation rule_parameters {rule_id}.{name}")
                    for rule_id, values in self.rule_parameters.items()
                    for name, value in values.items()]
        return run.select(rule_patterns=self.rules, baseline=self.baseline,
                          controls=self.controls, policy_file=self.policy_file,
                          settings=settings, today=today)

    def _metadata(self, report: Report, outcome: run.Verdict) -> dict[str, str]:
        counts = report.counts()
        meta = {
            "baseline": self.baseline or "all",
            "failOn": self.fail_on,
            "allowUnknown": str(self.allow_unknown).lower(),
            "rulesRun": str(len(report.rules_run)),
            "templates": str(len(report.templates)),
            "findings": ", ".join(f"{k}={v}" for k, v in counts.items() if v),
            "failing": str(len(outcome.failing)),
        }
        if report.unused_suppressions:
            meta["unusedSuppressions"] = "; ".join(
                f"{u.logical_id} {u.suppression.id}: {u.why}" for u in report.unused_suppressions)
        if report.parameter_exceptions:
            meta["parameterExceptions"] = "; ".join(e.describe() for e in report.parameter_exceptions)
        return meta

    def __repr__(self) -> str:
        return (f"GovcdkValidation(baseline={self.baseline!r}, rules={self.rules!r}, "
                f"controls={self.controls!r}, fail_on={self.fail_on!r}, "
                f"allow_unknown={self.allow_unknown!r})")


def _strings(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _top(t: LoadedTemplate) -> LoadedTemplate:
    while t.parent is not None:
        t = t.parent
    return t


def _load(paths: Sequence[str], regions: Mapping[str, str | None]) -> list[LoadedTemplate]:
    """The templates at ``paths`` (and their nested stacks), loaded through their cloud
    assemblies in the order ``govcdk check`` loads them; files with no ``manifest.json`` beside
    them as plain templates."""
    wanted = [Path(p).resolve() for p in paths]
    assemblies = sorted({p.parent for p in wanted if (p.parent / "manifest.json").is_file()},
                        key=lambda d: (len(d.parts), str(d)))
    loaded = load_targets(assemblies) if assemblies else []
    keep = set(wanted)
    out = [t for t in loaded if Path(_top(t).path).resolve() in keep]
    found = {Path(t.path).resolve() for t in out}
    for p in wanted:
        if p not in found:
            out.append(load_template(p, region=regions.get(str(p)) or DEFAULT_REGION))
            found.add(p)
    return out


def _violation(f: Finding, remediation: Mapping[str, str], *, fatal: bool) -> aws_cdk.PolicyViolation:
    """One CDK violation for one failing finding."""
    if f.rule_id == SUPPRESSION_RULE_ID:
        fix = _SUPPRESSION_FIX
    elif f.rule_id == ENGINE_RULE_ID:
        fix = _ENGINE_FIX
    elif f.rule_id in remediation:
        fix = remediation[f.rule_id]
    else:
        fix = f"See the {f.source} documentation of rule {f.rule_id}."
    if f.source == "checkov":
        fix += (f" To accept the risk instead, acknowledge it in checkov's own format: "
                f"govcdk.acknowledge.acknowledge(construct, tool='checkov', id={f.rule_id!r}, "
                f"reason='<why, 20+ characters>').")
    elif f.rule_id not in NOT_SUPPRESSIBLE:
        fix += (f" To accept the risk instead, acknowledge it: govcdk.suppress(construct, "
                f"id={f.rule_id!r}, reason='<why, 20+ characters>', expires='YYYY-MM-DD').")
    description = f"{f.title} [{f.severity.value} {f.status.value}]"
    if f.message:
        description += f": {f.message}"
    if not f.logical_id:
        description += f" (template of stack {f.stack})"
    meta = {"severity": f.severity.value, "status": f.status.value,
            "controls": ", ".join(f.controls), "stack": f.stack, "cdkPath": f.cdk_path,
            "source": f.source, "line": str(f.line) if f.line else "",
            "acknowledgements": "; ".join(
                f"{a.id} until {a.expires.isoformat() if a.expires else 'no expiry'}: {a.reason}"
                for a in f.acknowledgements)}
    locations = list(f.paths) or ([f.property_path] if f.property_path else [])
    return aws_cdk.PolicyViolation(
        rule_name=f.rule_id,
        description=description,
        fix=fix,
        severity="fatal" if fatal else "warning",
        rule_metadata={k: v for k, v in meta.items() if v},
        violating_resources=[aws_cdk.PolicyViolatingResource(
            resource_logical_id=f.logical_id or None, template_path=f.template_path,
            locations=locations)])


__all__ = ["GovcdkValidation", "PLUGIN_NAME"]
