"""Unit tests for :mod:`govcdk.policies.resolver`."""

from __future__ import annotations

import pytest

from govcdk.policies.resolver import (
    NOVALUE, UNKNOWN, AttrRef, Resolver, ResourceRef, Unknown, is_null, is_unknown, tokens_in)

TEMPLATE = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "NoDefault": {"Type": "String"},
        "Count": {"Type": "Number", "Default": "3"},
        "Ratio": {"Type": "Number", "Default": 1.5},
        "Subnets": {"Type": "CommaDelimitedList", "Default": "subnet-a,subnet-b"},
        "Ports": {"Type": "List<Number>", "Default": "22,443"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x/y"},
        "Flag": {"Type": "String", "Default": False},
    },
    "Mappings": {"Region": {"us-gov-west-1": {"Az": "a"}, "us-gov-east-1": {"Az": "b"}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
        "IsGov": {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-us-gov"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsGov"}]},
        "Either": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsGov"}]},
        "Unknowable": {"Fn::Equals": [{"Ref": "NoDefault"}, "x"]},
        "FalseAnd": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "Unknowable"}]},
        "TrueOr": {"Fn::Or": [{"Condition": "IsGov"}, {"Condition": "Unknowable"}]},
        "Loop1": {"Condition": "Loop2"},
        "Loop2": {"Condition": "Loop1"},
    },
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet",
                   "Properties": {"VpcId": {"Ref": "Vpc"},
                                  "CidrBlock": {"Fn::Select": [0, ["10.0.1.0/24"]]}}},
        "ParamVpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Ref": "NoDefault"}}},
        "IpamVpc": {"Type": "AWS::EC2::VPC", "Properties": {"Ipv4IpamPoolId": "ipam-pool-1"}},
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "SecurityGroupIngress": [
                    {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, {"CidrIp": "1.1.1.1/32"}]},
                    {"CidrIp": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
                ],
                "Tags": {"Fn::If": ["IsDev", [{"Key": "a", "Value": "b"}],
                                    {"Ref": "AWS::NoValue"}]},
            },
        },
    },
}


@pytest.fixture()
def r() -> Resolver:
    return Resolver(TEMPLATE)


def test_plain_values_pass_through(r: Resolver) -> None:
    assert r.resolve({"a": [1, "x", True]}) == {"a": [1, "x", True]}
    # null is not "absent": CloudFormation rejects it, so it resolves to an Unknown
    [null] = r.resolve({"a": [None]})["a"]
    assert is_null(null) and is_unknown(null) and "null" in null.reason


def test_parameter_defaults_and_types(r: Resolver) -> None:
    assert r.resolve({"Ref": "Env"}) == "prod"
    assert r.resolve({"Ref": "Count"}) == 3
    assert r.resolve({"Ref": "Ratio"}) == 1.5
    assert r.resolve({"Ref": "Subnets"}) == ["subnet-a", "subnet-b"]
    assert r.resolve({"Ref": "Ports"}) == [22, 443]
    assert r.resolve({"Ref": "Flag"}) == "false"
    missing = r.resolve({"Ref": "NoDefault"})
    assert is_unknown(missing) and "NoDefault" in missing.reason
    ssm = r.resolve({"Ref": "FromSsm"})
    assert is_unknown(ssm) and "SSM" in ssm.reason


def test_parameter_overrides() -> None:
    r = Resolver(TEMPLATE, parameters={"Env": "dev", "NoDefault": "x", "Count": "7",
                                       "FromSsm": "/other"})
    assert r.resolve({"Ref": "Env"}) == "dev"
    assert r.resolve({"Ref": "NoDefault"}) == "x"
    assert r.resolve({"Ref": "Count"}) == 7
    assert is_unknown(r.resolve({"Ref": "FromSsm"}))
    assert r.condition("IsProd") is False and r.condition("IsDev") is True
    assert r.condition("Unknowable") is True


