"""Benchmark govcdk against checkov and cfn-lint on the template corpus (``make bench``).

Every tool runs as a whole process (``subprocess``, wall clock, Python start-up and imports
included) over the same templates, ``--runs`` times (``--checkov-runs`` for checkov, which is
slow); the table shows the best run and the median:

- govcdk: ``govcdk check --no-cfn-lint --format json <corpus directory>``;
- checkov, offline: ``checkov -d <corpus> --framework cloudformation -o json --skip-download
  --skip-results-upload --quiet`` with ``BC_SKIP_MAPPING=TRUE``,
  ``CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false`` and ``CKV_SKIP_PACKAGE_UPDATE_CHECK=true`` (no
  platform download, no result upload, no PyPI version check), from its own virtual
  environment (``make checkov-setup``);
- cfn-lint (govcdk's virtual environment): ``cfn-lint --regions us-gov-west-1 --format
  parseable -- <every template>``, one process.

A tool's findings exit code (govcdk 1, checkov 1, cfn-lint 2/4/8 bits) is a normal run, and so
is govcdk's 2 when its JSON report accounts for every file (checked, or refused as an input
error like a file CloudFormation would reject); any other exit code is a crash, and a run past ``--timeout`` seconds is killed: both are reported
(in the table and in the JSON) and have no time.

Also timed: one generated template of ``--resources`` resources (deterministic: KMS keys, S3
buckets, CloudWatch log groups, security groups and IAM roles tied together with ``Ref`` and
``Fn::GetAtt``), by the engine in this process (the template decoded and the rule pack loaded
beforehand, imports excluded; best of ``--runs``) and by ``govcdk check`` as a whole process.

The table's times are wall clock (``best s``, ``median s``); ``cpu s`` is the user + system
CPU time of the best run (the machine's other load shows as wall time above CPU time).

Targets: checkov/govcdk >= 20x, cfn-lint/govcdk >= 5x (best wall-clock times over the corpus),
generated template in-process <= 100 ms. Results go to ``--out`` (default reports/bench.json)
too. Exit code 0 when every tool ran (targets met or not), 1 when a tool crashed or timed out,
2 on a usage error (a missing corpus or tool).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "templates"
SUFFIXES = (".json", ".yaml", ".yml", ".template")
TARGET_CHECKOV = 20.0
TARGET_CFNLINT = 5.0
TARGET_IN_PROCESS_MS = 100.0
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
               "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}


class UsageError(Exception):
    pass


@dataclass
class Run:
    """One process: wall-clock seconds, CPU seconds (user + system, children included), exit
    code; ``error`` says why the run does not count (crash, timeout)."""

    wall: float | None
    cpu: float | None
    returncode: int | None
    error: str | None = None


@dataclass
class Timing:
    tool: str
    command: list[str]
    templates: int
    resources: int | None
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> list[Run]:
        return [r for r in self.runs if r.error is None and r.wall is not None]

    @property
    def best(self) -> float | None:
        return min((r.wall for r in self.ok), default=None)  # type: ignore[type-var]

    @property
    def best_cpu(self) -> float | None:
        """CPU seconds of the run with the best wall-clock time."""
        best = min(self.ok, key=lambda r: r.wall or 0.0, default=None)
        return best.cpu if best is not None else None

    @property
    def median(self) -> float | None:
        walls = [r.wall for r in self.ok]
        return statistics.median(walls) if walls else None  # type: ignore[type-var]

    @property
    def errors(self) -> list[str]:
        return [r.error for r in self.runs if r.error]

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        best = self.best
        out.update(best_s=best, median_s=self.median, best_run_cpu_s=self.best_cpu,
                   errors=self.errors,
                   ms_per_resource=(best * 1000 / self.resources
                                    if best is not None and self.resources else None))
        return out


def corpus_files(corpus: Path) -> list[Path]:
    """The templates below ``corpus`` as ``govcdk check`` finds them in a plain directory:
    every ``*.json``/``*.yaml``/``*.yml``/``*.template`` file, hidden directories skipped."""
    files = []
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts[:-1]):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            files.append(path)
    return files


def run_once(command: list[str], *, env: dict[str, str] | None, timeout: float,
             ok_codes: Any, stdout_path: Path) -> Run:
    """Run ``command`` once; its stdout goes to ``stdout_path``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                    env={**os.environ, **(env or {})}, cwd=ROOT,
                                    start_new_session=True)
        except OSError as exc:
            return Run(None, None, None, f"cannot start {command[0]}: {exc.strerror or exc}")
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            return Run(None, None, None, f"timed out after {timeout:.0f} s (killed)")
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if not ok_codes(code):
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            return Run(wall, cpu, code, f"crashed: exit code {code}: {' | '.join(tail)}")
    return Run(wall, cpu, code)


