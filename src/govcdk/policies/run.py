"""One check run, as ``govcdk check`` and the CDK validation plugin
(:class:`govcdk.cdk_validation.GovcdkValidation`) both do it, so the two cannot drift apart:

1. :func:`select`: the rule pack, the rules a selection picks (``--rule``, ``--baseline``,
   ``--control``) and the rule parameters they run with (``--policy`` file, then
   ``--rule-parameter`` settings; :mod:`govcdk.policies.parameters`);
2. :func:`check_loaded`: run the scanners chosen (:data:`SCANNERS`, :func:`parse_scanners`)
   over loaded templates: govcdk's rules (:func:`govcdk.policies.engine.check_templates`,
   suppressions included), cfn-lint (:func:`govcdk.scanners.cfnlint.scan`) and checkov
   (:func:`govcdk.scanners.checkov.scan`), then group the findings of several sources about
   the same concern on one resource (:func:`govcdk.scanners.mappings.group_findings`);
3. :func:`verdict`: which failing findings fail the run (``--fail-on``, ``--allow-unknown``).

This module never imports ``aws_cdk``.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import engine
from . import parameters as rule_params
from .errors import InputError, InputProblem
from .loader import LoadedTemplate
from .model import Finding, Report, Rule, Severity, Status

SEVERITIES = ("low", "medium", "high", "critical")
"""``fail_on`` values, lowest first (:class:`~govcdk.policies.model.Severity`)."""
SCANNERS = ("govcdk", "cfn-lint", "checkov")
"""What ``--scanners`` may name: govcdk's rule pack, cfn-lint (in govcdk's environment, both
GovCloud regions) and checkov (a subprocess from its own environment)."""
DEFAULT_SCANNERS = ("govcdk", "cfn-lint")
"""``govcdk check``'s scanners when ``--scanners`` is not given."""


def parse_scanners(value: str | Sequence[str]) -> tuple[str, ...]:
    """A comma-separated list (``"govcdk,cfn-lint,checkov"``) or a sequence of names ->
    the scanners in :data:`SCANNERS` order, each once (case and spaces ignored). Raises
    :class:`InputError` for an empty list or a name not in :data:`SCANNERS`, listing those."""
    items = value.split(",") if isinstance(value, str) else list(value)
    names = [n for n in (str(i).strip().lower() for i in items) if n]
    unknown = [n for n in names if n not in SCANNERS]
    if unknown or not names:
        what = f"unknown scanner(s) {', '.join(repr(n) for n in unknown)}" if unknown \
            else "no scanner given"
        raise InputError(f"--scanners {','.join(map(str, items))}: {what}; allowed: a "
                         f"comma-separated list of {', '.join(SCANNERS)}")
    return tuple(n for n in SCANNERS if n in names)


@dataclass(frozen=True)
class Selection:
    """What :func:`select` decided: ``pack`` is the whole rule pack (suppressions are validated
    against it), ``rules`` the rules to run, ``resolved`` their parameter values and applied
    exceptions, ``warnings`` the policy's exceptions that loosen nothing (text)."""

    pack: list[Rule]
    rules: list[Rule]
    resolved: rule_params.Resolved
    warnings: list[str] = field(default_factory=list)


def select(*, rule_patterns: Iterable[str] | None = None, baseline: str | None = None,
           controls: Iterable[str] | None = None, policy_file: Path | None = None,
           settings: Iterable[tuple[str, str, Any, str]] = (),
           today: _dt.date | None = None) -> Selection:
    """Choose the rules of a run and their parameters.

    ``rule_patterns``, ``baseline`` (``low``, ``moderate`` or ``high``: FedRAMP Rev 5) and
    ``controls`` (NIST SP 800-53 Rev 5 ids) select rules as
    :func:`govcdk.policies.engine.select_rules` does (all rules when none is given).
    ``policy_file`` is a policy file (YAML, :func:`govcdk.policies.parameters.load_policy`);
    ``settings`` are ``(rule id, parameter, value, source)`` settings applied after it (later
    wins; ``source`` names them in messages, e.g. ``"--rule-parameter GOV-LOGS-001.min_retention_days=400"``).
    ``today`` (default :meth:`datetime.date.today`) is the date parameter exceptions expire
    against.

    Raises :class:`InputError` for a selection that selects nothing, an unknown baseline or
    control, an unreadable or malformed policy file, or a parameter that loosens its FedRAMP
    floor without an unexpired exception.
    """
    today = today or _dt.date.today()
    pack = engine.load_rules()
    policy = rule_params.load_policy(policy_file) if policy_file else rule_params.Policy()
    for rule_id, name, value, source in settings:
        policy.set(rule_id, name, value, source)
    resolved = rule_params.resolve(policy, pack, today)
    rules = engine.select_rules(pack, list(rule_patterns or []) or None, baseline=baseline,
                                controls=list(controls or []) or None)
    return Selection(pack, rules, resolved, list(resolved.unused_exceptions))


