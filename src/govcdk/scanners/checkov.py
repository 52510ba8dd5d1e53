"""Run checkov on the checked templates and report its results as govcdk findings.

checkov runs as a subprocess from its own virtual environment (it pins ``boto3==1.35.49`` and
``networkx<2.7``, which govcdk's environment cannot share; ``make checkov-setup`` installs the
hashed ``requirements-checkov.lock`` into ``.venv-checkov``). :func:`find_checkov` picks the
executable: the ``--checkov PATH`` option, else ``$GOVCDK_CHECKOV``, else
``.venv-checkov/bin/checkov`` under the current directory, then under the govcdk source
checkout, else ``checkov`` on ``PATH``.

It runs offline: ``checkov --framework cloudformation -o json --skip-download
--skip-results-upload -f <template> ...`` with the environment of :data:`OFFLINE_ENV`
(``BC_SKIP_MAPPING=TRUE``: no policy metadata download; ``CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false``;
``CKV_SKIP_PACKAGE_UPDATE_CHECK=true``: no PyPI version check) and without ``BC_API_KEY`` or
``PRISMA_API_URL`` (which would make it talk to the Prisma Cloud platform). It makes no network
connection (the tests run it with every proxy pointing at a closed port and, where ``strace``
exists, trace its ``connect`` calls). ``--quiet`` is not passed: in JSON output it drops the
passed and skipped checks, which the report keeps as evidence.

Each checkov result becomes a finding with ``source="checkov"`` and ``rule_id`` the check id
(``CKV_AWS_18``; ``title`` its name): failed checks ``FAIL``, passed checks ``PASS`` (what
checkov checked, as evidence), and checks skipped through the resource's
``Metadata.checkov.skip`` (checkov docs, "Suppressing and skipping policies"; written by
:func:`govcdk.acknowledge.acknowledge` with ``tool="checkov"``) ``SUPPRESSED`` with the skip's
comment as the acknowledgement's reason. A skip whose comment is not a reason of substance
(:func:`govcdk.policies.suppressions.reason_problem`; checkov says ``No comment provided``) is
``UNKNOWN`` instead: checkov did not evaluate the check, and govcdk does not accept the
acknowledgement. A valid ``Metadata.checkov.skip`` entry for which checkov reported no result
on its resource is listed in ``Report.unused_suppressions``. A template checkov could not
parse is an ``ERROR`` finding (rule id :data:`PARSE_ERROR_ID`): none of its checks ran there.

Mapping: the finding's logical ID and resource type come from checkov's ``resource``
(``AWS::S3::Bucket.LogicalId``), ``line`` from ``file_line_range``, ``property_path`` and
``paths`` from ``evaluated_keys`` (``Properties/BucketEncryption`` -> ``Properties.BucketEncryption``).
``controls`` are the NIST SP 800-53 Rev 5 controls of the govcdk rules whose
``Rule.equivalents`` name the check (:mod:`govcdk.scanners.mappings`; empty when none does).
``severity`` is checkov's when it gives one (offline it does not), else the highest severity
of those rules, else ``MEDIUM``.

Errors (:class:`CheckovError`, an :class:`~govcdk.policies.errors.InputError`: ``govcdk
check`` exits 2 with the message, never a traceback): checkov not found (the message says how
to install it), not startable, exiting with a code other than 0 (no failed check) or 1 (failed
checks), running past the timeout (killed with the processes it started), or printing
something that is not a checkov JSON report; each gives the tail of checkov's standard error.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from govcdk.policies import suppressions as _supp
from govcdk.policies.errors import InputError
from govcdk.policies.model import (Finding, Report, Rule, Severity, Status, Suppression,
                                   UnusedSuppression)

from . import mappings

SOURCE = "checkov"
ENV_VAR = "GOVCDK_CHECKOV"
"""Environment variable naming the checkov executable (after ``--checkov``)."""
VENV_CHECKOV = Path(".venv-checkov") / "bin" / "checkov"
"""Where ``make checkov-setup`` puts checkov, relative to the project directory."""
DEFAULT_TIMEOUT = 900.0
"""Seconds checkov may run before it is killed (both example agencies take about 5 s)."""
OFFLINE_ENV: Mapping[str, str] = {
    "BC_SKIP_MAPPING": "TRUE",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
}
"""Environment settings that keep checkov offline (see the module docstring)."""
DROPPED_ENV = ("BC_API_KEY", "PRISMA_API_URL")
"""Environment variables removed from checkov's environment: with them it contacts the
platform."""
ARGS = ("--framework", "cloudformation", "-o", "json", "--skip-download",
        "--skip-results-upload")
PARSE_ERROR_ID = "PARSE"
"""``rule_id`` of the ERROR finding for a template checkov could not parse."""
STDERR_TAIL = 15
"""Lines of checkov's standard error quoted in an error message."""
INSTALL_HINT = ("install it in its own environment with `make checkov-setup` (the hashed "
                "requirements-checkov.lock, into .venv-checkov), or give its path with "
                f"--checkov PATH or ${ENV_VAR}")


