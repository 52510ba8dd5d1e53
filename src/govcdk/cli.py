"""The ``govcdk`` command line.

Exit codes (a contract for CI):

- ``0``: no failing finding (``FAIL``, ``UNKNOWN`` or ``ERROR``; ``UNKNOWN`` not counted with
  ``--allow-unknown``) at or above ``--fail-on``;
- ``1``: failing findings;
- ``2``: usage or input error (bad agency file, unknown option, a rule selection that selects
  nothing, a rule parameter that loosens its FedRAMP floor without an exception; for
  ``verify``: a stack that does not exist, no AWS credentials, a permission missing, an
  endpoint unreachable), reported as one message, never a traceback; and any template
  ``govcdk check`` could not check (not a CloudFormation template, one CloudFormation would
  refuse, too large): those are input errors listed in the report, in every format, while the
  other files are still checked, so exit 2 wins over 1 when a run has both. A defect of the
  engine itself (an exception out of it) is reported the same way, as one ``internal error``
  line.

``govcdk --help`` imports neither the AWS CDK nor the policy engine, so it answers at once.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import click

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SEVERITIES = ("low", "medium", "high", "critical")
REPORT_FORMATS = ("text", "json", "sarif", "junit", "markdown", "oscal")
"""``--format`` choices: the keys of :data:`govcdk.policies.reporters.WRITERS` (a test keeps the
two equal; listed here so ``--help`` does not import the reporters)."""


class UsageError(click.ClickException):
    """A user error: printed as ``govcdk: error: <message>`` and exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"govcdk: error: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="govcdk", prog_name="govcdk")
def main() -> None:
    """Compliant-by-construction AI infrastructure for AWS GovCloud (US).

    \b
    govcdk synth   synthesize an agency's CloudFormation templates (offline)
    govcdk check   check templates against the FedRAMP Rev 5 rule pack, cfn-lint, checkov
    govcdk verify  verify deployed stacks through read-only AWS API calls
    govcdk rules   list the rules
    govcdk facts   refresh, show and list the accelerated EC2 instance facts
    """


@main.command()
# Paths are checked by govcdk, not click, so a bad one gets the one-line ``govcdk: error:``
# message (exit 2) like every other input error.
@click.option("--agency", "agency_file", default="agencies/reference.yaml", show_default=True,
              type=click.Path(path_type=Path), help="Agency file (YAML).")
@click.option("--out", "outdir", default="cdk.out", show_default=True,
              type=click.Path(path_type=Path), help="Cloud assembly directory to write.")
@click.option("--validate", is_flag=True,
              help="Check the templates while synthesizing (govcdk's CDK validation plugin at "
                   "the agency's impact level as FedRAMP baseline, as `govcdk check --baseline "
                   "<level> --no-cfn-lint` does); failing findings make the exit code 1.")
def synth(agency_file: Path, outdir: Path, validate: bool) -> None:
    """Synthesize the agency's stacks into a cloud assembly (no AWS credentials, no lookups).

    Into an existing assembly, the templates, assets and metadata its previous manifest.json
    listed and the new one does not are removed (and named); no other file is touched."""
    from govcdk.config import AgencyConfigError, load_agency

    try:
        config = load_agency(agency_file)
    except AgencyConfigError as exc:
        raise UsageError(str(exc)) from None
    _prepare_outdir(outdir)
    previous = _assembly_files(outdir)

    from govcdk._node import configure_jsii

    if configure_jsii() is None:
        click.echo("govcdk: warning: no Node.js >= 22 found for jsii; run `make setup`", err=True)
    from govcdk.stacks import build_app

    plugin = None
    baseline = config.impact_level.value
    if validate:
        from govcdk.cdk_validation import GovcdkValidation

        plugin = GovcdkValidation(baseline=baseline)
    try:
        assembly = build_app(config, outdir, validation=[plugin] if plugin else ()).synth()
    except RuntimeError as exc:  # jsii's error for CDK's ValidationError
        text = str(exc)
        if plugin is None or not text.startswith("ValidationFailed:"):
            raise
        click.echo(text.removeprefix("ValidationFailed:").strip(), err=True)
        _remove_stale(outdir, previous)
        click.echo(f"govcdk: validation at the FedRAMP {baseline} baseline failed; the templates "
                   f"are in {outdir}", err=True)
        sys.exit(EXIT_FINDINGS)
    _remove_stale(outdir, previous)
    for stack in assembly.stacks:
        click.echo(f"synthesized {stack.stack_name} ({stack.environment.region}) -> "
                   f"{outdir / stack.template_file}")
    if plugin is not None and plugin.last_report is not None:
        counts = plugin.last_report.counts()
        click.echo(f"validated {len(plugin.last_report.templates)} template(s) at the FedRAMP "
                   f"{baseline} baseline ({len(plugin.last_report.rules_run)} rules): "
                   f"{counts['PASS']} passed, {counts['SUPPRESSED']} suppressed, "
                   f"{len(plugin.last_report.failing)} failing")


