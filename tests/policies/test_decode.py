"""Tests for :mod:`govcdk.policies.decode`: a well-formed template decodes exactly as cfn-lint's
decoder decodes it (values, node kinds, line and column marks); anything else is left to
cfn-lint's decoder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode as cfnlint_decode

from govcdk.policies.decode import DictNode, ListNode, StrNode, decode_file

SHORT_FORMS = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
Resources:
  Key:
    Type: AWS::KMS::Key
    Condition: IsProd
    Properties:
      EnableKeyRotation: true
      PendingWindowInDays: 7
      Description: !Sub "key for ${AWS::StackName}"
      KeyPolicy: !If
        - IsProd
        - {Statement: []}
        - !Ref AWS::NoValue
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [!Ref Env, !Select [0, !Split [",", "a,b"]]]]
      Tags:
        - Key: arn
          Value: !GetAtt Key.Arn
        - Key: list
          Value: !GetAtt [Key, KeyId]
        - Key: sub
          Value: !Sub
            - "${X}-y"
            - X: !FindInMap [M, !Ref "AWS::Region", k]
        - Key: multi
          Value: |
            line one
            line two
        - Key: number
          Value: !Ref 5
        - Key: float
          Value: 1.5
        - Key: empty
          Value: ~
Outputs:
  Arn: {Value: !GetAtt Bucket.Arn, Export: {Name: !Sub "${AWS::StackName}-arn"}}
"""

ANCHORS = """\
Resources:
  A:
    Type: AWS::SNS::Topic
    Properties: &props
      TopicName: one
  B:
    Type: AWS::SNS::Topic
    Properties: *props
"""


def _kind(node: Any) -> str:
    name = type(node).__name__
    return {"dict_node": "dict", "DictNode": "dict", "list_node": "list", "ListNode": "list",
            "str_node": "str", "StrNode": "str"}.get(name, name)


def _marks(node: Any) -> tuple[int, int, int, int] | None:
    start, end = getattr(node, "start_mark", None), getattr(node, "end_mark", None)
    if start is None or type(start).__module__.startswith("cfnlint"):   # cfn-lint placeholder
        return None
    return (start.line, start.column, end.line, end.column)


def _same(mine: Any, theirs: Any, path: tuple = ()) -> None:
    assert _kind(mine) == _kind(theirs), path
    assert _marks(mine) == _marks(theirs), path
    if isinstance(mine, dict):
        assert list(mine) == list(theirs), path
        for a, b in zip(mine, theirs):
            assert _kind(a) == _kind(b) and _marks(a) == _marks(b), path + (a,)
            _same(mine[a], theirs[b], path + (a,))
    elif isinstance(mine, list):
        assert len(mine) == len(theirs), path
        for i, (a, b) in enumerate(zip(mine, theirs)):
            _same(a, b, path + (i,))
    else:
        assert mine == theirs and (type(mine) is type(theirs) or _kind(mine) == "str"), path


@pytest.mark.parametrize("text", [SHORT_FORMS, ANCHORS,
                                  '{\n  "Resources": {"B": {"Type": "AWS::S3::Bucket"}}\n}\n',
                                  "Resources:\r\n  B:\r\n    Type: AWS::S3::Bucket\r\n",
                                  '{\n\t"Resources": {"A": {"Type": "X", "P": "a\\/b"}}\n}\n'],
                         ids=["short-forms", "anchors", "json", "crlf", "json-tab-escape"])
def test_decodes_as_cfn_lint_does(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(text.encode("utf-8"))
    mine = decode_file(path)
    theirs, matches = cfnlint_decode(str(path))
    assert matches == [] and mine is not None
    _same(mine, theirs)


def test_short_forms_expand_to_long_form_with_marks(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(SHORT_FORMS, encoding="utf-8")
    t = decode_file(path)
    tags = t["Resources"]["Bucket"]["Properties"]["Tags"]
    assert tags[0]["Value"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert tags[1]["Value"] == {"Fn::GetAtt": ["Key", "KeyId"]}
    assert tags[4]["Value"] == {"Ref": "5"}     # a tagged scalar stays a string
    assert t["Conditions"]["NotProd"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert isinstance(t, DictNode) and isinstance(tags, ListNode)
    assert isinstance(tags[2]["Key"], StrNode) and tags[2]["Key"].start_mark.line == 27


@pytest.mark.parametrize("text", [
    "Resources:\n  A: {Type: X}\n  A: {Type: Y}\n",          # duplicate key: cfn-lint's error
    "Resources:\n  ~: {Type: X}\n",                           # null key
    "Resources:\n  A: &a {Type: X}\n  B:\n    <<: *a\n",      # merge key
    "Resources:\n\tA: {Type: X}\n",                         # a tab YAML rejects
    "Resources: [unclosed\n",                                 # not YAML
    "- a\n- list\n",                                          # not a mapping
    "",                                                       # empty
    "Resources:\n  A: !GetAtt {x: y}\n",                      # !GetAtt of a mapping
], ids=["duplicate", "null-key", "merge", "tab", "broken", "list", "empty", "getatt-mapping"])
def test_everything_else_is_left_to_cfn_lint(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    assert decode_file(path) is None


def test_not_utf8_is_left_to_cfn_lint(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"Resources: \xff\xfe\n")
    assert decode_file(path) is None


def test_alias_amplification_is_left_to_cfn_lint(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 7):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    lines.append("Resources: {B: {Type: AWS::S3::Bucket, Properties: {Tags: *a6}}}")
    path = tmp_path / "t.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert decode_file(path) is None
    _, matches = cfnlint_decode(str(path))
    assert matches and "YAML aliases" in matches[0].message
