"""The engine's data model: rules, check results, findings and reports.

Nothing here imports ``aws_cdk``: the engine reads CloudFormation, so it checks any template,
CDK-synthesized or hand-written. Shapes follow ARCHITECTURE.md ("Findings and reports").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import catalog
from .errors import InputProblem


SCANNER_NAMES = ("cfn-lint", "checkov")
"""Other tools whose findings a report may hold; each appears in ``Report.rules_run`` under its
name when it ran (``Report.rule_info[name]`` describes the run)."""


class Status(str, enum.Enum):
    """Verdict of one rule on one resource (or template).

    A rule's check returns ``PASS``, ``FAIL``, ``NOT_APPLICABLE`` or ``UNKNOWN`` (a value it
    needs cannot be resolved statically; the message says which and why). The engine adds
    ``ERROR`` (a check that raised, or returned something other than results) and
    ``NOT_APPLICABLE`` for a resource whose ``Condition`` is false. ``FAIL``, ``UNKNOWN`` and
    ``ERROR`` all fail by default, so nothing passes silently. ``SUPPRESSED`` is a ``FAIL`` or
    ``UNKNOWN`` result acknowledged by a valid, unexpired entry of the resource's
    ``Metadata.govcdk.suppressions`` (see :mod:`govcdk.policies.suppressions`); it stays in the
    report with its original message and the acknowledgement. ``ERROR`` is never suppressed.
    """

    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"
    SUPPRESSED = "SUPPRESSED"

    @property
    def failing(self) -> bool:
        return self in (Status.FAIL, Status.UNKNOWN, Status.ERROR)


class Severity(str, enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return ["LOW", "MEDIUM", "HIGH", "CRITICAL"].index(self.value)


@dataclass(frozen=True)
class CheckResult:
    """What a rule's check returns for one resource.

    ``path`` is the property path of the offending (or deciding) value, as a tuple of keys and
    list indexes starting at the resource, e.g. ``("Properties", "SecurityGroupIngress", 0,
    "CidrIp")``.

    Wildcard contract (for acknowledgements of one wildcard, see
    :mod:`govcdk.policies.suppressions`): a rule about wildcards (IAM ``Action``, ``Resource``...)
    returns one result per wildcard, and its ``message`` names that wildcard in double quotes,
    e.g. ``'Action "logs:*" grants every action of the service'`` or ``'Resource "*" ...'``. A
    suppression with ``wildcard: "logs:*"`` covers exactly the failing results of its rule on
    its resource whose message contains ``"logs:*"`` (with the quotes).
    """

    status: Status
    message: str = ""
    path: tuple[str | int, ...] = ()

    @classmethod
    def passed(cls, message: str = "", path: tuple[str | int, ...] = ()) -> "CheckResult":
        return cls(Status.PASS, message, path)

    @classmethod
    def failed(cls, message: str, path: tuple[str | int, ...] = ()) -> "CheckResult":
        return cls(Status.FAIL, message, path)

    @classmethod
    def not_applicable(cls, message: str = "") -> "CheckResult":
        return cls(Status.NOT_APPLICABLE, message)

    @classmethod
    def unknown(cls, message: str, path: tuple[str | int, ...] = ()) -> "CheckResult":
        return cls(Status.UNKNOWN, message, path)


@dataclass(frozen=True)
class Suppression:
    """One acknowledgement from a resource's ``Metadata.govcdk.suppressions`` (validated by
    :func:`govcdk.policies.suppressions.parse`).

    ``id`` is a govcdk rule id (``GOV-KMS-001``) or a cfn-lint rule id (``W3010``); ``reason``
    says why the finding is accepted; ``expires`` is the last day it applies (None: no expiry,
    allowed only below severity HIGH); ``poam`` the POA&M item id, ``wildcard`` the one
    wildcard it covers (see :class:`CheckResult`), both None when not given. ``high`` says the
    rule's severity is HIGH or CRITICAL: then ``expires`` may lie at most
    :data:`govcdk.policies.suppressions.MAX_HIGH_EXPIRY_DAYS` days after the day of the check.
    """

    id: str
    reason: str
    expires: date | None = None
    poam: str | None = None
    wildcard: str | None = None
    high: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"id", "reason", "expires" (YYYY-MM-DD or null), "poam", "wildcard"}``; the same
        keys the Metadata entry uses."""
        return {"id": self.id, "reason": self.reason,
                "expires": self.expires.isoformat() if self.expires else None,
                "poam": self.poam, "wildcard": self.wildcard}