class CheckovError(InputError):
    """checkov could not be run or its output not read; the message says what happened, with
    the tail of its standard error."""


def project_root() -> Path | None:
    """The govcdk source checkout this module runs from (the directory with
    ``pyproject.toml`` above ``src/govcdk``), None for an installed package."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "govcdk").is_dir() \
        else None


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_checkov(explicit: str | Path | None = None, *, cwd: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> Path:
    """The checkov executable: ``explicit`` (the ``--checkov`` option), else ``$GOVCDK_CHECKOV``
    (from ``environ``, default :data:`os.environ`), else ``.venv-checkov/bin/checkov`` under
    ``cwd`` (default the current directory), then under :func:`project_root`, else ``checkov``
    on ``PATH``. An explicit path or ``$GOVCDK_CHECKOV`` that is not an executable file is an
    error, not skipped. Raises :class:`CheckovError` naming what was tried and how to install
    checkov."""
    env = os.environ if environ is None else environ
    for given, what in ((explicit, "--checkov"), (env.get(ENV_VAR) or None, f"${ENV_VAR}")):
        if given is None:
            continue
        path = Path(given).expanduser()
        if _executable(path):
            return path
        found = shutil.which(str(given), path=env.get("PATH")) if os.sep not in str(given) else None
        if found:
            return Path(found)
        state = ("is not executable" if path.is_file() else
                 "is a directory, not the checkov executable (give .../bin/checkov)"
                 if path.is_dir() else "does not exist")
        raise CheckovError(f"{what} {given}: {state}; {INSTALL_HINT}")
    tried = []
    for base in (cwd or Path.cwd(), project_root()):
        if base is None:
            continue
        candidate = base / VENV_CHECKOV
        if _executable(candidate):
            return candidate
        if str(candidate) not in tried:
            tried.append(str(candidate))
    found = shutil.which("checkov", path=env.get("PATH"))
    if found:
        return Path(found)
    raise CheckovError(f"checkov not found (tried {', '.join(tried)} and PATH; --checkov and "
                       f"${ENV_VAR} not set): {INSTALL_HINT}")


def _tail(text: str, lines: int = STDERR_TAIL) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(kept) if kept else "(nothing on standard error)"


def checkov_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """checkov's environment: ``environ`` (default :data:`os.environ`) without
    :data:`DROPPED_ENV`, with :data:`OFFLINE_ENV`."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items()
           if k not in DROPPED_ENV}
    env.update(OFFLINE_ENV)
    return env


