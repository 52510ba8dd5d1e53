"""`govcdk check` with files it cannot check: each is an input error naming the file, the
logical ID where there is one and what is allowed; the other files of the run are still checked
and reported; the exit code is 2 even when findings exist; never a traceback.

Every run checks a second file beside the bad one, ``open.yaml`` (below), with the one rule
GOV-EC2-003 ("Security groups allow no inbound traffic from 0.0.0.0/0 or ::/0 on any port"):
its security group ``OpenSg`` admits tcp/22 from 0.0.0.0/0, so its verdict is FAIL, and the
report must carry that FAIL next to the input error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk.policies.validate import MAX_RESOURCES, MAX_TEMPLATE_BYTES
from tests_support import run_cli

GOOD = """\
Resources:
  OpenSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh from anywhere
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
"""

SG = ("{Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x, SecurityGroupIngress: "
      "[{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}]}}")


run = run_cli


def check_json(tmp_path: Path, name: str, content: str | bytes, *extra: str):
    """Run `check bad good --format json` and return (result, report, bad path)."""
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    good = tmp_path / "open.yaml"
    good.write_text(GOOD)
    result = run("check", str(bad), str(good), "--no-cfn-lint", "--rule", "GOV-EC2-003",
                 "--format", "json", *extra)
    return result, json.loads(result.stdout), bad


def assert_good_file_checked(report: dict) -> None:
    """open.yaml was checked: OpenSg FAILs GOV-EC2-003 (tcp/22 open to 0.0.0.0/0)."""
    assert [t["stack"] for t in report["templates"]] == ["open"]
    (finding,) = report["findings"]
    assert (finding["rule_id"], finding["logical_id"], finding["status"]) == \
        ("GOV-EC2-003", "OpenSg", "FAIL")
    assert "0.0.0.0/0" in finding["message"]


CASES = [
    # name, content, kind, logical ID, words the message must hold (what is wrong / allowed)
    ("yaml-syntax", "bad.yaml", "Resources: [\n", "syntax", "", ["not a CloudFormation template"]),
    ("json-syntax", "bad.json", '{"Resources": {"A": ', "syntax", "",
     ["not a CloudFormation template", "line"]),
    ("top-level-list", "bad.yaml", "- a\n- list\n", "not-a-template", "",
     ["top level is a list, not a mapping"]),
    ("no-resources", "bad.yaml", "Description: nothing\n", "not-a-template", "",
     ["no Resources mapping"]),
    ("resources-not-mapping", "bad.yaml", "Resources: [a, b]\n", "not-a-template", "",
     ["Resources is a list; it must map logical IDs to resources"]),
    ("resource-not-mapping", "bad.yaml", f"Resources:\n  Sg: {SG}\n  Bucket: just a string\n",
     "resource", "Bucket", ["resource Bucket is a string", "a mapping with a Type"]),
    ("resource-without-type", "bad.yaml",
     f"Resources:\n  Sg: {SG}\n  Bucket: {{Properties: {{BucketName: b}}}}\n",
     "resource", "Bucket", ["resource Bucket has no Type", "AWS::S3::Bucket"]),
    ("type-not-string", "bad.yaml",
     f"Resources:\n  Sg: {SG}\n  Bucket: {{Type: {{Ref: T}}}}\n",
     "resource", "Bucket", ["resource Bucket: Type is a mapping", "resource type name"]),
    ("unknown-function", "bad.yaml",
     "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n"
     "      TopicName: {Fn::Bogus: [a, b]}\n",
     "intrinsic", "Topic",
     ["resource Topic: Properties.TopicName: Fn::Bogus is not a CloudFormation intrinsic function",
      "allowed: Ref, Condition, Fn::And", "Fn::Sub"]),
    ("unknown-function-in-output", "bad.yaml",
     f"Resources:\n  Sg: {SG}\nOutputs:\n  Out: {{Value: {{Fn::Bogus: x}}}}\n",
     "intrinsic", "Out", ["output Out: Value: Fn::Bogus is not a CloudFormation intrinsic"]),
    ("circular-ref", "bad.yaml",
     "Resources:\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref B}}\n"
     "  B: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref A}}\n",
     "circular", "A", ["circular dependency between resources A, B",
                       "A (Ref at Properties.TopicName) -> B (Ref at Properties.TopicName) -> A"]),
    ("circular-getatt", "bad.yaml",
     "Resources:\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: !GetAtt B.TopicName}}\n"
     "  B: {Type: AWS::SNS::Topic, Properties: {TopicName: !GetAtt [A, TopicName]}}\n",
     "circular", "A", ["A (Fn::GetAtt at Properties.TopicName) -> B (Fn::GetAtt"]),
    ("circular-sub", "bad.yaml",
     "Resources:\n  A: {Type: AWS::SNS::Topic, Properties: {TopicName: !Sub '${B.TopicName}-a'}}\n"
     "  B: {Type: AWS::SNS::Topic, Properties: {TopicName: !Sub '${A}-b'}}\n",
     "circular", "A", ["A (Fn::Sub at Properties.TopicName) -> B (Fn::Sub"]),
    ("circular-depends-on", "bad.yaml",
     "Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: C}\n"
     "  B: {Type: AWS::SNS::Topic, DependsOn: [A]}\n"
     "  C: {Type: AWS::SNS::Topic, DependsOn: B}\n",
     "circular", "A", ["between resources A, B, C", "A (DependsOn) -> C (DependsOn) -> B"]),
    ("self-reference", "bad.yaml",
     "Resources:\n  Self: {Type: AWS::SNS::Topic, Properties: {TopicName: !Ref Self}}\n",
     "circular", "Self", ["resource Self: circular dependency between resources Self"]),
    ("circular-conditions", "bad.yaml",
     f"Conditions:\n  X: !Not [!Condition Y]\n  Y: !And [!Condition X, !Equals [a, a]]\n"
     f"Resources:\n  Sg: {SG}\n",
     "circular", "X", ["condition X: circular reference between conditions"]),
    ("too-many-resources", "bad.json",
     json.dumps({"Resources": {f"T{i}": {"Type": "AWS::SNS::Topic"}
                               for i in range(MAX_RESOURCES + 1)}}),
     "too-many-resources", "", [f"declares {MAX_RESOURCES + 1} resources",
                                f"at most {MAX_RESOURCES} resources in one stack"]),
]


@pytest.mark.parametrize("name, content, kind, logical_id, words",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_input_error_names_file_and_logical_id_and_the_good_file_is_still_checked(
        tmp_path, name, content, kind, logical_id, words):
    result, report, bad = check_json(tmp_path, name, content)
    assert result.exit_code == 2, result.output       # a FAIL exists too: 2 wins over 1
    assert_good_file_checked(report)
    errors = report["input_errors"]
    assert len(errors) == 1 and report["summary"]["input_errors"] == 1
    (error,) = errors
    assert (error["path"], error["kind"], error["logical_id"]) == (str(bad), kind, logical_id)
    for word in words:
        assert word in error["message"], error["message"]
    if logical_id:
        assert logical_id in error["message"]
    # one line per input error on stderr, naming the file
    assert f"govcdk: error: {bad}: {error['message']}" in result.stderr.splitlines()


def test_the_text_report_lists_the_input_error_and_the_findings(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  Topic: {Type: AWS::SNS::Topic, Properties: "
                   "{TopicName: {Fn::Bogus: x}}}\n")
    good = tmp_path / "open.yaml"
    good.write_text(GOOD)
    r = run("check", str(bad), str(good), "--no-cfn-lint", "--rule", "GOV-EC2-003")
    assert r.exit_code == 2
    lines = r.stdout.splitlines()
    assert lines[0] == "Input errors: 1 (not checked)"
    assert lines[1].startswith(f"  error: {bad}: resource Topic: Properties.TopicName: "
                               "Fn::Bogus is not a CloudFormation intrinsic function")
    assert "OpenSg" in r.stdout and "GOV-EC2-003" in r.stdout
    assert "Result: 1 failing finding, 1 input error (not checked)" in r.stdout


def test_a_reference_cloudformation_refuses_exits_2_and_the_template_is_still_checked(tmp_path):
    """Break test: a Ref to nothing made findings UNKNOWN, and with --allow-unknown the
    template passed with exit 0 although CloudFormation refuses it. Now it is an input error
    (exit 2, whatever --allow-unknown says) and the rest of the template is checked."""
    sg = tmp_path / "refs.yaml"
    sg.write_text(GOOD + "        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: !Ref Nowhere}\n"
                  "  Other:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
                  "      GroupDescription: !Sub '${Missing}-sg'\n")
    result = run("check", str(sg), "--no-cfn-lint", "--rule", "GOV-EC2-003", "--format", "json",
                 "--allow-unknown")
    assert result.exit_code == 2, result.output
    report, _ = json.JSONDecoder().raw_decode(result.stdout)
    assert [t["stack"] for t in report["templates"]] == ["refs"]        # still checked
    verdicts = {f["logical_id"]: f["status"] for f in report["findings"]}
    assert verdicts == {"OpenSg": "FAIL", "Other": "PASS"}               # tcp/22 from 0.0.0.0/0
    assert [(e["logical_id"], e["kind"], e["checked"], e["line"], e["location"])
            for e in report["input_errors"]] == [
        ("OpenSg", "reference", True, 8, "Resources.OpenSg.Properties.SecurityGroupIngress[1].CidrIp"),
        ("Other", "reference", True, 12, "Resources.Other.Properties.GroupDescription")]
    assert report["input_errors"][0]["message"] == (
        "resource OpenSg: Properties.SecurityGroupIngress[1].CidrIp: Ref to 'Nowhere', which is not "
        "a parameter, a resource or a pseudo parameter (AWS::Region, AWS::Partition, "
        "AWS::AccountId...); CloudFormation refuses the template (the rest of it was checked)")
    text = run("check", str(sg), "--no-cfn-lint", "--rule", "GOV-EC2-003").stdout
    assert text.splitlines()[0] == "Input errors: 2 (0 not checked)"
    assert "Result: 1 failing finding, 2 input errors (0 not checked)" in text


def test_every_problem_of_one_file_is_listed(tmp_path):
    result, report, bad = check_json(
        tmp_path, "bad.yaml",
        "Resources:\n  NoType: {Properties: {}}\n  Str: text\n"
        "  Fn: {Type: AWS::SNS::Topic, Properties: {TopicName: {Fn::Nope: x}}}\n")
    assert result.exit_code == 2
    assert_good_file_checked(report)
    assert [(e["logical_id"], e["kind"]) for e in report["input_errors"]] == \
        [("NoType", "resource"), ("Str", "resource"), ("Fn", "intrinsic")]
    assert all(e["path"] == str(bad) for e in report["input_errors"])


def test_a_five_megabyte_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import cfnlint.decode

    from govcdk.policies import loader

    decoded: list[str] = []   # every file either decoder opened
    real = cfnlint.decode.decode
    monkeypatch.setattr(cfnlint.decode, "decode",
                        lambda filename, *a, **k: decoded.append(filename) or real(filename, *a, **k))
    real_plain = loader.decode_file
    monkeypatch.setattr(loader, "decode_file",
                        lambda path: decoded.append(str(path)) or real_plain(path))
    size = 5 * 1024 * 1024
    head = GOOD.replace("OpenSg", "BigSg")
    body = head + "# " + "x" * (size - len(head) - 3) + "\n"
    result, report, bad = check_json(tmp_path, "big.yaml", body)
    assert bad.stat().st_size == size > MAX_TEMPLATE_BYTES
    assert result.exit_code == 2
    assert_good_file_checked(report)
    (error,) = report["input_errors"]
    assert error["kind"] == "too-large" and error["path"] == str(bad)
    assert f"{bad.stat().st_size:,} bytes" in error["message"]
    assert f"at most {MAX_TEMPLATE_BYTES:,} bytes" in error["message"]
    assert str(bad) not in decoded and str(tmp_path / "open.yaml") in decoded


def test_a_file_at_the_size_limit_is_read(tmp_path):
    body = GOOD + "#" + "x" * (MAX_TEMPLATE_BYTES - len(GOOD) - 2) + "\n"
    p = tmp_path / "limit.yaml"
    p.write_text(body)
    assert p.stat().st_size == MAX_TEMPLATE_BYTES
    r = run("check", str(p), "--no-cfn-lint", "--rule", "GOV-EC2-003", "--format", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)["input_errors"] == []


def test_foreach_expanding_beyond_the_resource_quota(tmp_path):
    """501 topics from one Fn::ForEach loop: the loader sees one entry, the engine the 501
    CloudFormation would create, and refuses the template."""
    items = [f"t{i}" for i in range(MAX_RESOURCES + 1)]
    template = {"Transform": "AWS::LanguageExtensions", "Resources": {
        "Fn::ForEach::Topics": ["Name", items, {"${Name}": {"Type": "AWS::SNS::Topic"}}]}}
    result, report, bad = check_json(tmp_path, "loop.json", json.dumps(template))
    assert result.exit_code == 2
    assert_good_file_checked(report)
    (error,) = report["input_errors"]
    assert error["kind"] == "too-many-resources" and error["path"] == str(bad)
    assert f"Fn::ForEach loops expand the template to {MAX_RESOURCES + 1} resources" in \
        error["message"]


def test_include_transform_entries_are_not_input_errors(tmp_path):
    """AWS::Include snippets have no Type on purpose: the engine reports them unchecked
    (UNKNOWN), they are no input error."""
    p = tmp_path / "inc.yaml"
    p.write_text("Resources:\n  Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k}}\n"
                 "  Inc: {Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/r}}}\n"
                 f"  Sg: {SG}\n")
    r = run("check", str(p), "--no-cfn-lint", "--rule", "GOV-EC2-003", "--format", "json")
    report = json.loads(r.stdout)
    assert report["input_errors"] == [] and r.exit_code == 1
    assert sorted((f["rule_id"], f["logical_id"], f["status"]) for f in report["findings"]) == [
        ("ENGINE", "Fn::Transform", "UNKNOWN"), ("ENGINE", "Inc", "UNKNOWN"),
        ("GOV-EC2-003", "Sg", "PASS")]


def test_macro_templates_are_not_validated_beyond_the_quotas(tmp_path):
    """A macro may accept any shape (its own Fn:: functions too): only the size and resource
    quotas apply; the engine reports the macro's resources as not checked."""
    p = tmp_path / "macro.yaml"
    p.write_text("Transform: MyMacro\nResources:\n"
                 "  T: {Type: AWS::SNS::Topic, Properties: {TopicName: {Fn::MyMacroFn: x}}}\n"
                 "  Free: {Custom: thing}\n")
    r = run("check", str(p), "--no-cfn-lint", "--format", "json")
    report = json.loads(r.stdout)
    assert report["input_errors"] == [] and r.exit_code == 1
    assert any(f["rule_id"] == "ENGINE" and f["message"].startswith("Transform MyMacro")
               for f in report["findings"])