@dataclass(frozen=True)
class Finding:
    """One flat finding per (source, rule, resource).

    ``source`` is ``"govcdk"`` for the engine's own rules and the scanner's name (``"cfn-lint"``)
    for findings another tool produced. ``logical_id`` is empty for template-level findings.
    ``line`` is the 1-based line of ``property_path`` in the template file when the decoder
    knows it, else ``None``. ``paths`` lists every failing property path when a check reported
    several locations (``property_path`` is the first of them).

    ``acknowledgements`` are the suppressions applied to this finding's results: when
    ``status`` is ``SUPPRESSED`` every failing result was acknowledged; a ``FAIL`` finding may
    carry some when only part of its results (one wildcard of two) was acknowledged, and its
    message says which. ``suppression`` is their reasons joined with ``"; "`` (the text shown
    next to the finding; kept for readers of the first report shape).

    ``group`` is the id of the findings of several sources about the same concern on the same
    resource (a govcdk rule and the checkov or cfn-lint checks mapped to it), ``""`` when the
    finding is in no such group; every finding stays in the report
    (:func:`govcdk.scanners.mappings.group_findings` says how groups are formed).
    """

    source: str
    rule_id: str
    title: str
    severity: Severity
    controls: tuple[str, ...]
    status: Status
    message: str
    stack: str
    template_path: str
    logical_id: str = ""
    resource_type: str = ""
    property_path: str = ""
    cdk_path: str = ""
    line: int | None = None
    paths: tuple[str, ...] = ()
    suppression: str = ""
    acknowledgements: tuple[Suppression, ...] = ()
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "controls": list(self.controls),
            "status": self.status.value,
            "message": self.message,
            "stack": self.stack,
            "template_path": self.template_path,
            "logical_id": self.logical_id,
            "resource_type": self.resource_type,
            "property_path": self.property_path,
            "cdk_path": self.cdk_path,
            "line": self.line,
            "paths": list(self.paths),
            "suppression": self.suppression,
            "acknowledgements": [a.to_dict() for a in self.acknowledgements],
            "group": self.group,
        }


@dataclass(frozen=True)
class TemplateInfo:
    """A template the engine checked: its stack name, file and resource count.

    ``notes`` says what the engine could not check in it (e.g. ``Fn::ForEach`` resources it
    does not expand).
    """

    stack: str
    path: str
    resource_count: int
    region: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnusedSuppression:
    """A valid suppression that acknowledged nothing in this run: no failing result of its
    rule on its resource matched it (the resource passes, the rule does not apply to its
    type, or no result names its wildcard). ``why`` says which; ``expired`` is True when its
    expiry date had passed too. Reported so stale acknowledgements get removed; it does not
    change the exit code."""

    stack: str
    template_path: str
    logical_id: str
    resource_type: str
    cdk_path: str
    suppression: Suppression
    why: str
    expired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "template_path": self.template_path,
                "logical_id": self.logical_id, "resource_type": self.resource_type,
                "cdk_path": self.cdk_path, "suppression": self.suppression.to_dict(),
                "why": self.why, "expired": self.expired}


@dataclass(frozen=True)
class ParameterException:
    """A rule parameter set looser than its FedRAMP floor under an acknowledged exception
    (``--policy`` file ``exceptions``; see :mod:`govcdk.policies.parameters`). ``value`` is the
    value the rule ran with, ``floor`` the rule's declared floor."""

    rule_id: str
    parameter: str
    floor: Any
    value: Any
    reason: str
    expires: date

    def describe(self) -> str:
        return (f"{self.rule_id} {self.parameter}={self.value} is looser than the FedRAMP floor "
                f"{self.floor} under an exception expiring {self.expires.isoformat()}: "
                f"{self.reason}")

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "parameter": self.parameter, "floor": self.floor,
                "value": self.value, "reason": self.reason,
                "expires": self.expires.isoformat()}


