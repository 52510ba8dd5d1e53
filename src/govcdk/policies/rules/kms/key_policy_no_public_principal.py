"""GOV-KMS-002: KMS key policies grant nothing to the wildcard principal without an account,
organization or calling-service condition.

Source: RULES.md KMS-2; AWS KMS Developer Guide, "Key policies in AWS KMS" ("Allowing access to
everyone": a ``*`` principal gives every AWS account access unless a condition limits it) and
"AWS KMS condition keys" (``kms:CallerAccount``, ``kms:ViaService``); IAM User Guide, "AWS
global condition context keys" (``aws:PrincipalOrgID``, ``aws:PrincipalAccount``).

An ``Allow`` statement whose principal is ``"*"``, ``{"AWS": "*"}`` or an ``AWS`` list holding
``"*"`` (or that uses ``NotPrincipal``, which grants every principal but those named) FAILS
unless its ``Condition`` constrains ``kms:CallerAccount``, ``aws:PrincipalOrgID``,
``aws:PrincipalAccount`` or ``kms:ViaService`` to a value that is not a bare wildcard, with a
positive operator (``StringEquals``, ``StringLike``, ``ForAnyValue:...``): negated operators,
``Null``, ``...IfExists`` and ``ForAllValues:`` do not constrain. ``Deny`` statements are
fine. ``KeyPolicy`` may be a JSON string (parsed; the path then stops at ``KeyPolicy``). A key
without ``KeyPolicy`` gets the default key policy (the account root only): PASS. One FAIL per
offending statement.
"""

from __future__ import annotations

from typing import Any

from ...iam_documents import (
    Statement, effect, has_constraint, parse_document, statements, wildcard_principal)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

LIMITING_KEYS = ("kms:CallerAccount", "aws:PrincipalOrgID", "aws:PrincipalAccount",
                 "kms:ViaService")


def _statement(stmt: Statement) -> CheckResult | None:
    eff = effect(stmt)
    if isinstance(eff, CheckResult):
        return eff
    if eff == "Deny":
        return None
    wild = wildcard_principal(stmt)
    if wild is None or isinstance(wild, CheckResult):
        return wild
    what, path = wild
    limited = has_constraint(stmt, LIMITING_KEYS)
    if isinstance(limited, Unknown):
        return CheckResult.unknown(f"{stmt.name}: Allow to {what}: its Condition cannot be "
                                   f"resolved ({limited.reason})", stmt.at("Condition"))
    if limited:
        return None
    return CheckResult.failed(
        f"{stmt.name}: Allow to {what} without a kms:CallerAccount, aws:PrincipalOrgID, "
        f"aws:PrincipalAccount or kms:ViaService condition: any AWS account may use the key",
        path)


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    doc = parse_document(resource.properties.get("KeyPolicy"), ("Properties", "KeyPolicy"))
    if doc is None:
        return CheckResult.passed("KeyPolicy not set: the default key policy grants the "
                                  "account root only", ("Properties", "KeyPolicy"))
    if isinstance(doc, CheckResult):
        return doc
    results: list[CheckResult] = []
    count = 0
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
    return CheckResult.passed(f"no Allow statement of the {count} in KeyPolicy grants the "
                              f"wildcard principal without a limiting condition",
                              ("Properties", "KeyPolicy"))


RULE = Rule(
    id="GOV-KMS-002",
    backlog=("KMS-2",),
    name="key_policy_no_public_principal",
    title="KMS key policies allow the wildcard principal only under an account, organization "
          "or calling-service condition",
    scope="resource",
    resource_types=("AWS::KMS::Key", "AWS::KMS::ReplicaKey"),
    controls=("AC-3", "AC-6", "SC-12"),
    severity=Severity.CRITICAL,
    rationale=(
        "A key policy is the primary access control of a KMS key (AC-3). An Allow statement "
        "for the \"*\" principal with no kms:CallerAccount, aws:PrincipalOrgID or "
        "kms:ViaService condition lets any AWS account use (or manage) the key, breaking least "
        "privilege (AC-6) and the key's protection (SC-12): whoever can use the key can read "
        "everything it protects."),
    remediation=(
        "CDK: grant to specific principals (key.grant_decrypt(role)) or add conditions to "
        "iam.PolicyStatement(principals=[iam.AnyPrincipal()], conditions={'StringEquals': "
        "{'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': 's3.us-gov-west-1."
        "amazonaws.com'}}). CloudFormation: in AWS::KMS::Key KeyPolicy, name principals "
        "(arn:${AWS::Partition}:iam::${AWS::AccountId}:root) or add a Condition on "
        "kms:CallerAccount, aws:PrincipalOrgID, aws:PrincipalAccount or kms:ViaService to "
        "every Allow statement with Principal \"*\"."),
    check=check,
    references=(
        "AWS KMS Developer Guide: Key policies in AWS KMS (Allowing access to everyone)",
        "AWS KMS Developer Guide: AWS KMS condition keys (kms:CallerAccount, kms:ViaService)",
        "IAM User Guide: AWS global condition context keys (aws:PrincipalOrgID, "
        "aws:PrincipalAccount)",
        "NIST SP 800-53 Rev 5: AC-3 Access Enforcement; AC-6 Least Privilege; SC-12 "
        "Cryptographic Key Establishment and Management",
    ),
    equivalents={"checkov": ("CKV_AWS_33",), "guard": ("KMS_NO_WILDCARD_PRINCIPAL",)},
)
