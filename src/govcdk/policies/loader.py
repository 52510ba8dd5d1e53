"""Find and decode the CloudFormation templates to check.

A target path is one of:

- a CDK cloud assembly (a directory holding ``manifest.json``, usually ``cdk.out``): every
  artifact of type ``aws:cloudformation:stack`` is loaded from ``properties.templateFile``;
  artifacts of type ``cdk:cloud-assembly`` (CDK Stages) are followed into
  ``properties.directoryName``; nested stacks (``AWS::CloudFormation::Stack`` resources whose
  ``Metadata["aws:asset:path"]`` names a template in the assembly) are loaded too, as
  ``<parent stack>/<logical id>``, right after their parent. The deployed stack name is the
  artifact's ``properties.stackName``, else its artifact id (the schema's default); the
  artifact's ``properties.parameters`` are the values the stack is deployed with. Source: AWS
  CDK ``cloud-assembly-schema`` (manifest ``artifacts``, ``AwsCloudFormationStackProperties``)
  and "Nested stacks" in the AWS CDK Developer Guide.
- a template file (any extension when named explicitly: JSON or YAML, short-form tags included);
- a plain directory: every ``*.json``, ``*.yaml``, ``*.yml`` and ``*.template`` file below it,
  sorted, recursively; a sub-directory holding ``manifest.json`` is read as a cloud assembly, and
  hidden directories (``.git``...) are skipped.

Templates are decoded as cfn-lint's decoder (:func:`cfnlint.decode.decode`) decodes them: YAML
short-form tags (``!Ref``, ``!GetAtt A.B``) expanded to their long form, line marks kept. A
well-formed template is decoded by :mod:`govcdk.policies.decode` (libyaml, no cfn-lint import);
cfn-lint's decoder reads the others and its error is the one reported. A file
larger than CloudFormation accepts is refused before it is read, and a decoded template is
refused when CloudFormation would refuse it (:mod:`govcdk.policies.validate`: resource quota,
resources without a ``Type``, unknown ``Fn::`` functions, circular dependencies).

Each refusal is an :class:`~govcdk.policies.errors.InputProblem` naming the file (and logical ID).
By default the first one raises :class:`InputError`; with ``problems=[...]``,
:func:`load_targets` records them there and loads the other files.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import validate
from ._gc import collecting_less
from .decode import BadScalar, decode_file
from .errors import InputError, InputProblem

DEFAULT_REGION = "us-gov-west-1"
"""Region assumed for a template whose region is not known (plain files, env-agnostic stacks)."""

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
"""File suffixes read when a plain directory is walked."""

_STACK_ARTIFACT = "aws:cloudformation:stack"
_NESTED_ASSEMBLY = "cdk:cloud-assembly"


@dataclass
class LoadedTemplate:
    """One decoded template and where it came from.

    ``stack`` is the name shown in reports (an assembly artifact's ``displayName``, a file's
    stem, ``<parent>/<logical id>`` for a nested stack). ``template`` is the decoded mapping
    (cfn-lint ``dict_node``/``str_node`` values carrying ``start_mark`` when the file was
    decoded from disk). ``region`` is the assembly artifact's region, else
    :data:`DEFAULT_REGION`; ``account`` the artifact's account when known. ``stack_name`` is
    the CloudFormation stack name it deploys as when the assembly says so, else None (plain
    files; nested stacks, whose names CloudFormation generates). ``parameters`` are the values
    the assembly deploys it with. A nested stack has ``parent`` (the parent's
    :class:`LoadedTemplate`), ``nested_in`` (its ``stack``) and ``nested_id`` (the logical id
    of its ``AWS::CloudFormation::Stack`` resource in the parent). ``manifest`` is the cloud
    assembly manifest that names the template (None for a plain file); ``nested_missing``
    says, for each ``AWS::CloudFormation::Stack`` resource of an assembly template whose nested
    template could not be loaded, why; ``problems`` the input errors that left it checkable.
    """

    stack: str
    path: Path
    template: Mapping[str, Any]
    region: str = DEFAULT_REGION
    account: str | None = None
    nested_in: str | None = field(default=None)
    stack_name: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    parent: "LoadedTemplate | None" = field(default=None, repr=False, compare=False)
    nested_id: str | None = None
    manifest: Path | None = None
    nested_missing: dict[str, str] = field(default_factory=dict)
    problems: tuple[InputProblem, ...] = field(default=(), compare=False)
    """Input errors found in the template that leave it checkable (``InputProblem.checked``:
    references CloudFormation refuses); reported with the run's other input errors."""
    _key_lines: tuple[Any, dict[Any, int | None]] | None = field(
        default=None, init=False, repr=False, compare=False)
    """(the ``Resources`` mapping, line of each of its keys), built on first use."""

    @property
    def resources(self) -> Mapping[str, Any]:
        """The ``Resources`` mapping (logical id -> resource)."""
        res = self.template.get("Resources")
        return res if isinstance(res, Mapping) else {}

    def line_of(self, logical_id: str, path: Sequence[str | int] = ()) -> int | None:
        """1-based line of ``path`` (keys and list indexes, starting below the resource, e.g.
        ``("Properties", "SecurityGroupIngress", 0, "CidrIp")``) inside resource
        ``logical_id``, or the nearest enclosing node that has a mark. ``None`` when the
        template carries no marks (built in memory) or the resource is absent."""
        resources = self.resources
        if self._key_lines is None or self._key_lines[0] is not resources:
            # one pass over the keys, not one per finding (a large template has thousands)
            self._key_lines = (resources, {k: _node_line(k) for k in resources.keys()})
        line = self._key_lines[1].get(logical_id)
        node: Any = resources.get(logical_id)
        if node is None:
            return line
        return _walk_line(node, path, line if line is not None else _node_line(node))


    def line_at(self, path: Sequence[str | int]) -> int | None:
        """1-based line of a path from the top of the template (``("Resources",
        "Fn::ForEach::Buckets")``), or of the nearest enclosing node that has a mark."""
        return _walk_line(self.template, path, None)


