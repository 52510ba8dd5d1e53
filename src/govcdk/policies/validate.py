"""Refuse, before any rule runs, what CloudFormation itself would refuse to deploy.

:func:`check_size` runs before a file is parsed (one ``stat``), :func:`problems` on the decoded
template. Each finds :class:`~govcdk.policies.errors.InputProblem` entries naming the file, the
logical ID and what is allowed; ``govcdk check`` reports them and exits 2 while it still checks
the other files of the run.

What is refused (AWS CloudFormation User Guide: "CloudFormation quotas", "Resources",
"Intrinsic function reference", and the "Circular dependency between resources" error):

- a file larger than :data:`MAX_TEMPLATE_BYTES` (CloudFormation's 1 MB template body quota,
  the limit cfn-lint's E1002 uses), without reading it;
- more than :data:`MAX_RESOURCES` entries in ``Resources`` (the per-stack quota);
- a resource that is not a mapping, has no ``Type``, or whose ``Type`` is not a string (a
  ``Resources`` entry that is an ``Fn::Transform`` include, or a mapping holding one, is not
  refused: the engine reports it as not checked);
- a one-key mapping whose key starts with ``Fn::`` but is no intrinsic function CloudFormation
  defines (:data:`INTRINSIC_FUNCTIONS`), in ``Resources``, ``Outputs`` or ``Conditions``;
- resources that depend on each other in a cycle through ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``
  or ``DependsOn`` (in every branch of ``Fn::If``, as CloudFormation and cfn-lint's E3004 build
  the dependency graph), and conditions that refer to each other in a cycle;
- in a template without ``Transform``, references to nothing (:func:`_unresolved_references`):
  a ``Ref``, ``Fn::Sub`` variable, ``DependsOn``, ``Fn::GetAtt`` or condition name that the
  template does not declare, a malformed ``Fn::If``, a literal ``Fn::Select`` past its list.

A template with a ``Transform`` other than ``AWS::LanguageExtensions`` and
``AWS::Serverless-2016-10-31`` is processed by a macro that may accept any shape, so only the
size and count quotas apply to it. Edges from or to ``AWS::Serverless::*`` resources are left
out of the cycle check (the SAM transform splits them into several resources, cfn-lint does the
same), and so are ``Fn::ForEach`` loops, whose resource names exist only once expanded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import InputProblem

MAX_TEMPLATE_BYTES = 1_000_000
"""Largest template file read, in bytes: CloudFormation's quota for a template body stored in
Amazon S3 (1 MB; 51,200 bytes when passed inline), as cfn-lint's E1002 counts it."""

MAX_RESOURCES = 500
"""Most resources one template may declare (CloudFormation quota "Resources": 500 per stack)."""

INTRINSIC_FUNCTIONS = frozenset({
    "Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::ImportValue",
    "Fn::Join", "Fn::Length", "Fn::Select", "Fn::Split", "Fn::Sub", "Fn::ToJsonString",
    "Fn::Transform",
    # condition functions
    "Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or",
    # rule functions (Rules section; accepted anywhere here, CloudFormation's own check decides)
    "Fn::Contains", "Fn::EachMemberEquals", "Fn::EachMemberIn", "Fn::RefAll", "Fn::ValueOf",
    "Fn::ValueOfAll",
})
"""The ``Fn::`` intrinsic functions of the CloudFormation "Intrinsic function reference", plus
``Fn::ForEach::<name>`` loops (AWS::LanguageExtensions). ``Ref`` and ``Condition`` are not
``Fn::`` keys."""

FOREACH_PREFIX = "Fn::ForEach::"
CHECKED_SECTIONS = ("Resources", "Outputs", "Conditions")
KNOWN_TRANSFORMS = frozenset({"AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"})

LineOf = Callable[[Sequence[str | int]], "int | None"]


def check_size(path: Path) -> InputProblem | None:
    """The ``"too-large"`` problem when ``path`` is larger than :data:`MAX_TEMPLATE_BYTES`
    (``os.stat``, nothing read), else None. A file that cannot be stat'ed gives None: reading
    it reports why."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    if size <= MAX_TEMPLATE_BYTES:
        return None
    return InputProblem(
        str(path), f"not checked: the file is {size:,} bytes; CloudFormation accepts a template "
                   f"of at most {MAX_TEMPLATE_BYTES:,} bytes (1 MB, template body in Amazon S3), "
                   f"so govcdk does not read it", kind="too-large")


def render(path: Sequence[str | int]) -> str:
    """``("Resources", "B", "Properties", "Tags", 0)`` -> ``Resources.B.Properties.Tags[0]``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (str, "a string"), (list, "a list"),
                       ((int, float), "a number"), (Mapping, "a mapping")):
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