def test_pseudo_parameters() -> None:
    r = Resolver(TEMPLATE)
    assert r.resolve({"Ref": "AWS::Partition"}) == "aws-us-gov"
    assert r.resolve({"Ref": "AWS::Region"}) == "us-gov-west-1"
    assert r.resolve({"Ref": "AWS::URLSuffix"}) == "amazonaws.com"
    assert r.resolve({"Ref": "AWS::AccountId"}) == "${AWS::AccountId}"
    assert r.resolve({"Ref": "AWS::StackName"}) == "${AWS::StackName}"
    assert r.resolve({"Ref": "AWS::NoValue"}) is NOVALUE
    assert is_unknown(r.resolve({"Ref": "AWS::NotificationARNs"}))
    east = Resolver(TEMPLATE, region="us-gov-east-1", account="123456789012", stack_name="S")
    assert east.resolve({"Ref": "AWS::Region"}) == "us-gov-east-1"
    assert east.resolve({"Ref": "AWS::AccountId"}) == "123456789012"
    assert east.resolve({"Ref": "AWS::StackName"}) == "S"
    assert east.resolve({"Fn::FindInMap": ["Region", {"Ref": "AWS::Region"}, "Az"]}) == "b"
    assert Resolver(TEMPLATE, region="us-east-1").resolve({"Ref": "AWS::Partition"}) == "aws"
    assert Resolver(TEMPLATE, region="cn-north-1").resolve({"Ref": "AWS::URLSuffix"}) == \
        "amazonaws.com.cn"


def test_refs_and_getatt(r: Resolver) -> None:
    assert r.resolve({"Ref": "Bucket"}) == ResourceRef("Bucket")
    assert r.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == AttrRef("Bucket", "Arn")
    assert r.resolve({"Fn::GetAtt": "Bucket.Arn"}) == AttrRef("Bucket", "Arn")
    assert r.resolve({"Fn::GetAtt": ["Bucket", {"Ref": "Env"}]}) == AttrRef("Bucket", "prod")
    assert is_unknown(r.resolve({"Ref": "Nope"}))
    assert is_unknown(r.resolve({"Fn::GetAtt": ["Nope", "Arn"]}))
    assert is_unknown(r.resolve({"Fn::GetAtt": "NoDot"}))


def test_getatt_mirrors_input_properties(r: Resolver) -> None:
    assert r.resolve({"Fn::GetAtt": ["Vpc", "CidrBlock"]}) == "10.0.0.0/16"
    assert r.resolve({"Fn::GetAtt": "Subnet.CidrBlock"}) == "10.0.1.0/24"
    assert is_unknown(r.resolve({"Fn::GetAtt": ["ParamVpc", "CidrBlock"]}))
    assert r.resolve({"Fn::GetAtt": ["IpamVpc", "CidrBlock"]}) == AttrRef("IpamVpc", "CidrBlock")
    assert r.resolve({"Fn::GetAtt": ["Vpc", "VpcId"]}) == AttrRef("Vpc", "VpcId")


