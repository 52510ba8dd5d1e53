"""GOV-IAM-001: IAM identity policies never grant every action on every resource.

Source: RULES.md IAM-1; IAM User Guide, "Security best practices in IAM" ("Apply
least-privilege permissions") and "AWS managed policies for job functions"
(``AdministratorAccess``); IAM JSON policy elements reference (``NotAction`` with ``Allow``).

Checked documents: as GOV-KMS-005 (``PolicyDocument`` of ``AWS::IAM::Policy``,
``ManagedPolicy``, ``RolePolicy``, ``UserPolicy``, ``GroupPolicy``; ``Policies[].PolicyDocument``
of roles, users and groups; JSON strings parsed). An ``Allow`` statement FAILS when its
``Resource`` holds ``"*"`` (or it uses ``NotResource``) and

- its ``Action`` holds ``"*"`` (or ``"*:*"``, any pattern of wildcards only), or
- it uses ``NotAction``: everything but a few actions is as broad as ``*`` (IAM User Guide:
  "use NotAction with Allow ... carefully"), whatever it excludes.

Conditions do not save an administrator grant. ``ManagedPolicyArns`` of ``AWS::IAM::Role``,
``User`` and ``Group`` naming the AWS managed ``AdministratorAccess`` policy (any partition:
``arn:<partition>:iam::aws:policy/AdministratorAccess``) FAIL too. One FAIL per statement or
ARN.
"""

from __future__ import annotations

import re
from typing import Any

from ...helpers import describe
from ...iam_documents import (
    IDENTITY_POLICY_TYPES, Statement, action_values, effect, identity_documents,
    literal_strings, resource_values, statements)
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

_ADMIN_ARN = re.compile(r"^arn:[a-z-]+:iam::aws:policy/AdministratorAccess$")
_ALL = re.compile(r"^[*?:]+$")


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
    broad: tuple[str, tuple[str | int, ...]] | None = None
    if element == "NotAction":
        broad = ("NotAction", stmt.at("NotAction"))
    else:
        actions, problem = literal_strings(values, element, stmt)
        for action, path in actions:
            if _ALL.match(action) and "*" in action:
                broad = (action, path)
                break
        if broad is None:
            return problem     # an unresolved action may be "*"
    res = resource_values(stmt)
    if res is None:
        return None
    relem, rvalues = res
    resources, problem = literal_strings(rvalues, relem, stmt)
    every = relem == "NotResource" or any(r == "*" for r, _ in resources)
    if not every:
        return problem         # an unresolved resource may be "*"
    where = "NotResource" if relem == "NotResource" else 'Resource "*"'
    what, path = broad
    if what == "NotAction":
        return CheckResult.failed(f"{stmt.name}: Allow with NotAction on {where}: every action "
                                  f"but those listed, as broad as administrator access", path)
    return CheckResult.failed(f"{stmt.name}: Allow of Action {what!r} on {where}: full "
                              f"administrator access", path)


def _managed_arns(resource: Any) -> list[CheckResult]:
    arns = resource.properties.get("ManagedPolicyArns")
    path = ("Properties", "ManagedPolicyArns")
    if arns is None:
        return []
    if isinstance(arns, Unknown):
        return [CheckResult.unknown(f"ManagedPolicyArns cannot be resolved: {arns.reason}",
                                    path)]
    out = []
    for i, arn in enumerate(arns if isinstance(arns, list) else [arns]):
        at = path + (i,) if isinstance(arns, list) else path
        if isinstance(arn, Unknown):
            out.append(CheckResult.unknown(f"ManagedPolicyArns[{i}] cannot be resolved: "
                                           f"{arn.reason}", at))
        elif isinstance(arn, str) and _ADMIN_ARN.match(arn.strip()):
            out.append(CheckResult.failed(f"ManagedPolicyArns[{i}] {describe(arn)} attaches the "
                                          f"AWS managed AdministratorAccess policy", at))
    return out


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
    if resource.type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        results += _managed_arns(resource)
    if results:
        return results
    return CheckResult.passed(f"no administrator grant in {count} statement(s)"
                              + (" or ManagedPolicyArns" if resource.type in (
                                  "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
                                 else ""))


RULE = Rule(
    id="GOV-IAM-001",
    backlog=("IAM-1",),
    name="no_admin_policy",
    title="IAM policies grant no administrator access (Action \"*\" or NotAction on Resource "
          "\"*\", or AdministratorAccess)",
    scope="resource",
    resource_types=IDENTITY_POLICY_TYPES,
    controls=("AC-6", "AC-6(10)", "AC-2"),
    severity=Severity.CRITICAL,
    rationale=(
        "Action \"*\" on Resource \"*\" (or the AdministratorAccess managed policy, or an "
        "Allow with NotAction) gives a workload or person every permission in the account, "
        "including turning off logging and changing IAM: least privilege (AC-6) fails, "
        "non-privileged users can execute privileged functions (AC-6(10)) and account "
        "management (AC-2) can be bypassed."),
    remediation=(
        "CDK: grant what is used (bucket.grant_read(role), iam.PolicyStatement(actions=["
        "'s3:GetObject'], resources=[bucket.arn_for_objects('*')])); never iam.ManagedPolicy."
        "from_aws_managed_policy_name('AdministratorAccess'). CloudFormation: list the actions "
        "and resource ARNs in each Allow statement; remove Action \"*\", Allow+NotAction and "
        "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess from ManagedPolicyArns "
        "(administrators use IAM Identity Center permission sets)."),
    check=check,
    references=(
        "IAM User Guide: Security best practices in IAM (Apply least-privilege permissions)",
        "IAM User Guide: IAM JSON policy elements: NotAction",
        "IAM User Guide: AWS managed policies for job functions (AdministratorAccess)",
        "NIST SP 800-53 Rev 5: AC-6 Least Privilege; AC-6(10) Prohibit Non-privileged Users "
        "from Executing Privileged Functions; AC-2 Account Management",
    ),
    equivalents={"checkov": ("CKV_AWS_62",),
                 "guard": ("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",),
                 "cdk-nag": ("NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess",)},
)