def _macro_transforms(template: Mapping[str, Any]) -> list[str]:
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform else []
    out = []
    for n in names:
        name = n if isinstance(n, str) else n.get("Name") if isinstance(n, Mapping) else None
        if name not in KNOWN_TRANSFORMS:
            out.append(str(name) if name is not None else "<macro>")
    return out


def problems(template: Mapping[str, Any], path: Path | str,
             line_at: LineOf | None = None) -> list[InputProblem]:
    """The problems of a decoded template whose top level is a mapping with a non-empty
    ``Resources`` mapping (see the module docstring), in template order: the resource count
    first (when over the quota nothing else is looked at), then resource shapes, unknown
    functions and cycles. ``line_at`` gives the 1-based line of a template path when the
    template carries line marks."""
    where = str(path)
    lines = line_at or (lambda _p: None)
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return []
    if len(resources) > MAX_RESOURCES:
        return [InputProblem(
            where, f"the template declares {len(resources)} resources; CloudFormation allows at "
                   f"most {MAX_RESOURCES} resources in one stack (move some into nested stacks)",
            kind="too-many-resources", line=lines(("Resources",)), location="Resources")]
    out: list[InputProblem] = []
    macros = _macro_transforms(template)
    if macros:
        return out
    for lid, res in resources.items():
        if isinstance(lid, str) and (lid.startswith(FOREACH_PREFIX) or lid == "Fn::Transform"):
            continue
        loc = ("Resources", str(lid))
        example = "(e.g. Type: AWS::S3::Bucket)"
        if not isinstance(res, Mapping):
            out.append(InputProblem(
                where, f"resource {lid} is {_kind(res)}; a resource must be a mapping with a "
                       f"Type {example} and optional Properties", logical_id=str(lid),
                kind="resource", line=lines(loc), location=render(loc)))
        elif "Type" not in res:
            if "Fn::Transform" in res:
                continue            # an AWS::Include snippet: the engine reports it unchecked
            out.append(InputProblem(
                where, f"resource {lid} has no Type; every resource needs a Type naming its "
                       f"resource type {example}", logical_id=str(lid), kind="resource",
                line=lines(loc), location=render(loc)))
        elif not isinstance(res["Type"], str) or not res["Type"]:
            out.append(InputProblem(
                where, f"resource {lid}: Type is {_kind(res['Type'])}; it must be a resource type "
                       f"name {example}, not an intrinsic function or other value",
                logical_id=str(lid), kind="resource", line=lines(loc + ("Type",)),
                location=render(loc + ("Type",))))
    out.extend(_unknown_functions(template, where, lines))
    if "Transform" not in template:     # SAM and language extensions add names and forms
        out.extend(_unresolved_references(template, where, lines))
    out.extend(_resource_cycles(resources, where, lines))
    out.extend(_condition_cycles(template.get("Conditions"), where, lines))
    return out


def _find_in_map_problem(arg: Any, mappings: Mapping[str, Any]) -> str | None:
    """What CloudFormation refuses in ``Fn::FindInMap [MapName, TopKey, SecondKey]`` with
    literal names: a mapping the template does not declare, or a key it does not have
    ("Unable to get mapping for ..."); None when the call may resolve."""
    if not isinstance(arg, list) or len(arg) != 3:
        return ("Fn::FindInMap takes [mapping name, top-level key, second-level key], not "
                f"{_kind(arg)}" + (f" of {len(arg)}" if isinstance(arg, list) else ""))
    def text(value: Any) -> str | None:
        """A literal key as CloudFormation reads it: a string (456 and "456" are one key)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, (str, int, float)) else None

    names = [text(a) for a in arg]
    if names[0] is None:
        return None
    if names[0] not in mappings:
        declared = ", ".join(sorted(map(str, mappings))) or "none"
        return (f"Fn::FindInMap names mapping {names[0]!r}, which is not declared in Mappings "
                f"(declared: {declared})")
    top = mappings[names[0]]
    if names[1] is None or not isinstance(top, Mapping):
        return None
    tops = {text(k): v for k, v in top.items()}
    if names[1] not in tops:
        return f"Fn::FindInMap: mapping {names[0]!r} has no key {names[1]!r}"
    second = tops[names[1]]
    if names[2] is not None and isinstance(second, Mapping) \
            and names[2] not in {text(k) for k in second}:
        return f"Fn::FindInMap: mapping {names[0]!r} key {names[1]!r} has no key {names[2]!r}"
    return None


PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"})
"""CloudFormation's pseudo parameters (AWS CloudFormation User Guide, "Pseudo parameters
reference"); a ``Ref`` to any other ``AWS::`` name is refused."""


