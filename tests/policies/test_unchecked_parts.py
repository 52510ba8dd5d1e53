"""What a template holds that a first reading would skip or pass: ``Fn::ForEach`` loops,
nested stacks without a template, a whole ``Properties`` behind ``Fn::If``, parameters whose
``AllowedValues`` a deployer may choose, and the notes that say a verdict rests on a
parameter. (User reproducers: items 1 to 4 and 7 of the engine review.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk.policies import InputError, Status, check
from govcdk.policies.engine import ENGINE_RULE_ID, MAX_PARAMETER_COMBINATIONS


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def finding(report, rule_id: str, logical_id: str):
    return next(f for f in report.findings if (f.rule_id, f.logical_id) == (rule_id, logical_id))


def engine_findings(report):
    return [f for f in report.findings if f.rule_id == ENGINE_RULE_ID]


# -- item 1: Properties: Fn::If ----------------------------------------------------------------

USER_PROPERTIES_IF = """\
Parameters: {Env: {Type: String}}
Conditions: {Open: !Equals [!Ref Env, dev], Short: !Equals [!Ref Env, test]}
Resources:
  I: {Type: AWS::EC2::SecurityGroupIngress, Properties: !If [Open, {GroupId: sg-12345678, IpProtocol: "-1", CidrIp: 0.0.0.0/0}, {GroupId: sg-12345678, IpProtocol: "-1", CidrIp: 10.0.0.0/8}]}
  G: {Type: AWS::Logs::LogGroup, Properties: !If [Short, {RetentionInDays: 1}, {RetentionInDays: 3653}]}
"""


def test_whole_properties_if_names_the_failing_branch(tmp_path: Path) -> None:
    report = check([write(tmp_path / "t.yaml", USER_PROPERTIES_IF)],
                   rule_patterns=["GOV-EC2-003", "GOV-LOGS-001"])
    ingress = finding(report, "GOV-EC2-003", "I")
    assert ingress.status == Status.FAIL
    assert ingress.message == "if Condition Open is true: ingress from 0.0.0.0/0 on all protocols " \
                              "and ports"
    assert ingress.property_path == "Properties.Fn::If[1].CidrIp"   # the branch as written
    group = finding(report, "GOV-LOGS-001", "G")
    assert group.status == Status.FAIL and group.message.startswith("if Condition Short is true:")
    given = check([tmp_path / "t.yaml"], rule_patterns=["GOV-EC2-003"], parameters={"Env": "x"})
    assert finding(given, "GOV-EC2-003", "I").status == Status.PASS


# -- item 2: Fn::ForEach -------------------------------------------------------------------------

def test_foreach_collection_from_parameter_default_or_given_value(tmp_path: Path) -> None:
    path = write(tmp_path / "loop.yaml", """\
Transform: AWS::LanguageExtensions
Parameters:
  Days: {Type: CommaDelimitedList, Default: "1,3653"}
Resources:
  Fn::ForEach::Groups:
    - D
    - !Ref Days
    - Group${D}:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: !Sub "/app/${D}"
          RetentionInDays: !Ref D
""")
    report = check([path], rule_patterns=["GOV-LOGS-001"])
    assert {f.logical_id: f.status for f in report.findings} == \
        {"Group1": Status.FAIL, "Group3653": Status.PASS}
    assert finding(report, "GOV-LOGS-001", "Group1").line == 12   # the fragment's line
    given = check([path], rule_patterns=["GOV-LOGS-001"], parameters={"Days": "400,731"})
    assert {f.logical_id: f.status for f in given.findings} == \
        {"Group400": Status.PASS, "Group731": Status.PASS}


def test_foreach_that_cannot_be_expanded_is_a_failing_unknown(tmp_path: Path) -> None:
    path = write(tmp_path / "loop.yaml", """\
Transform: AWS::LanguageExtensions
Parameters:
  Names: {Type: CommaDelimitedList}
Resources:
  Fn::ForEach::Buckets:
    - Name
    - !Ref Names
    - Bucket${Name}: {Type: AWS::S3::Bucket}
  Fn::ForEach::Twice:
    - Name
    - [a, b]
    - Same: {Type: AWS::S3::Bucket}
  Plain: {Type: AWS::S3::Bucket}