def _walk_line(node: Any, path: Sequence[str | int], line: int | None) -> int | None:
    """Follow ``path`` down from ``node``; the line of the deepest step that has a mark."""
    for step in path:
        if isinstance(node, Mapping) and isinstance(step, str) and step in node:
            line = _key_line(node, step) or _node_line(node[step]) or line
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            line = _node_line(node) or line
        else:
            break
    return line


def _node_line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    line = getattr(mark, "line", None)
    # cfn-lint gives nodes built without a source position a placeholder
    # ``cfnlint.decode.mark.Mark``; only marks from the YAML/JSON scanner are real.
    if isinstance(line, int) and not type(mark).__module__.startswith("cfnlint"):
        return line + 1
    return None


def _key_line(mapping: Any, key: str) -> int | None:
    """Line of ``key`` itself (decoded keys are ``str_node`` with marks)."""
    if not isinstance(mapping, Mapping):
        return None
    for k in mapping.keys():
        if k == key:
            return _node_line(k)
    return None


def load_targets(paths: Iterable[Path | str], *,
                 problems: list[InputProblem] | None = None) -> list[LoadedTemplate]:
    """Load every template named by ``paths`` (see the module docstring for what a path may
    be), in the order given; within a directory, sorted by path.

    A file named twice is loaded once. Raises :class:`InputError` for a missing path (always),
    and, when ``problems`` is None, for the first file that cannot be checked: a broken
    ``manifest.json``, a file over the size limit, a file that is not a CloudFormation template
    (decode error, not a mapping, no ``Resources`` mapping) or one CloudFormation would refuse
    (:func:`govcdk.policies.validate.problems`). With a ``problems`` list, those are appended to
    it (:class:`InputProblem`, each once) and the other files are still loaded; a nested stack
    whose template has a problem is then listed in its parent's ``nested_missing``.
    """
    with collecting_less():
        return _load_targets(paths, problems)


