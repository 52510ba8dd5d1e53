"""The ``govcdk`` command line.

Exit codes (a contract for CI):

- ``0``: no failing finding (``FAIL``, ``UNKNOWN`` or ``ERROR``; ``UNKNOWN`` not counted with
  ``--allow-unknown``) at or above ``--fail-on``;
- ``1``: failing findings;
- ``2``: usage or input error (bad agency file, unreadable or non-CloudFormation template,
  unknown option, a rule selection that selects nothing, a rule parameter that loosens its
  FedRAMP floor without an exception), reported as one message, never a traceback.

``govcdk --help`` imports neither the AWS CDK nor the policy engine, so it answers at once.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import click

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SEVERITIES = ("low", "medium", "high", "critical")


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
    govcdk check   check templates against the FedRAMP Rev 5 rule pack and cfn-lint
    govcdk rules   list the rules
    govcdk facts   refresh, show and list the accelerated EC2 instance facts
    """


@main.command()
@click.option("--agency", "agency_file", default="agencies/reference.yaml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Agency file (YAML).")
@click.option("--out", "outdir", default="cdk.out", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Cloud assembly directory to write.")
def synth(agency_file: Path, outdir: Path) -> None:
    """Synthesize the agency's stacks into a cloud assembly (no AWS credentials, no lookups)."""
    from govcdk.config import AgencyConfigError, load_agency

    try:
        config = load_agency(agency_file)
    except AgencyConfigError as exc:
        raise UsageError(str(exc)) from None
    _prepare_outdir(outdir)

    from govcdk._node import configure_jsii

    if configure_jsii() is None:
        click.echo("govcdk: warning: no Node.js >= 22 found for jsii; run `make setup`", err=True)
    from govcdk.stacks import build_app

    assembly = build_app(config, outdir).synth()
    for stack in assembly.stacks:
        click.echo(f"synthesized {stack.stack_name} ({stack.environment.region}) -> "
                   f"{outdir / stack.template_file}")


def _is_cloud_assembly(directory: Path) -> bool:
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "version" in manifest and isinstance(manifest.get("artifacts"), dict)


def _prepare_outdir(outdir: Path) -> None:
    """Refuse an --out that would overwrite the user's files or cannot be written."""
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"--out {outdir}: exists and is not a directory")
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
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _check_output_path(output: Path, targets: Sequence[Path], templates: Sequence) -> None:
    """Refuse an --output that would overwrite an input: a checked template, or anything inside
    a checked directory or cloud assembly (its manifest, or a later run's input)."""
    if output.is_dir():
        raise UsageError(f"--output {output}: is a directory; give a file name")
    out = output.resolve()
    if any(out == Path(t.path).resolve() for t in templates):
        raise UsageError(f"--output {output}: is one of the templates being checked; "
                         "choose another file so the template is not overwritten")
    for target in targets:
        if target.is_dir() and out.is_relative_to(target.resolve()):
            raise UsageError(f"--output {output}: lies inside {target}, which is being checked; "
                             "write the report outside it")


def _check_parameter_values(params: dict[str, str], templates: Sequence) -> None:
    """A --parameter value CloudFormation would reject for a template that declares it is a
    usage error: not one of AllowedValues, not a Number, not matching AllowedPattern, or outside
    MinLength/MaxLength/MinValue/MaxValue."""
    import re

    for name, value in params.items():
        for t in templates:
            spec = (t.template.get("Parameters") or {}).get(name)
            if not isinstance(spec, dict):
                continue
            where = f"--parameter {name}={value!r} ({t.path})"
            allowed = spec.get("AllowedValues")
            if isinstance(allowed, list) and allowed and value not in [str(a) for a in allowed]:
                raise UsageError(f"{where}: allowed values are {', '.join(str(a) for a in allowed)}")
            if spec.get("Type") == "Number":
                try:
                    number = float(value)
                except ValueError:
                    raise UsageError(f"{where}: the parameter is a Number") from None
                for key, ok in (("MinValue", lambda b: number >= b), ("MaxValue", lambda b: number <= b)):
                    bound = spec.get(key)
                    if isinstance(bound, (int, float, str)) and not ok(float(bound)):
                        raise UsageError(f"{where}: {key} is {bound}")
            pattern = spec.get("AllowedPattern")
            if isinstance(pattern, str) and re.fullmatch(pattern, value) is None:
                raise UsageError(f"{where}: must match AllowedPattern {pattern}")
            for key, ok in (("MinLength", lambda b: len(value) >= b), ("MaxLength", lambda b: len(value) <= b)):
                bound = spec.get(key)
                if isinstance(bound, (int, str)) and str(bound).isdigit() and not ok(int(bound)):
                    raise UsageError(f"{where}: {key} is {bound}")


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
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Policy file (YAML): rule 'parameters' and 'exceptions' with reason and expiry.")
@click.option("--allow-unknown", is_flag=True,
              help="UNKNOWN findings are shown but do not make the exit code 1.")
@click.option("--region", type=click.Choice(["us-gov-west-1", "us-gov-east-1"]),
              help="Region to evaluate templates for (default: the assembly's, else us-gov-west-1).")
@click.option("--cfn-lint/--no-cfn-lint", "run_cfnlint", default=True, show_default=True,
              help="Also run cfn-lint for both GovCloud regions.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Lowest severity whose failing findings make the exit code 1.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the JSON report to this file.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print on the terminal.")