""")
    report = check([path], rule_patterns=["GOV-S3-*"])
    engine = engine_findings(report)
    assert [(f.status, f.logical_id, f.property_path) for f in engine] == [
        (Status.UNKNOWN, "", "Resources.Fn::ForEach::Buckets"),
        (Status.UNKNOWN, "", "Resources.Fn::ForEach::Twice")]
    assert engine[0].message.startswith("Fn::ForEach::Buckets: Fn::ForEach cannot be expanded")
    assert "parameter Names has no Default" in engine[0].message
    assert "produces 'Same' twice" in engine[1].message
    assert engine[0].line == 5 and engine[0].source == "govcdk"
    assert engine[0].severity == max((f.severity for f in report.findings
                                      if f.rule_id != ENGINE_RULE_ID), key=lambda s: s.rank)
    assert ENGINE_RULE_ID in report.rules_run and ENGINE_RULE_ID in report.rule_info
    assert finding(report, "GOV-S3-001", "Plain").status == Status.FAIL
    given = check([path], rule_patterns=["GOV-S3-*"], parameters={"Names": "x"})
    assert [f.property_path for f in engine_findings(given)] == ["Resources.Fn::ForEach::Twice"]
    assert finding(given, "GOV-S3-001", "Bucketx").status == Status.FAIL


def test_corpus_foreach_templates(shared: Path) -> None:
    root = shared / "corpus" / "templates"
    lint = check([root / "cfn-lint" / "test__fixtures__templates__good__functions__foreach.yaml"])
    # its collection is Fn::FindInMap keyed by a parameter without a value
    [unknown] = engine_findings(lint)
    assert unknown.status == Status.UNKNOWN and "Fn::ForEach::Buckets" in unknown.message
    for name in ("CloudFormation__fn-foreach-s3-outputs.yaml",
                 "CloudFormation__fn-foreach-s3-outputs.json"):
        report = check([root / "aws-cfn-templates" / name], rule_patterns=["GOV-S3-001"])
        assert {(f.logical_id, f.status) for f in report.findings} == {
            ("S3BucketA", Status.PASS), ("S3BucketB", Status.PASS), ("S3BucketC", Status.PASS)}
        assert report.templates[0].resource_count == 3


# -- item 3: nested stacks without a template ----------------------------------------------------

def test_nested_stack_without_a_template_is_a_failing_unknown(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write(out / "Parent.template.json", {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {
            "Missing": {"Type": "AWS::CloudFormation::Stack",
                        "Metadata": {"aws:asset:path": "gone.nested.template.json"},
                        "Properties": {"TemplateURL": "https://example/x"}},
            "NoAsset": {"Type": "AWS::CloudFormation::Stack",
                        "Properties": {"TemplateURL": "https://example/y"}},
            "NotCreated": {"Type": "AWS::CloudFormation::Stack", "Condition": "Never",
                           "Properties": {"TemplateURL": "https://example/z"}},
            "Present": {"Type": "AWS::CloudFormation::Stack",
                        "Metadata": {"aws:asset:path": "child.nested.template.json"},
                        "Properties": {"TemplateURL": "https://example/c"}}}})
    write(out / "child.nested.template.json", {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})
    write(out / "manifest.json", {"version": "36.0.0", "artifacts": {"Parent": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-gov-west-1",
        "properties": {"templateFile": "Parent.template.json"}}}})
    report = check([out], rule_patterns=["GOV-S3-001"])
    engine = {f.logical_id: f for f in engine_findings(report)}
    assert set(engine) == {"Missing", "NoAsset"}
    assert engine["Missing"].message.startswith(
        "nested template not available: its resources are not checked")
    assert "gone.nested.template.json" in engine["Missing"].message
    assert engine["Missing"].resource_type == "AWS::CloudFormation::Stack"
    assert engine["Missing"].stack == "Parent" and engine["Missing"].status == Status.UNKNOWN
    assert finding(report, "GOV-S3-001", "B").stack == "Parent/Present"


def test_plain_template_nested_stack_is_a_failing_unknown(tmp_path: Path) -> None:
    path = write(tmp_path / "t.yaml", """\
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: "https://s3.amazonaws.com/b/child.yaml"}
""")
    [f] = engine_findings(check([path]))
    assert (f.logical_id, f.status, f.line) == ("Child", Status.UNKNOWN, 2)
    assert "TemplateURL" in f.message


# -- item 4 and 7: parameters ------------------------------------------------------------------

ALLOWED = """\
Parameters:
  P: {Type: String, Default: 10.0.0.0/8, AllowedValues: [10.0.0.0/8, 0.0.0.0/0]}
  Open: {Type: String, Default: "false", AllowedValues: ["true", "false"]}
  Free: {Type: String, Default: 10.0.0.0/8}
  Days: {Type: Number}
  Keep: {Type: Number, Default: 731, AllowedValues: [365, 731]}
Conditions:
  IsOpen: !Equals [!Ref Open, "true"]
Resources:
  S: {Type: AWS::EC2::SecurityGroupIngress, Properties: {GroupId: sg-12345678, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref P}}
  T: {Type: AWS::EC2::SecurityGroupIngress, Condition: IsOpen, Properties: {GroupId: sg-12345678, IpProtocol: "-1", CidrIp: 0.0.0.0/0}}
  F: {Type: AWS::EC2::SecurityGroupIngress, Properties: {GroupId: sg-12345678, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Free}}
  G: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: !Ref Days}}
  K: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: !Ref Keep}}
