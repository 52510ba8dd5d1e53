"""Expand ``Fn::ForEach`` loops (the ``AWS::LanguageExtensions`` transform) before checking.

Semantics follow the AWS CloudFormation Template Reference, "Fn::ForEach", and the way cfn-lint
(``cfnlint/template/transforms/_language_extensions.py``) applies them:

- ``"Fn::ForEach::Name": [Identifier, Collection, {OutputKey: OutputValue}]`` may appear in the
  ``Conditions``, ``Resources`` (resource properties included) and ``Outputs`` sections, and
  inside another loop's fragment;
- the collection is a list, or a ``Ref`` to a ``CommaDelimitedList`` parameter (its ``Default``
  or the value given), or any intrinsic the resolver can turn into a list of strings;
- for each item, ``${Identifier}`` in keys and in ``Fn::Sub`` strings becomes the item,
  ``&{Identifier}`` the item with its non-alphanumeric characters removed, and
  ``{"Ref": "Identifier"}`` the item; an ``Fn::Sub`` left without variables becomes a plain
  string.

A loop whose collection cannot be resolved to literal strings (a parameter without a value, a
value known only at deploy time), whose fragment is malformed, or that produces a key twice is
not expanded: :func:`expand` reports it as a :class:`Problem`, which the engine turns into a
failing UNKNOWN finding. Expanded nodes keep the decoder's line marks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FOREACH_PREFIX = "Fn::ForEach::"
SECTIONS = ("Conditions", "Resources", "Outputs")
_SUB_VARIABLE = re.compile(r"\$\{(?!!)\s*[^}]*\}")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class Problem:
    """A loop that was not expanded: ``path`` is the template path of its key
    (``("Resources", "Fn::ForEach::Buckets")``) and ``reason`` says why."""

    path: tuple[str | int, ...]
    reason: str

    @property
    def key(self) -> str:
        return str(self.path[-1])


@dataclass(frozen=True)
class Expansion:
    """What :func:`expand` did: the template to check, the loops it expanded (key path ->
    the keys they produced) and the loops it could not expand."""

    template: Mapping[str, Any]
    expanded: dict[tuple[str | int, ...], list[str]]
    problems: list[Problem]


def has_foreach(template: Mapping[str, Any]) -> bool:
    """Whether any ``Fn::ForEach::`` key occurs in the sections where loops are allowed."""
    def walk(node: Any, depth: int) -> bool:
        if depth > _MAX_DEPTH:
            return False
        if isinstance(node, Mapping):
            return any((isinstance(k, str) and k.startswith(FOREACH_PREFIX)) or walk(v, depth + 1)
                       for k, v in node.items())
        if isinstance(node, list):
            return any(walk(v, depth + 1) for v in node)
        return False
    return any(walk(template.get(s), 0) for s in SECTIONS)


def expand(template: Mapping[str, Any],
           resolve_collection: Callable[[Any], Any]) -> Expansion:
    """Expand every ``Fn::ForEach`` of ``template``. ``resolve_collection`` resolves a
    collection (after the enclosing loops' identifiers are substituted) to a Python value,
    e.g. :meth:`govcdk.policies.resolver.Resolver.resolve`. Returns ``template`` itself when it
    has no loop."""
    if not isinstance(template, Mapping) or not has_foreach(template):
        return Expansion(template, {}, [])
    state = _State(resolve_collection)
    out: dict[Any, Any] = {}
    for key, value in template.items():
        if key in SECTIONS:
            out[key] = state.walk(value, {}, (str(key),), 0)
        else:
            out[key] = value
    return Expansion(_like(template, out), state.expanded, state.problems)


def _like(node: Any, value: Any) -> Any:
    """``value`` as the same node type as ``node`` (the decoder's dict_node/str_node/list_node
    carry line marks), else ``value`` itself."""
    mark = getattr(node, "start_mark", None)
    if mark is None or type(node) in (dict, list, str):
        return value
    try:
        return type(node)(value, node.start_mark, node.end_mark)
    except Exception:  # pragma: no cover - an unexpected node type keeps no marks
        return value


def _substitute(text: str, params: Mapping[str, str]) -> str:
    out = text
    for name, value in params.items():
        out = re.sub(r"\$\{\s*" + re.escape(name) + r"\s*\}", lambda _m: value, out)
        alnum = re.sub(r"[^0-9A-Za-z]+", "", value)
        out = re.sub(r"&\{\s*" + re.escape(name) + r"\s*\}", lambda _m: alnum, out)
    return out


class _State:
    def __init__(self, resolve_collection: Callable[[Any], Any]) -> None:
        self.resolve_collection = resolve_collection
        self.expanded: dict[tuple[str | int, ...], list[str]] = {}
        self.problems: list[Problem] = []

    def walk(self, node: Any, params: Mapping[str, str], path: tuple[str | int, ...],
             depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return node
        if isinstance(node, list):
            return _like(node, [self.walk(v, params, path + (i,), depth + 1)
                                for i, v in enumerate(node)])
        if not isinstance(node, Mapping):
            return node
        if len(node) == 1 and params:
            (fn, arg), = node.items()
            if fn == "Ref" and isinstance(arg, str) and arg in params:
                return _like(arg, params[str(arg)])
            if fn == "Fn::Sub":
                return self._sub(node, arg, params, path, depth)
        out: dict[Any, Any] = {}
        loops: list[tuple[Any, Any]] = []
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(FOREACH_PREFIX):
                loops.append((key, value))
                continue
            new_key = _like(key, _substitute(key, params)) if params and isinstance(key, str) \
                else key
            out[new_key] = self.walk(value, params, path + (str(key),), depth + 1)
        for key, value in loops:
            self._loop(str(key), value, params, path + (str(key),), out, depth)
        return _like(node, out)

    def _sub(self, node: Mapping[str, Any], arg: Any, params: Mapping[str, str],
             path: tuple[str | int, ...], depth: int) -> Any:
        if isinstance(arg, str):
            text = _like(arg, _substitute(arg, params))
            return text if not _SUB_VARIABLE.search(text) else _like(node, {"Fn::Sub": text})
        if isinstance(arg, list) and arg and isinstance(arg[0], str):
            text = _like(arg[0], _substitute(arg[0], params))
            rest = [self.walk(v, params, path + ("Fn::Sub", i + 1), depth + 1)
                    for i, v in enumerate(arg[1:])]
            return _like(node, {"Fn::Sub": _like(arg, [text, *rest])})
        return _like(node, {"Fn::Sub": self.walk(arg, params, path + ("Fn::Sub",), depth + 1)})

    def _loop(self, key: str, value: Any, params: Mapping[str, str],
              path: tuple[str | int, ...], out: dict[Any, Any], depth: int) -> None:
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                and isinstance(value[2], Mapping)):
            self.problems.append(Problem(path, "malformed Fn::ForEach (expected [Identifier, "
                                               "Collection, {OutputKey: OutputValue}])"))
            return
        identifier, collection, fragment = str(value[0]), value[1], value[2]
        items = self.resolve_collection(self.walk(collection, params, path + (1,), depth + 1))
        reason = _collection_problem(items)
        if reason is not None:
            self.problems.append(Problem(path, f"its collection cannot be resolved: {reason}"))
            return
        produced: list[str] = []
        for item in items:
            text = str(item)
            flat = self.walk(fragment, {**params, identifier: text}, path + (2,), depth + 1)
            for out_key, out_value in flat.items():
                if out_key in out:
                    self.problems.append(Problem(path, f"it produces {out_key!r} twice"))
                    return
                out[out_key] = out_value
                produced.append(str(out_key))
        self.expanded.setdefault(path, []).extend(produced)


def _collection_problem(items: Any) -> str | None:
    """Why a resolved collection cannot drive a loop, or None when it is a list of literal
    strings (numbers are taken as their text)."""
    from .resolver import Unknown, is_opaque

    if isinstance(items, Unknown):
        return items.reason
    if not isinstance(items, list):
        return f"it is {type(items).__name__}, not a list"
    for item in items:
        if isinstance(item, Unknown):
            return item.reason
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            return f"item {item!r} is not a string"
        if is_opaque(item):
            return f"item {item!r} is known only at deploy time"
    return None
