"""The TLS-only resource policy join shared by GOV-SNS-002 and GOV-SQS-002 (RULES.md NET-9).

A topic or queue accepts requests over plain HTTP unless its resource policy denies them. The
policy that does so has a statement (IAM User Guide, "IAM JSON policy elements reference";
Amazon SNS Developer Guide, "Enforce encryption of data in transit"; Amazon SQS Developer Guide,
"Enforce encryption of data in transit") with:

- ``Effect: Deny`` and ``Principal: "*"`` or ``{"AWS": "*"}`` (every caller; a ``NotPrincipal``
  statement exempts someone, so it does not count);
- ``Action`` (a string or a list, with ``*``/``?`` wildcards, case-insensitive) that covers the
  data actions named by the rule, or a ``NotAction`` that leaves them denied;
- ``Resource`` ``"*"`` or one that refers to the topic/queue (``Ref``, ``Fn::GetAtt``, a
  ``Fn::Sub``/``Fn::Join`` string holding such a reference, or a literal ARN whose last part
  matches the resource's literal name); ``NotResource`` does not count;
- ``Condition`` whose only test is ``Bool`` or ``BoolIfExists`` on ``aws:SecureTransport``
  (key case-insensitive) with ``false``, ``"false"`` or a list holding one of them. A statement
  with further conditions denies plain HTTP only when they also hold, so it does not count.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterable

from ..helpers import describe, literal, raw_ref_ids, refs_in
from ..iam_documents import document_mapping
from ..model import CheckResult, Status
from ..resolver import Unknown

Key = tuple[str, str]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unknown_in(value: Any) -> Unknown | None:
    for item in _as_list(value):
        if isinstance(item, Unknown):
            return item
    return None


def _all_principals(principal: Any) -> bool | Unknown:
    principal = literal(principal, "Principal")
    if isinstance(principal, Unknown):
        return principal
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        if isinstance(aws, Unknown):
            return aws
        return any(isinstance(p, str) and p.strip() == "*" for p in _as_list(aws))
    return False


def _covers_actions(stmt: dict[str, Any], needed: Iterable[str]) -> bool | Unknown | str:
    """True when the statement's Action (or NotAction) leaves every ``needed`` action denied;
    a message (str) naming what it leaves out."""
    if "Action" in stmt:
        actions = stmt["Action"]
        unsure = _unknown_in(actions)
        if unsure is not None:
            return unsure
        patterns = [a.lower() for a in _as_list(actions) if isinstance(a, str)]
        missing = [n for n in needed
                   if not any(fnmatch.fnmatchcase(n.lower(), p) for p in patterns)]
        return True if not missing else f"Action {describe(actions)} does not cover " \
                                        f"{', '.join(missing)}"
    if "NotAction" in stmt:
        excluded = stmt["NotAction"]
        unsure = _unknown_in(excluded)
        if unsure is not None:
            return unsure
        patterns = [a.lower() for a in _as_list(excluded) if isinstance(a, str)]
        spared = [n for n in needed if any(fnmatch.fnmatchcase(n.lower(), p) for p in patterns)]
        return True if not spared else f"NotAction {describe(excluded)} exempts " \
                                       f"{', '.join(spared)}"
    return "no Action"


def _false(value: Any) -> bool | Unknown:
    for item in _as_list(value):
        item = literal(item, "aws:SecureTransport value")
        if isinstance(item, Unknown):
            return item
        if item is False or (isinstance(item, str) and item.strip().lower() == "false"):
            return True
    return False


def _secure_transport_only(condition: Any) -> bool | Unknown | str:
    if isinstance(condition, Unknown):
        return condition
    if not isinstance(condition, dict) or len(condition) != 1:
        return ("its Condition is not a single Bool test on aws:SecureTransport"
                if condition is not None else "no Condition on aws:SecureTransport: it denies "
                                                  "every request, or it is not a TLS statement")
    operator, tests = next(iter(condition.items()))
    if str(operator).lower() not in ("bool", "boolifexists"):
        return f"its Condition operator is {operator}, not Bool/BoolIfExists"
    if isinstance(tests, Unknown):
        return tests
    if not isinstance(tests, dict) or len(tests) != 1:
        return "its Condition tests more than aws:SecureTransport"
    key, value = next(iter(tests.items()))
    if str(key).lower() != "aws:securetransport":
        return f"its Condition tests {key}, not aws:SecureTransport"
    is_false = _false(value)
    if is_false is True or isinstance(is_false, Unknown):
        return is_false
    return f"its Condition tests aws:SecureTransport {describe(value)}, not false"


def statement_verdict(stmt: Any, needed: tuple[str, ...], covers: Any) -> bool | Unknown | str:
    """Whether one resolved statement denies plain-HTTP requests for ``needed`` actions on the
    target: True, :class:`Unknown`, or a message (str) saying why not. ``covers(resource)``
    says whether a ``Resource`` value covers the target (bool or Unknown)."""
    if isinstance(stmt, Unknown):
        return stmt
    if not isinstance(stmt, dict):
        return f"statement {describe(stmt)} is not a mapping"
    effect = literal(stmt.get("Effect"), "Effect")
    if isinstance(effect, Unknown) or effect != "Deny":
        return effect if isinstance(effect, Unknown) else f"Effect is {describe(effect)}"
    if "Principal" not in stmt:
        return "no Principal \"*\" (NotPrincipal exempts callers)"
    principals = _all_principals(stmt.get("Principal"))
    if principals is not True:
        return principals if isinstance(principals, Unknown) else \
            f"Principal {describe(stmt.get('Principal'))} is not every caller (\"*\")"
    actions = _covers_actions(stmt, needed)
    if actions is not True:
        return actions
    if "Resource" not in stmt:
        return "no Resource (NotResource exempts resources)"
    resource = covers(stmt.get("Resource"))
    if resource is not True:
        return resource if isinstance(resource, Unknown) else \
            f"Resource {describe(stmt.get('Resource'))} does not cover it"
    return _secure_transport_only(stmt.get("Condition"))


def document_result(doc: Any, needed: tuple[str, ...], covers: Any, name: str) -> CheckResult:
    """Verdict on one resolved policy document ``name`` (e.g. ``"topic policy P"``), a
    mapping or a JSON string."""
    doc = document_mapping(doc, (), name)
    if isinstance(doc, CheckResult):            # a JSON string that cannot be read
        return CheckResult(doc.status, doc.message)
    if isinstance(doc, Unknown):
        return CheckResult.unknown(f"{name} PolicyDocument cannot be resolved: {doc.reason}")
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if isinstance(statements, Unknown):
        return CheckResult.unknown(f"{name} Statement cannot be resolved: {statements.reason}")
    if statements is None:
        return CheckResult.failed(f"{name} has no Statement")
    reasons: list[str] = []
    unsure: list[str] = []
    for i, stmt in enumerate(_as_list(statements)):
        verdict = statement_verdict(stmt, needed, covers)
        label = stmt.get("Sid") if isinstance(stmt, dict) and isinstance(
            stmt.get("Sid"), str) else f"statement {i}"
        if verdict is True:
            return CheckResult.passed(f"{name} {label} denies {', '.join(needed)} when "
                                      f"aws:SecureTransport is false, for every principal")
        if isinstance(verdict, Unknown):
            unsure.append(f"{label}: {verdict.reason}")
        else:
            reasons.append(f"{label}: {verdict}")
    if unsure:
        return CheckResult.unknown(f"{name}: whether it denies plain HTTP cannot be told "
                                   f"({'; '.join(unsure)})")
    return CheckResult.failed(f"{name} has no statement denying {', '.join(needed)} when "
                              f"aws:SecureTransport is false for every principal "
                              f"({'; '.join(reasons)})")


def _name(ctx: Any, res: Any) -> str:
    return res.logical_id if res.stack == ctx.stack else f"{res.logical_id} (stack {res.stack})"


def tls_only_check(ctx: Any, *, target_type: str, policy_type: str, list_key: str,
                   name_key: str, needed: tuple[str, ...], arn_service: str
                   ) -> dict[str, list[CheckResult]]:
    """For each ``target_type`` resource of the template, the verdict of the
    ``policy_type`` resources of the run whose ``list_key`` (``Topics``/``Queues``) refers to
    it: PASS when one of them denies plain HTTP (see the module docstring), else UNKNOWN when
    one cannot be told, else FAIL (also without any such policy)."""
    policies = ctx.run_resources(policy_type)
    out: dict[str, list[CheckResult]] = {}
    for target in ctx.resources(target_type):
        key: Key = (ctx.stack, target.logical_id)
        raw_name = target.properties.get(name_key)

        def covers(value: Any, owner: str) -> bool | Unknown:
            unsure: Unknown | None = None
            for item in _as_list(value):
                if isinstance(item, Unknown):
                    unsure = item
                    continue
                if item == "*":
                    return True
                if any((r.stack or owner, r.logical_id) == key for r in refs_in(item)):
                    return True
                if isinstance(item, str) and not refs_in(item) and f":{arn_service}:" in item:
                    last = item.rsplit(":", 1)[-1]
                    if last == "*" or (isinstance(raw_name, str) and not refs_in(raw_name)
                                       and fnmatch.fnmatchcase(raw_name, last)):
                        return True
            return unsure if unsure is not None else False

        candidates: list[CheckResult] = []
        for policy in policies:
            attached = policy.properties.get(list_key)
            items = attached if isinstance(attached, list) else [attached]
            definite = any((r.stack or policy.stack, r.logical_id) == key
                           for item in items for r in refs_in(item))
            possible = False
            if not definite and any(isinstance(i, Unknown) for i in items):
                possible = (policy.stack == ctx.stack and target.logical_id in
                            raw_ref_ids(policy.raw_properties.get(list_key)))
            if not definite and not possible:
                continue
            pname = f"{policy_type.rsplit('::', 1)[-1]} {_name(ctx, policy)}"
            if not definite:
                candidates.append(CheckResult.unknown(
                    f"{pname} {list_key} cannot be resolved; it may attach to this resource"))
                continue
            if policy.condition is None:
                candidates.append(CheckResult.unknown(
                    f"{pname} exists only if Condition {policy.raw.get('Condition')} holds, "
                    f"which cannot be evaluated"))
                continue
            candidates.append(document_result(
                policy.properties.get("PolicyDocument"), needed,
                lambda v, owner=policy.stack: covers(v, owner), pname))
        passing = [c for c in candidates if c.status == Status.PASS]
        if passing:
            out[target.logical_id] = [passing[0]]
        elif any(c.status == Status.UNKNOWN for c in candidates):
            out[target.logical_id] = [c for c in candidates if c.status == Status.UNKNOWN]
        elif candidates:
            out[target.logical_id] = candidates
        else:
            out[target.logical_id] = [CheckResult.failed(
                f"no {policy_type} attached ({list_key} referring to {target.logical_id}): "
                f"nothing denies requests over plain HTTP (aws:SecureTransport false)")]
    return out