def _load_targets(paths: Iterable[Path | str],
                  problems: list[InputProblem] | None) -> list[LoadedTemplate]:
    out: list[LoadedTemplate] = []
    seen: set[Any] = set()
    start = len(problems) if problems is not None else 0
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            if (path / "manifest.json").is_file():
                _guard(problems, _load_assembly, path, out, seen, (), problems)
            else:
                _load_directory(path, out, seen, (), problems)
        else:
            loaded = _guard(problems, _load_template_file, path, stack=_stack_name_for_file(path))
            if loaded is not None:
                _add(out, seen, loaded)
    if problems is not None:
        problems[start:] = list(dict.fromkeys(problems[start:]))
    return out


def _guard(problems: list[InputProblem] | None, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``; an :class:`InputError` it raises is re-raised when ``problems``
    is None, else recorded there (None is returned)."""
    try:
        return fn(*args, **kwargs)
    except InputError as exc:
        if problems is None:
            raise
        where, _, what = str(exc).partition(": ")
        problems.extend(exc.problems or [InputProblem(where, what or where, kind="manifest")])
        return None


def _refuse(path: Path, message: str, kind: str) -> InputError:
    """An :class:`InputError` with one problem of ``kind`` on ``path``."""
    return InputError.of([InputProblem(str(path), message, kind=kind)])


def load_template(path: Path | str, *, stack: str | None = None, region: str = DEFAULT_REGION,
                  account: str | None = None) -> LoadedTemplate:
    """Decode one template file. Raises :class:`InputError` as :func:`load_targets` does."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    return _load_template_file(p, stack=stack or _stack_name_for_file(p), region=region,
                               account=account)


def _add(out: list[LoadedTemplate], seen: set[Any], t: LoadedTemplate) -> bool:
    """Append ``t`` unless its file was loaded already (a nested template is keyed by its
    file and its place, so one file used by two nested stacks is checked for each)."""
    key: Any = t.path.resolve()
    if t.nested_id is not None:
        key = (key, t.stack)
    if key in seen:
        return False
    seen.add(key)
    out.append(t)
    return True


def _stack_name_for_file(path: Path) -> str:
    name = path.name
    for suffix in (".template.json", ".template.yaml", ".template.yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _load_directory(directory: Path, out: list[LoadedTemplate], seen: set[Any],
                    walking: tuple[Path, ...], problems: list[InputProblem] | None = None) -> None:
    here = directory.resolve()
    if here in walking:     # a symbolic link back up the tree
        return
    walking = walking + (here,)
    for entry in sorted(directory.iterdir()):
        if entry.is_dir():
            if entry.name.startswith("."):
                continue
            if (entry / "manifest.json").is_file():
                _guard(problems, _load_assembly, entry, out, seen, walking, problems)
            else:
                _load_directory(entry, out, seen, walking, problems)
        elif entry.is_file() and entry.suffix.lower() in TEMPLATE_SUFFIXES:
            loaded = _guard(problems, _load_template_file, entry,
                            stack=_stack_name_for_file(entry))
            if loaded is not None:
                _add(out, seen, loaded)


def _parse_environment(env: Any) -> tuple[str | None, str | None]:
    """``aws://ACCOUNT/REGION`` -> (account, region); ``unknown-*`` parts -> None."""
    if not isinstance(env, str) or not env.startswith("aws://"):
        return None, None
    parts = env[len("aws://"):].split("/")
    account = parts[0] if parts and parts[0] and parts[0] != "unknown-account" else None
    region = parts[1] if len(parts) > 1 and parts[1] and parts[1] != "unknown-region" else None
    return account, region


def _load_assembly(directory: Path, out: list[LoadedTemplate], seen: set[Any],
                   walking: tuple[Path, ...], problems: list[InputProblem] | None = None) -> None:
    """Load a cloud assembly. A manifest that cannot be read raises; with ``problems``, a
    broken artifact or template is recorded there and the other artifacts are loaded."""
    manifest_path = directory / "manifest.json"
    here = directory.resolve()
    walking = walking + (here,)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(manifest_path, f"not a readable cloud assembly manifest: {exc}",
                      "manifest") from exc
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict):
        raise _refuse(manifest_path, "not a cloud assembly manifest: no artifacts mapping",
                      "manifest")
    for artifact_id, artifact in artifacts.items():
        _guard(problems, _load_artifact, directory, manifest_path, str(artifact_id), artifact,
               out, seen, walking, problems)


