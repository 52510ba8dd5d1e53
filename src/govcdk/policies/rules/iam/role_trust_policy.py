"""GOV-IAM-004: role trust policies name who may assume the role, and guard cross-account and
service principals against the confused deputy.

Source: RULES.md IAM-4; IAM User Guide, "The confused deputy problem", "How to use an external
ID when granting access to your AWS resources to a third party", "AWS global condition context
keys" (``aws:PrincipalOrgID``, ``aws:SourceAccount``, ``aws:SourceArn``) and "IAM JSON policy
elements: Principal".

Checked: each ``Allow`` statement of ``AWS::IAM::Role`` ``AssumeRolePolicyDocument`` (a JSON
string is parsed). Conservative: only what is clearly wrong FAILS.

- A wildcard principal (``"*"``, ``{"AWS": "*"}``, an ``AWS`` list holding ``"*"``) or
  ``NotPrincipal`` FAILS, whatever its conditions.
- An ``AWS`` principal of another account (a 12-digit account id, or an ``iam``/``sts`` ARN,
  whose account is not the stack's) FAILS unless the statement constrains ``sts:ExternalId``
  or ``aws:PrincipalOrgID`` (positive operator, value not a bare wildcard). The stack's
  account is the cloud assembly's (``ctx.resolver.account``); ``Ref AWS::AccountId`` (the
  ``${AWS::AccountId}`` placeholder) and references to resources of the checked templates
  are the same account. When the stack's account is not known (a plain template file) a
  literal account cannot be told apart: UNKNOWN, naming it (add one of the conditions, or
  check the cloud assembly).
- A ``Service`` principal listed in the rule parameter ``source_condition_services`` FAILS
  without an ``aws:SourceAccount`` or ``aws:SourceArn`` condition. The default list holds the
  services whose AWS documentation shows these conditions in the trust policy of the role
  they assume:

  - ``vpc-flow-logs.amazonaws.com``: Amazon VPC User Guide, "IAM role for publishing flow
    logs to CloudWatch Logs";
  - ``config.amazonaws.com``: AWS Config Developer Guide, "Permissions for the IAM role
    assigned to AWS Config";
  - ``ssm.amazonaws.com``: AWS Systems Manager User Guide, "Create the IAM service role
    required for Systems Manager in hybrid and multicloud environments";
  - ``cloudtrail.amazonaws.com``: AWS CloudTrail User Guide, "Cross-service confused deputy
    prevention" (the role CloudTrail assumes to write to CloudWatch Logs).

  Other service principals PASS: services that assume a role for an instance or function
  (``ec2.amazonaws.com`` instance profiles, ``lambda.amazonaws.com``) do not send these keys.
  Federated principals are not judged here.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import describe
from ...iam_documents import (
    Statement, effect, has_constraint, parse_document, principal_values, statements,
    wildcard_principal)
from ...model import CheckResult, Rule, Severity
from ...resolver import AttrRef, ResourceRef, Unknown

SOURCE_CONDITION_SERVICES = ("vpc-flow-logs.amazonaws.com", "config.amazonaws.com",
                             "ssm.amazonaws.com", "cloudtrail.amazonaws.com")
CROSS_ACCOUNT_KEYS = ("sts:ExternalId", "aws:PrincipalOrgID")
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn")
_ACCOUNT = re.compile(r"^\d{12}$")
_ARN = re.compile(r"^arn:[^:]+:(?:iam|sts)::([^:]*):")
_SAME = "${AWS::AccountId}"


def _account_of(value: Any) -> str | None | Unknown:
    """The account a principal value names: the 12 digits, ``_SAME`` for this stack's
    account, None when it is a reference to a resource of the checked templates (same
    account), :class:`Unknown` when it cannot be read."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, (ResourceRef, AttrRef)):
        return None
    if not isinstance(value, str):
        return Unknown(f"principal {describe(value)} is not a string")
    text = value.strip()
    if _ACCOUNT.match(text):
        return text
    if text == _SAME:
        return _SAME
    if text.startswith("${Ref:") or text.startswith("${GetAtt:"):
        return None
    m = _ARN.match(text.replace(_SAME, "\x00"))
    if m:
        account = m.group(1)
        if account == "\x00":
            return _SAME
        if _ACCOUNT.match(account):
            return account
    return Unknown(f"principal {describe(value)} names no account that can be read")


def _aws_principals(stmt: Statement, values: list[Any], where: tuple[str | int, ...],
                    is_list: bool, stack_account: str | None) -> list[CheckResult]:
    guarded = has_constraint(stmt, CROSS_ACCOUNT_KEYS)
    if guarded is True:
        return []
    out: list[CheckResult] = []
    for i, value in enumerate(values):
        path = stmt.at(*where, i) if is_list else stmt.at(*where)
        account = _account_of(value)
        if isinstance(account, Unknown):
            out.append(CheckResult.unknown(f"{stmt.name}: AWS principal cannot be resolved "
                                           f"({account.reason}) and the statement has no "
                                           f"sts:ExternalId or aws:PrincipalOrgID condition",
                                           path))
            continue
        if account is None or account == _SAME:
            continue
        if stack_account is not None and account == stack_account:
            continue
        if isinstance(guarded, Unknown):
            out.append(CheckResult.unknown(f"{stmt.name}: AWS principal {describe(value)}: the "
                                           f"Condition cannot be resolved ({guarded.reason})",
                                           stmt.at("Condition")))
        elif stack_account is None:
            out.append(CheckResult.unknown(
                f"{stmt.name}: AWS principal {describe(value)} names account {account}; the "
                f"stack's account is not known, so whether it is another account cannot be "
                f"told, and the statement has no sts:ExternalId or aws:PrincipalOrgID "
                f"condition", path))
        else:
            out.append(CheckResult.failed(
                f"{stmt.name}: AWS principal {describe(value)} of account {account} (not the "
                f"stack's {stack_account}) without an sts:ExternalId or aws:PrincipalOrgID "
                f"condition", path))
    return out


