"""Stacks that pass values to each other: nested stacks and their parent's ``Parameters``,
``Fn::ImportValue`` joins across the templates of one run, and the stack name a cloud assembly
deploys a template as. (Reviewer reproducers /tmp/rev/asm, /tmp/rev/xstack and
/tmp/rev/stackname.yaml.)"""

from __future__ import annotations

import json
from pathlib import Path

from govcdk.policies import Status, check, load_targets


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def statuses(report, rule_id: str) -> dict[tuple[str, str], Status]:
    return {(f.stack, f.logical_id): f.status for f in report.findings if f.rule_id == rule_id}


def finding(report, rule_id: str, stack: str, logical_id: str):
    return next(f for f in report.findings
                if (f.rule_id, f.stack, f.logical_id) == (rule_id, stack, logical_id))


CHILD = {
    "Parameters": {"Retention": {"Type": "Number", "Default": 3653},
                   "Rotate": {"Type": "String", "Default": "true"},
                   "KeyArn": {"Type": "String", "Default": "none"}},
    "Resources": {
        "Group": {"Type": "AWS::Logs::LogGroup",
                  "Properties": {"RetentionInDays": {"Ref": "Retention"},
                                 "KmsKeyId": {"Ref": "KeyArn"}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": {"Ref": "Rotate"}}},
    },
}


def assembly(root: Path, passed: dict, *, stack_name: str | None = None,
             parent_extra: dict | None = None) -> Path:
    out = root / "cdk.out"
    write(out / "Child.nested.template.json", CHILD)
    write(out / "Parent.template.json", {
        "Parameters": {"Unset": {"Type": "String"}},
        "Conditions": {"IsX": {"Fn::Equals": [{"Ref": "Unset"}, "x"]}},
        "Resources": {
            "ParentKey": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
            "Child": {"Type": "AWS::CloudFormation::Stack",
                      "Metadata": {"aws:asset:path": "Child.nested.template.json"},
                      "Properties": {"TemplateURL": "https://example/x", "Parameters": passed}},
            **(parent_extra or {})}})
    props = {"templateFile": "Parent.template.json"}
    if stack_name:
        props["stackName"] = stack_name
    write(out / "manifest.json", {"version": "36.0.0", "artifacts": {"Parent": {
        "type": "aws:cloudformation:stack", "environment": "aws://123456789012/us-gov-west-1",
        "properties": props, "displayName": "Parent"}}})
    return out


def test_nested_stack_gets_the_parameters_its_parent_passes(tmp_path: Path) -> None:
    out = assembly(tmp_path, {"Retention": "1", "Rotate": "false"})
    report = check([out], rule_patterns=["GOV-LOGS-001", "GOV-KMS-001"])
    group = finding(report, "GOV-LOGS-001", "Parent/Child", "Group")
    assert group.status == Status.FAIL
    assert "parameter Retention as passed by parent stack Parent" in group.message
    assert finding(report, "GOV-KMS-001", "Parent/Child", "Key").status == Status.FAIL
    # --parameter applies to top-level templates only: the parent's values win in the child
    given = check([out], rule_patterns=["GOV-KMS-001"], parameters={"Rotate": "true"})
    assert finding(given, "GOV-KMS-001", "Parent/Child", "Key").status == Status.FAIL


def test_nested_parameter_the_parent_cannot_resolve_is_unknown_not_default(tmp_path: Path) -> None:
    out = assembly(tmp_path, {"Retention": {"Ref": "Unset"},
                              "KeyArn": {"Fn::GetAtt": ["ParentKey", "Arn"]}})
    report = check([out], rule_patterns=["GOV-LOGS-00*", "GOV-KMS-001"])
    retention = finding(report, "GOV-LOGS-001", "Parent/Child", "Group")
    assert retention.status == Status.UNKNOWN and "Unset" in retention.message
    key = finding(report, "GOV-LOGS-002", "Parent/Child", "Group")
    assert key.status == Status.PASS and "ParentKey of stack Parent" in key.message
    # not passed: the nested template's Default applies
    assert finding(report, "GOV-KMS-001", "Parent/Child", "Key").status == Status.PASS
    whole = assembly(tmp_path / "b", {"Fn::If": ["IsX", {"Rotate": "false"}, {}]})
    everything = check([whole], rule_patterns=["GOV-KMS-001"])
    assert finding(everything, "GOV-KMS-001", "Parent/Child", "Key").status == Status.UNKNOWN


def test_stack_name_comes_from_the_assembly_not_the_file(tmp_path: Path) -> None:
    conditional = {"Parameters": {}, "Conditions": {
        "IsSandbox": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "sandbox"]}},
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {
            "EnableKeyRotation": {"Fn::If": ["IsSandbox", False, True]}}}}}
    out = tmp_path / "cdk.out"
    write(out / "S.template.json", conditional)

    def manifest(props: dict) -> None:
        write(out / "manifest.json", {"version": "36.0.0", "artifacts": {"sandbox": {
            "type": "aws:cloudformation:stack", "displayName": "App/Sandbox",
            "properties": {"templateFile": "S.template.json", **props}}}})

    manifest({"stackName": "prod"})
    [loaded] = load_targets([out])
    assert (loaded.stack, loaded.stack_name) == ("App/Sandbox", "prod")
    assert statuses(check([out], rule_patterns=["GOV-KMS-001"]), "GOV-KMS-001") == \
        {("App/Sandbox", "Key"): Status.PASS}
    manifest({})                         # the schema's default: the artifact id
    assert load_targets([out])[0].stack_name == "sandbox"
    assert statuses(check([out], rule_patterns=["GOV-KMS-001"]), "GOV-KMS-001") == \
        {("App/Sandbox", "Key"): Status.FAIL}
    plain = write(tmp_path / "sandbox.json", conditional)   # a file's stem is not a stack name
    assert load_targets([plain])[0].stack_name is None
    f = check([plain], rule_patterns=["GOV-KMS-001"]).findings[0]
    assert f.status == Status.FAIL and f.message.startswith("if Condition IsSandbox is true")