def test_join(r: Resolver) -> None:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}]]}
    assert r.resolve(arn) == "arn:aws-us-gov:s3:::${Ref:Bucket}"
    assert r.resolve({"Fn::Join": [",", {"Ref": "Subnets"}]}) == "subnet-a,subnet-b"
    assert r.resolve({"Fn::Join": ["-", [1, True]]}) == "1-true"
    assert r.resolve({"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}) == \
        "${GetAtt:Bucket.Arn}/*"
    assert is_unknown(r.resolve({"Fn::Join": ["", ["a", {"Ref": "NoDefault"}]]}))
    assert r.resolve({"Fn::Join": ["", ["a", {"Ref": "AWS::NoValue"}, "b"]]}) == "ab"
    assert is_unknown(r.resolve({"Fn::Join": "oops"}))
    assert is_unknown(r.resolve({"Fn::Join": ["", [{"a": 1}]]}))


def test_sub(r: Resolver) -> None:
    assert r.resolve({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/${Env}"}) == \
        "arn:aws-us-gov:s3:::${Ref:Bucket}/prod"
    assert r.resolve({"Fn::Sub": "${Bucket.Arn}/*"}) == "${GetAtt:Bucket.Arn}/*"
    assert r.resolve({"Fn::Sub": "${Vpc.CidrBlock}"}) == "10.0.0.0/16"
    assert r.resolve({"Fn::Sub": "${!Literal}-${AWS::Region}"}) == "${Literal}-us-gov-west-1"
    assert r.resolve({"Fn::Sub": ["${A}-${B}", {"A": "x", "B": {"Ref": "Count"}}]}) == "x-3"
    unknown = r.resolve({"Fn::Sub": "${NoDefault}"})
    assert is_unknown(unknown) and "NoDefault" in unknown.reason
    assert is_unknown(r.resolve({"Fn::Sub": ["${A}", "not-a-map"]}))
    assert is_unknown(r.resolve({"Fn::Sub": 42}))


def test_select_split_findinmap(r: Resolver) -> None:
    assert r.resolve({"Fn::Select": ["1", {"Ref": "Subnets"}]}) == "subnet-b"
    assert r.resolve({"Fn::Split": ["-", "a-b-c"]}) == ["a", "b", "c"]
    assert r.resolve({"Fn::Select": [2, {"Fn::Split": ["-", {"Ref": "AWS::Region"}]}]}) == "west"
    assert is_unknown(r.resolve({"Fn::Select": [5, ["a"]]}))
    assert is_unknown(r.resolve({"Fn::Select": ["x", ["a"]]}))
    assert r.resolve({"Fn::FindInMap": ["Region", {"Ref": "AWS::Region"}, "Az"]}) == "a"
    assert is_unknown(r.resolve({"Fn::FindInMap": ["Region", "eu-west-1", "Az"]}))
    assert r.resolve({"Fn::FindInMap": ["Region", "eu-west-1", "Az", {"DefaultValue": "z"}]}) == "z"


def test_conditions(r: Resolver) -> None:
    assert r.condition("IsProd") is True
    assert r.condition("IsDev") is False
    assert r.condition("IsGov") is True
    assert r.condition("Both") is True
    assert r.condition("Either") is True
    assert r.condition("Unknowable") is None
    assert r.condition("FalseAnd") is False       # False and unknown -> False
    assert r.condition("TrueOr") is True          # True or unknown -> True
    assert r.condition("Loop1") is None           # cycles do not recurse forever
    assert r.condition("Missing") is None


def test_if(r: Resolver) -> None:
    assert r.resolve({"Fn::If": ["IsProd", "a", "b"]}) == "a"
    assert r.resolve({"Fn::If": ["IsDev", "a", "b"]}) == "b"
    assert is_unknown(r.resolve({"Fn::If": ["Unknowable", "a", "b"]}))
    assert r.resolve({"Fn::If": ["Unknowable", "same", "same"]}) == "same"
    assert r.resolve({"k": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 1]}}) == {}


def test_novalue_removes_keys_and_items_and_raw_path_maps_back(r: Resolver) -> None:
    props = r.resolve_resource("Sg")
    assert props == {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/16"}]}
    assert r.raw_path("Sg", ("Properties", "SecurityGroupIngress", 0, "CidrIp")) == \
        ("Properties", "SecurityGroupIngress", 1, "CidrIp")
    assert r.resolve_resource("Sg") is props  # memoized
    assert r.resolve_resource("Bucket") == {}
    assert r.resolve_resource("Missing") == {}


def test_unresolvable_functions_are_unknown(r: Resolver) -> None:
    for value in ({"Fn::ImportValue": "x"}, {"Fn::GetAZs": ""}, {"Fn::Cidr": ["10.0.0.0/16", 2, 8]},
                  {"Fn::Transform": {"Name": "x"}}, {"Fn::Whatever": 1},
                  "{{resolve:ssm:/a/b}}"):
        assert is_unknown(r.resolve(value)), value
    assert r.resolve({"Fn::Base64": {"Fn::Sub": "${Env}"}}) == "prod"
    assert r.resolve({"Fn::Length": [1, 2]}) == 2


def test_never_raises_on_odd_input(r: Resolver) -> None:
    odd = [None, 1, 1.5, [], {}, {"Ref": None}, {"Ref": ["a"]}, {"Fn::GetAtt": None},
           {"Fn::GetAtt": [1, 2]}, {"Fn::Join": [None, None]}, {"Fn::Select": None},
           {"Fn::Split": [1, 2]}, {"Fn::FindInMap": [None]}, {"Fn::If": "x"},
           {"Fn::Sub": [None]}, {"Fn::Equals": "x"}, {"Fn::And": []}, {"Fn::Not": [1, 2]},
           {"Fn::Base64": {"Ref": "Bucket"}}, {"Fn::Length": "x"}]
    for value in odd:
        r.resolve(value)  # must not raise
    deep: object = "x"
    for _ in range(500):
        deep = {"Fn::Base64": deep}
    assert is_unknown(r.resolve(deep))
    assert Resolver(None).resolve({"Ref": "X"}).reason  # type: ignore[arg-type]
    assert Resolver({"Resources": []}).resolve_resource("X") == {}


def test_unknown_cannot_be_truth_tested() -> None:
    assert is_unknown(UNKNOWN) and isinstance(UNKNOWN, Unknown)
    with pytest.raises(TypeError):
        bool(Unknown("because"))


def test_tokens_round_trip() -> None:
    text = "arn:x:${Ref:Bucket}/${GetAtt:Key.Arn}"
    assert tokens_in(text) == [ResourceRef("Bucket"), AttrRef("Key", "Arn")]
    assert ResourceRef("A").token == "${Ref:A}" and AttrRef("A", "B.C").token == "${GetAtt:A.B.C}"


def test_export_registry_resolves_imports_across_templates() -> None:
    from govcdk.policies.resolver import ExportRegistry

    registry = ExportRegistry()
    exporter = Resolver({
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Key": {"Type": "AWS::KMS::Key"},
                      "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}}},
        "Outputs": {
            "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}, "Export": {"Name": "key-arn"}},
            "Cidr": {"Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}, "Export": {"Name": "cidr"}},
            "Path": {"Value": {"Fn::Sub": "arn:${AWS::Partition}:kms:::key/${Key}"},
                     "Export": {"Name": "key-path"}},
            "Hidden": {"Condition": "Never", "Value": "x", "Export": {"Name": "hidden"}},
            "Loop": {"Value": {"Fn::ImportValue": "loop"}, "Export": {"Name": "loop"}},
            "NoExport": {"Value": "y"},
        }}, exports=registry, stack_name="Net")
    registry.add(exporter, "Net")
    twin = Resolver({"Outputs": {"Dup": {"Value": "z", "Export": {"Name": "cidr"}}}},
                    exports=registry)
    importer = Resolver({"Resources": {}}, exports=registry)
    assert importer.resolve({"Fn::ImportValue": "key-arn"}) == AttrRef("Key", "Arn", "Net")
    assert importer.resolve({"Fn::ImportValue": "cidr"}) == "10.9.0.0/16"
    path = importer.resolve({"Fn::ImportValue": "key-path"})
    assert path == "arn:aws-us-gov:kms:::key/${Ref:Net::Key}"
    assert tokens_in(path) == [ResourceRef("Key", "Net")]
    for name in ("hidden", "missing", "loop"):
        assert is_unknown(importer.resolve({"Fn::ImportValue": name})), name
    assert is_unknown(Resolver({}, region="us-gov-east-1", exports=registry).resolve(
        {"Fn::ImportValue": "key-arn"}))                      # exports are per region
    assert is_unknown(Resolver({}).resolve({"Fn::ImportValue": "key-arn"}))  # no registry
    registry.add(twin, "Twin")
    assert is_unknown(importer.resolve({"Fn::ImportValue": "cidr"}))          # ambiguous


def test_unknown_cannot_be_compared_but_stays_hashable() -> None:
    u = Unknown("because")
    for compare in (lambda: u == "x", lambda: "x" == u, lambda: u != "x", lambda: u < 1,
                    lambda: u >= 1, lambda: u in ["x"]):
        with pytest.raises(TypeError, match="because"):
            compare()
    assert u in {u} and hash(u) == hash(u)
    assert u is not UNKNOWN


OPAQUE = {
    "Parameters": {"Unset": {"Type": "String"}},
    "Mappings": {"Accounts": {"111111111111": {"Env": "dev"}}},
    "Conditions": {
        "IsDevAccount": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "111111111111"]},
        "IsSandbox": {"Fn::Equals": [{"Ref": "AWS::StackName"}, "sandbox"]},
        "SameAccount": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, {"Ref": "AWS::AccountId"}]},
        "BucketIsX": {"Fn::Equals": [{"Fn::Sub": "${Bucket}-logs"}, "x-logs"]},
        "ListWithAccount": {"Fn::Equals": [[{"Ref": "AWS::AccountId"}], ["1"]]},
        "NotDev": {"Fn::Not": [{"Condition": "IsDevAccount"}]},
        "Unknowable": {"Fn::Equals": [{"Ref": "Unset"}, "x"]},
    },
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket"},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Condition": "IsSandbox", "Properties": {
            "A": {"Fn::If": ["IsDevAccount", 1, 2]},
            "B": [{"Fn::If": ["Unknowable", {"Fn::If": ["IsDevAccount", 3, 4]}, 5]}]}},
    },
}


def test_placeholders_and_tokens_are_opaque_to_conditions() -> None:
    """Reviewer reproducers acct.yaml/stackname.yaml: an unknown account or stack name is not
    the text of its placeholder, and a reference token is not its own text."""
    from govcdk.policies.resolver import is_opaque

    r = Resolver(OPAQUE)
    assert is_opaque(r.resolve({"Ref": "AWS::AccountId"}))
    assert is_opaque("arn:x:${Ref:Bucket}") and not is_opaque("${Literal}") \
        and not is_opaque("plain")
    for name in ("IsDevAccount", "IsSandbox", "BucketIsX", "ListWithAccount", "NotDev"):
        assert r.condition(name) is None, name
    assert r.condition("SameAccount") is True       # a placeholder equals itself
    assert is_unknown(r.resolve({"Fn::Equals": [{"Ref": "AWS::AccountId"}, "1"]}))
    known = Resolver(OPAQUE, account="111111111111", stack_name="sandbox")
    assert known.condition("IsDevAccount") is True and known.condition("IsSandbox") is True
    assert known.condition("NotDev") is False
    assert Resolver(OPAQUE, account="222222222222").condition("IsDevAccount") is False


def test_split_select_and_findinmap_over_placeholders_are_unknown() -> None:
    r = Resolver(OPAQUE)
    split = {"Fn::Split": ["-", {"Ref": "AWS::StackName"}]}
    assert is_unknown(r.resolve(split))
    assert is_unknown(r.resolve({"Fn::Select": [0, split]}))
    assert is_unknown(r.resolve({"Fn::Split": [":", {"Fn::Sub": "a:${Bucket.Arn}"}]}))
    by_account = ["Accounts", {"Ref": "AWS::AccountId"}, "Env", {"DefaultValue": "prod"}]
    assert is_unknown(r.resolve({"Fn::FindInMap": by_account}))   # not the default
    assert Resolver(OPAQUE, account="111111111111").resolve({"Fn::FindInMap": by_account}) == \
        "dev"
    assert Resolver(OPAQUE, stack_name="a-b").resolve({"Fn::Select": [1, split]}) == "b"
    assert r.resolve({"Fn::Split": ["-", "a-b"]}) == ["a", "b"]


def test_assumed_conditions_and_contradictions() -> None:
    r = Resolver(OPAQUE)
    assert r.unknown_conditions(OPAQUE["Resources"]["Sg"]) == ["IsSandbox", "IsDevAccount",
                                                                 "Unknowable"]
    assert r.unknown_conditions(OPAQUE["Resources"]["Bucket"]) == []
    dev = r.assuming({"IsDevAccount": True, "Unknowable": True})
    assert dev.resolve_resource("Sg") == {"A": 1, "B": [3]}
    assert dev.condition("NotDev") is False and dev.resource_condition("Sg") is None
    assert not dev.contradicts()
    assert r.assuming({"IsDevAccount": True, "NotDev": True}).contradicts()
    assert not r.assuming({"IsDevAccount": True, "NotDev": False}).contradicts()
    assert r.resolve({"Fn::If": ["IsDevAccount", 1, 2]}).reason   # unchanged: Unknown


def test_overrides_may_be_unknown_references_or_lazy() -> None:
    from govcdk.policies.resolver import UnknownParameters

    template = {"Parameters": {"P": {"Type": "String", "Default": "d"},
                               "Q": {"Type": "Number", "Default": 3}}}
    passed = Resolver(template, parameters={"P": Unknown("the parent cannot resolve it")})
    value = passed.resolve({"Ref": "P"})
    assert is_unknown(value) and "parent" in value.reason
    assert passed.resolve({"Ref": "Q"}) == 3                   # not passed: its Default
    ref = Resolver(template, parameters={"P": AttrRef("Key", "Arn", "Parent")})
    assert tokens_in(ref.resolve({"Ref": "P"})) == [AttrRef("Key", "Arn", "Parent")]
    everything = Resolver(template, parameters=UnknownParameters("no mapping"))
    assert is_unknown(everything.resolve({"Ref": "Q"}))
    calls = []
    lazy = Resolver(template, parameters=lambda: calls.append(1) or {"P": "late"})
    assert calls == []
    assert lazy.resolve({"Ref": "P"}) == "late" and lazy.resolve({"Ref": "P"}) == "late"
    assert calls == [1]
    circular: Resolver

    def provider():
        return {"P": circular.resolve({"Ref": "Q"})}
    circular = Resolver(template, parameters=provider)
    assert is_unknown(circular.resolve({"Ref": "P"}))