def run_checkov(executable: Path, files: Sequence[Path | str], *,
                timeout: float = DEFAULT_TIMEOUT) -> Any:
    """Run ``executable`` on ``files`` (see the module docstring for the command line and
    environment) and return its decoded JSON output: one report object, a list of them (one
    per framework), or checkov's bare summary when it found nothing to check. ``timeout`` is
    in seconds. Raises :class:`CheckovError` (see the module docstring)."""
    command = [str(executable), *ARGS]
    for f in files:
        command += ["-f", str(f)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env=checkov_env(), start_new_session=True)
        except OSError as exc:
            raise CheckovError(f"cannot start checkov ({executable}): {exc.strerror or exc}; "
                               f"{INSTALL_HINT}") from None
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            err.seek(0)
            raise CheckovError(
                f"checkov ({executable}) did not finish within {timeout:g} s and was stopped; "
                f"its standard error ends:\n{_tail(err.read().decode('utf-8', 'replace'))}"
            ) from None
        except BaseException:  # Ctrl-C: leave no checkov running
            _kill(proc)
            raise
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if code not in (0, 1):
        raise CheckovError(f"checkov ({executable}) failed with exit code {code}; its standard "
                           f"error ends:\n{_tail(stderr)}")
    try:
        return json.loads(stdout)
    except ValueError:
        raise CheckovError(f"checkov ({executable}) did not print a JSON report (exit code "
                           f"{code}); standard output begins {stdout[:200]!r}; its standard "
                           f"error ends:\n{_tail(stderr)}") from None