def test_assembly_parameters_are_deployed_values(tmp_path: Path) -> None:
    out = tmp_path / "cdk.out"
    write(out / "S.template.json", CHILD)
    write(out / "manifest.json", {"version": "36.0.0", "artifacts": {"S": {
        "type": "aws:cloudformation:stack",
        "properties": {"templateFile": "S.template.json", "parameters": {"Rotate": "false"}}}}})
    assert finding(check([out], rule_patterns=["GOV-KMS-001"]), "GOV-KMS-001", "S",
                   "Key").status == Status.FAIL
    given = check([out], rule_patterns=["GOV-KMS-001"], parameters={"Rotate": "true"})
    assert finding(given, "GOV-KMS-001", "S", "Key").status == Status.PASS


EDGE = """\
Resources:
  Igw:
    Type: AWS::EC2::InternetGateway
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 1}
Outputs:
  IgwId: {Value: !Ref Igw, Export: {Name: edge-igw}}
  GroupArn: {Value: !GetAtt Group.Arn, Export: {Name: edge-group}}
"""
APP = """\
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Rt:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
  Route:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !Ref Rt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !ImportValue edge-igw}
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 3653}
  FlowLog:
    Type: AWS::EC2::FlowLog
    Properties: {ResourceType: VPC, ResourceId: !Ref Vpc, TrafficType: ALL, LogDestinationType: cloud-watch-logs,
                 LogDestination: !ImportValue edge-group, DeliverLogsPermissionArn: x}
"""