def check_parameter_values(params: Mapping[str, str], templates: Sequence[LoadedTemplate]) -> None:
    """Refuse a template parameter value CloudFormation would reject for a template that
    declares the parameter: not one of ``AllowedValues``, not a ``Number``, not matching
    ``AllowedPattern``, or outside ``MinLength``/``MaxLength``/``MinValue``/``MaxValue``
    (AWS CloudFormation User Guide, "Parameters" section). Raises :class:`InputError` naming
    the parameter, the template and what is allowed."""
    for name, value in params.items():
        for t in templates:
            spec = (t.template.get("Parameters") or {}).get(name)
            if not isinstance(spec, dict):
                continue
            where = f"--parameter {name}={value!r} ({t.path})"
            allowed = spec.get("AllowedValues")
            if isinstance(allowed, list) and allowed and value not in [str(a) for a in allowed]:
                raise InputError(f"{where}: allowed values are {', '.join(str(a) for a in allowed)}")
            if spec.get("Type") == "Number":
                try:
                    number = float(value)
                except ValueError:
                    raise InputError(f"{where}: the parameter is a Number") from None
                for key, ok in (("MinValue", lambda b: number >= b), ("MaxValue", lambda b: number <= b)):
                    bound = spec.get(key)
                    if isinstance(bound, (int, float, str)) and not ok(float(bound)):
                        raise InputError(f"{where}: {key} is {bound}")
            pattern = spec.get("AllowedPattern")
            if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
                raise InputError(f"{where}: must match AllowedPattern {pattern}")
            for key, ok in (("MinLength", lambda b: len(value) >= b), ("MaxLength", lambda b: len(value) <= b)):
                bound = spec.get(key)
                if isinstance(bound, (int, str)) and str(bound).isdigit() and not ok(int(bound)):
                    raise InputError(f"{where}: {key} is {bound}")


