"""Tests for :mod:`govcdk.policies.engine`: rule discovery, running, folding, errors."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from govcdk.policies import (
    CheckResult, InputError, Rule, RuleError, Severity, Status, check, load_rules)
from govcdk.policies.engine import check_templates, render_path, select_rules
from govcdk.policies.loader import load_targets

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Rotate:
    Type: String
    Default: "false"
Mappings:
  Rotation:
    us-gov-west-1: {Enabled: "true"}
    us-gov-east-1: {Enabled: "false"}
Resources:
  CDKMetadata:
    Type: AWS::CDK::Metadata
    Properties: {Analytics: "v2:deflate64:abc"}
  ByParam:
    Type: AWS::KMS::Key
    Metadata:
      aws:cdk:path: App/Stack/ByParam/Resource
    Properties:
      EnableKeyRotation: !Ref Rotate
  ByRegion:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !FindInMap [Rotation, !Ref "AWS::Region", Enabled]
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 1
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def finding(report, rule_id: str, logical_id: str):
    return next(f for f in report.findings if f.rule_id == rule_id and f.logical_id == logical_id)


def make_rule(check_fn, *, rule_id="GOV-TEST-001", scope="resource",
              types=("AWS::KMS::Key",), raw_paths=False) -> Rule:
    return Rule(id=rule_id, name="test_rule", title="Test rule", scope=scope,
                resource_types=types, controls=("CM-6",), severity=Severity.LOW,
                rationale="r", remediation="CDK: x. CloudFormation: y.", check=check_fn,
                raw_paths=raw_paths)


def test_report_shape_cdk_path_line_and_metadata_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "stack.yaml", TEMPLATE)
    report = check([path])
    assert [(t.stack, t.resource_count, t.region) for t in report.templates] == \
        [("stack", 3, "us-gov-west-1")]
    assert report.rules_run == sorted(r.id for r in load_rules())
    assert all(f.logical_id != "CDKMetadata" for f in report.findings)
    by_param = finding(report, "GOV-KMS-001", "ByParam")
    assert by_param.status == Status.FAIL
    assert by_param.cdk_path == "App/Stack/ByParam/Resource"
    assert by_param.property_path == "Properties.EnableKeyRotation"
    assert by_param.line == 19
    assert by_param.stack == "stack" and by_param.template_path == str(path)
    assert by_param.resource_type == "AWS::KMS::Key" and by_param.source == "govcdk"
    assert by_param.controls == ("SC-12", "SC-12(1)", "SC-13")


def test_findings_are_ordered_by_template_rule_and_logical_id(tmp_path: Path) -> None:
    b = write(tmp_path / "b.yaml", TEMPLATE)
    a = write(tmp_path / "a.yaml", TEMPLATE)
    report = check([b, a])
    keys = [(f.template_path, f.rule_id, f.logical_id) for f in report.findings]
    per_template = {}
    for k in keys:
        per_template.setdefault(k[0], []).append(k[1:])
    assert list(per_template) == [str(b), str(a)]
    for items in per_template.values():
        assert items == sorted(items)
    assert check([b, a]).findings == report.findings   # deterministic


def test_parameters_region_and_rule_patterns(tmp_path: Path) -> None:
    path = write(tmp_path / "stack.yaml", TEMPLATE)
    report = check([path], rule_patterns=["GOV-KMS-*"])
    assert "GOV-KMS-001" in report.rules_run
    assert all(r.startswith("GOV-KMS-") for r in report.rules_run)
    assert {f.rule_id for f in report.findings} <= set(report.rules_run)
    report = check([path], rule_patterns=["GOV-KMS-001"])
    assert report.rules_run == ["GOV-KMS-001"]
    assert finding(report, "GOV-KMS-001", "ByRegion").status == Status.PASS
    east = check([path], rule_patterns=["gov-kms-001"], region="us-gov-east-1",
                 parameters={"Rotate": "true", "Undeclared": "ignored"})
    assert finding(east, "GOV-KMS-001", "ByParam").status == Status.PASS
    assert finding(east, "GOV-KMS-001", "ByRegion").status == Status.FAIL
    assert east.templates[0].region == "us-gov-east-1"
    assert {f.rule_id for f in check([path], rule_patterns=["log_group_*"]).findings} == \
        {"GOV-LOGS-001", "GOV-LOGS-002"}
    with pytest.raises(InputError, match="no rule matches"):
        check([path], rule_patterns=["GOV-NOPE-*"])


def test_folding_worst_status_messages_and_paths(tmp_path: Path) -> None:
    def fold_check(resource, ctx):
        return [
            CheckResult.passed("fine", ("Properties", "A")),
            CheckResult.failed("bad one", ("Properties", "List", 0, "X")),
            CheckResult.unknown("cannot tell", ("Properties", "List", 1, "X")),
            CheckResult.failed("bad one", ("Properties", "List", 0, "X")),
        ]
    path = write(tmp_path / "s.yaml", TEMPLATE)
    report = check([path], rules=[make_rule(fold_check)])
    f = finding(report, "GOV-TEST-001", "ByParam")
    assert f.status == Status.FAIL          # a definite failure outranks "cannot tell"
    assert f.property_path == "Properties.List[0].X"
    assert f.paths == ("Properties.List[0].X", "Properties.List[1].X")
    assert f.message == "Properties.List[0].X: bad one; Properties.List[1].X: cannot tell"


def test_worst_status_order() -> None:
    # FAIL above UNKNOWN: --allow-unknown must never hide a definite failure beside an unknown
    order = [Status.NOT_APPLICABLE, Status.PASS, Status.UNKNOWN, Status.FAIL, Status.ERROR]
    template = {"Resources": {"K": {"Type": "AWS::KMS::Key"}}}
    from govcdk.policies.loader import LoadedTemplate
    loaded = [LoadedTemplate(stack="s", path=Path("s.json"), template=template)]
    for i, low in enumerate(order):
        for high in order[i:]:
            rule = make_rule(lambda r, c, lo=low, hi=high: [CheckResult(hi, "h"),
                                                             CheckResult(lo, "l")])
            [f] = check_templates(loaded, [rule]).findings
            assert f.status == high


def test_a_raising_check_becomes_an_error_finding(tmp_path: Path) -> None:
    def boom(resource, ctx):
        raise KeyError("Properties")
    path = write(tmp_path / "s.yaml", TEMPLATE)
    report = check([path], rules=[make_rule(boom)])
    assert {f.status for f in report.findings} == {Status.ERROR}
    assert "KeyError" in report.findings[0].message and "Properties" in report.findings[0].message

    def bad_return(resource, ctx):
        return "PASS"
    report = check([path], rules=[make_rule(bad_return)])
    assert {f.status for f in report.findings} == {Status.ERROR}

    def template_boom(ctx):
        raise RuntimeError("join failed")
    report = check([path], rules=[make_rule(template_boom, scope="template")])
    assert [(f.logical_id, f.status) for f in report.findings] == \
        [("ByParam", Status.ERROR), ("ByRegion", Status.ERROR)]
    assert "join failed" in report.findings[0].message


def test_unknown_values_cannot_pass_silently(tmp_path: Path) -> None:
    def naive(resource, ctx):   # treats an unresolved value as truthy -> must not PASS
        return CheckResult.passed() if resource.properties.get("EnableKeyRotation") else \
            CheckResult.failed("off")
    path = write(tmp_path / "s.yaml", TEMPLATE.replace('    Default: "false"\n', ""))
    f = finding(check([path], rules=[make_rule(naive)]), "GOV-TEST-001", "ByParam")
    assert f.status == Status.ERROR


def test_template_scope_results_and_wildcard_types(tmp_path: Path) -> None:
    def joins(ctx):
        keys = ctx.resources("AWS::KMS::Key")
        return {k.logical_id: CheckResult.passed(f"{len(ctx.resources())} resources")
                for k in keys}
    path = write(tmp_path / "s.yaml", TEMPLATE)
    report = check([path], rules=[make_rule(joins, scope="template")])
    assert [(f.logical_id, f.message) for f in report.findings] == \
        [("ByParam", "3 resources"), ("ByRegion", "3 resources")]
    every = check([path], rules=[make_rule(lambda r, c: CheckResult.passed(), types=("*",))])
    assert [f.logical_id for f in every.findings] == ["ByParam", "ByRegion", "Group"]


def test_template_notes_for_foreach_and_transform(tmp_path: Path) -> None:
    path = write(tmp_path / "t.json", json.dumps({
        "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
        "Resources": {
            "Fn::ForEach::Buckets": ["Name", ["a", "b"], {"${Name}": {"Type": "AWS::S3::Bucket"}}],
            "Real": {"Type": "AWS::S3::Bucket"},
        },
    }))
    report = check([path])
    notes = report.templates[0].notes
    assert "Resources.Fn::ForEach::Buckets: Fn::ForEach expanded into a, b" in notes
    assert any("AWS::LanguageExtensions" in n and "expanded" in n for n in notes)
    assert report.templates[0].resource_count == 3
    assert {f.logical_id for f in report.findings} == {"a", "b", "Real", ""}
    # SAM (or any macro) generates resources at deploy time: a failing UNKNOWN, not a note
    (engine,) = [f for f in report.findings if f.rule_id == "ENGINE"]
    assert engine.status == Status.UNKNOWN and engine.property_path == "Transform"
    assert engine.message.startswith("Transform AWS::Serverless-2016-10-31: the resources")


def test_include_and_macros_are_unknown_not_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "i.yaml", (
        "Transform: MyMacro\n"
        "Resources:\n"
        "  Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k.yaml}}\n"
        "  Key: {Type: AWS::KMS::Key, Properties: {EnableKeyRotation: true}}\n"))
    report = check([path])
    engine = sorted((f.logical_id, f.status.value, f.message.split(":")[0])
                    for f in report.findings if f.rule_id == "ENGINE")
    assert engine == [("", "UNKNOWN", "Transform MyMacro"), ("Fn::Transform", "UNKNOWN", "Fn")]


def test_render_path() -> None:
    assert render_path(("Properties", "SecurityGroupIngress", 0, "CidrIp")) == \
        "Properties.SecurityGroupIngress[0].CidrIp"
    assert render_path(()) == ""


def test_select_rules_by_id_and_name() -> None:
    rules = load_rules()
    assert [r.id for r in select_rules(rules, ["GOV-EC2-00[12]"])] == ["GOV-EC2-001",
                                                                       "GOV-EC2-002"]
    assert select_rules(rules, None) == rules


def _package(tmp_path: Path, name: str, modules: dict[str, str]) -> str:
    root = tmp_path / name
    write(root / "__init__.py", "")
    for rel, body in modules.items():
        write(root / rel, textwrap.dedent(body))
    if str(tmp_path) not in sys.path:
        sys.path.insert(0, str(tmp_path))
    return name


RULE_MODULE = """
from govcdk.policies.model import CheckResult, Rule, Severity
RULE = Rule(id="{id}", name="{name}", title="t", scope="resource",
            resource_types=("AWS::S3::Bucket",), controls=("CM-6",), severity=Severity.LOW,
            rationale="r", remediation="r", check=lambda r, c: CheckResult.passed())
