"""Decode a CloudFormation template file (YAML or JSON) into mappings that keep line marks.

A well-formed template is decoded here, with PyYAML's C parser (``yaml.CSafeLoader``, libyaml)
and constructors that build what cfn-lint's decoder (:func:`cfnlint.decode.decode`) builds:
short-form tags expanded to their long form (``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B``
-> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``/``!If``/... -> ``{"Fn::Sub": ...}``,
``!Condition X`` -> ``{"Condition": "X"}``), every mapping, list and string a
:class:`DictNode`/:class:`ListNode`/:class:`StrNode` whose ``start_mark``/``end_mark`` (0-based
``line`` and ``column``) say where it was written. Importing cfn-lint costs about half a second
(it loads its whole rule engine), which a check of well-formed templates does not need.

Anything else goes to cfn-lint's decoder, so its errors are the ones reported: a file that is
not UTF-8, not valid YAML (JSON with tabs or ``\\/`` escapes, which YAML rejects and cfn-lint
then reads as JSON), a duplicate or null key, a merge key (``<<``), an unknown tag, YAML
aliases that expand past cfn-lint's limit, an empty document. :func:`decode` returns
``(template, None)`` or ``(None, reason)`` in cfn-lint's shape (see
:func:`govcdk.policies.loader.load_template`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_MAX_EXPANDED_NODES = 250_000
"""cfn-lint's limit on the alias-expanded size of a template (YAML alias amplification)."""
_UNCONVERTED = ("Ref", "Condition")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class StrNode(str):
    """A decoded string with the marks of where it was written."""

    def __new__(cls, value: Any = "", start_mark: Any = None, end_mark: Any = None) -> "StrNode":
        node = super().__new__(cls, value)
        node.start_mark = start_mark
        node.end_mark = end_mark
        return node


class DictNode(dict):
    """A decoded mapping with the marks of where it was written."""

    def __init__(self, value: Any = (), start_mark: Any = None, end_mark: Any = None) -> None:
        super().__init__(value)
        self.start_mark = start_mark
        self.end_mark = end_mark


class ListNode(list):
    """A decoded list with the marks of where it was written."""

    def __init__(self, value: Any = (), start_mark: Any = None, end_mark: Any = None) -> None:
        super().__init__(value)
        self.start_mark = start_mark
        self.end_mark = end_mark


class _NotPlain(Exception):
    """The template needs cfn-lint's decoder (for its error, or a YAML feature)."""


