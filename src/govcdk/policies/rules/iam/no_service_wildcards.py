"""GOV-IAM-002: IAM identity policies name actions, not whole services, and use
``Resource: "*"`` only for actions that cannot be scoped to a resource.

Source: RULES.md IAM-2; IAM User Guide, "Security best practices in IAM" ("Apply
least-privilege permissions") and "Grant least privilege"; Service Authorization Reference
(the resource types each action supports: an action with none only takes ``Resource: "*"``).

Checked documents: as GOV-KMS-005 (``PolicyDocument`` of ``AWS::IAM::Policy``,
``ManagedPolicy``, ``RolePolicy``, ``UserPolicy``, ``GroupPolicy``; ``Policies[].PolicyDocument``
of roles, users and groups; JSON strings parsed). In each ``Allow`` statement:

- every ``Action`` value that is a service wildcard, ``<service>:*``, or the all-services
  wildcard (``*``, ``*:*``) is one FAIL; partial wildcards (``s3:Get*``) are not reported;
- every ``Resource`` value ``"*"`` is one FAIL when the statement's actions (wildcards
  expanded with policyuniverse's action list; with ``NotAction``, every action) include one
  that can be scoped to a resource. Whether an action can be scoped is read from cfn-lint's
  copy of the Service Authorization Reference (``cfnlint/data/AdditionalSpecs/Policies.json``,
  updated with cfn-lint): an action listed with no resource type (``ec2:DescribeInstances``,
  ``kms:CreateKey``, ``sts:GetCallerIdentity``) cannot, and ``Resource: "*"`` PASSES for it.
  parliament is not installed; policyuniverse carries no resource-level data. When the only
  actions left are unknown to that data (misspelled, or newer than cfn-lint), the result is
  UNKNOWN naming them.

One result per wildcard, so each can be acknowledged on its own (issue 5). Message format,
stable for matching::

    <where>Statement[<i>][ (Sid <sid>)]: Action "<value>" ...
    <where>Statement[<i>][ (Sid <sid>)]: Resource "*" ...

where ``<where>`` is empty for a resource's ``PolicyDocument`` and ``Policies[<j>] (PolicyName
<name>) `` for an inline policy of a role, user or group; ``<value>`` is the action exactly as
written. The path points at the element: ``("Properties", "PolicyDocument", "Statement", 2,
"Action", 0)`` (no index when the element is a single string; the document's property when
the document is a JSON string).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ...iam_documents import (
    IDENTITY_POLICY_TYPES, Statement, action_resource_types, action_values, display_action,
    effect, expand_actions, identity_documents, literal_strings, resource_values, statements)
from ...model import CheckResult, Rule, Severity

_SERVICE_WILDCARD = re.compile(r"^(?:[A-Za-z0-9-]+|\*):\*$|^\*$")
_SHOWN = 4


@functools.lru_cache(maxsize=1024)
def _classify(actions: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(actions that can be scoped to resources, actions the reference data does not know),
    sorted, of the actions the patterns expand to."""
    expanded = sorted(expand_actions(list(actions)))
    return (tuple(a for a in expanded if action_resource_types(a)),
            tuple(a for a in expanded if action_resource_types(a) is None))


def _statement(stmt: Statement) -> list[CheckResult]:
    eff = effect(stmt)
    if isinstance(eff, CheckResult):
        return [eff]
    if eff == "Deny":
        return []
    out: list[CheckResult] = []
    got = action_values(stmt)
    if got is None:
        return out
    element, values = got
    actions, problem = literal_strings(values, element, stmt)
    if problem is not None:
        return [problem]
    if element == "Action":
        for action, path in actions:
            if _SERVICE_WILDCARD.match(action.strip()):
                scope = "every action of every service" if action.startswith("*") else \
                    f"every action of {action.split(':')[0]}"
                out.append(CheckResult.failed(f'{stmt.name}: Action "{action}" allows {scope}; '
                                              f"name the actions used", path))
    res = resource_values(stmt)
    if res is None or res[0] != "Resource":
        return out
    resources, problem = literal_strings(res[1], "Resource", stmt)
    if problem is not None:
        return out + [problem]
    stars = [(r, p) for r, p in resources if r == "*"]
    if not stars:
        return out
    if element == "NotAction":
        why: str | None = "NotAction allows every action but those listed, most of which " \
                          "can be scoped to resources"
        unknown: list[str] = []
    else:
        scoped_t, unknown_t = _classify(tuple(a for a, _ in actions))
        scoped, unknown = list(scoped_t), list(unknown_t)
        why = None
        if scoped:
            shown = ", ".join(display_action(a) for a in scoped[:_SHOWN])
            more = f" and {len(scoped) - _SHOWN} more" if len(scoped) > _SHOWN else ""
            why = f"actions that can be scoped to resources: {shown}{more}"
    for _star, path in stars:
        if why is not None:
            out.append(CheckResult.failed(f'{stmt.name}: Resource "*" with {why}; name the '
                                          f"resource ARNs", path))
        elif unknown:
            out.append(CheckResult.unknown(
                f'{stmt.name}: Resource "*" with actions the IAM reference data (cfn-lint) does '
                f"not know, so whether they can be scoped cannot be told: "
                f"{', '.join(unknown[:_SHOWN])}", path))
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
            results += _statement(stmt)
    if results:
        return results
    if count == 0:
        return CheckResult.not_applicable("no identity policy statements")
    return CheckResult.passed(f"no service wildcard and no Resource \"*\" for scopable actions "
                              f"in {count} statement(s)")


RULE = Rule(
    id="GOV-IAM-002",
    backlog=("IAM-2",),
    name="no_service_wildcards",
    title="IAM policies name actions instead of service wildcards and use Resource \"*\" only "
          "for actions that cannot be scoped",
    scope="resource",
    resource_types=IDENTITY_POLICY_TYPES,
    controls=("AC-6",),
    severity=Severity.MEDIUM,
    rationale=(
        "Least privilege (AC-6) means granting the actions a workload uses on the resources it "
        "uses. A service wildcard (s3:*) also grants actions added to the service later and "
        "destructive or permission-changing ones; Resource \"*\" extends a grant to every "
        "resource of the account, present and future, when the action could have been scoped "
        "to the resources the workload owns."),
    remediation=(
        "CDK: use grant methods (bucket.grant_read(role), table.grant_read_write_data(fn)) or "
        "iam.PolicyStatement(actions=['logs:CreateLogStream', 'logs:PutLogEvents'], "
        "resources=[log_group.log_group_arn]). CloudFormation: in each Allow statement list "
        "the actions and the resource ARNs (!GetAtt / !Sub 'arn:${AWS::Partition}:...'); keep "
        "Resource \"*\" only for actions that take no resource (ec2:Describe*, "
        "sts:GetCallerIdentity)."),
    check=check,
    references=(
        "IAM User Guide: Security best practices in IAM (Apply least-privilege permissions)",
        "Service Authorization Reference: Actions, resources, and condition keys for AWS "
        "services (resource types per action)",
        "NIST SP 800-53 Rev 5: AC-6 Least Privilege",
    ),
    equivalents={"checkov": ("CKV_AWS_63", "CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109",
                             "CKV_AWS_110", "CKV_AWS_111"),
                 "guard": ("IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE",),
                 "cdk-nag": ("AwsSolutions-IAM5",
                             "NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess")},
)
