"""Tests for :mod:`govcdk.policies.loader`: files, directories, CDK cloud assemblies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk.policies import InputError, load_targets
from govcdk.policies.loader import DEFAULT_REGION, load_template

YAML_TEMPLATE = """\
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !Ref Rotate
      Tags:
        - Key: a
          Value: !GetAtt Other.Arn
"""


def cfn(resources: dict) -> str:
    return json.dumps({"Resources": resources}, indent=1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_with_short_tags_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "stack.yaml", YAML_TEMPLATE)
    [t] = load_targets([path])
    assert t.stack == "stack" and t.path == path and t.region == DEFAULT_REGION
    props = t.template["Resources"]["Key"]["Properties"]
    assert props["EnableKeyRotation"] == {"Ref": "Rotate"}
    assert props["Tags"][0]["Value"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert t.line_of("Key") == 2
    assert t.line_of("Key", ("Properties", "EnableKeyRotation")) == 5
    assert t.line_of("Key", ("Properties", "Tags", 0, "Value")) == 8
    assert t.line_of("Key", ("Properties", "Missing", 3)) == 4   # nearest known node
    assert t.line_of("Nope") is None


def test_json_file_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "Api.template.json", cfn({"B": {"Type": "AWS::S3::Bucket",
                                                            "Properties": {"X": 1}}}))
    [t] = load_targets([str(path)])
    assert t.stack == "Api"
    assert t.line_of("B", ("Properties", "X")) == 6   # {, Resources, B, Type, Properties, X


def test_plain_directory_is_sorted_and_recursive(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", YAML_TEMPLATE)
    write(tmp_path / "a" / "z.template", YAML_TEMPLATE)
    write(tmp_path / "a" / "y.yml", YAML_TEMPLATE)
    write(tmp_path / "c.json", cfn({"B": {"Type": "AWS::S3::Bucket"}}))
    write(tmp_path / "notes.txt", "not a template")
    write(tmp_path / ".git" / "x.json", "{}")
    loaded = load_targets([tmp_path])
    assert [t.path.relative_to(tmp_path).as_posix() for t in loaded] == \
        ["a/y.yml", "a/z.template", "b.yaml", "c.json"]


def test_same_file_twice_is_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", YAML_TEMPLATE)
    assert len(load_targets([path, tmp_path, path])) == 1


@pytest.mark.parametrize("name,text,why", [
    ("bad.yaml", "Resources: [unclosed", "not a CloudFormation template"),
    ("list.yaml", "- a\n- b\n", "not a mapping"),
    ("nores.json", json.dumps({"AWSTemplateFormatVersion": "2010-09-09"}), "no Resources"),
    ("resstr.yaml", "Resources: nope\n", "no Resources"),
    ("empty.yaml", "", "not a CloudFormation template"),
    ("package.json", json.dumps({"name": "x", "version": "1"}), "no Resources"),
])
def test_not_a_template_raises_input_error(tmp_path: Path, name: str, text: str,
                                            why: str) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(InputError) as err:
        load_targets([path])
    message = str(err.value)
    assert message.startswith(f"{path}: not a CloudFormation template: ")
    assert why in message


@pytest.mark.parametrize("value, why", [
    ("2026-02-30", "day is out of range for month"),
    ("2026-13-01", "month must be in 1..12"),
    ("2026-01-01 25:00:00", "hour must be in 0..23"),
])
def test_date_that_does_not_exist_is_an_input_error_with_its_line(tmp_path: Path, value: str,
                                                                  why: str) -> None:
    """An unquoted yyyy-mm-dd is a YAML timestamp; one naming no real date crashed the whole
    run with a traceback (break test). Now the file is refused with its line, the others are
    checked."""
    bad = write(tmp_path / "a.yaml", "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                                     f"      Tags: [{{Key: d, Value: {value}}}]\n")
    good = write(tmp_path / "b.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n")
    with pytest.raises(InputError) as err:
        load_targets([bad])
    assert str(err.value) == (f"{bad}: not a CloudFormation template: line 5: {value!r} is not a valid "
                              f"date or time ({why}); YAML reads an unquoted yyyy-mm-dd as a date: "
                              "quote it if it is text")
    assert [t.path for t in load_targets([good])] == [good]


@pytest.mark.parametrize("value, message", [
    ("!!int foo", "'foo' is not a valid !!int value; quote it if it is text"),
    ("!!float abc", "'abc' is not a valid !!float value"),
    ("!!bool maybe", "'maybe' is not a valid !!bool value"),
    ("!!timestamp foo", "'foo' is not a valid !!timestamp value"),
    ("!!int 0b102", "'0b102' is not a valid !!int value"),
    ("!!map [1]", "a list cannot be tagged !!map"),
    ("!!seq {a: 1}", "a mapping cannot be tagged !!seq"),
])
def test_a_tag_its_value_cannot_hold_is_an_input_error(tmp_path: Path, value: str,
                                                       message: str) -> None:
    """Retest R3: explicit YAML tags whose value PyYAML cannot construct raised a bare
    ValueError/KeyError/TypeError (a traceback, the other files unchecked)."""
    bad = write(tmp_path / "a.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n"
                                     f"    Properties:\n      DisplayName: {value}\n")
    with pytest.raises(InputError) as err:
        load_targets([bad])
    assert str(err.value).startswith(f"{bad}: not a CloudFormation template: line 5: {message}")


def test_cfn_lint_decoder_errors_name_the_real_line_and_file(tmp_path: Path) -> None:
    """Final break test: tags only cfn-lint's decoder reads (!!binary, !!set...) reported
    line 1 and "<unicode string>"; the line and file are those PyYAML's message names."""
    bad = write(tmp_path / "b.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n"
                                     "    Properties:\n      DisplayName: !!binary notbase64\n")
    with pytest.raises(InputError) as err:
        load_targets([bad])
    (problem,) = err.value.problems
    assert problem.line == 5 and problem.kind == "syntax"
    assert f'in "{bad}", line 5' in problem.message and "<unicode string>" not in problem.message