def _unresolved_references(template: Mapping[str, Any], where: str, lines: LineOf
                           ) -> list[InputProblem]:
    """References CloudFormation refuses when it validates the template ("Unresolved resource
    dependencies", "Template format error"), as cfn-lint's E1012, E1010, E1019, E1028, E8002,
    E3005 and E1017 find them: a ``Ref``, ``Fn::Sub`` variable or ``DependsOn`` naming nothing
    declared; ``Fn::GetAtt`` on something that is not a resource; ``Fn::If`` without exactly
    a condition name and two values, or naming an undeclared condition; a ``Condition`` naming
    an undeclared condition; in ``Conditions``, a ``Ref`` to a resource; ``Fn::Select`` of a
    literal index past the end of a literal list; ``Fn::FindInMap`` of a mapping or literal
    key the template does not declare (cfn-lint E1011). Only for a template without
    ``Transform``."""
    from .resolver import sub_variables  # the resolver's own Fn::Sub parsing

    params = template.get("Parameters")
    params = set(params) if isinstance(params, Mapping) else set()
    resources = template.get("Resources")
    resources = {str(k) for k in resources} if isinstance(resources, Mapping) else set()
    conds = template.get("Conditions")
    conds = {str(k) for k in conds} if isinstance(conds, Mapping) else set()
    mappings = template.get("Mappings")
    mappings = mappings if isinstance(mappings, Mapping) else {}
    out: list[InputProblem] = []
    what = {"Resources": "resource", "Outputs": "output", "Conditions": "condition"}

    def add(section: str, name: str, p: tuple[str | int, ...], message: str) -> None:
        at = render(p[2:])
        out.append(InputProblem(
            where, f"{what[section]} {name}{': ' + at if at else ''}: {message}; CloudFormation "
                   f"refuses the template (the rest of it was checked)",
            logical_id=str(name), kind="reference", line=lines(p), location=render(p),
            checked=True))

    def known(name: Any) -> bool:
        return isinstance(name, str) and (name in params or name in PSEUDO_PARAMETERS
                                          or name in resources)

    declared = ("a parameter, a resource or a pseudo parameter (AWS::Region, AWS::Partition, "
                "AWS::AccountId...)")
    for section in CHECKED_SECTIONS:
        body = template.get(section)
        if not isinstance(body, Mapping):
            continue
        for name, value in body.items():
            if not isinstance(name, str):
                continue
            if section == "Resources" and isinstance(value, Mapping):
                depends = value.get("DependsOn")
                for target in depends if isinstance(depends, list) else [depends]:
                    if isinstance(target, str) and target not in resources:
                        add(section, name, (section, name, "DependsOn"),
                            f"DependsOn {target!r}, which is not a resource of the template")
            if section in ("Resources", "Outputs") and isinstance(value, Mapping):
                cond = value.get("Condition")
                if isinstance(cond, str) and cond not in conds:
                    add(section, name, (section, name, "Condition"),
                        f"Condition {cond!r} is not declared in Conditions")
                # Metadata counts (CloudFormation resolves it, as AWS::CloudFormation::Init
                # shows, and builds dependencies from it); DependsOn and Condition are names
                value = {k: v for k, v in value.items() if k not in ("DependsOn", "Condition")}
            for p, node in _walk(value, (section, name)):
                key = _one_key(node)
                if key is None:
                    continue
                arg = node[key]
                if key == "Ref":
                    if section == "Conditions" and isinstance(arg, str) and arg in resources:
                        add(section, name, p, f"Ref to resource {arg!r}: conditions may refer "
                                              f"only to parameters and pseudo parameters")
                    elif not isinstance(arg, str):
                        add(section, name, p, f"Ref takes the name of {declared}, not "
                                              f"{_kind(arg)}")
                    elif not known(arg):
                        add(section, name, p, f"Ref to {arg!r}, which is not {declared}")
                elif key == "Condition" and section == "Conditions":
                    if isinstance(arg, str) and arg not in conds:
                        add(section, name, p, f"Condition {arg!r} is not declared in "
                                              f"Conditions")
                elif key == "Fn::GetAtt":
                    target = arg.split(".", 1)[0] if isinstance(arg, str) else \
                        arg[0] if isinstance(arg, list) and arg else None
                    if isinstance(target, str) and target not in resources:
                        add(section, name, p, f"Fn::GetAtt on {target!r}, which is not a "
                                              f"resource of the template")
                elif key == "Fn::If":
                    if not isinstance(arg, list) or len(arg) != 3:
                        add(section, name, p, f"Fn::If takes [condition name, value if true, "
                                              f"value if false], not {_kind(arg)}"
                                              + (f" of {len(arg)}" if isinstance(arg, list)
                                                 else ""))
                    elif isinstance(arg[0], str) and arg[0] not in conds:
                        add(section, name, p, f"Fn::If names condition {arg[0]!r}, which is "
                                              f"not declared in Conditions")
                elif key == "Fn::Sub":
                    text, local = (arg, {}) if isinstance(arg, str) else \
                        (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (None, {})
                    if not isinstance(text, str):
                        continue
                    local = local if isinstance(local, Mapping) else {}
                    for var in sub_variables(text):
                        if var in local:
                            continue
                        head = var.split(".", 1)[0] if "." in var and not var.startswith("AWS::") \
                            else None
                        if head is not None and head in resources:
                            continue
                        if head is None and known(var):
                            continue
                        add(section, name, p, f"Fn::Sub variable ${{{var}}} is not {declared}, "
                                              f"a resource attribute (${{Resource.Attr}}) or a "
                                              f"variable of the Fn::Sub mapping")
                elif key == "Fn::FindInMap":
                    problem = _find_in_map_problem(arg, mappings)
                    if problem:
                        add(section, name, p, problem)
                elif key == "Fn::Select":
                    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list) \
                            and not any(isinstance(i, Mapping) for i in arg[1]):
                        index = arg[0]
                        if isinstance(index, str) and index.strip().isdigit():
                            index = int(index)
                        if isinstance(index, int) and not isinstance(index, bool) \
                                and not 0 <= index < len(arg[1]):
                            add(section, name, p, f"Fn::Select index {arg[0]} is outside the "
                                                  f"list of {len(arg[1])} item(s)")
    return out