def _is_cloud_assembly(directory: Path) -> bool:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "version" in manifest and isinstance(manifest.get("artifacts"), dict)


def _assembly_files(directory: Path) -> set[str] | None:
    """The paths (relative to ``directory``) a cloud assembly's ``manifest.json`` lists: each
    artifact's ``templateFile``, ``file`` (asset manifests, the tree), ``directoryName`` (nested
    assemblies) and ``additionalMetadataFile``, and every asset source (``files.*.source.path``,
    ``dockerImages.*.source.directory``) its asset manifests list. ``None`` when ``directory``
    holds no valid manifest."""
    if not _is_cloud_assembly(directory):
        return None
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    listed: set[str] = set()
    for art in manifest["artifacts"].values():
        if not isinstance(art, dict):
            continue
        props = art.get("properties") if isinstance(art.get("properties"), dict) else {}
        for value in (props.get("templateFile"), props.get("file"), props.get("directoryName"),
                      art.get("additionalMetadataFile")):
            if isinstance(value, str):
                listed.add(value)
        if art.get("type") == "cdk:asset-manifest" and isinstance(props.get("file"), str):
            try:
                assets = json.loads((directory / props["file"]).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(assets, dict):
                continue
            for section, key in (("files", "path"), ("dockerImages", "directory")):
                entries = assets.get(section)
                for entry in (entries.values() if isinstance(entries, dict) else ()):
                    source = entry.get("source") if isinstance(entry, dict) else None
                    if isinstance(source, dict) and isinstance(source.get(key), str):
                        listed.add(source[key])
    return listed


def _remove_stale(outdir: Path, previous: set[str] | None) -> list[Path]:
    """Remove what the previous assembly's manifest listed (``previous``, from
    :func:`_assembly_files`) and the new one does not: another agency's templates, assets and
    metadata, so no stale stack is picked up by a tool reading ``*.template.json``. Only paths
    inside ``outdir`` (never ``manifest.json`` itself); nothing the manifests do not list is
    touched. Says what it removed; returns the removed paths."""
    import shutil

    current = _assembly_files(outdir)
    if not previous or current is None:
        return []
    root = outdir.resolve()
    removed = []
    for rel in sorted(previous - current):
        path = outdir / rel
        try:
            inside = (path.parent.resolve() / path.name).relative_to(root)
        except ValueError:
            continue
        if Path(rel).is_absolute() or str(inside) in ("", ".", "manifest.json") or ".." in Path(rel).parts:
            continue
        try:
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                continue
        except OSError as exc:
            click.echo(f"govcdk: warning: cannot remove stale {path}: {exc.strerror or exc}", err=True)
            continue
        removed.append(path)
        click.echo(f"removed stale {path} (listed by the previous manifest.json, not by this one)")
    return removed


def _prepare_outdir(outdir: Path) -> None:
    """Refuse an --out that would overwrite the user's files or cannot be written."""
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"--out {outdir}: is a file, not a directory; give a directory for the cloud assembly")
    if outdir.is_dir() and any(outdir.iterdir()) and not _is_cloud_assembly(outdir):
        raise UsageError(
            f"--out {outdir}: directory is not empty and is not a CDK cloud assembly (no valid "
            "manifest.json); choose an empty or new directory so nothing of yours is overwritten")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=outdir):
            pass
    except OSError as exc:
        raise UsageError(f"--out {outdir}: cannot write there: {exc.strerror or exc}") from None