def test_missing_path_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.yaml"):
        load_targets([tmp_path / "nope.yaml"])
    with pytest.raises(InputError, match="missing.yaml"):
        load_template(tmp_path / "missing.yaml")


def make_assembly(root: Path) -> Path:
    """cdk.out with one env-agnostic stack, one pinned to us-gov-east-1 with a nested stack,
    and a Stage (nested cloud assembly) with its own stack."""
    out = root / "cdk.out"
    write(out / "Agnostic.template.json", cfn({"K": {"Type": "AWS::KMS::Key"}}))
    write(out / "Pinned.template.json", cfn({
        "Nested": {"Type": "AWS::CloudFormation::Stack",
                   "Metadata": {"aws:asset:path": "PinnedNested.nested.template.json"},
                   "Properties": {"TemplateURL": "https://example"}},
        "Meta": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
    }))
    write(out / "PinnedNested.nested.template.json", cfn({"G": {"Type": "AWS::Logs::LogGroup"}}))
    write(out / "manifest.json", json.dumps({
        "version": "36.0.0",
        "artifacts": {
            "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
            "Agnostic": {"type": "aws:cloudformation:stack",
                         "environment": "aws://unknown-account/unknown-region",
                         "properties": {"templateFile": "Agnostic.template.json"}},
            "Pinned": {"type": "aws:cloudformation:stack", "displayName": "App/Pinned",
                       "environment": "aws://123456789012/us-gov-east-1",
                       "properties": {"templateFile": "Pinned.template.json"}},
            "assembly-Prod": {"type": "cdk:cloud-assembly",
                              "properties": {"directoryName": "assembly-Prod",
                                             "displayName": "Prod"}},
        },
    }))
    stage = out / "assembly-Prod"
    write(stage / "ProdData.template.json", cfn({"B": {"Type": "AWS::S3::Bucket"}}))
    write(stage / "manifest.json", json.dumps({
        "version": "36.0.0",
        "artifacts": {"ProdData": {"type": "aws:cloudformation:stack",
                                   "displayName": "Prod/Data",
                                   "environment": "aws://123456789012/us-gov-west-1",
                                   "properties": {"templateFile": "ProdData.template.json"}}},
    }))
    return out


def test_cloud_assembly_stacks_stages_and_nested_stacks(tmp_path: Path) -> None:
    out = make_assembly(tmp_path)
    loaded = load_targets([out])
    summary = [(t.stack, t.region, t.account, t.path.name) for t in loaded]
    assert summary == [
        ("Agnostic", "us-gov-west-1", None, "Agnostic.template.json"),
        ("App/Pinned", "us-gov-east-1", "123456789012", "Pinned.template.json"),
        ("App/Pinned/Nested", "us-gov-east-1", "123456789012",
         "PinnedNested.nested.template.json"),
        ("Prod/Data", "us-gov-west-1", "123456789012", "ProdData.template.json"),
    ]
    assert loaded[2].nested_in == "App/Pinned"
    assert loaded[2].parent is loaded[1] and loaded[2].nested_id == "Nested"
    # deployed stack names: the artifact id (no properties.stackName); CloudFormation names
    # nested stacks itself
    assert [t.stack_name for t in loaded] == ["Agnostic", "Pinned", None, "ProdData"]


def test_assembly_found_inside_a_plain_directory(tmp_path: Path) -> None:
    make_assembly(tmp_path / "project")
    write(tmp_path / "project" / "cdk.out" / "asset.abc" / "policy.json", "{}")  # not a template
    stacks = [t.stack for t in load_targets([tmp_path])]
    assert "Prod/Data" in stacks and len(stacks) == 4


