"""Acknowledgements ("suppressions") of findings, stored with the resource in its template.

Format (one list per resource, in the resource's CloudFormation ``Metadata``)::

    Metadata:
      govcdk:
        suppressions:
          - id: GOV-IAM-002            # a govcdk rule id, or a cfn-lint rule id (W3010, E3012)
            reason: CloudWatch agent writes to log groups it creates at run time
            expires: 2026-06-30        # YYYY-MM-DD, last day it applies
            poam: POAM-2025-014        # optional POA&M item id
            wildcard: "logs:*"         # optional: acknowledge this one wildcard only

Validation (:func:`parse`; the CDK helper :func:`govcdk.acknowledge.suppress` validates the
same way, raising :class:`ValueError`):

- ``id``: a rule id of the rule pack, or a cfn-lint rule id (``E``, ``W`` or ``I`` and four
  digits). The engine's own ids (``ENGINE``, ``SUPPRESSION``) are not suppressible.
- ``reason``: a string of at least :data:`MIN_REASON_CHARS` characters once surrounding
  whitespace is trimmed and inner runs collapsed, with at least :data:`MIN_REASON_DISTINCT`
  distinct letters or digits (so no ``"...................."``, ``"aaaaaaaaaaaaaaaaaaaa"``,
  ``"TODO TODO TODO TODO "``).
- ``expires``: an ISO date ``YYYY-MM-DD`` (YAML may give it unquoted; a date-time is refused).
  Required when the rule's severity is HIGH or CRITICAL (for cfn-lint: ``E`` rules, which the
  scanner reports as HIGH), and then at most :data:`MAX_HIGH_EXPIRY_DAYS` days after the day
  of the check (further out it does not apply). The suppression applies through that day and
  no longer.
- ``poam``: optional non-empty string. ``wildcard``: optional non-empty string.
- No other key (a misspelt ``expiry`` would otherwise drop the date silently); no second entry
  with the same ``id`` and ``wildcard``.

An invalid entry never applies; the engine reports it as a failing finding of rule id
:data:`SUPPRESSION_RULE_ID` on the resource (what is wrong, which entry), so a typo cannot
silently un-acknowledge or over-acknowledge a finding.

Semantics (:func:`apply`): a ``FAIL`` or ``UNKNOWN`` result of rule ``id`` on the resource is
covered by a suppression of that id; with ``wildcard``, only a result whose message contains
the wildcard in double quotes (``"logs:*"``; the wildcard contract of
:class:`govcdk.policies.model.CheckResult`: a wildcard rule returns one result per wildcard and
quotes it in its message). A covered result becomes ``SUPPRESSED`` with its message unchanged
and the suppression attached to the finding. A suppression whose ``expires`` is before
``today`` does not apply: the result keeps its status and its message says
``suppression expired on <date>``. ``ERROR`` results are never suppressed. A valid suppression
that covered nothing is reported as unused (:class:`govcdk.policies.model.UnusedSuppression`).

Other scanners' acknowledgements (checkov's ``Metadata.checkov.skip``, cdk-nag's
``Metadata.cdk_nag.rules_to_suppress``) are read by :func:`tool_acknowledgements` and validated
by :func:`validate_tool_entry` (formats: :data:`TOOL_FORMATS`); govcdk's engine does not apply
them, the tool does.

This module never imports ``aws_cdk``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import CheckResult, Severity, Status, Suppression

SUPPRESSION_RULE_ID = "SUPPRESSION"
"""Rule id of the engine's findings about invalid suppressions (always ``FAIL``)."""
SUPPRESSION_TITLE = "Suppressions in Metadata.govcdk.suppressions are valid"
METADATA_KEY = "govcdk"
LIST_KEY = "suppressions"
MIN_REASON_CHARS = 20
MIN_REASON_DISTINCT = 5
ALLOWED_KEYS = ("id", "reason", "expires", "poam", "wildcard")
EXPIRY_REQUIRED = frozenset({Severity.HIGH, Severity.CRITICAL})
MAX_HIGH_EXPIRY_DAYS = 365
"""The furthest ``expires`` of a HIGH or CRITICAL suppression, in days after the day of the
check: a date further out (``9999-12-31``) is no expiry in all but name. FedRAMP reviews every
accepted risk and POA&M item at least once a year (annual assessment; FedRAMP Continuous
Monitoring Strategy Guide) and wants high risks remediated within 30 days, so an
acknowledgement is renewed, with its reason, at least yearly. Beyond it the suppression does
not apply and the finding says why."""
NOT_SUPPRESSIBLE = frozenset({"ENGINE", SUPPRESSION_RULE_ID})
CFN_LINT_ID = re.compile(r"^[EWI]\d{4}$")
_CFN_LINT_SEVERITY = {"E": Severity.HIGH, "W": Severity.MEDIUM, "I": Severity.LOW}


