"""GOV-KMS-005: IAM identity policies do not allow decrypting with every KMS key.

Source: RULES.md KMS-6; AWS KMS Developer Guide, "IAM policy best practices" ("Avoid
Resource: * in an IAM policy that allows kms:Decrypt or kms:ReEncrypt*") and "kms:ViaService";
IAM User Guide, "IAM JSON policy elements reference".

Checked documents: ``PolicyDocument`` of ``AWS::IAM::Policy``, ``AWS::IAM::ManagedPolicy``,
``AWS::IAM::RolePolicy``/``UserPolicy``/``GroupPolicy`` and ``Policies[].PolicyDocument`` of
``AWS::IAM::Role``/``User``/``Group`` (a JSON-string document is parsed). An ``Allow``
statement FAILS when

- its actions include ``kms:Decrypt`` or ``kms:ReEncryptFrom``: named, or through a wildcard
  (``kms:*``, ``kms:De*``, ``*``), expanded with policyuniverse's IAM action data; with
  ``NotAction``, every action the list does not exclude is allowed;
- its resources cover every key: ``"*"``, or an ARN whose service is ``kms`` (or a wildcard)
  and whose resource part matches any key (``key/*``, ``*``), whatever its Region and account
  (``arn:${AWS::Partition}:kms:*:*:key/*``); ``NotResource`` covers every key unless it
  excludes them;
- and it has no ``kms:ViaService`` condition constraining the key's use to a calling service
  (a positive operator and a value that is not a bare wildcard).

One FAIL per offending statement, at its ``Resource``; ``Deny`` statements are ignored.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from ...iam_documents import (
    IDENTITY_POLICY_TYPES, Statement, action_values, display_action, effect, expand_actions,
    has_constraint, identity_documents, literal_strings, resource_values, statements)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

TARGETS = ("kms:decrypt", "kms:reencryptfrom")
_SAMPLE_KEYS = ("key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "key/mrk-1234abcd12ab34cd56ef1234567890ab")


def _parts(pattern: str) -> list[str] | None:
    """An ARN pattern's six parts, placeholders (``${AWS::Region}``, ``${Ref:Key}``) replaced
    by a marker that matches nothing; None when it is not an ARN."""
    parts = re.sub(r"\$\{[^{}]*\}", "\x00", pattern).split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def covers_all_keys(pattern: str) -> bool:
    """Whether an IAM resource pattern matches every KMS key ARN (see the module docstring)."""
    if pattern == "*":
        return True
    parts = _parts(pattern)
    return parts is not None and fnmatch.fnmatchcase("kms", parts[2]) and all(
        fnmatch.fnmatchcase(k, parts[5]) for k in _SAMPLE_KEYS)


def matches_some_key(pattern: str) -> bool:
    """Whether a ``NotResource`` pattern excludes KMS keys (matches a key ARN, any Region and
    account)."""
    if pattern == "*":
        return True
    parts = _parts(pattern)
    return parts is not None and fnmatch.fnmatchcase("kms", parts[2]) and any(
        fnmatch.fnmatchcase(k, parts[5]) for k in _SAMPLE_KEYS)


def _statement(stmt: Statement) -> CheckResult | None:
    eff = effect(stmt)
    if isinstance(eff, CheckResult):
        return eff
    if eff == "Deny":
        return None
    got = action_values(stmt)
    if got is None:
        return None
    element, values = got
    actions, problem = literal_strings(values, element, stmt)
    if problem is not None:
        return problem
    expanded = expand_actions([a for a, _ in actions])
    if element == "Action":
        hits = [t for t in TARGETS if t in expanded]
    else:
        hits = [t for t in TARGETS if t not in expanded]
    if not hits:
        return None
    res = resource_values(stmt)
    if res is None:
        return None
    relem, rvalues = res
    resources, problem = literal_strings(rvalues, relem, stmt)
    if problem is not None:
        return problem
    if relem == "Resource":
        broad = [(r, p) for r, p in resources if covers_all_keys(r)]
    else:
        excluded = any(matches_some_key(r) for r, _ in resources)
        broad = [] if excluded else [("NotResource", stmt.at("NotResource"))]
    if not broad:
        return None
    via = has_constraint(stmt, ("kms:ViaService",))
    named = " and ".join(display_action(h) for h in hits)
    how = f"{element} {', '.join(repr(a) for a, _ in actions)}"
    if isinstance(via, Unknown):
        return CheckResult.unknown(f"{stmt.name}: allows {named} on every key ({how}); its "
                                   f"Condition cannot be resolved ({via.reason})",
                                   stmt.at("Condition"))
    if via:
        return None
    shown, path = broad[0]
    where = "NotResource" if shown == "NotResource" else f"Resource {shown!r}"
    return CheckResult.failed(f"{stmt.name}: allows {named} on every KMS key ({how}, {where}) "
                              f"without a kms:ViaService condition", path)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    results: list[CheckResult] = []
    count = 0
    for doc in identity_documents(resource):
        if isinstance(doc, CheckResult):
            results.append(doc)
            continue
        for stmt in statements(doc):
            if isinstance(stmt, CheckResult):
                results.append(stmt)
                continue
            count += 1
            got = _statement(stmt)
            if got is not None:
                results.append(got)
    if results:
        return results
    if count == 0:
        return CheckResult.not_applicable("no identity policy statements")
    return CheckResult.passed(f"none of {count} statement(s) allows kms:Decrypt or "
                              f"kms:ReEncryptFrom on every key without kms:ViaService")


RULE = Rule(
    id="GOV-KMS-005",
    backlog=("KMS-6",),
    name="iam_no_decrypt_all_keys",
    title="IAM policies allow kms:Decrypt and kms:ReEncryptFrom only on named keys or through "
          "a calling service",
    scope="resource",
    resource_types=IDENTITY_POLICY_TYPES,
    controls=("AC-6", "SC-12"),
    severity=Severity.HIGH,
    rationale=(
        "An identity policy that allows kms:Decrypt (or kms:ReEncryptFrom) on Resource \"*\" "
        "lets the principal decrypt with every key whose key policy defers to IAM, including "
        "keys created later for other systems: least privilege (AC-6) and the separation of "
        "keys by purpose (SC-12) then rest on key policies alone. Naming the keys, or limiting "
        "use to a calling service with kms:ViaService, keeps each grant to its purpose."),
    remediation=(
        "CDK: key.grant_decrypt(role) (names the key ARN) instead of iam.PolicyStatement("
        "actions=['kms:Decrypt'], resources=['*']). CloudFormation: in the policy statement "
        "set Resource to the key ARNs (!GetAtt Key.Arn), or add Condition: {StringEquals: "
        "{kms:ViaService: !Sub 's3.${AWS::Region}.amazonaws.com'}}."),
    check=check,
    references=(
        "AWS KMS Developer Guide: IAM policy best practices (Resource \"*\" with kms:Decrypt)",
        "AWS KMS Developer Guide: kms:ViaService condition key",
        "IAM User Guide: IAM JSON policy elements reference (Action, NotAction, Resource, "
        "NotResource)",
        "NIST SP 800-53 Rev 5: AC-6 Least Privilege; SC-12 Cryptographic Key Establishment and "
        "Management",
    ),
)