"""


def test_load_rules_rejects_modules_without_rule(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "fakerules_norule", {
        "s3/__init__.py": "", "s3/ok.py": RULE_MODULE.format(id="GOV-S3-901", name="ok"),
        "s3/empty.py": "X = 1\n"})
    with pytest.raises(RuleError, match="empty: defines no RULE"):
        load_rules(pkg)


def test_load_rules_rejects_duplicate_ids(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "fakerules_dup", {
        "s3/__init__.py": "", "s3/one.py": RULE_MODULE.format(id="GOV-S3-902", name="one"),
        "kms/__init__.py": "", "kms/two.py": RULE_MODULE.format(id="GOV-S3-902", name="two")})
    with pytest.raises(RuleError, match="duplicate rule id GOV-S3-902"):
        load_rules(pkg)


def test_load_rules_rejects_name_mismatch_and_loose_modules(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "fakerules_name", {
        "s3/__init__.py": "", "s3/real.py": RULE_MODULE.format(id="GOV-S3-903", name="other")})
    with pytest.raises(RuleError, match="differs from the module name"):
        load_rules(pkg)
    pkg = _package(tmp_path, "fakerules_loose", {"loose.py": "X = 1\n"})
    with pytest.raises(RuleError, match="service folder"):
        load_rules(pkg)


def test_load_rules_skips_private_helpers_and_nothing_registers_on_import(tmp_path: Path) -> None:
    pkg = _package(tmp_path, "fakerules_ok", {
        "s3/__init__.py": "", "s3/_shared.py": "X = 1\n",
        "s3/good.py": RULE_MODULE.format(id="GOV-S3-904", name="good")})
    assert [r.id for r in load_rules(pkg)] == ["GOV-S3-904"]
    assert "GOV-S3-904" not in {r.id for r in load_rules()}


def test_loaded_templates_can_be_checked_directly(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", TEMPLATE)
    report = check_templates(load_targets([path]), load_rules())
    assert report.findings == check([path]).findings


def test_comparing_an_unknown_value_is_an_error_not_a_pass(tmp_path: Path) -> None:
    """A check that compares an unresolved value with a literal (``value == "x"`` used to be a
    silent False) now raises, and the engine reports ERROR, which fails."""
    def naive(resource, ctx):
        if resource.properties.get("EnableKeyRotation") == "false":
            return CheckResult.failed("off")
        return CheckResult.passed("not off")
    path = write(tmp_path / "s.yaml", TEMPLATE.replace('    Default: "false"\n', ""))
    f = finding(check([path], rules=[make_rule(naive)]), "GOV-TEST-001", "ByParam")
    assert f.status == Status.ERROR
    assert "TypeError" in f.message and "cannot be compared" in f.message


UNEVALUABLE = """\
Parameters:
  Env: {Type: String}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd: !Not [!Condition IsDev]
  C1: !Equals [!Ref Env, a]
  C2: !Equals [!Ref Env, b]
  C3: !Equals [!Ref Env, c]
  C4: !Equals [!Ref Env, d]
  C5: !Equals [!Ref Env, e]