def _walk(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every node below ``node`` with its path, depth first, without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, node)]
    while stack:
        p, n = stack.pop()
        yield p, n
        if isinstance(n, Mapping):
            items = [(p + (str(k),), v) for k, v in n.items()]
        elif isinstance(n, list):
            items = [(p + (i,), v) for i, v in enumerate(n)]
        else:
            continue
        stack.extend(reversed(items))


def _one_key(node: Any) -> str | None:
    if isinstance(node, Mapping) and len(node) == 1:
        key = next(iter(node))
        return key if isinstance(key, str) else None
    return None


def _unknown_functions(template: Mapping[str, Any], where: str, lines: LineOf
                       ) -> list[InputProblem]:
    allowed = ", ".join(["Ref", "Condition", *sorted(INTRINSIC_FUNCTIONS), "Fn::ForEach::<name>"])
    out = []
    for section in CHECKED_SECTIONS:
        body = template.get(section)
        if not isinstance(body, Mapping):
            continue
        for name, value in body.items():
            for p, node in _walk(value, (section, str(name))):
                key = _one_key(node)
                if key is None or not key.startswith("Fn::") or key in INTRINSIC_FUNCTIONS \
                        or key.startswith(FOREACH_PREFIX):
                    continue
                what = {"Resources": "resource", "Outputs": "output",
                        "Conditions": "condition"}[section]
                at = render(p[2:])
                hint = (" but a directive of the rain CLI: check the template `rain pkg` writes"
                        if key.startswith("Fn::Rain::") else "")
                out.append(InputProblem(
                    where, f"{what} {name}{': ' + at if at else ''}: {key} is not a "
                           f"CloudFormation intrinsic function{hint} (allowed: {allowed})",
                    logical_id=str(name),
                    kind="intrinsic", line=lines(p), location=render(p)))
    return out