def time_tool(timing: Timing, runs: int, *, env: dict[str, str] | None = None,
              timeout: float, ok_codes: Any, check_output: Any = None) -> Timing:
    for i in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "stdout"
            run = run_once(timing.command, env=env, timeout=timeout, ok_codes=ok_codes,
                           stdout_path=out)
            if run.error is None and check_output is not None:
                problem = check_output(out, timing)
                if problem:
                    run.error = problem
            timing.runs.append(run)
        shown = f"{run.wall:.2f} s wall, {run.cpu:.2f} s CPU, exit {run.returncode}" \
            if run.error is None else run.error
        print(f"  {timing.tool} run {i + 1}/{runs}: {shown}", file=sys.stderr, flush=True)
    return timing


def govcdk_output(expected_templates: int):
    """Check a govcdk JSON report: every template was checked; sets the resource count."""
    def check(path: Path, timing: Timing) -> str | None:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return f"crashed: no JSON report on stdout ({exc})"
        templates = report.get("templates") or []
        checked = {t.get("path") for t in templates}
        refused = {e.get("path") for e in report.get("input_errors") or []} - checked
        if len(templates) + len(refused) != expected_templates:
            return (f"checked {len(templates)} templates and refused {len(refused)} files, "
                    f"expected {expected_templates}")
        timing.resources = sum(int(t.get("resource_count") or 0) for t in templates)
        flagged = {e.get("path") for e in report.get("input_errors") or []} & checked
        notes = []
        if refused:
            notes.append(f"{len(refused)} file(s) refused as input errors (exit 2), as "
                         f"CloudFormation would")
        if flagged:
            notes.append(f"{len(flagged)} checked with references CloudFormation refuses")
        timing.note = "; ".join(notes)
        return None
    return check