def _kill(proc: subprocess.Popen) -> None:
    """Kill checkov and every process it started (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def reports_of(output: Any) -> list[dict[str, Any]]:
    """checkov's JSON output -> its CloudFormation report objects (``check_type``
    ``cloudformation``, with ``results`` and ``summary``); ``[]`` for the bare summary checkov
    prints when it found nothing to check. Raises :class:`CheckovError` for anything else."""
    items = output if isinstance(output, list) else [output]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise CheckovError(f"checkov's JSON output is not a report: expected an object or a "
                               f"list of objects, got {type(item).__name__}")
        if "results" not in item:
            if {"passed", "failed"} <= set(item):  # nothing found: the summary alone
                continue
            raise CheckovError(f"checkov's JSON output is not a report: no 'results' in an "
                               f"object with keys {', '.join(sorted(map(str, item))) or '(none)'}")
        if item.get("check_type") not in (None, "cloudformation"):
            continue
        if not isinstance(item["results"], dict):
            raise CheckovError("checkov's JSON output is not a report: 'results' is not an object")
        out.append(item)
    return out


def _keys_to_path(key: Any) -> str:
    return ".".join(p for p in str(key).split("/") if p)


class _Templates:
    """The checked templates by the path checkov reports (absolute, resolved), with the file
    name as a fallback when it is unique (a report recorded in another directory)."""

    def __init__(self, templates: Iterable[tuple[str, Path | str, dict]]) -> None:
        self.by_path: dict[str, tuple[str, str, dict]] = {}
        names: dict[str, list[tuple[str, str, dict]]] = {}
        for stack, path, template in templates:
            entry = (stack, str(path), template if isinstance(template, dict) else {})
            self.by_path[str(Path(path).resolve())] = entry
            names.setdefault(Path(path).name, []).append(entry)
        self.by_name = {n: e[0] for n, e in names.items() if len(e) == 1}

    def lookup(self, *paths: Any) -> tuple[str, str, dict] | None:
        for p in paths:
            if isinstance(p, str) and p and str(Path(p).resolve()) in self.by_path:
                return self.by_path[str(Path(p).resolve())]
        for p in paths:
            if isinstance(p, str) and p and Path(p).name in self.by_name:
                return self.by_name[Path(p).name]
        return None


def _resources(template: dict) -> dict:
    res = template.get("Resources")
    return res if isinstance(res, dict) else {}


def _cdk_path(resource: Any) -> str:
    meta = resource.get("Metadata") if isinstance(resource, dict) else None
    value = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


_RESULT_KEYS = (("failed_checks", Status.FAIL), ("skipped_checks", Status.SUPPRESSED),
                ("passed_checks", Status.PASS))


def parse(output: Any, templates: Iterable[tuple[str, Path | str, dict]], *,
          rules: Sequence[Rule] | None = None) -> Report:
    """checkov's decoded JSON ``output`` -> a :class:`Report` of checkov findings (see the
    module docstring), for the ``(stack name, template path, decoded template)`` checkov ran
    on. ``rules`` (default: the whole rule pack) give the mapping to NIST controls. Results
    come in checkov's order: failed, skipped, then passed. Raises :class:`CheckovError` for
    output that is not a checkov report."""
    if rules is None:
        from govcdk.policies.engine import load_rules

        rules = load_rules()
    index = mappings.equivalents(rules, SOURCE)
    known = _Templates(templates)
    version = ""
    counts = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    report = Report(rules_run=[SOURCE])
    reported: set[tuple[str, str, str]] = set()  # (template path, logical id, check id)
    for item in reports_of(output):
        summary = item.get("summary") if isinstance(item.get("summary"), dict) else {}
        version = version or str(summary.get("checkov_version") or "")
        results = item["results"]
        for key, status in _RESULT_KEYS:
            entries = results.get(key)
            entries = [] if entries is None else entries
            if not isinstance(entries, list):
                raise CheckovError(f"checkov's JSON output is not a report: results.{key} is "
                                   f"not a list")
            for entry in entries:
                finding = _finding(entry, status, known, index, key)
                counts[key.split("_")[0]] += 1
                reported.add((finding.template_path, finding.logical_id, finding.rule_id))
                report.findings.append(finding)
        errors = results.get("parsing_errors")
        if not isinstance(errors, (list, type(None))):
            raise CheckovError("checkov's JSON output is not a report: results.parsing_errors "
                               "is not a list")
        for path in errors or []:
            counts["parsing_errors"] += 1
            hit = known.lookup(str(path))
            stack, tpath = (hit[0], hit[1]) if hit else (Path(str(path)).stem, str(path))
            report.findings.append(Finding(
                source=SOURCE, rule_id=PARSE_ERROR_ID, title="checkov could not parse the template",
                severity=Severity.HIGH, controls=(), status=Status.ERROR,
                message="checkov could not parse this template, so none of its checks ran on "
                        "it (checkov's standard error says why)",
                stack=stack, template_path=tpath))
    report.unused_suppressions = _unused(known, reported)
    shown = f"checkov {version}" if version else "checkov"
    report.rule_info[SOURCE] = {
        "title": f"{shown} CloudFormation checks, run offline from its own environment",
        "severity": "", "controls": [], "version": version, "counts": counts}
    return report


def _finding(entry: Any, status: Status, known: _Templates,
             index: Mapping[tuple[str, str], Sequence[Rule]], key: str) -> Finding:
    if not isinstance(entry, dict) or not isinstance(entry.get("check_id"), str):
        raise CheckovError(f"checkov's JSON output is not a report: an entry of results.{key} "
                           f"has no check_id")
    check_id = entry["check_id"]
    name = str(entry.get("check_name") or check_id)
    resource = str(entry.get("resource") or "")
    rtype, _, logical_id = resource.partition(".")
    if not logical_id:  # not Type.LogicalId: keep what checkov said
        rtype, logical_id = "", resource
    hit = known.lookup(entry.get("file_abs_path"), entry.get("file_path"),
                       entry.get("repo_file_path"))
    if hit:
        stack, tpath, template = hit
    else:
        tpath = str(entry.get("file_abs_path") or entry.get("file_path") or "")
        stack, template = Path(tpath).name.split(".")[0], {}
    res = _resources(template).get(logical_id)
    if isinstance(res, dict) and isinstance(res.get("Type"), str):
        rtype = res["Type"]
    lines = entry.get("file_line_range")
    line = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], int) else None
    result = entry.get("check_result") if isinstance(entry.get("check_result"), dict) else {}
    keys = result.get("evaluated_keys") if isinstance(result.get("evaluated_keys"), list) else []
    paths = tuple(dict.fromkeys(p for p in (_keys_to_path(k) for k in keys) if p))
    try:
        severity = Severity(str(entry.get("severity")).upper())
    except ValueError:
        severity = mappings.severity_for(index, SOURCE, check_id) or Severity.MEDIUM
    acks: tuple[Suppression, ...] = ()
    if status is Status.FAIL:
        message = f"checkov {check_id} failed: {name}"
    elif status is Status.PASS:
        message = f"checkov {check_id} passed: {name}"
    else:
        comment = result.get("suppress_comment")
        problem = _supp.reason_problem(comment, "comment")
        if problem is None:
            acks = (Suppression(check_id, " ".join(str(comment).split())),)
            message = f"checkov {check_id} skipped by Metadata.checkov.skip: {name}"
        else:
            status = Status.UNKNOWN
            message = (f"checkov skipped {check_id} ({name}) without evaluating it, for an "
                       f"acknowledgement govcdk does not accept: {problem}; give the "
                       f"Metadata.checkov.skip entry a reason (govcdk.acknowledge.acknowledge)")
    return Finding(
        source=SOURCE, rule_id=check_id, title=name, severity=severity,
        controls=mappings.controls_for(index, SOURCE, check_id), status=status,
        message=message, stack=stack, template_path=tpath, logical_id=logical_id,
        resource_type=rtype, property_path=paths[0] if paths else "",
        cdk_path=_cdk_path(res), line=line, paths=paths,
        suppression=_supp.describe(acks) if acks else "", acknowledgements=acks)


def _unused(known: _Templates, reported: set[tuple[str, str, str]]) -> list[UnusedSuppression]:
    """Valid ``Metadata.checkov.skip`` entries of the checked templates with no checkov result
    of their check on their resource."""
    out = []
    for stack, tpath, template in known.by_path.values():
        for lid, res in _resources(template).items():
            meta = res.get("Metadata") if isinstance(res, dict) else None
            if not isinstance(meta, dict) or _supp.TOOL_FORMATS[SOURCE].key not in meta:
                continue
            acks, _problems = _supp.tool_acknowledgements(
                {_supp.TOOL_FORMATS[SOURCE].key: meta[_supp.TOOL_FORMATS[SOURCE].key]})
            for ack in acks:
                if (tpath, str(lid), ack.id) in reported:
                    continue
                out.append(UnusedSuppression(
                    stack=stack, template_path=tpath, logical_id=str(lid),
                    resource_type=str(res.get("Type", "")), cdk_path=_cdk_path(res),
                    suppression=Suppression(ack.id, ack.reason),
                    why=f"checkov reported no {ack.id} result on this resource (the check does "
                        f"not apply to its type, or does not exist in this checkov)"))
    return out


def scan(templates: Iterable[tuple[str, Path | str, dict]], *,
         executable: str | Path | None = None, timeout: float | None = None,
         rules: Sequence[Rule] | None = None) -> Report:
    """Run checkov on each ``(stack name, template path, decoded template)`` in one process
    and return its findings (:func:`parse`). ``executable`` is the ``--checkov`` option
    (:func:`find_checkov` decides), ``timeout`` seconds (default :data:`DEFAULT_TIMEOUT`),
    ``rules`` the rule pack for the mapping (default all). No template: no run, an empty
    report with checkov in ``rules_run``. Raises :class:`CheckovError`."""
    items = list(templates)
    exe = find_checkov(executable)
    if not items:
        return parse([], items, rules=rules)
    output = run_checkov(exe, [Path(path).resolve() for _, path, _ in items],
                         timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
    return parse(output, items, rules=rules)


__all__ = ["ARGS", "CheckovError", "DEFAULT_TIMEOUT", "DROPPED_ENV", "ENV_VAR", "OFFLINE_ENV",
           "PARSE_ERROR_ID", "SOURCE", "find_checkov", "parse", "reports_of", "run_checkov",
           "scan"]