@dataclass
class Report:
    """Everything one ``govcdk check`` run found: the templates checked and every finding,
    passing ones included (they are the evidence an assessor asks for)."""

    templates: list[TemplateInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    rule_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Rule id (or scanner name) -> ``{"title", "severity", "controls"}`` for every rule run,
    including those that found nothing to check; govcdk rules add ``"parameters"``, the
    parameter values the rule ran with (floors unless tightened or excepted)."""
    unused_suppressions: list[UnusedSuppression] = field(default_factory=list)
    """Valid suppressions that acknowledged nothing (see :class:`UnusedSuppression`)."""
    parameter_exceptions: list[ParameterException] = field(default_factory=list)
    """Rule parameters run looser than their floor under an exception; every finding of the
    rule says so in its message."""
    input_errors: list[InputProblem] = field(default_factory=list)
    """Inputs that could not be checked at all (a file that is not a CloudFormation template,
    one CloudFormation would refuse, a broken cloud assembly manifest): each names the file and
    the logical ID where there is one. Any makes ``govcdk check`` exit 2."""

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for f in self.findings:
            out[f.status.value] += 1
        return out

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status.failing]

    def groups(self) -> dict[str, list[Finding]]:
        """Group id -> its findings (report order), groups in the order of their first
        finding; see :attr:`Finding.group`."""
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            if f.group:
                out.setdefault(f.group, []).append(f)
        return out

    def sources(self) -> list[str]:
        """The sources of the findings (``govcdk`` first, then the scanners in the order
        they ran), including scanners that ran and found nothing."""
        out = ["govcdk"] if any(f.source == "govcdk" for f in self.findings) else []
        for name in [r for r in self.rules_run if r in SCANNER_NAMES] + [f.source for f in self.findings]:
            if name not in out:
                out.append(name)
        return out

    def extend(self, other: "Report") -> None:
        self.templates.extend(other.templates)
        self.findings.extend(other.findings)
        for r in other.rules_run:
            if r not in self.rules_run:
                self.rules_run.append(r)
        self.rule_info.update(other.rule_info)
        self.unused_suppressions.extend(other.unused_suppressions)
        self.parameter_exceptions.extend(other.parameter_exceptions)
        self.input_errors.extend(other.input_errors)


CheckFn = Callable[..., "CheckResult | list[CheckResult]"]


@dataclass(frozen=True)
class Rule:
    """A rule's metadata and its check.

    ``scope`` is ``"resource"`` (``check(resource, ctx)`` is called once per resource whose
    type is in ``resource_types``) or ``"template"`` (``check(ctx)`` returns a mapping of
    logical id to :class:`CheckResult`, for joins such as VPC to flow log). ``controls`` are
    NIST SP 800-53 Rev 5 ids printed as in the catalog (``SC-28(1)``). ``resource_types`` may
    be ``("*",)`` for every type. ``raw_paths`` is True when the check reports paths into the
    raw (unresolved) properties rather than the resolved ones, so the engine does not
    translate them.

    ``parameters`` maps each parameter name to its FedRAMP floor (the value the check uses
    unless the user changes it; checks read ``ctx.params``). The name declares the direction:
    ``min_<what>`` is a lower bound (a higher value is stricter), ``max_<what>`` an upper bound
    (a lower value is stricter); values are numbers. A user may tighten a parameter freely and
    loosen it only under an acknowledged exception (:mod:`govcdk.policies.parameters`).
    """

    id: str
    name: str
    title: str
    scope: str
    resource_types: tuple[str, ...]
    controls: tuple[str, ...]
    severity: Severity
    rationale: str
    remediation: str
    check: CheckFn
    references: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    raw_paths: bool = False
    equivalents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The closest checks of other tools, by tool: ``{"checkov": ("CKV_AWS_7",), "guard":
    ("CMK_BACKING_KEY_ROTATION_ENABLED",), "cdk-nag": ("NIST.800.53.R5-KMSBackingKeyRotationEnabled",)}``.
    The agreement test compares verdicts through it; it never changes a verdict."""
    backlog: tuple[str, ...] = ()
    """The concerns of the rule backlog (``design/RULES.md``: ``KMS-1``, ``NET-3``...) the rule
    implements; its ``controls`` are exactly theirs (a meta-test compares them)."""

    @property
    def baselines(self) -> tuple[str, ...]:
        """The FedRAMP Rev 5 baselines of the rule's PRIMARY control (its first ``controls``
        entry), from :mod:`govcdk.policies.catalog` (generated from the FedRAMP OSCAL profiles,
        never hand-listed), in the order ``("low", "moderate", "high")``: GOV-KMS-001, whose
        controls are ``SC-12, SC-12(1), SC-13``, has the baselines of ``SC-12``. Only the primary
        control counts because the others are supporting controls the rule gives evidence for
        (design/RULES.md: "Baselines (L/M/H) are FedRAMP Rev 5 membership of the primary
        controls"). ``()`` for a rule without controls. Raises
        :class:`~govcdk.policies.catalog.UnknownControlError` when the primary control is not in
        the catalog."""
        if not self.controls:
            return ()
        return catalog.control(self.controls[0]).baselines

    @property
    def control_titles(self) -> dict[str, str | None]:
        """Each of ``controls`` -> its catalog title (``"Cryptographic Key Establishment and
        Management | Availability"``), ``None`` when the catalog's NIST file lacks the title.
        Raises :class:`~govcdk.policies.catalog.UnknownControlError` for an unknown id."""
        return {c: catalog.control(c).title for c in self.controls}