def _kind(value: Any) -> str:
    """What YAML/JSON kind ``value`` is (the decoder's node classes are not shown)."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {str(value)!r}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "null" if value is None else type(value).__name__


def cfnlint_severity(rule_id: str) -> Severity | None:
    """Severity the cfn-lint scanner gives a match of ``rule_id`` (``E`` HIGH, ``W`` MEDIUM,
    ``I`` LOW), or None when ``rule_id`` is not a cfn-lint rule id."""
    return _CFN_LINT_SEVERITY[rule_id[0]] if CFN_LINT_ID.match(rule_id) else None


def is_cfnlint_id(rule_id: str) -> bool:
    return bool(CFN_LINT_ID.match(rule_id))


def reason_problem(reason: Any, what: str = "reason") -> str | None:
    """Why ``reason`` is not a substantive reason, or None when it is; ``what`` names the key
    in the message (checkov calls it ``comment``)."""
    if not isinstance(reason, str):
        return f"{what} is required: a string saying why the finding is accepted"
    text = " ".join(reason.split())
    distinct = {c.lower() for c in text if c.isalnum()}
    if len(text) < MIN_REASON_CHARS or len(distinct) < MIN_REASON_DISTINCT:
        return (f"{what} must say why the finding is accepted in at least {MIN_REASON_CHARS} "
                f"characters with at least {MIN_REASON_DISTINCT} distinct letters or digits, "
                f"got {reason!r}")
    return None


def parse_date(value: Any, what: str = "expires") -> _dt.date:
    """An ISO ``YYYY-MM-DD`` string or a ``datetime.date`` (YAML's unquoted date) -> date.
    Raises :class:`ValueError` naming ``what`` and what is allowed."""
    if isinstance(value, _dt.datetime):
        raise ValueError(f"{what} must be a date YYYY-MM-DD, not a date-time: "
                         f"{value.isoformat()}")
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what} must be a date YYYY-MM-DD, got {value!r}")


def severity_lookup(severities: Mapping[str, Severity]) -> Callable[[str], Severity | None]:
    """Rule id -> severity: a rule of ``severities`` (``{rule id: severity}`` of the rule
    pack), else a cfn-lint id's severity, else None (unknown id)."""
    def lookup(rule_id: str) -> Severity | None:
        return severities.get(rule_id) or cfnlint_severity(rule_id)
    return lookup


def validate_entry(entry: Any, severity_of: Callable[[str], Severity | None]) -> Suppression:
    """One ``Metadata.govcdk.suppressions`` entry -> :class:`Suppression`. Raises
    :class:`ValueError` saying what is wrong and what is allowed (see the module docstring)."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"an entry must be a mapping with keys {', '.join(ALLOWED_KEYS)}, "
                         f"got {_kind(entry)}")
    extra = sorted(str(k) for k in entry if k not in ALLOWED_KEYS)
    if extra:
        raise ValueError(f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(ALLOWED_KEYS)}")
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ValueError("id is required: a govcdk rule id (e.g. GOV-KMS-001) or a cfn-lint "
                         "rule id (e.g. W3010)")
    rule_id = rule_id.strip()
    if rule_id in NOT_SUPPRESSIBLE:
        raise ValueError(f"id {rule_id}: the engine's own findings are not suppressible")
    severity = severity_of(rule_id)
    if severity is None:
        raise ValueError(f"id {rule_id}: not a rule id of the rule pack (govcdk rules) nor a "
                         f"cfn-lint rule id (E, W or I and four digits)")
    problem = reason_problem(entry.get("reason"))
    if problem:
        raise ValueError(problem)
    expires: _dt.date | None = None
    if entry.get("expires") is not None:
        expires = parse_date(entry["expires"])
    elif severity in EXPIRY_REQUIRED:
        raise ValueError(f"expires (YYYY-MM-DD) is required: {rule_id} has severity "
                         f"{severity.value}, and HIGH and CRITICAL findings are acknowledged "
                         f"only until a date")
    out: dict[str, str | None] = {}
    for key in ("poam", "wildcard"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{key} must be a non-empty string when given, got {value!r}")
        out[key] = value.strip() if isinstance(value, str) else None
    return Suppression(id=rule_id, reason=" ".join(entry["reason"].split()), expires=expires,
                       poam=out["poam"], wildcard=out["wildcard"],
                       high=severity in EXPIRY_REQUIRED)


@dataclass(frozen=True)
class Problem:
    """An invalid entry: ``index`` in the list (None when the list itself is malformed),
    ``rule_id`` it names (None when it names none) and ``message``."""

    index: int | None
    rule_id: str | None
    message: str

    @property
    def path(self) -> tuple[str | int, ...]:
        base: tuple[str | int, ...] = ("Metadata", METADATA_KEY, LIST_KEY)
        return base + (self.index,) if self.index is not None else base

    def describe(self) -> str:
        where = f"{LIST_KEY}[{self.index}]" if self.index is not None else \
            f"Metadata.{METADATA_KEY}.{LIST_KEY}"
        named = f" ({self.rule_id})" if self.rule_id else ""
        return f"{where}{named}: {self.message}"


@dataclass
class Parsed:
    """The suppressions of one resource: the valid ones, in list order, and the problems."""

    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def entries_of(metadata: Any) -> tuple[Any, str | None]:
    """The raw ``Metadata.govcdk.suppressions`` value of a resource's ``Metadata`` and a
    problem with the surrounding shape (``govcdk`` not a mapping), or ``(None, None)``."""
    if not isinstance(metadata, Mapping) or METADATA_KEY not in metadata:
        return None, None
    gov = metadata[METADATA_KEY]
    if not isinstance(gov, Mapping):
        return None, f"Metadata.{METADATA_KEY} must be a mapping with a {LIST_KEY} list"
    return gov.get(LIST_KEY), None


def parse(metadata: Any, severities: Mapping[str, Severity]) -> Parsed:
    """Validate a resource's ``Metadata`` suppressions (see the module docstring).
    ``severities`` is ``{rule id: severity}`` of the rule pack; cfn-lint ids are known by
    their form. Never raises: what is wrong is in :attr:`Parsed.problems`."""
    out = Parsed()
    raw, shape = entries_of(metadata)
    if shape:
        out.problems.append(Problem(None, None, shape))
        return out
    if raw is None:
        return out
    if not isinstance(raw, list):
        out.problems.append(Problem(None, None, f"must be a list of entries, got "
                                                f"{_kind(raw)}"))
        return out
    lookup = severity_lookup(severities)
    seen: dict[tuple[str, str | None], int] = {}
    for i, entry in enumerate(raw):
        named = entry.get("id") if isinstance(entry, Mapping) else None
        named = named.strip() if isinstance(named, str) and named.strip() else None
        try:
            s = validate_entry(entry, lookup)
        except ValueError as exc:
            out.problems.append(Problem(i, named, str(exc)))
            continue
        key = (s.id, s.wildcard)
        if key in seen:
            out.problems.append(Problem(i, named, f"duplicate of {LIST_KEY}[{seen[key]}] (same "
                                                  f"id and wildcard)"))
            continue
        seen[key] = i
        out.suppressions.append(s)
    return out


def covers(suppression: Suppression, rule_id: str, result: CheckResult) -> bool:
    """True when ``suppression`` acknowledges ``result`` of ``rule_id``: same id, a ``FAIL`` or
    ``UNKNOWN`` result, and (with a wildcard) the message contains it in double quotes."""
    if suppression.id != rule_id or result.status not in (Status.FAIL, Status.UNKNOWN):
        return False
    return suppression.wildcard is None or f'"{suppression.wildcard}"' in result.message


def too_far(suppression: Suppression, today: _dt.date) -> bool:
    """True for a HIGH or CRITICAL suppression whose ``expires`` lies more than
    :data:`MAX_HIGH_EXPIRY_DAYS` days after ``today``."""
    return suppression.high and suppression.expires is not None and \
        (suppression.expires - today).days > MAX_HIGH_EXPIRY_DAYS


def expired(suppression: Suppression, today: _dt.date) -> bool:
    """True when ``today`` is after the suppression's last day."""
    return suppression.expires is not None and today > suppression.expires


@dataclass
class Applied:
    """What :func:`apply` did: the results (covered ones ``SUPPRESSED``; those covered only by
    expired suppressions say so in their message), the suppressions applied (in order, once
    each) and the indexes (into the suppressions given) of those that matched a result,
    expired ones included."""

    results: list[CheckResult]
    acknowledgements: tuple[Suppression, ...] = ()
    used: set[int] = field(default_factory=set)


def apply(results: Sequence[CheckResult], rule_id: str, suppressions: Sequence[Suppression],
          today: _dt.date) -> Applied:
    """Acknowledge the failing results of ``rule_id`` that ``suppressions`` cover (see the
    module docstring). A result covered by several suppressions is attributed to a wildcard
    one first; all of them count as used."""
    out: list[CheckResult] = []
    acks: list[Suppression] = []
    used: set[int] = set()
    for r in results:
        matching = [i for i, s in enumerate(suppressions) if covers(s, rule_id, r)]
        if not matching:
            out.append(r)
            continue
        used.update(matching)
        live = [i for i in matching if not expired(suppressions[i], today)
                and not too_far(suppressions[i], today)]
        if live:
            chosen = min(live, key=lambda i: (suppressions[i].wildcard is None, i))
            if suppressions[chosen] not in acks:
                acks.append(suppressions[chosen])
            out.append(CheckResult(Status.SUPPRESSED, r.message, r.path))
            continue
        notes = "; ".join(dict.fromkeys(
            (f"suppression expired on {suppressions[i].expires.isoformat()}"  # type: ignore[union-attr]
             if expired(suppressions[i], today) else
             f"suppression expires {suppressions[i].expires.isoformat()}, more than "  # type: ignore[union-attr]
             f"{MAX_HIGH_EXPIRY_DAYS} days ahead: a HIGH or CRITICAL finding is acknowledged "
             f"for at most {MAX_HIGH_EXPIRY_DAYS} days at a time, so it does not apply")
            + f" ({suppressions[i].reason})" for i in matching))
        out.append(CheckResult(r.status, f"{r.message} [{notes}]" if r.message else f"[{notes}]",
                               r.path))
    return Applied(out, tuple(acks), used)


def describe(suppressions: Iterable[Suppression]) -> str:
    """Reasons of applied suppressions as shown next to a finding: ``reason (expires
    2026-06-30, POA&M POAM-1, wildcard "logs:*")``, joined with ``"; "``."""
    parts = []
    for s in suppressions:
        extra = [f"expires {s.expires.isoformat()}" if s.expires else "no expiry"]
        if s.poam:
            extra.append(f"POA&M {s.poam}")
        if s.wildcard:
            extra.append(f'wildcard "{s.wildcard}"')
        parts.append(f"{s.reason} ({', '.join(extra)})")
    return "; ".join(parts)


# -- other tools' acknowledgements -------------------------------------------------------------
#
# A construct may acknowledge a check of another scanner in that scanner's own Metadata format,
# so the scanner itself honours it (written by :func:`govcdk.acknowledge.acknowledge`):
#
#     Metadata:
#       checkov:                       # checkov docs, "Suppressing and skipping policies",
#         skip:                        # CloudFormation (checkov/cloudformation/context_parser.py)
#           - id: CKV_AWS_117
#             comment: the handler must reach the EC2 API and CloudFormation's response bucket
#       cdk_nag:                       # cdk-nag v2 NagSuppressions format; cdk-nag v3 writes
#         rules_to_suppress:           # the same with writeSuppressionsToCloudFormation
#           - id: NIST.800.53.R5-EC2RestrictedCommonPorts
#             reason: EFA requires all traffic within the cluster's own security group
#             applies_to: ["Action::s3:*"]   # optional: only these findings of the rule

TOOL_CHECKOV = "checkov"
TOOL_CDK_NAG = "cdk-nag"


@dataclass(frozen=True)
class ToolFormat:
    """Where and how one scanner reads acknowledgements from a resource's ``Metadata``:
    ``Metadata[key][list_key]`` is a list of ``{"id": ..., reason_key: ...}`` entries."""

    tool: str
    key: str
    list_key: str
    reason_key: str
    id_pattern: re.Pattern[str]
    id_example: str


TOOL_FORMATS: Mapping[str, ToolFormat] = {
    TOOL_CHECKOV: ToolFormat(TOOL_CHECKOV, "checkov", "skip", "comment",
                             re.compile(r"^CKV2?_[A-Z0-9]+_\d+$"), "CKV_AWS_117"),
    TOOL_CDK_NAG: ToolFormat(TOOL_CDK_NAG, "cdk_nag", "rules_to_suppress", "reason",
                             re.compile(r"^[A-Za-z][A-Za-z0-9.]*-[A-Za-z0-9]+$"),
                             "NIST.800.53.R5-IAMNoInlinePolicy"),
}
"""The scanners whose acknowledgements govcdk writes and reads, by tool name."""


@dataclass(frozen=True)
class ToolAcknowledgement:
    """One acknowledgement of another scanner's check on a resource: ``tool`` (``checkov`` or
    ``cdk-nag``), the check ``id``, the ``reason`` (at least :data:`MIN_REASON_CHARS`
    characters of substance) and, for cdk-nag, ``applies_to``: the findings of the rule it
    covers (``Action::s3:*``; empty: every finding)."""

    tool: str
    id: str
    reason: str
    applies_to: tuple[str, ...] = ()

    def to_entry(self) -> dict[str, Any]:
        """The Metadata entry in the tool's own format."""
        fmt = TOOL_FORMATS[self.tool]
        entry: dict[str, Any] = {"id": self.id, fmt.reason_key: self.reason}
        if self.applies_to:
            entry["applies_to"] = list(self.applies_to)
        return entry


def tool_format(tool: Any) -> ToolFormat:
    """The :class:`ToolFormat` of ``tool``; raises :class:`ValueError` listing the tools."""
    if not isinstance(tool, str) or tool not in TOOL_FORMATS:
        raise ValueError(f"tool {tool!r}: allowed {', '.join(TOOL_FORMATS)}")
    return TOOL_FORMATS[tool]


def validate_tool_entry(tool: str, entry: Any) -> ToolAcknowledgement:
    """One entry of ``tool``'s Metadata list -> :class:`ToolAcknowledgement`. Raises
    :class:`ValueError` saying what is wrong and what is allowed: an unknown tool, an id not
    of the tool's form (checkov ``CKV_AWS_117`` / ``CKV2_AWS_5``; cdk-nag
    ``<pack>-<rule>``, e.g. ``NIST.800.53.R5-IAMNoInlinePolicy``, with findings in
    ``applies_to`` rather than in brackets), a reason that is missing or too short,
    ``applies_to`` on a checkov entry or not a list of non-empty strings (cdk-nag v2's
    ``{"regex": ...}`` form is accepted on read), or a key the tool does not read."""
    fmt = tool_format(tool)
    if not isinstance(entry, Mapping):
        raise ValueError(f"an entry must be a mapping with keys id and {fmt.reason_key}, got "
                         f"{_kind(entry)}")
    allowed = ("id", fmt.reason_key) + (("applies_to",) if tool == TOOL_CDK_NAG else ())
    extra = sorted(str(k) for k in entry if k not in allowed)
    if extra:
        raise ValueError(f"unknown key(s) {', '.join(extra)}; {tool} reads {', '.join(allowed)}")
    check_id = entry.get("id")
    if not isinstance(check_id, str) or not fmt.id_pattern.match(check_id.strip()):
        hint = (" (give the finding in applies_to, e.g. applies_to=['Action::s3:*'])"
                if isinstance(check_id, str) and "[" in check_id else "")
        raise ValueError(f"id {check_id!r} is not a {tool} check id; allowed e.g. "
                         f"{fmt.id_example}{hint}")
    problem = reason_problem(entry.get(fmt.reason_key), fmt.reason_key)
    if problem:
        raise ValueError(problem)
    applies: list[str] = []
    raw = entry.get("applies_to")
    if raw is not None:
        if not isinstance(raw, list) or not raw:
            raise ValueError(f"applies_to must be a non-empty list of finding ids (e.g. "
                             f"'Action::s3:*'), got {_kind(raw)}")
        for item in raw:
            if isinstance(item, Mapping) and set(item) == {"regex"} and isinstance(item["regex"], str):
                applies.append(f"regex:{item['regex']}")
            elif isinstance(item, str) and item.strip():
                applies.append(item.strip())
            else:
                raise ValueError(f"applies_to: {item!r} is not a finding id (a non-empty string "
                                 f"such as 'Action::s3:*')")
    return ToolAcknowledgement(tool, check_id.strip(), " ".join(entry[fmt.reason_key].split()),
                               tuple(applies))


def tool_acknowledgements(metadata: Any) -> tuple[list[ToolAcknowledgement], list[str]]:
    """Every other-tool acknowledgement in a resource's ``Metadata`` (checkov first, then
    cdk-nag, each in list order) and the problems found, each a sentence naming the tool, the
    entry index and what is wrong. Never raises."""
    acks: list[ToolAcknowledgement] = []
    problems: list[str] = []
    if not isinstance(metadata, Mapping):
        return acks, problems
    for tool, fmt in TOOL_FORMATS.items():
        if fmt.key not in metadata:
            continue
        block = metadata[fmt.key]
        raw = block.get(fmt.list_key) if isinstance(block, Mapping) else None
        if not isinstance(raw, list):
            problems.append(f"Metadata.{fmt.key}.{fmt.list_key} must be a list of entries, got "
                            f"{_kind(raw) if isinstance(block, Mapping) else _kind(block)}")
            continue
        seen: dict[tuple[str, tuple[str, ...]], int] = {}
        for i, entry in enumerate(raw):
            try:
                ack = validate_tool_entry(tool, entry)
            except ValueError as exc:
                problems.append(f"Metadata.{fmt.key}.{fmt.list_key}[{i}]: {exc}")
                continue
            key = (ack.id, ack.applies_to)
            if key in seen:
                problems.append(f"Metadata.{fmt.key}.{fmt.list_key}[{i}]: duplicate of "
                                f"[{seen[key]}] ({ack.id})")
                continue
            seen[key] = i
            acks.append(ack)
    return acks, problems


__all__ = [
    "SUPPRESSION_RULE_ID", "SUPPRESSION_TITLE", "MIN_REASON_CHARS", "ALLOWED_KEYS", "Applied",
    "Parsed", "Problem", "TOOL_CDK_NAG", "TOOL_CHECKOV", "TOOL_FORMATS", "ToolAcknowledgement",
    "ToolFormat", "apply", "cfnlint_severity", "covers", "describe", "entries_of", "expired",
    "is_cfnlint_id", "parse", "parse_date", "reason_problem", "severity_lookup",
    "tool_acknowledgements", "tool_format", "validate_entry", "validate_tool_entry",
]