Resources:
  OneBranchFails:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: !If [IsDev, false, true]}
  CreatedOnlyInDev:
    Type: AWS::KMS::Key
    Condition: IsDev
    Properties: {EnableKeyRotation: false}
  RelatedConditions:             # IsDev and IsProd true together is impossible
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [IsDev, !If [IsProd, false, true], true]
  TooManyConditions:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [C1, !If [C2, !If [C3, !If [C4, !If [C5, false, true], true], true], true], true]
"""


def test_every_branch_of_an_unevaluable_condition_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path / "branches.yaml", UNEVALUABLE)
    report = check([path], rule_patterns=["GOV-KMS-001"])
    one = finding(report, "GOV-KMS-001", "OneBranchFails")
    assert one.status == Status.FAIL
    assert one.message == "if Condition IsDev is true: EnableKeyRotation is false"
    assert one.property_path == "Properties.EnableKeyRotation" and one.line is not None
    created = finding(report, "GOV-KMS-001", "CreatedOnlyInDev")
    assert created.status == Status.FAIL
    assert created.message.startswith("if Condition IsDev is true: EnableKeyRotation")
    assert finding(report, "GOV-KMS-001", "RelatedConditions").status == Status.PASS
    many = finding(report, "GOV-KMS-001", "TooManyConditions")
    assert many.status == Status.UNKNOWN and "cannot be evaluated" in many.message
    dev = check([path], rule_patterns=["GOV-KMS-001"], parameters={"Env": "prod"})
    assert finding(dev, "GOV-KMS-001", "OneBranchFails").status == Status.PASS
    assert finding(dev, "GOV-KMS-001", "CreatedOnlyInDev").status == Status.NOT_APPLICABLE


def test_template_rules_check_every_branch_and_name_it(tmp_path: Path) -> None:
    path = write(tmp_path / "vpc.yaml", """\
Parameters:
  Public: {Type: String}
Conditions:
  IsPublic: !Equals [!Ref Public, "yes"]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Igw:
    Type: AWS::EC2::InternetGateway
    Condition: IsPublic
  Attach:
    Type: AWS::EC2::VPCGatewayAttachment
    Condition: IsPublic
    Properties: {VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw}
""")
    f = finding(check([path], rule_patterns=["GOV-EC2-002"]), "GOV-EC2-002", "Vpc")
    assert f.status == Status.FAIL
    assert f.message == "if Condition IsPublic is true: Attach attaches internet gateway Ref Igw"
