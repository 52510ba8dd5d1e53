"""govcdk.policies.validate: what CloudFormation would refuse, found before any rule runs.

The CLI tests (tests/test_check_input_errors.py) check the messages end to end; these check the
dependency graph (which references make an edge, which do not) and the cycle finder against a
brute-force reachability check on generated graphs.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from govcdk.policies.loader import load_targets
from govcdk.policies.validate import _cycles, problems


def kinds(template: dict) -> list[tuple[str, str]]:
    return [(p.kind, p.logical_id) for p in problems(template, "t.json")]


def topic(**extra) -> dict:
    return {"Type": "AWS::SNS::Topic", **extra}


def test_references_that_are_not_dependencies() -> None:
    """Fn::Sub variables of its own map, escaped ${!Literal}, pseudo parameters, parameters and
    names that are no resource make no edge; a reference in an Outputs value makes none
    either."""
    template = {
        "Parameters": {"B": {"Type": "String"}},
        "Resources": {
            "A": topic(Properties={"TopicName": {"Fn::Sub": ["${B}-${X}", {"X": "lit"}]},
                                   "DisplayName": {"Fn::Sub": "${!A}-${AWS::Region}-${Nope}"}}),
            "C": topic(Properties={"TopicName": {"Ref": "A"}})},
        "Outputs": {"O": {"Value": {"Fn::GetAtt": ["C", "TopicName"]}}},
    }
    assert kinds(template) == [("reference", "A")]     # ${Nope}: declared nowhere, no edge
    template["Resources"]["A"]["Properties"]["DisplayName"] = {"Fn::Sub": "${!A}-${AWS::Region}"}
    assert kinds(template) == []
    # ${X} shadowed by the variable map even when X is a resource name
    template["Resources"]["A"]["Properties"]["TopicName"] = {"Fn::Sub": ["${C}", {"C": "lit"}]}
    assert kinds(template) == []
    template["Resources"]["A"]["Properties"]["TopicName"] = {"Fn::Sub": "${C.TopicName}"}
    assert kinds(template) == [("circular", "A")]


def test_references_cloudformation_refuses_leave_the_template_checkable() -> None:
    """Each reference to nothing, with its logical ID and location (cfn-lint's E1012, E1010,
    E1019, E1028, E8002, E3005, E1017 find the same; the corpus test compares them)."""
    template = {
        "Parameters": {"P": {"Type": "String"}},
        "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]},
                       "R": {"Fn::Equals": [{"Ref": "A"}, "x"]},
                       "N": {"Condition": "Nowhere"}},
        "Resources": {
            "A": topic(DependsOn=["Ghost"], Condition="Missing", Metadata={"M": {"Ref": "Gone"}},
                       Properties={"TopicName": {"Fn::If": ["C", "a"]},
                                   "DisplayName": {"Fn::If": ["Undeclared", "a", "b"]},
                                   "KmsMasterKeyId": {"Fn::GetAtt": ["Phantom", "Arn"]},
                                   "Tags": [{"Key": {"Ref": ["P"]}, "Value": {"Ref": "AWS::Bogus"}},
                                            {"Key": "k", "Value": {"Fn::Select": [2, ["a", "b"]]}},
                                            {"Key": "j", "Value": {"Fn::Select": ["1", ["a", "b"]]}}]}),
            "B": topic(Properties={"TopicName": {"Fn::Sub": "${P}-${A.TopicName}-${AWS::StackName}"}})},
        "Outputs": {"O": {"Value": {"Ref": "A"}, "Condition": "AlsoMissing"}},
    }
    found = problems(template, "t.json")
    assert all(p.kind == "reference" and p.checked for p in found)
    assert [(p.logical_id, p.location) for p in found] == [
        ("A", "Resources.A.DependsOn"), ("A", "Resources.A.Condition"),
        ("A", "Resources.A.Metadata.M"), ("A", "Resources.A.Properties.TopicName"),
        ("A", "Resources.A.Properties.DisplayName"), ("A", "Resources.A.Properties.KmsMasterKeyId"),
        ("A", "Resources.A.Properties.Tags[0].Key"), ("A", "Resources.A.Properties.Tags[0].Value"),
        ("A", "Resources.A.Properties.Tags[1].Value"), ("O", "Outputs.O.Condition"),
        ("R", "Conditions.R.Fn::Equals[0]"), ("N", "Conditions.N")]
    assert "Fn::If takes [condition name, value if true, value if false], not a list of 2" in found[3].message
    assert "Fn::Select index 2 is outside the list of 2 item(s)" in found[8].message
    assert found[0].message.endswith("CloudFormation refuses the template (the rest of it was checked)")
    # a template with a Transform may gain names (SAM) or forms (language extensions): not judged
    assert all(p.kind != "reference"
               for p in problems({**template, "Transform": "AWS::LanguageExtensions"}, "t.json"))


def test_find_in_map_of_what_the_template_does_not_declare() -> None:
    """Retest R7 (cfn-lint E1011): a mapping or a literal key that does not exist; keys from
    intrinsic functions are left to the resolver."""
    def finding(args: list) -> list[str]:
        template = {"Mappings": {"M": {"a": {"x": "1"}}}, "Parameters": {"P": {"Type": "String"}},
                    "Resources": {"T": topic(Properties={"TopicName": {"Fn::FindInMap": args}})}}
        return [p.message.split("; CloudFormation")[0] for p in problems(template, "t.json")]

    assert finding(["M", "a", "x"]) == []
    assert finding(["M", {"Ref": "P"}, "x"]) == []
    assert finding(["M", "a", {"Ref": "AWS::Region"}]) == []
    assert finding(["N", "a", "x"]) == [
        "resource T: Properties.TopicName: Fn::FindInMap names mapping 'N', which is not "
        "declared in Mappings (declared: M)"]
    assert finding(["M", "b", "x"]) == [
        "resource T: Properties.TopicName: Fn::FindInMap: mapping 'M' has no key 'b'"]
    assert finding(["M", "a", "y"]) == [
        "resource T: Properties.TopicName: Fn::FindInMap: mapping 'M' key 'a' has no key 'y'"]
    # CloudFormation reads mapping keys as strings: 456 and "456" are one key (final break test)
    numeric = {"Mappings": {"N": {456: {8: "a"}, True: {"v": "t"}}},
               "Resources": {"T": topic(Properties={"TopicName": {"Fn::FindInMap": ["N", "456", 8]},
                                                    "DisplayName": {"Fn::FindInMap": ["N", "true", "v"]}})}}
    assert problems(numeric, "t.json") == []
    assert finding(["M", "a"]) == [
        "resource T: Properties.TopicName: Fn::FindInMap takes [mapping name, top-level key, "
        "second-level key], not a list of 2"]


def test_every_branch_of_fn_if_and_metadata_count() -> None:
    template = {"Conditions": {"X": {"Fn::Equals": ["a", "b"]}}, "Resources": {
        "A": topic(Properties={"TopicName": {"Fn::If": ["X", "a", {"Ref": "B"}]}}),
        "B": topic(Metadata={"Note": {"Ref": "A"}})}}
    assert kinds(template) == [("circular", "A")]


def test_sam_resources_foreach_and_includes_are_left_out() -> None:
    """The SAM transform splits AWS::Serverless::* resources (cfn-lint skips them too);
    Fn::ForEach names exist only once expanded; an AWS::Include entry has no Type."""
    sam = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"Role": {"Ref": "Role"}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": {"Ref": "Fn"}}}}}
    assert kinds(sam) == []
    loop = {"Transform": "AWS::LanguageExtensions", "Resources": {
        "Fn::ForEach::T": ["N", ["a"], {"${N}": topic(Properties={"TopicName": {"Ref": "A"}})}],
        "A": topic(DependsOn="Fn::ForEach::T"),
        "Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}}
    assert kinds(loop) == []


def test_macro_templates_get_only_the_quotas() -> None:
    macro = {"Transform": [{"Name": "MyMacro"}], "Resources": {
        "A": {"Custom": 1}, "B": topic(Properties={"X": {"Fn::Mine": 1}}, DependsOn="B")}}
    assert kinds(macro) == []
    macro["Resources"].update({f"T{i}": topic() for i in range(500)})
    assert kinds(macro) == [("too-many-resources", "")]


def test_lines_come_from_the_decoded_file(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("Resources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: A\n"
                 "  B:\n    Type: AWS::SNS::Topic\n    Properties:\n"
                 "      TopicName: {Fn::Nope: x}\n")
    found: list = []
    assert load_targets([p], problems=found) == []
    assert [(x.kind, x.logical_id, x.line, x.location) for x in found] == [
        ("intrinsic", "B", 8, "Resources.B.Properties.TopicName"),
        ("circular", "A", 2, "Resources.A")]


NODES = ["a", "b", "c", "d", "e", "f"]
graphs = st.dictionaries(st.sampled_from(NODES),
                         st.lists(st.sampled_from(NODES), max_size=3, unique=True), max_size=6)


def _reach(graph: dict[str, list[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(start, []))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(graph.get(n, []))
    return seen


@settings(derandomize=True, max_examples=300, deadline=None)
@given(graphs)
def test_one_cycle_per_cyclic_component(edges: dict[str, list[str]]) -> None:
    """Against brute force: a node lies on a cycle iff it reaches itself; two such nodes share a
    component iff each reaches the other. _cycles gives one cycle per such component, starting
    at its least node, along edges of the graph."""
    graph = {n: [(t, f"{n}->{t}") for t in ts] for n, ts in edges.items()}
    plain = {n: [t for t, _ in es] for n, es in graph.items()}
    reach = {n: _reach(plain, n) for n in NODES}
    cyclic = {n for n in NODES if n in reach[n]}
    components = {frozenset(m for m in cyclic if m in reach[n] and n in reach[m]) | {n}
                  for n in cyclic}
    found = _cycles(graph)
    assert len(found) == len(components)
    for cycle in found:
        nodes = [n for n, _ in cycle]
        (component,) = [c for c in components if nodes[0] in c]
        assert nodes[0] == min(component) and set(nodes) <= component
        assert len(set(nodes)) == len(nodes)            # a simple cycle
        for (node, how), (nxt, _) in zip(cycle, cycle[1:] + cycle[:1]):
            assert how == f"{node}->{nxt}" and nxt in plain[node]