def _load_artifact(directory: Path, manifest_path: Path, artifact_id: str, artifact: Any,
                   out: list[LoadedTemplate], seen: set[Any], walking: tuple[Path, ...],
                   problems: list[InputProblem] | None) -> None:
    here = walking[-1]
    if not isinstance(artifact, dict):
        return
    kind = artifact.get("type")
    props = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
    if kind == _STACK_ARTIFACT:
        template_file = props.get("templateFile")
        if not isinstance(template_file, str):
            raise _refuse(manifest_path, f"artifact {artifact_id!r} has no "
                          "properties.templateFile", "manifest")
        template_path = directory / template_file
        if not template_path.is_file():
            raise _refuse(template_path, f"no such file (templateFile of artifact "
                          f"{artifact_id!r} in {manifest_path})", "manifest")
        account, region = _parse_environment(artifact.get("environment"))
        stack = artifact.get("displayName") or artifact_id
        loaded = _load_template_file(template_path, stack=str(stack),
                                     region=region or DEFAULT_REGION, account=account)
        loaded.manifest = manifest_path
        stack_name = props.get("stackName")
        loaded.stack_name = stack_name if isinstance(stack_name, str) and stack_name \
            else str(artifact_id)
        params = props.get("parameters")
        if isinstance(params, dict):
            loaded.parameters = {str(k): v for k, v in params.items()}
        if _add(out, seen, loaded):
            _load_nested_stacks(directory, loaded, out, seen, problems)
    elif kind == _NESTED_ASSEMBLY:
        sub = props.get("directoryName")
        if not isinstance(sub, str):
            raise _refuse(manifest_path, f"artifact {artifact_id!r} has no "
                          "properties.directoryName", "manifest")
        sub_dir = directory / sub
        if sub_dir.resolve() in walking:
            which = "itself" if sub_dir.resolve() == here else \
                f"an enclosing cloud assembly ({sub_dir.resolve()})"
            raise _refuse(manifest_path, f"artifact {artifact_id!r}: cloud assembly refers to "
                          f"{which} (directoryName {sub!r})", "manifest")
        if not (sub_dir / "manifest.json").is_file():
            raise _refuse(sub_dir, f"nested cloud assembly of artifact {artifact_id!r} has "
                          "no manifest.json", "manifest")
        _load_assembly(sub_dir, out, seen, walking, problems)


def _load_nested_stacks(directory: Path, parent: LoadedTemplate, out: list[LoadedTemplate],
                        seen: set[Any], problems: list[InputProblem] | None = None) -> None:
    for logical_id, res in parent.resources.items():
        if not isinstance(res, Mapping) or res.get("Type") != "AWS::CloudFormation::Stack":
            continue
        meta = res.get("Metadata")
        asset = meta.get("aws:asset:path") if isinstance(meta, Mapping) else None
        if not isinstance(asset, str):
            parent.nested_missing[str(logical_id)] = (
                "no Metadata aws:asset:path names its template in the cloud assembly, and "
                "govcdk does not fetch TemplateURL")
            continue
        nested_path = directory / asset
        if not nested_path.is_file():
            parent.nested_missing[str(logical_id)] = (
                f"aws:asset:path {asset!r}: no such file in {directory}")
            continue
        if nested_path.resolve() in {p.resolve() for p in _ancestors(parent)}:
            parent.nested_missing[str(logical_id)] = (
                f"aws:asset:path {asset!r} is the template of a stack that contains it")
            continue
        nested = _guard(problems, _load_template_file, nested_path,
                        stack=f"{parent.stack}/{logical_id}", region=parent.region,
                        account=parent.account)
        if nested is None:
            parent.nested_missing[str(logical_id)] = (
                f"its template {nested_path} cannot be checked (see the input errors)")
            continue
        nested.manifest = parent.manifest
        nested.nested_in = parent.stack
        nested.parent = parent
        nested.nested_id = str(logical_id)
        if _add(out, seen, nested):
            _load_nested_stacks(directory, nested, out, seen, problems)