class BadScalar(ValueError):
    """A scalar YAML reads as a value that does not exist, such as the unquoted date
    ``2026-02-30``; ``line`` is 1-based. cfn-lint's decoder stops with a parsing error (E0000)
    on it, without a line; this says where."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


CONSTRUCT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError)
"""What PyYAML's constructors raise, unwrapped, for a value their tag cannot hold (``!!int
foo``, ``!!bool maybe``, ``!!map [1]``, ``!!timestamp foo``)."""


def node_problem(node: Any, exc: BaseException) -> str:
    """``'foo' is not a valid !!int value; quote it if it is text``, for a node PyYAML could
    not construct (``exc``, PyYAML's own error, says nothing a template author can use)."""
    tag = str(getattr(node, "tag", "") or "")
    short = "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag
    if isinstance(node, ScalarNode):
        return f"{node.value!r} is not a valid {short} value; quote it if it is text"
    what = "a list" if isinstance(node, SequenceNode) else "a mapping"
    return f"{what} cannot be tagged {short}"


class _Loader(yaml.CSafeLoader):  # type: ignore[misc]
    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """PyYAML's, with a value its tag cannot hold as a :class:`BadScalar` naming the line
        (PyYAML raises a bare ValueError, KeyError...: a traceback)."""
        try:
            return super().construct_object(node, deep=deep)
        except (BadScalar, _NotPlain):
            raise
        except CONSTRUCT_ERRORS as exc:
            raise BadScalar(node_problem(node, exc), node.start_mark.line + 1) from None


def _timestamp(loader: _Loader, node: ScalarNode) -> Any:
    """An unquoted ``yyyy-mm-dd[ hh:mm:ss]`` is a YAML 1.1 timestamp, as cfn-lint reads it;
    one that names no real date or time (``2026-02-30``) is a :class:`BadScalar`."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        raise BadScalar(f"{node.value!r} is not a valid date or time ({exc}); YAML reads an "
                        f"unquoted yyyy-mm-dd as a date: quote it if it is text",
                        node.start_mark.line + 1) from None


def _map(loader: _Loader, node: MappingNode) -> DictNode:
    out = DictNode({}, node.start_mark, node.end_mark)
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            raise _NotPlain("merge key")
        key = loader.construct_object(key_node, deep=True)
        try:
            if key is None or key in out:
                raise _NotPlain("null or duplicate key")
        except TypeError:
            raise _NotPlain("unhashable key") from None
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _str(loader: _Loader, node: ScalarNode) -> StrNode:
    return StrNode(loader.construct_scalar(node), node.start_mark, node.end_mark)


def _seq(loader: _Loader, node: SequenceNode) -> ListNode:
    return ListNode([loader.construct_object(child, deep=True) for child in node.value],
                    node.start_mark, node.end_mark)


def _getatt(loader: _Loader, node: Any) -> Any:
    if isinstance(node, ScalarNode):
        return ListNode(node.value.split(".", 1), node.start_mark, node.end_mark)
    if isinstance(node, SequenceNode):
        return ListNode([loader.construct_object(child, deep=True) for child in node.value],
                        node.start_mark, node.end_mark)
    raise _NotPlain("!GetAtt of a mapping")


def _tag(loader: _Loader, suffix: str, node: Any) -> DictNode:
    """``!Name value`` -> ``{"Fn::Name": value}`` (``!Ref``/``!Condition`` keep their name),
    as cfn-lint's ``multi_constructor``."""
    name = suffix if suffix in _UNCONVERTED else f"Fn::{suffix}"
    if name == "Fn::GetAtt":
        value = _getatt(loader, node)
    elif isinstance(node, ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        if any(key.tag == _MERGE_TAG for key, _ in node.value):
            raise _NotPlain("merge key")
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - the composer makes no other node
        raise _NotPlain("unknown node")
    return DictNode({name: value}, node.start_mark, node.end_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _map)
_Loader.add_constructor("tag:yaml.org,2002:str", _str)
_Loader.add_constructor("tag:yaml.org,2002:seq", _seq)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_multi_constructor("!", _tag)


def _expanded_size(template: Any) -> int:
    """Nodes of ``template`` with aliases expanded, counted up to past the limit."""
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        cached = memo.get(id(node))
        if cached is not None:
            return cached
        children = node.values() if isinstance(node, dict) else node \
            if isinstance(node, list) else ()
        total = 1
        for child in children:
            total += size(child)
            if total > _MAX_EXPANDED_NODES:
                break
        memo[id(node)] = total
        return total

    return size(template)


def decode_plain(text: str) -> Any:
    """The template ``text`` decoded here; raises when cfn-lint's decoder must decide."""
    loader = _Loader(text)
    try:
        template = loader.get_single_data()
    except (yaml.YAMLError, _NotPlain, RecursionError) as exc:
        raise _NotPlain(str(exc)) from exc
    finally:
        loader.dispose()
    if not isinstance(template, DictNode):
        raise _NotPlain("not a mapping")   # cfn-lint says what it is (or that it is empty)
    if "&" in text and _expanded_size(template) > _MAX_EXPANDED_NODES:
        raise _NotPlain("alias amplification")
    return template


def decode_file(path: Path) -> Any | None:
    """The template in ``path`` decoded here, or None when cfn-lint's decoder must read it
    (see the module docstring). Raises :class:`OSError` when the file cannot be read and
    :class:`BadScalar` for a value that does not exist (an unquoted ``2026-02-30``)."""
    try:
        text = path.read_text(encoding="utf-8")    # universal newlines, as cfn-lint reads
    except UnicodeDecodeError:
        return None
    try:
        return decode_plain(text)
    except _NotPlain:
        return None