def _parse_parameters(values: Sequence[str]) -> dict[str, str]:
    """``--parameter KEY=VALUE`` items -> ``{KEY: VALUE}``. Raises :class:`UsageError` for an
    item without ``=`` or a key, and for a key given twice (one value would win silently)."""
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r}: expected KEY=VALUE")
        if key in out and out[key] != value:
            raise UsageError(f"--parameter {key}: given twice ({out[key]!r} and {value!r}); give "
                             "each parameter once")
        out[key] = value
    return out


OUTPUT_SUFFIXES = ((".oscal.json", "oscal"), (".json", "json"), (".sarif", "sarif"),
                   (".xml", "junit"), (".md", "markdown"), (".txt", "text"))
"""``--output`` file name endings and the format each implies, longest first."""


def _parse_output(value: str, formats: Sequence[str]) -> tuple[str, Path]:
    """``[FORMAT:]PATH`` -> (format, path): an explicit ``FORMAT:`` prefix, else the format
    :data:`OUTPUT_SUFFIXES` gives the path's ending. Raises :class:`UsageError` otherwise."""
    prefix, sep, rest = value.partition(":")
    explicit = bool(sep) and prefix.lower() in formats
    if explicit and not rest:
        raise UsageError(f"--output {value}: no file name after {prefix}:")
    if Path(rest if explicit else value).is_dir():
        raise UsageError(f"--output {value}: is a directory; give a file name")
    if explicit:
        return prefix.lower(), Path(rest)
    lowered = value.lower()
    for suffix, fmt in OUTPUT_SUFFIXES:
        if lowered.endswith(suffix) and len(value) > len(suffix):
            return fmt, Path(value)
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", prefix) and len(prefix) > 1:
        raise UsageError(f"--output {value}: unknown report format {prefix!r}; allowed: "
                         f"{', '.join(formats)} (FORMAT:PATH), or a file name ending in "
                         + ", ".join(suffix for suffix, _ in OUTPUT_SUFFIXES))
    known = ", ".join(f"{suffix} ({fmt})" for suffix, fmt in OUTPUT_SUFFIXES)
    raise UsageError(f"--output {value}: cannot tell the report format from the file name; "
                     f"end it with {known}, or prefix a format: FORMAT:PATH with FORMAT one of "
                     f"{', '.join(formats)} (e.g. sarif:{value})")


_REPORT_MARKS = (
    ('"$schema": "https://json.schemastore.org/sarif', '"name": "govcdk"'),          # SARIF
    ('<testsuites name="govcdk ',),                                                  # JUnit
    ('"assessment-results"', '"title": "govcdk '),                                   # OSCAL
)
"""What a report govcdk wrote holds near its start (every string of one entry); JSON holds its
``"schema": "govcdk.report/`` anywhere (sorted keys put it after the findings), Markdown
starts with its title line, text starts with its templates or input errors and ends with its
``Result:`` line."""