def check_loaded(templates: Sequence[LoadedTemplate], selection: Selection, *,
                 parameters: Mapping[str, str] | None = None, region: str | None = None,
                 all_allowed_values: bool = False, cfn_lint: bool = False,
                 today: _dt.date | None = None,
                 problems: Sequence[InputProblem] = (),
                 scanners: Sequence[str] | None = None, checkov: str | Path | None = None,
                 checkov_timeout: float | None = None) -> Report:
    """Check loaded templates (:func:`govcdk.policies.loader.load_targets`) with the rules of
    ``selection``: the parameter values are checked first (:func:`check_parameter_values`),
    then the ``scanners`` run (names of :data:`SCANNERS`; default ``govcdk``, plus ``cfn-lint``
    with ``cfn_lint``, so older callers keep their meaning):

    - ``govcdk``: :func:`govcdk.policies.engine.check_templates` with the selected rules
      (template ``parameters``, ``region`` override, ``all_allowed_values`` as documented
      there); without it the engine still loads and resolves the templates (the templates
      checked, input errors, its own findings about them) but runs no rule;
    - ``cfn-lint``: cfn-lint for both GovCloud (US) regions;
    - ``checkov``: checkov as a subprocess (``checkov``: its executable, else
      :func:`govcdk.scanners.checkov.find_checkov` decides; ``checkov_timeout`` seconds).

    The scanners' findings are appended, then findings of several sources about the same
    concern on one resource are grouped (``Finding.group``). ``today`` (default
    :meth:`datetime.date.today`) is the date suppressions expire against. ``problems`` are the
    input errors :func:`~govcdk.policies.loader.load_targets` collected; they head
    ``Report.input_errors``, and the scanners skip any file refused there or by the engine.

    Returns the :class:`Report`. Raises :class:`InputError` for a bad parameter value, unknown
    scanners, ``cfn_lint`` with ``scanners`` that leave cfn-lint out, (without ``region``) a
    cloud assembly stack outside AWS GovCloud (US), and checkov missing, failing or timing out
    (:class:`govcdk.scanners.checkov.CheckovError`, with checkov's standard error).
    """
    today = today or _dt.date.today()
    if scanners is None:
        chosen = ("govcdk", "cfn-lint") if cfn_lint else ("govcdk",)
    else:
        chosen = parse_scanners(scanners)
        if cfn_lint and "cfn-lint" not in chosen:
            raise InputError(f"cfn_lint=True conflicts with scanners {','.join(chosen)}, which "
                             f"leave cfn-lint out")
    checkov_exe = None
    if "checkov" in chosen:  # before the rules run: a missing checkov fails fast
        from govcdk.scanners import checkov as _checkov

        checkov_exe = _checkov.find_checkov(checkov)
    params = dict(parameters or {})
    check_parameter_values(params, templates)
    rules = selection.rules if "govcdk" in chosen else []
    report = engine.check_templates(templates, rules, parameters=params, region=region,
                                    all_allowed_values=all_allowed_values,
                                    known_rules=selection.pack,
                                    rule_parameters=selection.resolved, today=today)
    # the templates' own problems that left them checkable (references CloudFormation refuses)
    report.input_errors[:0] = list(problems) + [p for t in templates for p in t.problems]
    refused = {str(p.path) for p in report.input_errors   # e.g. Fn::ForEach beyond 500 resources
               if not p.checked}
    checked = [(t.stack, t.path, t.template) for t in templates if str(t.path) not in refused]
    if "cfn-lint" in chosen:
        from govcdk.scanners import cfnlint

        report.extend(cfnlint.scan(checked, today=today, rules=selection.pack))
    if checkov_exe is not None:
        report.extend(_checkov.scan(checked, executable=checkov_exe, timeout=checkov_timeout,
                                    rules=selection.pack))
    from govcdk.scanners.mappings import group_findings

    group_findings(report, selection.pack)
    return report


@dataclass(frozen=True)
class Verdict:
    """Which failing findings (``FAIL``, ``UNKNOWN``, ``ERROR``) fail the run: ``failing`` (at
    or above ``fail_on``), ``below`` (under ``fail_on``) and ``allowed`` (``UNKNOWN`` let
    through by ``allow_unknown``). ``passed`` is True when ``failing`` is empty."""

    failing: list[Finding]
    below: list[Finding]
    allowed: list[Finding]

    @property
    def passed(self) -> bool:
        return not self.failing


def verdict(report: Report, fail_on: str = "low", allow_unknown: bool = False) -> Verdict:
    """Sort the failing findings of ``report`` by what they do to the exit code: ``fail_on``
    is the lowest severity that fails (``low``, ``medium``, ``high``, ``critical``; default
    ``low``: every failing finding); with ``allow_unknown`` an ``UNKNOWN`` finding does not
    fail. ``SUPPRESSED`` findings are not failing. Raises :class:`InputError` for another
    ``fail_on``."""
    if fail_on.lower() not in SEVERITIES:
        raise InputError(f"fail_on {fail_on!r}: expected one of {', '.join(SEVERITIES)}")
    threshold = Severity[fail_on.upper()].rank
    allowed: list[Finding] = []
    counted: list[Finding] = []
    for f in report.failing:
        (allowed if allow_unknown and f.status is Status.UNKNOWN else counted).append(f)
    return Verdict(failing=[f for f in counted if f.severity.rank >= threshold],
                   below=[f for f in counted if f.severity.rank < threshold],
                   allowed=allowed)