@click.option("--show-passed", is_flag=True, help="List passing findings too (text format).")
def check(paths: tuple[Path, ...], parameters: tuple[str, ...], all_allowed_values: bool,
          rule_patterns: tuple[str, ...], baseline: str | None, controls: tuple[str, ...],
          rule_parameters: tuple[str, ...], policy_file: Path | None, allow_unknown: bool,
          region: str | None, run_cfnlint: bool, fail_on: str, output: Path | None, fmt: str,
          show_passed: bool) -> None:
    """Check CloudFormation templates: cdk.out directories, template files (JSON or YAML) or
    directories of templates (default ./cdk.out).

    Findings acknowledged in a resource's Metadata (govcdk.suppressions: id, reason, expires,
    poam, wildcard) are SUPPRESSED; expired, invalid and unused acknowledgements are reported."""
    import datetime

    from govcdk.policies import engine
    from govcdk.policies import parameters as rule_params
    from govcdk.policies._gc import collect_less_until_exit
    from govcdk.policies.errors import PolicyError
    from govcdk.policies.loader import load_targets
    from govcdk.policies.model import Severity, Status
    from govcdk.policies.reporters.json_report import to_json
    from govcdk.policies.reporters.text import render_text

    collect_less_until_exit()   # the run's objects live until it ends; see govcdk.policies._gc
    today = datetime.date.today()
    targets = list(paths) or [Path("cdk.out")]
    params = _parse_parameters(parameters)
    try:
        pack = engine.load_rules()
        policy = rule_params.load_policy(policy_file) if policy_file else rule_params.Policy()
        for item in rule_parameters:
            rule_id, name, value = rule_params.parse_rule_parameter(item)
            policy.set(rule_id, name, value, f"--rule-parameter {item}")
        resolved = rule_params.resolve(policy, pack, today)
        rules = engine.select_rules(pack, rule_patterns or None, baseline=baseline,
                                    controls=controls or None)
        templates = load_targets(targets)
    except PolicyError as exc:  # InputError included: a path that is no template, a bad pattern
        raise UsageError(str(exc)) from None
    for warning in resolved.unused_exceptions:
        click.echo(f"govcdk: warning: {warning}", err=True)
    if not templates:
        raise UsageError(f"no CloudFormation template found in {', '.join(str(t) for t in targets)}")
    declared = {name for t in templates if isinstance(t.template.get("Parameters"), dict)
                for name in t.template["Parameters"]}
    for name in sorted(set(params) - declared):
        click.echo(f"govcdk: warning: --parameter {name}: no checked template declares it", err=True)
    if output is not None:
        _check_output_path(output, targets, templates)
    _check_parameter_values(params, templates)
    try:
        report = engine.check_templates(templates, rules, parameters=params, region=region,
                                        all_allowed_values=all_allowed_values, known_rules=pack,
                                        rule_parameters=resolved, today=today)
    except PolicyError as exc:  # e.g. a cloud assembly stack outside GovCloud without --region
        raise UsageError(str(exc)) from None
    if run_cfnlint:
        from govcdk.scanners import cfnlint

        report.extend(cfnlint.scan(((t.stack, t.path, t.template) for t in templates),
                                   today=today))

    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(to_json(report), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {output}: cannot write the report: {exc.strerror or exc}") from None
    if fmt == "json":
        click.echo(to_json(report))
    else:
        from rich.console import Console

        console = Console() if sys.stdout.isatty() else Console(width=160)
        render_text(report, console, show_passed=show_passed)
        if output is not None:
            click.echo(f"JSON report: {output}")

    threshold = Severity[fail_on.upper()].rank
    counted = [f for f in report.failing if not (allow_unknown and f.status is Status.UNKNOWN)]
    failing = [f for f in counted if f.severity.rank >= threshold]
    below = len(counted) - len(failing)
    allowed = len(report.failing) - len(counted)
    if fmt == "text" and below:
        click.echo(f"{below} failing finding(s) below --fail-on {fail_on} do not change the exit code.")
    if fmt == "text" and allowed:
        click.echo(f"{allowed} UNKNOWN finding(s) do not change the exit code (--allow-unknown).")
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


@main.command()
def rules() -> None:
    """List the rules: id, severity, FedRAMP Rev 5 baselines of the primary control (``LMH``
    letters; ``?`` when it is not in the catalog), NIST SP 800-53 Rev 5 controls and title."""
    from rich.console import Console
    from rich.table import Table

    from govcdk.policies import catalog
    from govcdk.policies.engine import load_rules

    table = Table("Rule", "Severity", "FedRAMP", "NIST SP 800-53 Rev 5", "Title", box=None,
                  pad_edge=False)
    for r in sorted(load_rules(), key=lambda r: r.id):
        known = not r.controls or catalog.is_known(r.controls[0])
        letters = "".join(b[0].upper() for b in r.baselines) if known else "?"
        table.add_row(r.id, r.severity.value, letters, ", ".join(r.controls), r.title)
    Console(width=None if sys.stdout.isatty() else 200).print(table)


from govcdk.cli_facts import facts  # noqa: E402 - at the end: cli_facts imports nothing heavy

main.add_command(facts)


if __name__ == "__main__":  # pragma: no cover
    main()