def _ancestors(t: LoadedTemplate) -> list[Path]:
    out: list[Path] = []
    node: LoadedTemplate | None = t
    while node is not None:
        out.append(node.path)
        node = node.parent
    return out


def _load_template_file(path: Path, *, stack: str, region: str = DEFAULT_REGION,
                        account: str | None = None) -> LoadedTemplate:
    template, problems = _decode(path)
    return LoadedTemplate(stack=stack, path=path, template=template, region=region,
                          account=account, problems=problems)


def _kind(value: Any) -> str:
    """``a list``, ``a string``... for messages (the decoder's node classes are named
    ``list_node``, ``str_node``)."""
    if value is None:
        return "empty"
    for kind, name in ((bool, "a boolean"), (str, "a string"), (list, "a list"),
                       ((int, float), "a number"), (Mapping, "a mapping")):
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"


@contextlib.contextmanager
def _quiet_decoder() -> Iterator[None]:
    """cfn-lint's decoder logs errors it also returns as matches ("Cannot read file contents:
    ...") and may print: keep both off the terminal while decoding."""
    loggers = [logging.getLogger(name) for name in ("cfnlint.decode.decode",
                                                    "cfnlint.decode", "cfnlint")]
    saved = [(lg, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        for lg, disabled in saved:
            lg.disabled = disabled


def _decode(path: Path) -> tuple[Mapping[str, Any], tuple[InputProblem, ...]]:
    """The decoded template and the problems found in it that leave it checkable
    (``InputProblem.checked``); raises :class:`InputError` for any other."""
    def bad(why: str, kind: str = "not-a-template") -> InputError:
        return _refuse(path, f"not a CloudFormation template: {why}", kind)

    if path.is_dir():
        raise bad("is a directory", "unreadable")
    too_large = validate.check_size(path)
    if too_large is not None:
        raise InputError.of([too_large])
    try:
        template: Any = decode_file(path)   # a well-formed template, without cfn-lint
    except RecursionError:
        raise bad("nested too deeply to decode", "syntax") from None
    except BadScalar as exc:
        raise InputError.of([InputProblem(str(path), f"not a CloudFormation template: line "
                                          f"{exc.line}: {exc}", kind="syntax", line=exc.line)]) from None
    except OSError:
        template = None
    matches: Sequence[Any] = ()
    if template is None:
        from cfnlint.decode import decode  # imported lazily: cfn-lint import costs ~0.5 s

        try:
            with _quiet_decoder():
                template, matches = decode(str(path))
        except RecursionError:
            raise bad("nested too deeply to decode", "syntax") from None
        except Exception as exc:  # the decoder reports most problems as matches; be safe
            raise bad(f"{type(exc).__name__}: {exc}", "unreadable") from exc
    if matches:
        first = matches[0]
        message = str(first.message).replace("{filename}", str(path))
        if message.startswith("Cannot read file contents"):
            raise bad("cannot read it as UTF-8 text (a binary file?)", "unreadable")
        line = getattr(first, "linenumber", None)
        # a YAML constructor error reaches cfn-lint's match as line 1; PyYAML's own text
        # names the real line ('in "<unicode string>", line 9, column 18')
        marked = re.search(r'in "<unicode string>", line (\d+)', message)
        if marked:
            line = int(marked.group(1))
            message = message.replace('"<unicode string>"', f'"{path}"')
        where = f"line {line}: " if line else ""
        raise InputError.of([InputProblem(str(path), f"not a CloudFormation template: {where}"
                                          f"{message}", kind="syntax",
                                          line=line if isinstance(line, int) else None)])
    if not isinstance(template, Mapping):
        raise bad(f"top level is {_kind(template)}, not a mapping")
    if not isinstance(template.get("Resources"), Mapping):
        raise bad("no Resources mapping" + ("" if "Resources" not in template else
                  f": Resources is {_kind(template['Resources'])}; it must map logical IDs to "
                  f"resources"))
    if not template["Resources"]:
        raise bad("the Resources mapping is empty (CloudFormation requires at least one resource)")
    found = validate.problems(template, path, lambda p: _walk_line(template, p, None))
    if any(not p.checked for p in found):
        raise InputError.of([p for p in found if not p.checked])
    return template, tuple(found)