def checkov_output(path: Path, timing: Timing) -> str | None:
    """Check a checkov JSON report; sets the resource count checkov reports."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"crashed: no JSON report on stdout ({exc})"
    reports = data if isinstance(data, list) else [data]
    summary = next((r.get("summary") for r in reports if isinstance(r, dict)
                    and r.get("check_type") == "cloudformation"), None)
    if not isinstance(summary, dict):
        return "no cloudformation report in checkov's output"
    timing.resources = int(summary.get("resource_count") or 0)
    timing.note = (f"checkov {summary.get('checkov_version', '?')}: "
                   f"{summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed, "
                   f"{summary.get('parsing_errors', 0)} parsing error(s)")
    return None


# --------------------------------------------------------------------------------------------
# the generated template

def generated_template(count: int) -> dict[str, Any]:
    """A deterministic template of exactly ``count`` resources: groups of a KMS key, an S3
    bucket encrypted with it and logging to the first bucket, a log group encrypted with it, a
    security group admitting the previous group's security group, and an IAM role allowed to
    read the bucket and write the log group (``Ref``/``Fn::GetAtt`` between them)."""
    resources: dict[str, Any] = {}
    kinds = ("Key", "Bucket", "Logs", "Sg", "Role")
    i = 0
    while len(resources) < count:
        n = i // len(kinds)
        kind = kinds[i % len(kinds)]
        i += 1
        key, bucket, logs, sg, role = (f"{k}{n:03d}" for k in kinds)
        if kind == "Key":
            resources[key] = {"Type": "AWS::KMS::Key", "Properties": {
                "EnableKeyRotation": n % 7 != 3,
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Action": "kms:*", "Resource": "*",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::"
                                                     "${AWS::AccountId}:root"}}}]}}}
        elif kind == "Bucket":
            props: dict[str, Any] = {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]}}}]},
                "VersioningConfiguration": {"Status": "Enabled" if n % 5 else "Suspended"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True, "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True, "RestrictPublicBuckets": n % 9 != 4}}
            if n:
                props["LoggingConfiguration"] = {"DestinationBucketName": {"Ref": "Bucket000"}}
            resources[bucket] = {"Type": "AWS::S3::Bucket", "Properties": props}
        elif kind == "Logs":
            resources[logs] = {"Type": "AWS::Logs::LogGroup", "Properties": {
                "RetentionInDays": 400 if n % 4 else 30,
                "KmsKeyId": {"Fn::GetAtt": [key, "Arn"]}}}
        elif kind == "Sg":
            ingress: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
            if n:
                ingress["SourceSecurityGroupId"] = {"Fn::GetAtt": [f"Sg{n - 1:03d}", "GroupId"]}
            else:
                ingress["CidrIp"] = "10.0.0.0/16"
            resources[sg] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": f"tier {n}", "VpcId": {"Ref": "VpcId"},
                "SecurityGroupIngress": [ingress],
                "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                         "CidrIp": "10.0.0.0/8"}]}}
        else:
            resources[role] = {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "work", "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                         "Resource": {"Fn::Sub": "${" + bucket + ".Arn}/*"}},
                        {"Effect": "Allow", "Action": ["logs:CreateLogStream",
                                                       "logs:PutLogEvents"],
                         "Resource": {"Fn::GetAtt": [logs, "Arn"]}},
                        {"Effect": "Allow", "Action": "kms:Decrypt",
                         "Resource": {"Fn::GetAtt": [key, "Arn"]}}]}}]}}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"govcdk benchmark: {count} generated resources",
            "Parameters": {"VpcId": {"Type": "AWS::EC2::VPC::Id", "Default": "vpc-0123456789abcdef0"}},
            "Resources": resources}


def in_process(path: Path, runs: int) -> dict[str, Any]:
    """The engine over one decoded template, in this process: rule pack loaded and template
    decoded first (imports excluded), then ``check_templates`` timed ``runs`` times."""
    import datetime

    from govcdk.policies import engine
    from govcdk.policies import parameters as rule_params
    from govcdk.policies.loader import load_targets

    today = datetime.date.today()
    pack = engine.load_rules()
    resolved = rule_params.resolve(rule_params.Policy(), pack, today)
    rules = engine.select_rules(pack, None)
    templates = load_targets([path])   # first decode: the decoder's imports
    engine.check_templates(templates, rules, known_rules=pack,
                           rule_parameters=resolved, today=today)   # warm lazy data (IAM)
    times, cpu, decode = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        fresh = load_targets([path])    # a fresh template: nothing memoized from a run
        decode.append(time.perf_counter() - start)
        start, start_cpu = time.perf_counter(), time.process_time()
        report = engine.check_templates(fresh, rules, known_rules=pack,
                                        rule_parameters=resolved, today=today)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"best_ms": min(times) * 1000, "median_ms": statistics.median(times) * 1000,
            "best_cpu_ms": min(cpu) * 1000,
            "runs": len(times), "decode_ms": min(decode) * 1000,
            "resources": len(templates[0].template.get("Resources", {})),
            "findings": len(report.findings)}


# --------------------------------------------------------------------------------------------
# the table

def _fmt(value: float | None, spec: str) -> str:
    """``value`` formatted by ``spec`` (``"8.2f"``), or ``-`` in the same width."""
    if value is None:
        width = spec.split(".")[0]
        return "-".rjust(int(width)) if width.isdigit() else "-"
    return format(value, spec)


def _ratio(slow: Timing, fast: Timing) -> float | None:
    if slow.best is None or fast.best is None or fast.best == 0:
        return None
    return slow.best / fast.best


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "NOT met")


def table(timings: list[Timing], ratios: dict[str, float | None], gen: dict[str, Any],
          targets: dict[str, bool | None]) -> str:
    lines = [f"{'tool':<10} {'best s':>8} {'median s':>9} {'cpu s':>7} {'runs':>5} "
             f"{'templates':>9} {'resources':>9} {'ms/resource':>11}  note"]
    for t in timings:
        note = "; ".join([t.note] * bool(t.note) + t.errors)
        best = t.best
        mspr = best * 1000 / t.resources if best is not None and t.resources else None
        lines.append(f"{t.tool:<10} {_fmt(best, '8.2f')} {_fmt(t.median, '9.2f')} "
                     f"{_fmt(t.best_cpu, '7.2f')} {len(t.ok):>2}/{len(t.runs):<2} {t.templates:>9} "
                     f"{t.resources if t.resources is not None else '-':>9} "
                     f"{_fmt(mspr, '11.2f')}  {note}")
    lines.append("")
    lines.append(f"checkov/govcdk  {_fmt(ratios['checkov'], '.1f')}x   target >= "
                 f"{TARGET_CHECKOV:.0f}x: {_verdict(targets['checkov'])}")
    lines.append(f"cfn-lint/govcdk {_fmt(ratios['cfn-lint'], '.1f')}x   target >= "
                 f"{TARGET_CFNLINT:.0f}x: {_verdict(targets['cfn-lint'])}")
    ip = gen["in_process"]
    whole = gen["whole_process"]
    lines.append(f"{gen['resources']}-resource template: in-process {ip['best_ms']:.1f} ms "
                 f"(median {ip['median_ms']:.1f} ms, CPU {ip['best_cpu_ms']:.1f} ms, best of "
                 f"{ip['runs']}; decoding "
                 f"{ip['decode_ms']:.1f} ms not counted)   target <= {TARGET_IN_PROCESS_MS:.0f} ms: "
                 f"{_verdict(targets['in_process'])}")
    lines.append(f"{gen['resources']}-resource template: whole process (govcdk check) "
                 f"{_fmt(whole['best_s'], '.2f')} s (median {_fmt(whole['median_s'], '.2f')} s)"
                 + (f"  {'; '.join(whole['errors'])}" if whole['errors'] else ""))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------

def _tool(path: str | None, default: Path, what: str) -> Path:
    chosen = Path(path) if path else default
    if not chosen.exists():
        raise UsageError(f"{what} not found at {chosen}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="directory of templates (default: ../shared/corpus/templates "
                         "beside the repository)")
    ap.add_argument("--checkov", help="checkov executable (default .venv-checkov/bin/checkov; "
                                      "make checkov-setup)")
    ap.add_argument("--cfn-lint", dest="cfnlint",
                    help="cfn-lint executable (default: the one beside this Python)")
    ap.add_argument("--runs", type=int, default=3, help="runs of govcdk and cfn-lint (3)")
    ap.add_argument("--checkov-runs", type=int, default=2, help="runs of checkov (2)")
    ap.add_argument("--timeout", type=float, default=900.0,
                    help="seconds before a run is killed (900)")
    ap.add_argument("--resources", type=int, default=500,
                    help="resources of the generated template (500)")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    ap.add_argument("--skip", action="append", choices=["checkov", "cfn-lint"], default=[],
                    help="leave a tool out (repeatable)")
    args = ap.parse_args(argv)
    try:
        return _bench(args)
    except UsageError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


def _bench(args: argparse.Namespace) -> int:
    corpus: Path = args.corpus
    if not corpus.is_dir():
        raise UsageError(f"corpus directory {corpus} not found (give --corpus DIR; the default "
                         f"is ../shared/corpus/templates beside the repository)")
    if args.runs < 1 or args.checkov_runs < 1 or args.resources < 5:
        raise UsageError("--runs and --checkov-runs must be at least 1, --resources at least 5")
    files = corpus_files(corpus)
    if not files:
        raise UsageError(f"no template (*.json, *.yaml, *.yml, *.template) below {corpus}")
    bindir = Path(sys.executable).parent
    govcdk = [sys.executable, "-m", "govcdk.cli"]     # what the `govcdk` entry point runs
    checkov = None if "checkov" in args.skip else _tool(
        args.checkov, ROOT / ".venv-checkov" / "bin" / "checkov",
        "checkov (run `make checkov-setup`)")
    cfnlint = None if "cfn-lint" in args.skip else _tool(
        args.cfnlint, bindir / "cfn-lint", "cfn-lint (run `make setup`)")
    n = len(files)
    print(f"bench: {n} templates in {corpus}; machine: {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}, load average "
          f"{os.getloadavg()[0]:.2f}", file=sys.stderr)
    load_before = os.getloadavg()

    timings: list[Timing] = []
    g = time_tool(Timing("govcdk", govcdk + ["check", "--no-cfn-lint", "--format", "json",
                                             str(corpus)], n, None),
                  # 2: files refused as input errors, listed in the JSON report (checked)
                  args.runs, timeout=args.timeout, ok_codes=lambda c: c in (0, 1, 2),
                  check_output=govcdk_output(n))
    timings.append(g)
    if checkov is not None:
        timings.append(time_tool(
            Timing("checkov", [str(checkov), "-d", str(corpus), "--framework", "cloudformation",
                               "-o", "json", "--skip-download", "--skip-results-upload",
                               "--quiet"], n, None),
            args.checkov_runs, env=CHECKOV_ENV, timeout=args.timeout,
            ok_codes=lambda c: c in (0, 1), check_output=checkov_output))
    if cfnlint is not None:
        c = time_tool(Timing("cfn-lint", [str(cfnlint), "--regions", "us-gov-west-1",
                                          "--format", "parseable", "--"]
                             + [str(f) for f in files], n, g.resources),
                      args.runs, timeout=args.timeout,
                      # bits 2/4/8: errors, warnings, informational matches; odd: a crash
                      ok_codes=lambda code: code in range(0, 16, 2))
        c.note = "resources: govcdk's count of the same files"
        timings.append(c)
        c.command = c.command[:6] + [f"<{n} template paths>"]

    by_tool = {t.tool: t for t in timings}
    ratios = {name: (_ratio(by_tool[name], g) if name in by_tool else None)
              for name in ("checkov", "cfn-lint")}

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"generated-{args.resources}.json"
        path.write_text(json.dumps(generated_template(args.resources), indent=1),
                        encoding="utf-8")
        print(f"  generated template: {args.resources} resources", file=sys.stderr)
        ip = in_process(path, max(args.runs, 5))
        whole = time_tool(Timing("govcdk-500", govcdk + ["check", "--no-cfn-lint", "--format",
                                                         "json", str(path)], 1, None),
                          args.runs, timeout=args.timeout, ok_codes=lambda c: c in (0, 1),
                          check_output=govcdk_output(1))
    gen = {"resources": args.resources, "in_process": ip, "whole_process": whole.summary()}
    targets = {
        "checkov": None if ratios["checkov"] is None else ratios["checkov"] >= TARGET_CHECKOV,
        "cfn-lint": None if ratios["cfn-lint"] is None else ratios["cfn-lint"] >= TARGET_CFNLINT,
        "in_process": ip["best_ms"] <= TARGET_IN_PROCESS_MS,
    }
    text = table(timings, ratios, gen, targets)
    print(text)
    crashed = [f"{t.tool}: {e}" for t in timings + [whole] for e in t.errors]
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average_before": load_before,
                    "load_average_after": os.getloadavg()},
        "corpus": str(corpus), "templates": n,
        "tools": {t.tool: t.summary() for t in timings},
        "ratios": ratios, "generated": gen,
        "targets": {"checkov_ratio_min": TARGET_CHECKOV, "cfnlint_ratio_min": TARGET_CFNLINT,
                    "in_process_ms_max": TARGET_IN_PROCESS_MS,
                    "met": targets},
        "problems": crashed,
        "table": text,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    if crashed:
        print("bench: " + "; ".join(crashed), file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
