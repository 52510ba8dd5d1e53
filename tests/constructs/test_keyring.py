"""AgencyKeyring alone: key properties and policy (separation of duties), its errors, and its
template checked by govcdk's rules and cfn-lint in both GovCloud regions. One synthesis per
region for the module."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from govcdk.constructs.keyring import ADMIN_ACTIONS, AgencyKeyring, UnknownKeyPurposeError
from govcdk.stacks.agency import FEATURE_FLAGS

REGIONS = ("us-gov-west-1", "us-gov-east-1")


def _stack(region: str) -> tuple[Stack, AgencyKeyring]:
    app = App(context=FEATURE_FLAGS)
    stack = Stack(app, f"Keys-{region}", env=Environment(account="111111111111", region=region))
    return stack, AgencyKeyring(stack, "Keyring", agency_code="airx")


@pytest.fixture(scope="module", params=REGIONS)
def synthesized(request, tmp_path_factory):
    stack, keyring = _stack(request.param)
    template = Template.from_stack(stack)
    path = tmp_path_factory.mktemp("keys") / f"{stack.stack_name}.template.json"
    path.write_text(json.dumps(template.to_json()))
    return request.param, template, path


def _policy(template: Template, purpose: str) -> list[dict]:
    keys = template.find_resources("AWS::KMS::Key", {"Properties": {"Description": f"govcdk airx {purpose} key"}})
    (key,) = keys.values()
    return key["Properties"]["KeyPolicy"]["Statement"]


def _by_sid(statements: list[dict]) -> dict[str, dict]:
    return {s["Sid"]: s for s in statements}


def test_keys_rotate_and_are_retained(synthesized):
    _, t, _ = synthesized
    t.resource_count_is("AWS::KMS::Key", 8)
    t.all_resources("AWS::KMS::Key", {
        "Properties": Match.object_like({"EnableKeyRotation": True, "RotationPeriodInDays": 365,
                                         "PendingWindowInDays": 30}),
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    for key in t.find_resources("AWS::KMS::Key").values():
        assert "MultiRegion" not in key["Properties"]
        assert key["Properties"].get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def test_aliases_name_only_agency_and_purpose(synthesized):
    _, t, _ = synthesized
    names = sorted(a["Properties"]["AliasName"] for a in t.find_resources("AWS::KMS::Alias").values())
    assert names == sorted(f"alias/airx/{p}" for p in
                           ("ebs", "fsx", "s3-data", "logs", "cloudtrail", "secrets", "backup", "ssm-sessions"))


def test_administrators_manage_but_cannot_use(synthesized):
    _, t, _ = synthesized
    for key in t.find_resources("AWS::KMS::Key").values():
        admin = _by_sid(key["Properties"]["KeyPolicy"]["Statement"])["KeyAdministration"]
        actions = set(admin["Action"])
        assert actions == set(ADMIN_ACTIONS)
        assert not actions & {"kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:GenerateDataKey",
                              "kms:ReEncryptFrom", "kms:*"}
        assert not any(a.endswith("*") for a in actions)


def test_no_statement_allows_the_star_principal(synthesized):
    _, t, _ = synthesized
    for key in t.find_resources("AWS::KMS::Key").values():
        for st in key["Properties"]["KeyPolicy"]["Statement"]:
            principal = st["Principal"]
            assert principal != "*" and principal.get("AWS") != "*", st


@pytest.mark.parametrize("purpose, service", [
    ("ebs", "ec2"), ("fsx", "fsx"), ("s3-data", "s3"), ("secrets", "secretsmanager"),
    ("backup", "backup"), ("ssm-sessions", "ssm"), ("cloudtrail", "s3"),
])
def test_users_only_through_the_purpose_service_and_account(synthesized, purpose, service):
    region, t, _ = synthesized
    st = _by_sid(_policy(t, purpose))
    via = {"kms:ViaService": f"{service}.{region}.amazonaws.com", "kms:CallerAccount": "111111111111"}
    assert st["KeyUse"]["Condition"] == {"StringEquals": via}
    assert sorted(st["KeyUse"]["Action"]) == sorted(
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"])
    grants = st["KeyGrantsForAwsResources"]
    assert grants["Condition"] == {"StringEquals": via, "Bool": {"kms:GrantIsForAWSResource": True}}


def test_logs_key_service_statements(synthesized):
    region, t, _ = synthesized
    st = _by_sid(_policy(t, "logs"))
    assert "KeyUse" not in st
    assert st["CloudWatchLogsUse"]["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert st["CloudWatchLogsUse"]["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws-us-gov:logs:{region}:111111111111:log-group:*"}}
    assert st["LogDeliveryUse"]["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert st["LogDeliveryUse"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "111111111111"}


def test_cloudtrail_key_is_limited_to_this_accounts_trails(synthesized):
    region, t, _ = synthesized
    st = _by_sid(_policy(t, "cloudtrail"))["CloudTrailEncrypt"]
    assert st["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert st["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws-us-gov:cloudtrail:{region}:111111111111:trail/*"


def test_ebs_key_serves_the_auto_scaling_service_linked_role(synthesized):
    _, t, _ = synthesized
    st = _by_sid(_policy(t, "ebs"))
    slr = ("arn:aws-us-gov:iam::111111111111:role/aws-service-role/autoscaling.amazonaws.com/"
           "AWSServiceRoleForAutoScaling")
    assert st["AutoScalingServiceLinkedRoleUse"]["Principal"] == {"AWS": slr}
    assert st["AutoScalingServiceLinkedRoleGrants"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": True}}


def test_keyring_alone_passes_govcdk_rules_and_cfn_lint(synthesized):
    from govcdk import govcloud
    from govcdk.policies import check
    from govcdk.policies.loader import load_template
    from govcdk.scanners import cfnlint

    region, _, path = synthesized
    report = check([path], region=region)
    assert [f for f in report.findings if f.status.failing] == []
    assert len([f for f in report.findings if f.rule_id == "GOV-KMS-001" and f.status.value == "PASS"]) == 8
    t = load_template(path, region=region)
    lint = cfnlint.scan([(t.stack, t.path, t.template)], regions=govcloud.REGIONS)
    assert [(f.rule_id, f.message) for f in lint.findings] == []


def test_administrators_and_users_given():
    app = App(context=FEATURE_FLAGS)
    stack = Stack(app, "K", env=Environment(account="111111111111", region="us-gov-west-1"))
    admin = iam.Role(stack, "Admin", assumed_by=iam.AccountRootPrincipal())
    user = iam.Role(stack, "User", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    keyring = AgencyKeyring(stack, "Keyring", agency_code="airx", purposes=["ebs"],
                            administrators=[admin], users=[user])
    keyring.grant_encrypt_decrypt("ebs", user)
    t = Template.from_stack(stack)
    st = _by_sid(_policy(t, "ebs"))
    (admin_arn,) = st["KeyAdministration"]["Principal"]["AWS"]["Fn::GetAtt"][:1]
    (user_arn,) = st["KeyUse"]["Principal"]["AWS"]["Fn::GetAtt"][:1]
    assert admin_arn.startswith("Admin") and user_arn.startswith("User")
    t.has_resource_properties("AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": Match.array_with(["kms:Decrypt", "kms:Encrypt"])})])}})


def test_multi_region_needs_a_justification_that_is_recorded():
    app = App(context=FEATURE_FLAGS)
    stack = Stack(app, "M", env=Environment(account="111111111111", region="us-gov-west-1"))
    with pytest.raises(ValueError, match=r"multi_region=True needs multi_region_justification: at least 20"):
        AgencyKeyring(stack, "Bad", agency_code="airx", purposes=["backup"], multi_region=True)
    AgencyKeyring(stack, "Ok", agency_code="airx", purposes=["backup"], multi_region=True,
                  multi_region_justification="backups replicate to us-gov-east-1 (CP-9, CP-6)")
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["MultiRegion"] is True
    assert key["Metadata"]["govcdk"] == {"multi_region_justification": "backups replicate to us-gov-east-1 (CP-9, CP-6)"}


def test_errors():
    stack, keyring = _stack("us-gov-west-1")
    with pytest.raises(ValueError, match=r"rotation_period_days=30: KMS allows 90..2560 days"):
        AgencyKeyring(stack, "K1", agency_code="airx", rotation_period_days=30)
    with pytest.raises(ValueError, match=r"rotation_period_days=3000: KMS allows 90..2560 days"):
        AgencyKeyring(stack, "K1b", agency_code="airx", rotation_period_days=3000)
    with pytest.raises(ValueError, match=r"key purpose 'EBS!': allowed are 2..32 characters a-z, 0-9 and '-'"):
        AgencyKeyring(stack, "K2", agency_code="airx", purposes=["EBS!"])
    with pytest.raises(ValueError, match=r"key purpose 'ebs' given twice"):
        AgencyKeyring(stack, "K3", agency_code="airx", purposes=["ebs", "ebs"])
    with pytest.raises(ValueError, match=r"agency_code 'Top Secret': allowed are 1..12 characters"):
        AgencyKeyring(stack, "K4", agency_code="Top Secret")
    with pytest.raises(UnknownKeyPurposeError, match=r"no key for purpose 'gpu'; this keyring holds: ebs, fsx"):
        keyring.key_for("gpu")
    with pytest.raises(UnknownKeyPurposeError):
        keyring.grant_decrypt("gpu", iam.AccountRootPrincipal())


def test_principals_that_break_separation_of_duties_are_refused():
    stack, _ = _stack("us-gov-west-1")
    role = iam.Role(stack, "R", assumed_by=iam.AccountRootPrincipal())
    cases = [
        (dict(administrators=[iam.AnyPrincipal()]), r"administrators: the '\*' principal is not allowed"),
        (dict(users=[iam.StarPrincipal()]), r"users: the '\*' principal is not allowed"),
        (dict(administrators=[iam.AccountPrincipal("222222222222")]), r"another account \(222222222222\)"),
        (dict(administrators=[role], users=[role]), r"may not be both administrator and user"),
        (dict(administrators=["arn:aws-us-gov:iam::111111111111:role/x"]), r"is not an IAM principal"),
        (dict(administrators=None), r"administrators: give a list of IAM principals"),
    ]
    for i, (kwargs, message) in enumerate(cases):
        with pytest.raises(ValueError, match=message):
            AgencyKeyring(stack, f"P{i}", agency_code="airx", purposes=["ebs"], **kwargs)


def test_more_bad_input():
    stack, _ = _stack("us-gov-west-1")
    with pytest.raises(ValueError, match=r"rotation_period_days=90.5: KMS allows 90..2560 days"):
        AgencyKeyring(stack, "R1", agency_code="airx", rotation_period_days=90.5)
    with pytest.raises(ValueError, match=r"purposes='ebs': give a non-empty list"):
        AgencyKeyring(stack, "R2", agency_code="airx", purposes="ebs")
    with pytest.raises(ValueError, match=r"purposes=\[\]: give a non-empty list"):
        AgencyKeyring(stack, "R3", agency_code="airx", purposes=[])
    with pytest.raises(ValueError, match=r"agency_code 'airx\\n'"):
        AgencyKeyring(stack, "R4", agency_code="airx\n")
    with pytest.raises(ValueError, match=r"multi_region=True needs multi_region_justification"):
        AgencyKeyring(stack, "R5", agency_code="airx", purposes=["ebs"], multi_region=True,
                      multi_region_justification="\u200b" * 25)
    with pytest.raises(ValueError, match=r"multi_region_justification is given but multi_region is False"):
        AgencyKeyring(stack, "R6", agency_code="airx", purposes=["ebs"],
                      multi_region_justification="backups replicate to us-gov-east-1")
    commercial = Stack(App(), "C", env=Environment(account="111111111111", region="us-east-1"))
    with pytest.raises(ValueError, match=r"stack region 'us-east-1' is not a GovCloud \(US\) Region"):
        AgencyKeyring(commercial, "R7", agency_code="airx")