def test_broken_assembly_raises_input_error(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write(out / "manifest.json", "{not json")
    with pytest.raises(InputError, match="manifest"):
        load_targets([out])
    write(out / "manifest.json", json.dumps({"artifacts": {"S": {
        "type": "aws:cloudformation:stack", "properties": {"templateFile": "gone.json"}}}}))
    with pytest.raises(InputError, match="gone.json"):
        load_targets([out])


def test_cross_stack_imports_resolve_within_one_run(tmp_path: Path) -> None:
    """CDK cross-stack references: Fn::ImportValue resolves to what another stack of the same
    run exports, with the exporting stack's resource types."""
    from govcdk.policies import Status, check

    out = tmp_path / "cdk.out"
    write(out / "Keys.template.json", json.dumps({
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
                      "Bucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]},
                       "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:KeyArn"}}},
            "BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]},
                          "Export": {"Name": "Keys:BucketArn"}},
        },
    }))
    write(out / "Logs.template.json", json.dumps({"Resources": {
        "Imported": {"Type": "AWS::Logs::LogGroup",
                     "Properties": {"KmsKeyId": {"Fn::ImportValue": "Keys:KeyArn"}}},
        "NotAKey": {"Type": "AWS::Logs::LogGroup",
                    "Properties": {"KmsKeyId": {"Fn::ImportValue": "Keys:BucketArn"}}},
        "Missing": {"Type": "AWS::Logs::LogGroup",
                    "Properties": {"KmsKeyId": {"Fn::ImportValue": "Other:KeyArn"}}},
    }}))
    write(out / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {
        name: {"type": "aws:cloudformation:stack",
               "environment": "aws://111111111111/us-gov-west-1",
               "properties": {"templateFile": f"{name}.template.json"}}
        for name in ("Keys", "Logs")}}))
    report = check([out], rule_patterns=["GOV-LOGS-002"])
    status = {f.logical_id: f for f in report.findings}
    assert status["Imported"].status == Status.PASS
    assert "stack Keys" in status["Imported"].message
    assert status["NotAKey"].status == Status.UNKNOWN
    assert status["Missing"].status == Status.UNKNOWN
    assert "no template checked in this run exports it" in status["Missing"].message
    alone = check([out / "Logs.template.json"], rule_patterns=["GOV-LOGS-002"])
    assert {f.status for f in alone.findings} == {Status.UNKNOWN}


def test_list_top_level_is_named_as_a_list(tmp_path: Path) -> None:
    for name, text in (("l.yaml", "- a\n- b\n"), ("l.json", "[1, 2]")):
        path = write(tmp_path / name, text)
        with pytest.raises(InputError) as err:
            load_targets([path])
        assert str(err.value) == f"{path}: not a CloudFormation template: top level is a list, " \
                                 f"not a mapping"


def test_binary_file_message_and_no_stray_output(tmp_path: Path, capfd) -> None:
    path = tmp_path / "blob.yaml"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00garbage\x80\x81")
    with pytest.raises(InputError) as err:
        load_targets([path])
    message = str(err.value)
    assert "{filename}" not in message
    assert message == f"{path}: not a CloudFormation template: cannot read it as UTF-8 text " \
                      f"(a binary file?)"
    out, errout = capfd.readouterr()
    assert out == "" and errout == ""


def test_self_referencing_stage_is_a_clear_input_error(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write(out / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}}}))
    with pytest.raises(InputError) as err:
        load_targets([out])
    assert str(err.value) == f"{out / 'manifest.json'}: artifact 'Stage': cloud assembly " \
                             f"refers to itself (directoryName '.')"
    # a cycle through a Stage that points back up
    write(out / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "inner"}}}}))
    write(out / "inner" / "manifest.json", json.dumps({"version": "36.0.0", "artifacts": {
        "Back": {"type": "cdk:cloud-assembly", "properties": {"directoryName": ".."}}}}))
    with pytest.raises(InputError, match="refers to an enclosing cloud assembly"):
        load_targets([out])


def test_assembly_templates_know_their_manifest_and_missing_nested_templates(
        tmp_path: Path) -> None:
    out = make_assembly(tmp_path)
    write(out / "Agnostic.template.json", cfn({"N": {
        "Type": "AWS::CloudFormation::Stack",
        "Metadata": {"aws:asset:path": "nope.nested.template.json"}}}))
    loaded = load_targets([out])
    assert [t.manifest for t in loaded] == [out / "manifest.json"] * 3 + \
        [out / "assembly-Prod" / "manifest.json"]
    assert "nope.nested.template.json" in loaded[0].nested_missing["N"]
    assert load_targets([write(tmp_path / "plain.yaml", YAML_TEMPLATE)])[0].manifest is None