def _assembly(root: Path, artifacts: dict, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"version": "40.0.0", "artifacts": artifacts}))
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def _stack(template_file: str) -> dict:
    return {"type": "aws:cloudformation:stack", "environment": "aws://123456789012/us-gov-west-1",
            "properties": {"templateFile": template_file}}


def test_broken_manifest_beside_a_good_file(tmp_path):
    asm = tmp_path / "targets" / "asm"
    asm.mkdir(parents=True)
    (asm / "manifest.json").write_text("{not json")
    (tmp_path / "targets" / "open.yaml").write_text(GOOD)
    r = run("check", str(tmp_path / "targets"), "--no-cfn-lint", "--rule", "GOV-EC2-003",
            "--format", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    assert_good_file_checked(report)
    (error,) = report["input_errors"]
    assert error["kind"] == "manifest" and error["path"] == str(asm / "manifest.json")
    assert "not a readable cloud assembly manifest" in error["message"]


def test_assembly_with_a_missing_and_a_bad_template_keeps_the_good_stack(tmp_path):
    asm = _assembly(tmp_path / "cdk.out",
                    {"Good": _stack("Good.template.json"), "Gone": _stack("Gone.template.json"),
                     "Cyclic": _stack("Cyclic.template.json")},
                    {"Good.template.json": json.dumps(
                        {"Resources": {"OpenSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                            "GroupDescription": "x", "SecurityGroupIngress": [
                                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                 "CidrIp": "0.0.0.0/0"}]}}}}),
                     "Cyclic.template.json": json.dumps(
                         {"Resources": {"A": {"Type": "AWS::SNS::Topic", "DependsOn": "A"}}})})
    r = run("check", str(asm), "--no-cfn-lint", "--rule", "GOV-EC2-003", "--format", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    assert [t["stack"] for t in report["templates"]] == ["Good"]
    (finding,) = report["findings"]
    assert (finding["logical_id"], finding["status"]) == ("OpenSg", "FAIL")
    got = {(e["path"], e["kind"], e["logical_id"]) for e in report["input_errors"]}
    assert got == {(str(asm / "Gone.template.json"), "manifest", ""),
                   (str(asm / "Cyclic.template.json"), "circular", "A")}


def test_a_bad_nested_template_is_an_input_error_and_its_parent_is_checked(tmp_path):
    parent = {"Resources": {
        "Child": {"Type": "AWS::CloudFormation::Stack",
                  "Metadata": {"aws:asset:path": "Child.nested.template.json"},
                  "Properties": {"TemplateURL": "https://example/child.json"}},
        "OpenSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "x", "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}
    asm = _assembly(tmp_path / "cdk.out", {"Parent": _stack("Parent.template.json")},
                    {"Parent.template.json": json.dumps(parent),
                     "Child.nested.template.json": '{"Resources": {"B": {"Properties": {}}}}'})
    r = run("check", str(asm), "--no-cfn-lint", "--rule", "GOV-EC2-003", "--format", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    (error,) = report["input_errors"]
    assert (error["path"], error["kind"], error["logical_id"]) == \
        (str(asm / "Child.nested.template.json"), "resource", "B")
    verdicts = {(f["rule_id"], f["logical_id"]): (f["status"], f["message"])
                for f in report["findings"]}
    assert verdicts[("GOV-EC2-003", "OpenSg")][0] == "FAIL"
    status, message = verdicts[("ENGINE", "Child")]
    assert status == "UNKNOWN" and "cannot be checked (see the input errors)" in message


def test_only_bad_files_still_give_a_report_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- not\n- a template\n")
    r = run("check", str(bad), "--format", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    assert report["templates"] == [] and report["findings"] == []
    assert [e["path"] for e in report["input_errors"]] == [str(bad)]


def test_a_file_named_twice_is_reported_once(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- x\n")
    r = run("check", str(bad), str(bad), str(tmp_path), "--no-cfn-lint", "--format", "json")
    assert r.exit_code == 2 and len(json.loads(r.stdout)["input_errors"]) == 1


def test_input_errors_with_cfn_lint_on(tmp_path):
    """cfn-lint runs only on the files that were loaded; the bad one is still one input error."""
    result, report, bad = check_json(tmp_path, "bad.yaml", "Resources: [\n")
    r = run("check", str(bad), str(tmp_path / "open.yaml"), "--rule", "GOV-EC2-003",
            "--format", "json")
    assert r.exit_code == 2
    report = json.loads(r.stdout)
    assert [e["path"] for e in report["input_errors"]] == [str(bad)]
    assert {f["template_path"] for f in report["findings"]} == {str(tmp_path / "open.yaml")}


def test_an_engine_defect_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    from govcdk.policies import engine

    def broken(*args, **kwargs):
        raise TypeError("something the engine did not expect")

    monkeypatch.setattr(engine, "check_templates", broken)
    good = tmp_path / "open.yaml"
    good.write_text(GOOD)
    r = run("check", str(good), "--no-cfn-lint")
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (f"govcdk: error: internal error while checking {good}: TypeError: "
                        "something the engine did not expect (a govcdk defect: please report it "
                        "with the template)\n")