def test_imported_gateway_and_log_group_are_followed_to_their_stack(tmp_path: Path) -> None:
    edge, app = write(tmp_path / "a_edge.yaml", EDGE), write(tmp_path / "b_app.yaml", APP)
    report = check([edge, app], rule_patterns=["GOV-EC2-00[12]"])
    isolation = finding(report, "GOV-EC2-002", "b_app", "Vpc")
    assert isolation.status == Status.FAIL and "Igw (stack a_edge)" in isolation.message
    flow = finding(report, "GOV-EC2-001", "b_app", "Vpc")
    assert flow.status == Status.FAIL
    assert "Group (stack a_edge) RetentionInDays 1" in flow.message
    alone = check([app], rule_patterns=["GOV-EC2-00[12]"])   # the exporter is not checked
    assert statuses(alone, "GOV-EC2-002") == {("b_app", "Vpc"): Status.UNKNOWN}
    assert statuses(alone, "GOV-EC2-001") == {("b_app", "Vpc"): Status.UNKNOWN}


NETWORK = """\
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Rt:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref Vpc}
Outputs:
  VpcId: {Value: !Ref Vpc, Export: {Name: net-vpc}}
  RtId: {Value: !Ref Rt, Export: {Name: net-rt}}
"""
CONSUMER = """\
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 731}
  FlowLog:
    Type: AWS::EC2::FlowLog
    Properties: {ResourceType: VPC, ResourceId: !ImportValue net-vpc, TrafficType: ALL,
                 LogGroupName: !Ref Group}
  Igw:
    Type: AWS::EC2::InternetGateway
  Route:
    Type: AWS::EC2::Route
    Properties: {RouteTableId: !ImportValue net-rt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw}
"""


def test_resources_of_other_stacks_that_refer_to_a_vpc_count_for_it(tmp_path: Path) -> None:
    network = write(tmp_path / "network.yaml", NETWORK)
    consumer = write(tmp_path / "consumer.yaml", CONSUMER)
    report = check([network, consumer], rule_patterns=["GOV-EC2-00[12]"])
    flow = finding(report, "GOV-EC2-001", "network", "Vpc")
    assert flow.status == Status.PASS and "FlowLog (stack consumer)" in flow.message
    isolation = finding(report, "GOV-EC2-002", "network", "Vpc")
    assert isolation.status == Status.FAIL
    assert "route Route (stack consumer) sends traffic to internet gateway Igw (stack " \
           "consumer)" in isolation.message
    alone = check([network], rule_patterns=["GOV-EC2-00[12]"])
    assert statuses(alone, "GOV-EC2-001") == {("network", "Vpc"): Status.FAIL}
    assert statuses(alone, "GOV-EC2-002") == {("network", "Vpc"): Status.PASS}


def test_launch_template_imported_from_another_stack(tmp_path: Path) -> None:
    templates = write(tmp_path / "templates.yaml", """\
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties: {EnableKeyRotation: true}
  Lt:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        MetadataOptions: {HttpTokens: optional}
        BlockDeviceMappings:
          - DeviceName: /dev/xvda
            Ebs: {Encrypted: true, KmsKeyId: !GetAtt Key.Arn}
Outputs:
  LtId: {Value: !Ref Lt, Export: {Name: shared-lt}}
""")
    nodes = write(tmp_path / "nodes.yaml", """\
Resources:
  Node:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate: {LaunchTemplateId: !ImportValue shared-lt, Version: "1"}
""")
    report = check([templates, nodes], rule_patterns=["GOV-EC2-00[45]"])
    imds = finding(report, "GOV-EC2-004", "nodes", "Node")
    assert imds.status == Status.FAIL and "launch template Lt (stack templates)" in imds.message
    ebs = finding(report, "GOV-EC2-005", "nodes", "Node")   # the key is the exporter's
    assert ebs.status == Status.PASS
    alone = check([nodes], rule_patterns=["GOV-EC2-00[45]"])
    assert set(statuses(alone, "GOV-EC2-004").values()) == {Status.UNKNOWN}
    assert set(statuses(alone, "GOV-EC2-005").values()) == {Status.UNKNOWN}