def _statement(stmt: Statement, ctx: Any, services: tuple[str, ...]) -> list[CheckResult]:
    eff = effect(stmt)
    if isinstance(eff, CheckResult):
        return [eff]
    if eff == "Deny":
        return []
    wild = wildcard_principal(stmt)
    if isinstance(wild, CheckResult):
        return [wild]
    if wild is not None:
        what, path = wild
        return [CheckResult.failed(f"{stmt.name}: {what} may assume the role", path)]
    got = principal_values(stmt)
    if got is None or isinstance(got, CheckResult):
        return [got] if got is not None else []
    element, kinds = got
    raw = stmt.data.get(element)
    out: list[CheckResult] = []
    aws = kinds.get("AWS")
    if aws:
        out += _aws_principals(stmt, aws, (element, "AWS"), isinstance(raw.get("AWS"), list),
                               ctx.resolver.account)
    wanted = {s.lower() for s in services}
    for i, svc in enumerate(kinds.get("Service", [])):
        if not (isinstance(svc, str) and svc.strip().lower() in wanted):
            continue
        has = has_constraint(stmt, SOURCE_KEYS)
        path = stmt.at(element, "Service", i) if isinstance(raw.get("Service"), list) \
            else stmt.at(element, "Service")
        if isinstance(has, Unknown):
            out.append(CheckResult.unknown(f"{stmt.name}: service principal {svc}: the "
                                           f"Condition cannot be resolved ({has.reason})", path))
        elif not has:
            out.append(CheckResult.failed(
                f"{stmt.name}: service principal {svc} without an aws:SourceAccount or "
                f"aws:SourceArn condition (confused deputy)", path))
    return out


def check(resource: Any, ctx: Any) -> CheckResult | list[CheckResult]:
    path = ("Properties", "AssumeRolePolicyDocument")
    doc = parse_document(resource.properties.get("AssumeRolePolicyDocument"), path)
    if doc is None:
        return CheckResult.not_applicable("AssumeRolePolicyDocument not set: no trust policy "
                                          "to judge (CloudFormation rejects the role; cfn-lint "
                                          "reports it)")
    if isinstance(doc, CheckResult):
        return doc
    services = tuple(ctx.params.get("source_condition_services", SOURCE_CONDITION_SERVICES))
    results: list[CheckResult] = []
    count = 0
    for stmt in statements(doc):
        if isinstance(stmt, CheckResult):
            results.append(stmt)
            continue
        count += 1
        results += _statement(stmt, ctx, services)
    if results:
        return results
    return CheckResult.passed(f"{count} trust statement(s): no wildcard principal, no "
                              f"unguarded cross-account or service principal", path)


RULE = Rule(
    id="GOV-IAM-004",
    backlog=("IAM-4",),
    name="role_trust_policy",
    title="Role trust policies name their principals and guard cross-account and service "
          "principals with confused-deputy conditions",
    scope="resource",
    resource_types=("AWS::IAM::Role",),
    controls=("AC-3", "AC-6"),
    severity=Severity.HIGH,
    rationale=(
        "A role's trust policy decides who can obtain its permissions (AC-3). A wildcard "
        "principal lets any AWS account assume it; another account trusted without "
        "sts:ExternalId or aws:PrincipalOrgID, or a service trusted without aws:SourceAccount "
        "or aws:SourceArn, can be used as a confused deputy by a third party, granting more "
        "than intended (AC-6)."),
    remediation=(
        "CDK: iam.Role(assumed_by=iam.AccountPrincipal('111122223333').with_conditions("
        "{'StringEquals': {'sts:ExternalId': '...'}})), or iam.ServicePrincipal("
        "'vpc-flow-logs.amazonaws.com', conditions={'StringEquals': {'aws:SourceAccount': "
        "Aws.ACCOUNT_ID}}). CloudFormation: in AssumeRolePolicyDocument name principals (never "
        "\"*\"), add Condition sts:ExternalId or aws:PrincipalOrgID for other accounts and "
        "aws:SourceAccount / aws:SourceArn for the listed services."),
    check=check,
    references=(
        "IAM User Guide: The confused deputy problem",
        "IAM User Guide: Access to AWS accounts owned by third parties (external ID)",
        "IAM User Guide: AWS global condition context keys (aws:PrincipalOrgID, "
        "aws:SourceAccount, aws:SourceArn)",
        "Amazon VPC User Guide: IAM role for publishing flow logs to CloudWatch Logs",
        "NIST SP 800-53 Rev 5: AC-3 Access Enforcement; AC-6 Least Privilege",
    ),
    equivalents={"checkov": ("CKV_AWS_60", "CKV_AWS_61")},
)