"""


def test_defaults_by_default_and_the_other_allowed_values_are_named(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", ALLOWED)
    s = finding(check([path], rule_patterns=["GOV-EC2-003"]), "GOV-EC2-003", "S")
    assert s.status == Status.PASS
    assert s.message.endswith("(parameter P default) [other AllowedValues give FAIL: if parameter P "
                              "is '0.0.0.0/0': ingress from 0.0.0.0/0 on tcp port 22; check them "
                              "with --all-allowed-values]")


def test_every_allowed_value_is_checked_and_named(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", ALLOWED)
    report = check([path], rule_patterns=["GOV-EC2-003", "GOV-LOGS-001"], all_allowed_values=True)
    s = finding(report, "GOV-EC2-003", "S")
    assert (s.status, s.message) == (
        Status.FAIL, "if parameter P is '0.0.0.0/0': ingress from 0.0.0.0/0 on tcp port 22")
    t = finding(report, "GOV-EC2-003", "T")
    assert (t.status, t.message) == (
        Status.FAIL, "if parameter Open is 'true': ingress from 0.0.0.0/0 on all protocols and "
                     "ports")
    keep = finding(report, "GOV-LOGS-001", "K")
    assert keep.status == Status.PASS
    assert keep.message == "RetentionInDays 731 meets the 365-day floor (same verdict for every " \
                           "AllowedValues entry of parameter Keep)"
    # a value given on the command line is fixed: no AllowedValues expansion
    given = check([path], rule_patterns=["GOV-EC2-003", "GOV-LOGS-001"],
                  parameters={"P": "10.0.0.0/8", "Open": "false", "Keep": "365"})
    assert finding(given, "GOV-EC2-003", "S").status == Status.PASS
    assert finding(given, "GOV-EC2-003", "S").message.endswith("(parameter P as given)")
    assert finding(given, "GOV-EC2-003", "T").status == Status.NOT_APPLICABLE
    assert finding(given, "GOV-LOGS-001", "K").message == \
        "RetentionInDays 365 meets the 365-day floor (parameter Keep as given)"


def test_a_pass_resting_on_a_default_says_so_and_a_missing_value_is_not_a_default(
        tmp_path: Path) -> None:
    report = check([write(tmp_path / "p.yaml", ALLOWED)],
                   rule_patterns=["GOV-EC2-003", "GOV-LOGS-001"])
    free = finding(report, "GOV-EC2-003", "F")
    assert (free.status, free.message) == (
        Status.PASS, "ingress rule is not open to 0.0.0.0/0, ::/0 or a wide public range "
                     "(parameter Free default)")
    days = finding(report, "GOV-LOGS-001", "G")
    assert days.status == Status.UNKNOWN
    assert days.message == "RetentionInDays cannot be resolved: parameter Days has no Default " \
                           "and no value was given"


def test_combinations_beyond_the_cap_are_unknown_not_the_default(tmp_path: Path) -> None:
    values = [f"10.{i}.0.0/16" for i in range(MAX_PARAMETER_COMBINATIONS)] + ["0.0.0.0/0"]
    path = write(tmp_path / "many.json", {
        "Parameters": {"C": {"Type": "String", "Default": values[0], "AllowedValues": values}},
        "Resources": {"S": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": "sg-12345678", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "CidrIp": {"Ref": "C"}}}}})
    f = finding(check([path], rule_patterns=["GOV-EC2-003"], all_allowed_values=True), "GOV-EC2-003", "S")
    assert f.status == Status.UNKNOWN and "AllowedValues" in f.message


# -- item 6: cloud assembly regions ---------------------------------------------------------------

def test_assembly_outside_govcloud_needs_a_region_override(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write(out / "S.template.json", {"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {
        "EnableKeyRotation": True}}}})
    write(out / "manifest.json", {"version": "36.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
        "properties": {"templateFile": "S.template.json"}}}})
    with pytest.raises(InputError) as err:
        check([out])
    assert str(err.value) == (
        f"{out / 'manifest.json'}: stack S targets us-east-1, which is not an AWS GovCloud (US) "
        f"region; pass --region to check it as a GovCloud template")
    report = check([out], region="us-gov-east-1", rule_patterns=["GOV-KMS-001"])
    assert report.templates[0].region == "us-gov-east-1"
    assert finding(report, "GOV-KMS-001", "K").status == Status.PASS


IGW_BY_PARAMETER = """\
Parameters: {Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}}
Conditions: {IsDev: !Equals [!Ref Env, dev]}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Igw: {Type: AWS::EC2::InternetGateway}
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !If [IsDev, !Ref Igw, !Ref "AWS::NoValue"]}
"""


def test_template_rules_with_defaults_say_when_another_allowed_value_fails(tmp_path: Path) -> None:
    # With the default (prod) no gateway is attached; Env=dev attaches one: the default verdict
    # stands, but the finding names the failing value, and --all-allowed-values makes it FAIL.
    path = write(tmp_path / "igw.yaml", IGW_BY_PARAMETER)
    default = finding(check([path], rule_patterns=["GOV-EC2-002"]), "GOV-EC2-002", "Vpc")
    assert default.status == Status.PASS
    assert "[other AllowedValues give FAIL: if parameter Env is 'dev'" in default.message
    every = finding(check([path], rule_patterns=["GOV-EC2-002"], all_allowed_values=True),
                    "GOV-EC2-002", "Vpc")
    assert every.status == Status.FAIL and every.message.startswith("if parameter Env is 'dev'")
