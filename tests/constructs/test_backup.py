"""AgencyBackup: vault, plan and selection properties at impact levels High and Moderate, its
errors, and govcdk's backup rules over its template. One synthesis for the module."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Environment, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from govcdk.constructs import AgencyBackup, AgencyKeyring
from govcdk.constructs.keyring import UnknownKeyPurposeError
from govcdk.policies import Status, check
from govcdk.stacks.agency import FEATURE_FLAGS


def _check(template: dict, rule: str, tmp_path):
    path = tmp_path / "t.template.json"
    path.write_text(json.dumps(template))
    return check([path], rule_patterns=[rule], region="us-gov-west-1")


def _volume(stack: Stack, id: str, keyring: AgencyKeyring) -> ec2.CfnVolume:
    return ec2.CfnVolume(stack, id, availability_zone=Fn.select(0, Fn.get_azs()), size=10, encrypted=True,
                         kms_key_id=keyring.key_for("ebs").key_arn)


@pytest.fixture(scope="module")
def templates() -> dict[str, dict]:
    app = App(context=FEATURE_FLAGS)
    stacks = {}
    for level in ("high", "moderate"):
        stack = Stack(app, f"Backup-{level}", env=Environment(account="111111111111", region="us-gov-west-1"))
        keyring = AgencyKeyring(stack, "Keys", agency_code="bk", purposes=["ebs", "backup"])
        vol = _volume(stack, "Data", keyring)
        AgencyBackup(stack, "Backup", keyring=keyring, agency_code="bk", impact_level=level,
                     resource_arns=[f"arn:{stack.partition}:ec2:{stack.region}:{stack.account}:volume/{vol.ref}"],
                     retention_days=35 if level == "high" else 90)
        stacks[level] = stack
    return {level: Template.from_stack(stack).to_json() for level, stack in stacks.items()}


def test_vault_encrypted_with_the_backup_key_and_locked(templates):
    t = Template.from_json(templates["high"])
    t.has_resource("AWS::Backup::BackupVault", {
        "DeletionPolicy": "Retain",
        "Properties": {
            "BackupVaultName": "govcdk-bk",
            "EncryptionKeyArn": {"Fn::GetAtt": [Match.string_like_regexp("KeysBackup"), "Arn"]},
            "LockConfiguration": {"MinRetentionDays": 35, "ChangeableForDays": 3},
        },
    })


def test_moderate_vault_lock_stays_in_governance_mode(templates):
    (vault,) = Template.from_json(templates["moderate"]).find_resources("AWS::Backup::BackupVault").values()
    assert vault["Properties"]["LockConfiguration"] == {"MinRetentionDays": 90}


def test_plan_is_daily_and_keeps_retention_days(templates):
    for level, days in (("high", 35), ("moderate", 90)):
        (plan,) = Template.from_json(templates[level]).find_resources("AWS::Backup::BackupPlan").values()
        (rule,) = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
        assert rule["ScheduleExpression"] == "cron(0 5 ? * * *)"
        assert rule["Lifecycle"] == {"DeleteAfterDays": days}
        (vault_id,) = Template.from_json(templates[level]).find_resources("AWS::Backup::BackupVault")
        assert rule["TargetBackupVault"] == {"Fn::GetAtt": [vault_id, "BackupVaultName"]}


def test_selection_role_uses_partition_aware_managed_policies(templates):
    t = Template.from_json(templates["high"])
    (role,) = t.find_resources("AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"}
    arns = role["Properties"]["ManagedPolicyArns"]
    assert [a["Fn::Join"][1][1] for a in arns] == [{"Ref": "AWS::Partition"}] * 2
    assert [a["Fn::Join"][1][2] for a in arns] == [
        ":iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        ":iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"]
    assert "arn:aws:" not in str(templates["high"])


@pytest.mark.parametrize("level", ["high", "moderate"])
def test_backup_rules_pass_on_the_construct(templates, level, tmp_path):
    report = _check(templates[level], "GOV-BACKUP-*", tmp_path)
    by_rule = {(f.rule_id, f.logical_id): f.status for f in report.findings}
    assert by_rule, "the backup rules checked nothing"
    failing = {k: v for k, v in by_rule.items() if v not in (Status.PASS, Status.NOT_APPLICABLE)}
    assert not failing
    # The volume is selected by the plan (GOV-BACKUP-001) and the vault is locked (003).
    assert by_rule[("GOV-BACKUP-001", "Data")] is Status.PASS
    assert any(r == "GOV-BACKUP-003" and s is Status.PASS for (r, _), s in by_rule.items())


def test_an_unselected_volume_fails_govcdk_backup_001(templates, tmp_path):
    broken = {**templates["high"], "Resources": dict(templates["high"]["Resources"])}
    broken["Resources"]["Orphan"] = {"Type": "AWS::EC2::Volume", "Properties": {
        "AvailabilityZone": "us-gov-west-1a", "Size": 10, "Encrypted": True}}
    report = _check(broken, "GOV-BACKUP-001", tmp_path)
    by_id = {f.logical_id: f.status for f in report.findings}
    assert by_id["Orphan"] is Status.FAIL and by_id["Data"] is Status.PASS


@pytest.fixture(scope="module")
def stack_with_keys():
    stack = Stack(App(), "E", env=Environment(account="111111111111", region="us-gov-west-1"))
    return stack, AgencyKeyring(stack, "Keys", agency_code="e", purposes=["ebs", "backup"])


@pytest.mark.parametrize("kwargs, message", [
    ({"agency_code": "Bad-Code"}, r"agency_code='Bad-Code': allowed 1..12 of a-z and 0-9"),
    ({"impact_level": "extreme"}, r"impact_level='extreme': allowed low, moderate, high"),
    ({"resource_arns": []}, r"resource_arns: give a list of at least one resource ARN"),
    ({"resource_arns": "arn:x"}, r"resource_arns: give a list of at least one resource ARN"),
    ({"retention_days": 7}, r"retention_days=7: allowed a whole number >= 35 \(CP-9\)"),
    ({"retention_days": True}, r"retention_days=True: allowed a whole number >= 35"),
])
def test_errors(stack_with_keys, kwargs, message):
    stack, keyring = stack_with_keys
    args = dict(keyring=keyring, agency_code="e", impact_level="high", resource_arns=["arn:x"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        AgencyBackup(stack, f"B{abs(hash(str(kwargs)))}", **args)


def test_keyring_without_a_backup_key(stack_with_keys):
    stack, _ = stack_with_keys
    keys = AgencyKeyring(stack, "OnlyEbs", agency_code="e", purposes=["ebs"])
    with pytest.raises(UnknownKeyPurposeError, match="backup"):
        AgencyBackup(stack, "NoKey", keyring=keys, agency_code="e", impact_level="low", resource_arns=["arn:x"])