def _dependencies(lid: str, res: Mapping[str, Any], resources: Mapping[str, Any]
                  ) -> list[tuple[str, str]]:
    """(target logical ID, how) for each resource ``res`` depends on."""
    from .resolver import sub_variables  # the resolver's own Fn::Sub parsing

    def is_resource(name: Any) -> bool:
        return isinstance(name, str) and name in resources and not name.startswith(FOREACH_PREFIX)

    out: list[tuple[str, str]] = []
    depends = res.get("DependsOn")
    for target in (depends if isinstance(depends, list) else [depends]):
        if is_resource(target):
            out.append((str(target), "DependsOn"))
    for p, node in _walk({k: v for k, v in res.items() if k not in ("DependsOn", "Type")}, ()):
        key = _one_key(node)
        if key is None:
            continue
        arg = node[key]
        at = render(p)
        if key == "Ref" and is_resource(arg):
            out.append((str(arg), f"Ref at {at}"))
        elif key == "Fn::GetAtt":
            target = arg.split(".", 1)[0] if isinstance(arg, str) else \
                arg[0] if isinstance(arg, list) and arg else None
            if is_resource(target):
                out.append((str(target), f"Fn::GetAtt at {at}"))
        elif key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else \
                (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (None, {})
            if not isinstance(text, str):
                continue
            local = variables if isinstance(variables, Mapping) else {}
            for name in sub_variables(str(text)):
                if name in local:
                    continue
                target = name.split(".", 1)[0]
                if is_resource(target):
                    out.append((target, f"Fn::Sub at {at}"))
    return out


def _cycles(graph: Mapping[str, list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """One cycle per strongly connected component that has one (Tarjan, iterative), as a list
    of (node, how it reaches the next node), starting at the component's least node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph.get(node, [])
            if i < len(edges):
                work.append((node, i + 1))
                target = edges[i][0]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                components.append(comp)
    out = []
    for comp in components:
        members = set(comp)
        start = min(comp)
        if len(comp) == 1 and not any(t == start for t, _ in graph.get(start, [])):
            continue
        # shortest way round from start back to start, inside the component
        prev: dict[str, tuple[str, str]] = {}
        queue = [start]
        found = False
        while queue and not found:
            nxt = []
            for node in queue:
                for target, how in graph.get(node, []):
                    if target not in members:
                        continue
                    if target == start:
                        prev[start] = (node, how)
                        found = True
                        break
                    if target not in prev:
                        prev[target] = (node, how)
                        nxt.append(target)
                if found:
                    break
            queue = nxt
        cycle: list[tuple[str, str]] = []
        node = start
        while True:
            before, how = prev[node]
            cycle.append((before, how))
            node = before
            if node == start:
                break
        cycle.reverse()
        out.append(cycle)
    return out


def _resource_cycles(resources: Mapping[str, Any], where: str, lines: LineOf
                     ) -> list[InputProblem]:
    def checked(res: Any) -> bool:
        return isinstance(res, Mapping) and isinstance(res.get("Type"), str) \
            and not res["Type"].startswith("AWS::Serverless::")

    graph: dict[str, list[tuple[str, str]]] = {}
    for lid, res in resources.items():
        if not isinstance(lid, str) or lid.startswith(FOREACH_PREFIX) or not checked(res):
            continue
        graph[lid] = [(t, how) for t, how in _dependencies(lid, res, resources)
                      if checked(resources.get(t))]
    out = []
    for cycle in _cycles(graph):
        start = cycle[0][0]
        chain = " -> ".join(f"{node} ({how})" for node, how in cycle) + f" -> {start}"
        names = sorted({node for node, _ in cycle})
        out.append(InputProblem(
            where, f"resource {start}: circular dependency between resources "
                   f"{', '.join(names)}: {chain}; CloudFormation rejects resources that depend "
                   f"on each other in a cycle (Ref, Fn::GetAtt, Fn::Sub and DependsOn each make "
                   f"a dependency): remove one of them",
            logical_id=start, kind="circular", line=lines(("Resources", start)),
            location=render(("Resources", start))))
    return out


def _condition_cycles(conditions: Any, where: str, lines: LineOf) -> list[InputProblem]:
    if not isinstance(conditions, Mapping):
        return []
    graph: dict[str, list[tuple[str, str]]] = {}
    for name, expr in conditions.items():
        if not isinstance(name, str) or name.startswith(FOREACH_PREFIX):
            continue
        edges = []
        for p, node in _walk(expr, ()):
            if _one_key(node) == "Condition" and isinstance(node["Condition"], str) \
                    and node["Condition"] in conditions:
                edges.append((str(node["Condition"]), f"Condition at {render(p) or '(top)'}"))
        graph[name] = edges
    out = []
    for cycle in _cycles(graph):
        start = cycle[0][0]
        chain = " -> ".join(f"{node} ({how})" for node, how in cycle) + f" -> {start}"
        out.append(InputProblem(
            where, f"condition {start}: circular reference between conditions: {chain}; a "
                   f"condition may refer only to conditions that do not refer back to it",
            logical_id=start, kind="circular", line=lines(("Conditions", start)),
            location=render(("Conditions", start))))
    return out


__all__ = ["CHECKED_SECTIONS", "INTRINSIC_FUNCTIONS", "MAX_RESOURCES", "MAX_TEMPLATE_BYTES",
           "check_size", "problems", "render"]