def _is_govcdk_report(path: Path) -> bool:
    """Whether ``path`` holds a report a govcdk run wrote (any format), which a new run may
    replace. Unreadable files are not."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
            size = path.stat().st_size
            fh.seek(max(0, size - 4096))
            tail = fh.read().decode("utf-8", "replace")
            # JSON: sorted keys put "schema" after findings, groups and scanners, anywhere
            # in a file of megabytes: look through it all (a few milliseconds)
            fh.seek(0)
            json_mark = b'"schema": "govcdk.report/' in fh.read() if head.startswith("{") \
                else False
    except OSError:
        return False
    if json_mark:
        return True
    first = head.split("\n", 1)[0].strip()
    if first in ("# govcdk check report", "# govcdk verify report") \
            or any(all(m in head for m in marks) for marks in _REPORT_MARKS):
        return True
    lines = [line for line in tail.splitlines() if line.strip()]
    return first.startswith(("Templates checked: ", "Input errors: ")) and bool(lines) \
        and lines[-1].startswith("Result: ") and " failing finding" in lines[-1]


def _stream_fd(output: Path) -> int | None:
    """The file descriptor ``output`` names when it is one of this process's own streams
    (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``), else None."""
    text = str(output)
    named = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
    if text in named:
        return named[text]
    m = re.fullmatch(r"/(?:dev|proc/self)/fd/(\d+)", text)
    return int(m.group(1)) if m else None


def _refuse_overwrite(output: Path, force: bool) -> None:
    """Refuse an --output that is read-only, or exists and is not a report govcdk wrote (the
    user's file would be lost) unless ``force``. Nothing the user wrote is overwritten. Only a
    regular file is looked at: a pipe, FIFO or device (``/dev/stdout``, ``>(...)``) is written
    to as before, never read (reading one would block), and so is a path under ``/dev`` or
    ``/proc`` (a stream the shell may have redirected to a file) and an empty file."""
    import stat

    if output.absolute().parts[1:2] in (("dev",), ("proc",)):
        return      # /dev/stdout, /dev/fd/N...: the stream the user chose, even when the shell
        #             redirected it to a file (`--output json:/dev/stdout > report.json`)
    try:
        st = output.stat()
    except OSError:
        return                                  # does not exist (yet): nothing to lose
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        return
    if st.st_size == 0 and mode & 0o222 and os.access(output, os.W_OK):
        return                                  # empty (mktemp): nothing to lose
    if not mode & 0o222 or not os.access(output, os.W_OK):
        raise UsageError(f"--output {output}: the file is read-only; choose another file")
    if not force and not _is_govcdk_report(output):
        raise UsageError(f"--output {output}: exists and is not a govcdk report, so it would be "
                         "lost; choose another file, or give --force to overwrite it")


def _check_output_path(output: Path, targets: Sequence[Path], templates: Sequence,
                       inputs: Sequence[str] = (), force: bool = False) -> None:
    """Refuse an --output that would overwrite an input: a checked template (or a file that
    could not be checked, also through a hard link), anything inside a checked directory or
    cloud assembly (its manifest, or a later run's input), a read-only file, or an existing
    file that is not a govcdk report (unless ``force``)."""
    if output.is_dir():
        raise UsageError(f"--output {output}: is a directory; give a file name")
    out = output.resolve()

    def same(other: str | Path) -> bool:
        other = Path(other)
        if out == other.resolve():
            return True
        try:
            return output.exists() and other.exists() and os.path.samefile(output, other)
        except OSError:
            return False

    if any(same(t.path) for t in templates) or any(same(p) for p in inputs) \
            or any(same(t) for t in targets):
        raise UsageError(f"--output {output}: is one of the templates being checked; "
                         "choose another file so the template is not overwritten")
    for target in targets:
        if target.is_dir() and out.is_relative_to(target.resolve()):
            raise UsageError(f"--output {output}: lies inside {target}, which is being checked; "
                             "write the report outside it")
    _refuse_overwrite(output, force)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--parameter", "parameters", multiple=True, metavar="KEY=VALUE",
              help="Override a template parameter (repeatable).")
@click.option("--all-allowed-values", is_flag=True,
              help="Check every AllowedValues entry of a parameter not given (worst wins); "
                   "by default parameters take their Default.")
@click.option("--rule", "rule_patterns", multiple=True, metavar="PATTERN",
              help="Run only rules whose id matches (fnmatch, repeatable), e.g. 'GOV-KMS-*'.")
@click.option("--baseline", type=click.Choice(["low", "moderate", "high"]),
              help="Run only rules in this FedRAMP Rev 5 baseline (with --rule/--control: "
                   "rules selected by all).")
@click.option("--control", "controls", multiple=True, metavar="CONTROL",
              help="Run only rules mapped to this NIST SP 800-53 Rev 5 control (repeatable); "
                   "SC-12 also selects SC-12(1), SC-12(1) only itself.")
@click.option("--rule-parameter", "rule_parameters", multiple=True,
              metavar="RULE.PARAMETER=VALUE",
              help="Set a rule parameter (repeatable), e.g. GOV-LOGS-001.min_retention_days=400; "
                   "tightening only, loosening needs an exception in --policy.")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path),
              help="Policy file (YAML): rule 'parameters' and 'exceptions' with reason and expiry.")
@click.option("--allow-unknown", is_flag=True,
              help="UNKNOWN findings are shown but do not make the exit code 1.")
@click.option("--region", type=click.Choice(["us-gov-west-1", "us-gov-east-1"]),
              help="Region to evaluate templates for (default: the assembly's, else us-gov-west-1).")
@click.option("--scanners", "scanners", metavar="LIST", multiple=True,
              help="Comma-separated scanners whose findings join the report: govcdk (the "
                   "rule pack), cfn-lint (both GovCloud regions), checkov (its own "
                   "environment, offline); repeatable, the lists add up. "
                   "Default: govcdk,cfn-lint.")
@click.option("--cfn-lint/--no-cfn-lint", "run_cfnlint", default=None,
              help="Alias: --no-cfn-lint is --scanners govcdk (default: cfn-lint runs); "
                   "with --scanners it must agree with it.")
@click.option("--checkov", "checkov_path", metavar="PATH",
              help="checkov executable for --scanners ...,checkov (default: $GOVCDK_CHECKOV, "
                   "else .venv-checkov/bin/checkov here or in the govcdk checkout, else PATH; "
                   "`make checkov-setup` installs it).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Lowest severity whose failing findings make the exit code 1.")
@click.option("--output", "outputs", multiple=True, metavar="[FORMAT:]PATH",
              help="Also write the report to PATH (repeatable; parent directories are created). "
                   "The format follows the name: .json json, .sarif sarif, .xml junit, "
                   ".md markdown, .oscal.json oscal, .txt text; or give it: sarif:PATH.")
@click.option("--force", is_flag=True,
              help="Overwrite an --output file that exists and is not a govcdk report "
                   "(a govcdk report is replaced without it).")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text",
              show_default=True, help="Report format printed on standard output.")
@click.option("--show-passed", is_flag=True, help="List passing findings too (text format).")
def check(paths: tuple[Path, ...], parameters: tuple[str, ...], all_allowed_values: bool,
          rule_patterns: tuple[str, ...], baseline: str | None, controls: tuple[str, ...],
          rule_parameters: tuple[str, ...], policy_file: Path | None, allow_unknown: bool,
          region: str | None, scanners: tuple[str, ...], run_cfnlint: bool | None,
          checkov_path: str | None, fail_on: str, outputs: tuple[str, ...], force: bool,
          fmt: str, show_passed: bool) -> None:
    """Check CloudFormation templates: cdk.out directories, template files (JSON or YAML) or
    directories of templates (default ./cdk.out).

    Findings acknowledged in a resource's Metadata (govcdk.suppressions: id, reason, expires,
    poam, wildcard; checkov.skip: id, comment) are SUPPRESSED; expired, invalid and unused
    acknowledgements are reported.

    With --scanners, cfn-lint's and checkov's findings join govcdk's, each tagged with its
    source, mapped to NIST controls where a govcdk rule names the check, and grouped with the
    govcdk finding about the same concern on the same resource (no finding is dropped).

    A file that cannot be checked (not a CloudFormation template, one CloudFormation would
    refuse: over 1 MB or 500 resources, a resource without a Type, an unknown Fn:: function, a
    circular dependency) is an input error in the report; the other files are still checked,
    and the exit code is 2."""
    import datetime

    from govcdk.policies import parameters as rule_params
    from govcdk.policies import run
    from govcdk.policies._gc import collect_less_until_exit
    from govcdk.policies.errors import InputProblem, PolicyError
    from govcdk.policies.loader import load_targets

    collect_less_until_exit()   # the run's objects live until it ends; see govcdk.policies._gc
    today = datetime.date.today()
    chosen = _choose_scanners(scanners, run_cfnlint, checkov_path, bool(
        rule_patterns or baseline or controls or rule_parameters or policy_file))
    targets = list(paths) or [Path("cdk.out")]
    params = _parse_parameters(parameters)
    wanted = [_parse_output(value, REPORT_FORMATS) for value in outputs]
    problems: list[InputProblem] = []
    try:
        settings = [(*rule_params.parse_rule_parameter(item), f"--rule-parameter {item}")
                    for item in rule_parameters]
        given: dict[tuple[str, str], Any] = {}
        for rule_id, name, value, source in settings:   # one value wins silently otherwise
            if (rule_id, name) in given and given[(rule_id, name)] != value:
                raise UsageError(f"{source}: {rule_id}.{name} is given twice "
                                 f"({given[(rule_id, name)]} and {value}); give it once")
            given[(rule_id, name)] = value
        selection = run.select(rule_patterns=rule_patterns, baseline=baseline, controls=controls,
                               policy_file=policy_file, settings=settings, today=today)
        templates = load_targets(targets, problems=problems)
    except PolicyError as exc:  # InputError included: a missing path, a bad pattern
        raise UsageError(str(exc)) from None
    for warning in selection.warnings:
        click.echo(f"govcdk: warning: {warning}", err=True)
    if not templates and not problems:
        raise UsageError(f"no CloudFormation template found in {', '.join(str(t) for t in targets)}")
    declared = {name for t in templates if isinstance(t.template.get("Parameters"), dict)
                for name in t.template["Parameters"]}
    for name in sorted(set(params) - declared):
        click.echo(f"govcdk: warning: --parameter {name}: no checked template declares it", err=True)
    written: dict[Path, str] = {}
    for out_fmt, output in wanted:
        _check_output_path(output, targets, templates, [p.path for p in problems], force)
        if output.resolve() in written:
            raise UsageError(f"--output {output}: given twice; write each report to its own file")
        written[output.resolve()] = out_fmt
    try:
        # A bad --parameter value, or a cloud assembly stack outside GovCloud without --region.
        report = run.check_loaded(templates, selection, parameters=params, region=region,
                                  all_allowed_values=all_allowed_values, scanners=chosen,
                                  checkov=checkov_path, today=today, problems=problems)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a defect of the engine: one line, not a traceback
        raise UsageError(f"internal error while checking {', '.join(str(t) for t in targets)}: "
                         f"{type(exc).__name__}: {exc} (a govcdk defect: please report it with "
                         f"the template)") from None
    _finish(report, wanted=wanted, fmt=fmt, show_passed=show_passed, fail_on=fail_on,
            allow_unknown=allow_unknown)


def _choose_scanners(scanners: str | Sequence[str] | None, run_cfnlint: bool | None, checkov_path: str | None,
                     selects_rules: bool) -> tuple[str, ...]:
    """The scanners of a check run from ``--scanners`` (each time it is given: its lists add
    up), ``--cfn-lint/--no-cfn-lint`` (an
    alias: ``--no-cfn-lint`` alone is ``--scanners govcdk``) and ``--checkov``. Raises
    :class:`UsageError` for an unknown or empty list, ``--cfn-lint``/``--no-cfn-lint``
    contradicting ``--scanners``, ``--checkov`` without checkov among the scanners, and a rule
    selection (``selects_rules``: ``--rule``, ``--baseline``, ``--control``,
    ``--rule-parameter``, ``--policy``) without govcdk among them."""
    from govcdk.policies import run
    from govcdk.policies.errors import InputError

    if isinstance(scanners, (tuple, list)):   # --scanners given n times: the lists add up
        scanners = ",".join(scanners) if scanners else None
    if scanners is None:
        chosen = tuple(s for s in run.DEFAULT_SCANNERS if s != "cfn-lint" or run_cfnlint is not False)
    else:
        try:
            chosen = run.parse_scanners(scanners)
        except InputError as exc:
            raise UsageError(str(exc)) from None
        if run_cfnlint is True and "cfn-lint" not in chosen:
            raise UsageError(f"--cfn-lint conflicts with --scanners {scanners}, which leaves "
                             "cfn-lint out; give one of them")
        if run_cfnlint is False and "cfn-lint" in chosen:
            raise UsageError(f"--no-cfn-lint conflicts with --scanners {scanners}, which names "
                             "cfn-lint; give one of them")
    if checkov_path is not None and "checkov" not in chosen:
        raise UsageError(f"--checkov {checkov_path}: checkov is not among the scanners "
                         f"({','.join(chosen)}); add it: --scanners {','.join(chosen)},checkov")
    if selects_rules and "govcdk" not in chosen:
        raise UsageError(f"--rule, --baseline, --control, --rule-parameter and --policy apply to "
                         f"govcdk's rules, which are not among the scanners ({','.join(chosen)}); "
                         f"add govcdk to --scanners")
    return chosen


def _finish(report, *, wanted: Sequence[tuple[str, Path]], fmt: str, show_passed: bool,  # noqa: ANN001
            fail_on: str, allow_unknown: bool) -> None:
    """Write each ``--output`` in its format, print the report in ``--format`` and exit: 2 when
    the report holds input errors, else 1 or 0 by the failing findings at or above ``--fail-on``
    (UNKNOWN not counted with ``--allow-unknown``). Shared by ``check`` and ``verify``."""
    from govcdk.policies import run

    for out_fmt, output in wanted:
        blocker = next((p for p in output.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise UsageError(f"--output {output}: cannot write the report: {blocker} is a file, "
                             "not a directory")
        try:
            fd = _stream_fd(output)
            if fd is not None:      # this process's own stream: write to it, never reopen it
                sys.stdout.flush()  # (reopening truncates the file a shell redirected it to)
                sys.stderr.flush()
                data = _render(out_fmt, report, show_passed).encode("utf-8")
                while data:
                    data = data[os.write(fd, data):]
                continue
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(_render(out_fmt, report, show_passed), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {output}: cannot write the report: {exc.strerror or exc}") from None
    if fmt == "text" and sys.stdout.isatty():
        from rich.console import Console

        from govcdk.policies.reporters import render_text

        render_text(report, Console(), show_passed=show_passed)
    else:
        click.echo(_render(fmt, report, show_passed), nl=False)
    if fmt != "text":   # the text report lists them; other formats go to files and pipes
        for problem in report.input_errors:
            click.echo(f"govcdk: error: {problem.describe()}", err=True)
    if fmt == "text":
        for out_fmt, output in wanted:
            click.echo(f"{out_fmt} report: {output}")

    outcome = run.verdict(report, fail_on, allow_unknown)
    if fmt == "text" and outcome.below:
        click.echo(f"{len(outcome.below)} failing finding(s) below --fail-on {fail_on} do not "
                   "change the exit code.")
    if fmt == "text" and outcome.allowed:
        click.echo(f"{len(outcome.allowed)} UNKNOWN finding(s) do not change the exit code "
                   "(--allow-unknown).")
    if report.input_errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if outcome.passed else EXIT_FINDINGS)


@main.command()
@click.option("--region", type=click.Choice(["us-gov-west-1", "us-gov-east-1"]),
              help="Region of the deployed stacks (default: the --agency file's region).")
@click.option("--profile", help="AWS named profile (default: boto3's credential chain: "
                                "environment, AWS_PROFILE, SSO, instance or task role).")
@click.option("--agency", "agency_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Agency file (YAML): verify its stacks, those named <code>-*.")
@click.option("--stack", "stacks", multiple=True, metavar="NAME",
              help="Verify this stack (repeatable); default: the agency's stacks with --agency, "
                   "else every stack tagged govcdk:agency.")
@click.option("--rule", "rule_patterns", multiple=True, metavar="PATTERN",
              help="Run only verify rules whose id matches (fnmatch, repeatable), e.g. "
                   "'GOV-VERIFY-KMS-*'.")
@click.option("--baseline", type=click.Choice(["low", "moderate", "high"]),
              help="Run only rules in this FedRAMP Rev 5 baseline.")
@click.option("--control", "controls", multiple=True, metavar="CONTROL",
              help="Run only rules mapped to this NIST SP 800-53 Rev 5 control (repeatable).")
@click.option("--allow-unknown", is_flag=True,
              help="UNKNOWN findings are shown but do not make the exit code 1.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Lowest severity whose failing findings make the exit code 1.")
@click.option("--output", "outputs", multiple=True, metavar="[FORMAT:]PATH",
              help="Also write the report to PATH (repeatable), as for check.")
@click.option("--force", is_flag=True,
              help="Overwrite an --output file that exists and is not a govcdk report.")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text",
              show_default=True, help="Report format printed on standard output.")
@click.option("--show-passed", is_flag=True, help="List passing findings too (text format).")
def verify(region: str | None, profile: str | None, agency_file: Path | None,
           stacks: tuple[str, ...], rule_patterns: tuple[str, ...], baseline: str | None,
           controls: tuple[str, ...], allow_unknown: bool, fail_on: str, outputs: tuple[str, ...],
           force: bool, fmt: str, show_passed: bool) -> None:
    """Verify deployed stacks through read-only AWS API calls: KMS keys enabled and rotating,
    VPC flow logs active, no internet path, S3 public access blocked and SSE-KMS, CloudTrail
    trails logging with validation, log group retention and keys.

    Needs credentials allowed the read actions listed in the README ("Verify a deployed
    account"); nothing in the account is changed."""
    from govcdk.policies.errors import PolicyError
    from govcdk.policies.engine import select_rules
    from govcdk.verify import VERIFY_RULES, VerifyError
    from govcdk.verify import verify as run_verify

    agency = None
    if agency_file is not None:
        from govcdk.config import AgencyConfigError, load_agency

        try:
            config = load_agency(agency_file)
        except AgencyConfigError as exc:
            raise UsageError(str(exc)) from None
        agency = config.agency.code
        region = region or config.region
    if region is None:
        raise UsageError("--region is required (or --agency FILE, whose region is used)")
    wanted = [_parse_output(value, REPORT_FORMATS) for value in outputs]
    for _, output in wanted:
        if output.is_dir():
            raise UsageError(f"--output {output}: is a directory; give a file name")
        _refuse_overwrite(output, force)
    try:
        rules = select_rules(VERIFY_RULES, rule_patterns or None, baseline=baseline,
                             controls=controls or None)
    except PolicyError as exc:
        raise UsageError(str(exc)) from None

    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(region_name=region, profile_name=profile)
    except BotoCoreError as exc:  # ProfileNotFound
        raise UsageError(f"--profile {profile}: {exc}") from None
    from govcdk.verify import Clients

    client_config = Config(connect_timeout=10, read_timeout=30,
                           retries={"max_attempts": 4, "mode": "standard"})
    try:
        report = run_verify(Clients.from_session(session, config=client_config), region,
                            list(stacks) or None, agency=agency, rules=rules)
    except VerifyError as exc:
        raise UsageError(str(exc)) from None
    _finish(report, wanted=wanted, fmt=fmt, show_passed=show_passed, fail_on=fail_on,
            allow_unknown=allow_unknown)


def _render(fmt: str, report, show_passed: bool) -> str:  # noqa: ANN001 - Report, lazily imported
    """``report`` in ``fmt`` through :data:`govcdk.policies.reporters.WRITERS` (text: with
    ``show_passed``)."""
    from govcdk.policies.reporters import WRITERS, to_text

    if fmt == "text":
        return to_text(report, show_passed=show_passed)
    return WRITERS[fmt](report)


@main.command()
def rules() -> None:
    """List the rules: id, severity, FedRAMP Rev 5 baselines of the primary control (``LMH``
    letters; ``?`` when it is not in the catalog), NIST SP 800-53 Rev 5 controls and title; the
    template rules of ``govcdk check``, then the deployed-account rules of ``govcdk verify``."""
    from rich.console import Console
    from rich.table import Table

    from govcdk.policies import catalog
    from govcdk.policies.engine import load_rules
    from govcdk.verify.rules import VERIFY_RULES

    console = Console(width=None if sys.stdout.isatty() else 200)
    for heading, pack in (("Template rules (govcdk check)", load_rules()),
                          ("Deployed-account rules (govcdk verify)", VERIFY_RULES)):
        table = Table("Rule", "Severity", "FedRAMP", "NIST SP 800-53 Rev 5", "Title", box=None,
                      pad_edge=False, title=heading, title_justify="left")
        for r in sorted(pack, key=lambda r: r.id):
            known = not r.controls or catalog.is_known(r.controls[0])
            letters = "".join(b[0].upper() for b in r.baselines) if known else "?"
            table.add_row(r.id, r.severity.value, letters, ", ".join(r.controls), r.title)
        console.print(table)


from govcdk.cli_facts import facts  # noqa: E402 - at the end: cli_facts imports nothing heavy

main.add_command(facts)


if __name__ == "__main__":  # pragma: no cover
    main()
