"""GOV-IAM-003: agency stacks create no IAM users, access keys or user policies.

Source: RULES.md IAM-3; IAM User Guide, "Security best practices in IAM" ("Require human users
to use federation with an identity provider to access AWS using temporary credentials";
"Require workloads to use temporary credentials with IAM roles"); AWS GovCloud (US) User
Guide, IAM Identity Center.

Resource scope on the types that make or empower IAM users: ``AWS::IAM::User``,
``AWS::IAM::AccessKey`` (long-term credentials), ``AWS::IAM::UserToGroupAddition`` and
``AWS::IAM::UserPolicy`` FAIL; ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` FAIL when
their ``Users`` list is not empty (PASS otherwise; UNKNOWN when it cannot be
resolved). A template without these types has nothing to report.
"""

from __future__ import annotations

from typing import Any

from ...helpers import describe
from ...model import CheckResult, Rule, Severity
from ...resolver import Unknown

_ALWAYS = {
    "AWS::IAM::User": "creates an IAM user (long-term identity)",
    "AWS::IAM::AccessKey": "creates an IAM access key (long-term credential)",
    "AWS::IAM::UserToGroupAddition": "adds IAM users to a group",
    "AWS::IAM::UserPolicy": "attaches a policy to an IAM user",
}


def check(resource: Any, ctx: Any) -> CheckResult:
    if resource.type in _ALWAYS:
        return CheckResult.failed(f"{resource.type} {_ALWAYS[resource.type]}; use IAM Identity "
                                  f"Center or federation for people and roles for workloads")
    path = ("Properties", "Users")
    users = resource.properties.get("Users")
    if isinstance(users, Unknown):
        return CheckResult.unknown(f"Users cannot be resolved: {users.reason}", path)
    if users is None or (isinstance(users, list) and not users):
        return CheckResult.passed("policy attached to no IAM user", path)
    shown = ", ".join(describe(u) for u in (users if isinstance(users, list) else [users])[:3])
    return CheckResult.failed(f"policy attached to IAM user(s) {shown}", path)


RULE = Rule(
    id="GOV-IAM-003",
    backlog=("IAM-3",),
    name="no_iam_users",
    title="Agency stacks create no IAM users, access keys or user policies",
    scope="resource",
    resource_types=("AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::IAM::UserToGroupAddition",
                    "AWS::IAM::UserPolicy", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"),
    controls=("AC-2", "IA-2", "IA-5"),
    severity=Severity.HIGH,
    rationale=(
        "IAM users carry long-term passwords and access keys outside the agency's identity "
        "provider: account management (AC-2) cannot disable them with the person's account, "
        "they escape PIV/CAC multi-factor authentication (IA-2) and their keys do not expire "
        "(IA-5). People sign in through IAM Identity Center or federation, workloads use roles "
        "with temporary credentials."),
    remediation=(
        "CDK: remove iam.User, iam.AccessKey and user.add_to_policy; grant roles instead "
        "(iam.Role(assumed_by=...)) and manage people in IAM Identity Center. CloudFormation: "
        "remove AWS::IAM::User, AWS::IAM::AccessKey, AWS::IAM::UserToGroupAddition and "
        "AWS::IAM::UserPolicy resources and the Users property of AWS::IAM::Policy and "
        "AWS::IAM::ManagedPolicy; use AWS::IAM::Role and AWS::SSO::PermissionSet."),
    check=check,
    references=(
        "IAM User Guide: Security best practices in IAM (federation and temporary credentials)",
        "AWS CloudFormation User Guide: AWS::IAM::User, AWS::IAM::AccessKey, "
        "AWS::IAM::UserToGroupAddition, AWS::IAM::Policy Users",
        "NIST SP 800-53 Rev 5: AC-2 Account Management; IA-2 Identification and "
        "Authentication (Organizational Users); IA-5 Authenticator Management",
    ),
    equivalents={"checkov": ("CKV_AWS_40",),
                 "cdk-nag": ("NIST.800.53.R5-IAMUserNoPolicies",
                             "NIST.800.53.R5-IAMUserGroupMembership")},
)
