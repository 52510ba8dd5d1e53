"""GOV-IAM-004 with a known stack account: a cloud assembly pins the account, so a trusted
literal account is either this one (PASS) or another one (FAIL without sts:ExternalId or
aws:PrincipalOrgID). Plain fixture templates have no account (their literal accounts are
UNKNOWN: fixtures/iam/role_trust_policy)."""

from __future__ import annotations

import json
from pathlib import Path

from govcdk.policies import Status, check

ACCOUNT = "111122223333"
OTHER = "444455556666"
GOV = "arn:aws-us-gov:iam::"


def _role(principal: object, condition: dict | None = None) -> dict:
    stmt: dict = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return {"Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Statement": [stmt]}}}


def _assembly(root: Path, resources: dict, account: str = ACCOUNT) -> Path:
    out = root / "cdk.out"
    out.mkdir()
    (out / "S.template.json").write_text(json.dumps({"Resources": resources}))
    (out / "manifest.json").write_text(json.dumps({
        "version": "36.0.0",
        "artifacts": {"S": {"type": "aws:cloudformation:stack",
                            "environment": f"aws://{account}/us-gov-west-1",
                            "properties": {"templateFile": "S.template.json"}}}}))
    return out


def test_literal_accounts_against_the_stack_account(tmp_path: Path) -> None:
    out = _assembly(tmp_path, {
        "SameAccountId": _role(ACCOUNT),
        "SameAccountArn": _role(f"{GOV}{ACCOUNT}:role/Deployer"),
        "OtherAccountArn": _role(f"{GOV}{OTHER}:root"),
        "OtherAccountInList": _role([f"{GOV}{ACCOUNT}:root", OTHER]),
        "OtherAccountExternalId": _role(OTHER, {"StringEquals": {"sts:ExternalId": "x-7f3a"}}),
        "OtherAccountOrgId": _role(OTHER, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        "OtherAccountOrgIdNegated": _role(OTHER, {"StringNotEquals": {
            "aws:PrincipalOrgID": "o-abc123"}}),
    })
    report = check([out], rule_patterns=["GOV-IAM-004"])
    got = {f.logical_id: f for f in report.findings}
    expected = {
        "SameAccountId": Status.PASS, "SameAccountArn": Status.PASS,
        "OtherAccountArn": Status.FAIL, "OtherAccountInList": Status.FAIL,
        "OtherAccountExternalId": Status.PASS, "OtherAccountOrgId": Status.PASS,
        "OtherAccountOrgIdNegated": Status.FAIL,
    }
    assert {k: got[k].status for k in expected} == expected
    assert OTHER in got["OtherAccountArn"].message and ACCOUNT in got["OtherAccountArn"].message
    assert got["OtherAccountInList"].property_path.endswith("Principal.AWS[1]")
