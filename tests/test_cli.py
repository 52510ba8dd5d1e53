"""The command line: exit codes 0/1/2, messages for bad input, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from govcdk.cli import main
from govcdk.policies import load_rules
from tests_support import run_cli

ROOT = Path(__file__).resolve().parents[1]

FAILING_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  OpenSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh from anywhere
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}
"""

PASSING_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  PrivateSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: https from the vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}
"""


run = run_cli


def test_check_reference_assembly_is_clean(reference_assembly, tmp_path):
    out = tmp_path / "report.json"
    result = run("check", str(reference_assembly), "--output", str(out))
    assert result.exit_code == 0, result.output
    stacks = {"airx-keys", "airx-audit-replica", "airx-audit", "airx-network", "airx-compute"}
    for stack in stacks:
        assert stack in result.output
    report = json.loads(out.read_text())
    assert report["schema"] == "govcdk.report/v1"
    assert {t["stack"] for t in report["templates"]} == stacks
    rules_run = [r for r in report["summary"]["rules_run"] if r.startswith("GOV-")]
    assert len(rules_run) >= 10 and "cfn-lint" in report["summary"]["rules_run"]
    # Every rule with an applicable resource in the agency left evidence (PASS findings); rules
    # for types the agency does not use (EKS clusters, ECR repositories, load balancer
    # listeners...) find nothing to check.
    types = {res["Type"] for t in reference_assembly.glob("*.template.json")
             for res in json.loads(t.read_text()).get("Resources", {}).values()}
    applicable = {r.id for r in load_rules()
                  if "*" in r.resource_types or types & set(r.resource_types)}
    assert "GOV-EKS-001" not in applicable and {"GOV-EC2-007", "GOV-KMS-001", "GOV-EC2-001"} <= applicable
    assert {"GOV-S3-001", "GOV-S3-002", "GOV-S3-005", "GOV-CLOUDTRAIL-001", "GOV-CLOUDTRAIL-005"} <= applicable
    with_findings = {f["rule_id"] for f in report["findings"] if f["source"] == "govcdk"}
    assert with_findings == set(rules_run) & applicable
    failing = [f for f in report["findings"] if f["status"] in ("FAIL", "UNKNOWN", "ERROR")]
    assert failing == []
    assert "Rules run:" in result.output


def test_check_failing_template_exits_1(tmp_path):
    p = tmp_path / "open.yaml"
    p.write_text(FAILING_TEMPLATE)
    result = run("check", str(p), "--no-cfn-lint")
    assert result.exit_code == 1, result.output
    assert "OpenSg" in result.output


def test_check_passing_template_exits_0_and_json_format(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    result = run("check", str(p), "--no-cfn-lint", "--format", "json", "--rule", "GOV-EC2-003")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    (finding,) = report["findings"]
    assert finding["logical_id"] == "PrivateSg" and finding["status"] == "PASS"


def test_fail_on_threshold(tmp_path):
    p = tmp_path / "open.yaml"
    p.write_text(FAILING_TEMPLATE)
    # The world-open SSH rule is GOV-EC2-003, severity HIGH.
    r = run("check", str(p), "--no-cfn-lint", "--fail-on", "critical")
    assert r.exit_code == 0 and "1 failing finding(s) below --fail-on critical" in r.output
    assert run("check", str(p), "--no-cfn-lint", "--fail-on", "high").exit_code == 1
    assert run("check", str(p), "--no-cfn-lint", "--fail-on", "low").exit_code == 1


@pytest.mark.parametrize("content, why", [
    ("just: a mapping\n", "not a CloudFormation template"),
    ("- a\n- list\n", "not a CloudFormation template"),
    ("Resources: [\n", "not a CloudFormation template"),
])
def test_check_non_template_exits_2_with_reason(tmp_path, content, why):
    p = tmp_path / "thing.yaml"
    p.write_text(content)
    result = run("check", str(p))
    assert result.exit_code == 2
    assert f"{p}" in result.output and why in result.output


def test_check_missing_path_exits_2(tmp_path):
    result = run("check", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "nope.json" in result.output


def test_bad_parameter_and_rule_exit_2(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    r = run("check", str(p), "--parameter", "novalue")
    assert r.exit_code == 2 and "expected KEY=VALUE" in r.output
    r = run("check", str(p), "--rule", "NOPE-*")
    assert r.exit_code == 2 and "NOPE-*" in r.output


def test_synth_bad_agency_file_exits_2_with_one_message(tmp_path):
    data = yaml.safe_load((ROOT / "agencies" / "reference.yaml").read_text())
    data["cluster"]["node_count"] = "many"
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data))
    result = run("synth", "--agency", str(p), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"govcdk: error: {p}: field cluster.node_count: bad value 'many': "
        "Input should be a valid integer (got a string); allowed a whole number 1..64")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("manifest", [None, '{"mine": true}', "not json"])
def test_synth_refuses_to_write_into_a_foreign_directory(tmp_path, manifest):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me")
    if manifest is not None:
        (mine / "manifest.json").write_text(manifest)
    before = {p.name: p.read_text() for p in mine.iterdir()}
    result = run("synth", "--out", str(mine))
    assert result.exit_code == 2 and "is not a CDK cloud assembly" in result.output
    assert {p.name: p.read_text() for p in mine.iterdir()} == before


@pytest.mark.synth
def test_synth_into_another_agencys_assembly_removes_its_stale_files(reference_assembly, east_assembly, tmp_path):
    """The reference assembly, then the east agency synthesized into it: the airx templates,
    asset manifests and metadata the old manifest listed go (and are named); the user's own
    files stay; what is left is exactly a fresh east assembly plus those files (D13)."""
    import shutil

    asm = tmp_path / "asm"
    shutil.copytree(reference_assembly, asm)
    (asm / "notes.txt").write_text("keep me")
    (asm / "airx-notes.template.json").write_text("mine, not listed by any manifest")
    r = run("synth", "--agency", str(ROOT / "agencies" / "east.yaml"), "--out", str(asm))
    assert r.exit_code == 0, r.output
    removed = sorted(l.split()[2] for l in r.output.splitlines() if l.startswith("removed stale "))
    old_stacks = [a for a, v in json.loads((reference_assembly / "manifest.json").read_text())["artifacts"].items()
                  if v["type"] == "aws:cloudformation:stack"]
    assert len(old_stacks) == 5  # keys, audit-replica, audit, network, compute
    expected = sorted(str(asm / f"{s}.{kind}.json") for s in old_stacks
                      for kind in ("template", "assets", "metadata"))
    assert removed == expected, r.output
    assert "(listed by the previous manifest.json, not by this one)" in r.output
    assert (asm / "notes.txt").read_text() == "keep me"
    assert (asm / "airx-notes.template.json").exists()
    assert {p.name for p in asm.iterdir()} == {p.name for p in east_assembly.iterdir()} | {
        "notes.txt", "airx-notes.template.json"}


def test_stale_file_removal_stays_inside_the_assembly(tmp_path):
    """Only what the previous manifest listed, inside --out: a listed path outside it (``..``
    or absolute) is never touched, nor is an unlisted file."""
    from govcdk.cli import _assembly_files, _remove_stale

    asm = tmp_path / "asm"
    asm.mkdir()
    outside = tmp_path / "victim.txt"
    absolute = tmp_path / "abs.txt"
    for f in (outside, absolute, asm / "old.template.json", asm / "keep.txt", asm / "new.template.json"):
        f.write_text("x")
    (asm / "asset.old").mkdir()
    (asm / "asset.old" / "index.js").write_text("x")
    (asm / "old.assets.json").write_text(json.dumps({"version": "1", "files": {"h": {"source": {"path": "asset.old"}}}}))

    def manifest(*templates, assets=None):
        arts = {f"s{i}": {"type": "aws:cloudformation:stack", "properties": {"templateFile": t}}
                for i, t in enumerate(templates)}
        if assets:
            arts["a"] = {"type": "cdk:asset-manifest", "properties": {"file": assets}}
        (asm / "manifest.json").write_text(json.dumps({"version": "40.0.0", "artifacts": arts}))

    manifest("old.template.json", "../victim.txt", str(absolute), "manifest.json", assets="old.assets.json")
    previous = _assembly_files(asm)
    assert previous == {"old.template.json", "../victim.txt", str(absolute), "manifest.json", "old.assets.json",
                        "asset.old"}
    manifest("new.template.json")
    removed = _remove_stale(asm, previous)
    assert sorted(p.name for p in removed) == ["asset.old", "old.assets.json", "old.template.json"]
    assert outside.exists() and absolute.exists()
    assert sorted(p.name for p in asm.iterdir()) == ["keep.txt", "manifest.json", "new.template.json"]


def test_synth_out_that_cannot_be_written(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run("synth", "--out", str(afile))
    assert r.exit_code == 2
    assert r.output == f"govcdk: error: --out {afile}: is a file, not a directory; give a directory for the cloud assembly\n"
    assert afile.read_text() == "x"
    r = run("synth", "--out", str(afile / "sub"))
    assert r.exit_code == 2 and "cannot write there" in r.output


def test_check_output_guards(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    r = run("check", str(p), "--no-cfn-lint", "--output", f"json:{p}")
    assert r.exit_code == 2 and "is one of the templates being checked" in r.output
    assert p.read_text() == PASSING_TEMPLATE
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run("check", str(p), "--no-cfn-lint", "--output", str(afile / "r.json"))
    assert r.exit_code == 2 and "cannot write the report" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--output", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in r.output
    assert f"{afile} is a file, not a directory" in run("check", str(p), "--no-cfn-lint", "--output",
                                                       str(afile / "r.json")).output
    r = run("check", str(p), "--no-cfn-lint", "--output", f"bogus:{tmp_path / 'r'}")
    assert r.exit_code == 2 and "unknown report format 'bogus'; allowed: text, json" in r.output


def test_output_never_overwrites_what_the_user_wrote(tmp_path):
    """Break test: --output replaced a user's notes, a read-only file and, through a hard link,
    the template being checked. A report govcdk wrote is replaced; anything else needs --force."""
    import os

    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    notes = tmp_path / "notes.md"
    notes.write_text("my notes\n")
    r = run("check", str(p), "--no-cfn-lint", "--output", str(notes))
    assert r.exit_code == 2 and r.output == (
        f"govcdk: error: --output {notes}: exists and is not a govcdk report, so it would be lost; "
        "choose another file, or give --force to overwrite it\n")
    assert notes.read_text() == "my notes\n"
    # files that merely mention govcdk are the user's too
    for name, text in (("plan.md", "# govcdk notes\n"), ("package.json", '{"name": "govcdk"}\n'),
                       ("r2.json", '{"schema": "mine"}\n'),
                       ("log.txt", "my log\nResult: 0 failing findings (PASS 3)\n")):
        mine = tmp_path / name
        mine.write_text(text)
        r = run("check", str(p), "--no-cfn-lint", "--output", f"json:{mine}")
        assert r.exit_code == 2 and "is not a govcdk report" in r.output, name
        assert mine.read_text() == text
    link = tmp_path / "link.json"
    os.link(p, link)
    r = run("check", str(p), "--no-cfn-lint", "--output", str(link), "--force")
    assert r.exit_code == 2 and "is one of the templates being checked" in r.output
    assert p.read_text() == PASSING_TEMPLATE
    # every format's report is recognised and replaced on the next run, in any format
    names = ["r.json", "r.sarif", "r.xml", "r.md", "r.txt", "r.oscal.json"]
    for _ in range(2):
        r = run("check", str(p), "--no-cfn-lint", *[a for n in names for a in ("--output", str(tmp_path / n))])
        assert r.exit_code == 0, r.output
    r = run("check", str(p), "--no-cfn-lint", "--output", f"json:{tmp_path / 'r.txt'}")
    assert r.exit_code == 0, r.output
    locked = tmp_path / "r.sarif"
    locked.chmod(0o444)
    r = run("check", str(p), "--no-cfn-lint", "--output", str(locked), "--force")
    assert r.exit_code == 2 and "the file is read-only" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--output", str(notes), "--force")
    assert r.exit_code == 0 and notes.read_text().startswith("# govcdk check report")


def test_a_large_json_report_is_recognised_and_replaced(tmp_path):
    """Found by running `make demo` twice: the JSON report of five stacks and three scanners
    holds its "schema" key more than 4 KB from either end (sorted keys), and the guard read
    only the ends, so the second run refused to replace its own report."""
    import json as _json

    from govcdk.cli import _is_govcdk_report

    big = {"findings": [{"message": "x" * 200}] * 100, "schema": "govcdk.report/v1",
           "summary": {"rules_run": ["GOV-X-%03d" % i for i in range(1000)]}}
    report = tmp_path / "reference.json"
    report.write_text(_json.dumps(big, indent=2, sort_keys=True))
    text = report.read_text()
    where = text.index('"schema"')
    assert where > 4096 and len(text) - where > 4096
    assert _is_govcdk_report(report)
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    assert run("check", str(p), "--no-cfn-lint", "--output", str(report)).exit_code == 0
    mine = tmp_path / "mine.json"
    mine.write_text(_json.dumps({"findings": [], "schema": "mine"}))
    assert not _is_govcdk_report(mine)


def test_output_to_own_stream_redirected_to_a_file_and_to_an_empty_file(tmp_path):
    """Final break test: `--output text:/dev/stderr 2>>app.log` was refused (the stream is a
    regular file then) and, once allowed, reopening /dev/stderr truncated the log. The report
    is written to the process's own stream, appended as the shell asked. An existing empty
    file (mktemp) holds nothing to lose."""
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    log = tmp_path / "app.log"
    log.write_text("earlier log line\n")
    with log.open("a") as err:
        r = subprocess.run([sys.executable, "-m", "govcdk.cli", "check", str(p), "--no-cfn-lint",
                            "--format", "json", "--output", "text:/dev/stderr"],
                           stdout=subprocess.DEVNULL, stderr=err, timeout=120)
    assert r.returncode == 0
    text = log.read_text()
    assert text.startswith("earlier log line\nTemplates checked: 1")
    assert "Result: 0 failing findings" in text
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert run("check", str(p), "--no-cfn-lint", "--output", str(empty)).exit_code == 0
    assert '"schema": "govcdk.report/v1"' in empty.read_text()


def test_output_to_a_pipe_or_device_is_written_never_read(tmp_path):
    """Retest R1: the overwrite guard read the existing --output to recognise a report, which
    blocked forever on a FIFO (and refused /dev/null). Only regular files are looked at."""
    import os
    import threading

    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    assert run("check", str(p), "--no-cfn-lint", "--output", "json:/dev/null").exit_code == 0
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    # a separate process with a timeout: the old guard blocked forever here
    r = subprocess.run([sys.executable, "-m", "govcdk.cli", "check", str(p), "--no-cfn-lint",
                        "--output", str(fifo)], capture_output=True, text=True, timeout=120)
    reader.join(timeout=30)
    assert r.returncode == 0, r.stderr
    assert b'"schema": "govcdk.report/v1"' in got[0]


def test_path_errors_are_one_govcdk_error_line(tmp_path):
    """A directory for --agency, --output or --policy: govcdk's one-line message, exit 2, not
    click's usage block (new-user test D12)."""
    adir = tmp_path / "adir"
    adir.mkdir()
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    results = {
        "agency": run("synth", "--agency", str(adir), "--out", str(tmp_path / "out")),
        "check-output": run("check", str(p), "--no-cfn-lint", "--output", str(adir)),
        "policy": run("check", str(p), "--no-cfn-lint", "--policy", str(adir)),
        "refresh-output": run("facts", "refresh", "--region", "us-gov-west-1", "--output", str(adir)),
    }
    assert {k: r.exit_code for k, r in results.items()} == dict.fromkeys(results, 2)
    assert results["agency"].output == f"govcdk: error: {adir}: not a regular file; an agency file is a YAML file\n"
    assert results["check-output"].output == f"govcdk: error: --output {adir}: is a directory; give a file name\n"
    assert results["policy"].output.startswith(f"govcdk: error: {adir}: cannot read the policy file")
    assert results["refresh-output"].output == f"govcdk: error: --output {adir}: is a directory; give a file name\n"
    assert not (tmp_path / "out").exists()


def test_check_with_no_template_found_exits_2(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    r = run("check", str(tmp_path))
    assert r.exit_code == 2 and "no CloudFormation template found" in r.output
    asm = tmp_path / "asm"
    asm.mkdir()
    (asm / "manifest.json").write_text('{"version": "40.0.0", "artifacts": {}}')
    r = run("check", str(asm))
    assert r.exit_code == 2 and "no CloudFormation template found" in r.output


def test_rules_lists_at_least_ten_rules_with_controls():
    result = run("rules")
    assert result.exit_code == 0
    lines = [l for l in result.output.splitlines() if l.startswith("GOV-")]
    assert len(lines) >= 10
    assert any("SC-12" in l for l in lines)


def test_parameter_no_template_declares_is_warned(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    result = CliRunner().invoke(main, ["check", str(p), "--no-cfn-lint", "--parameter", "Typo=1"])
    assert result.exit_code == 0
    assert "--parameter Typo: no checked template declares it" in result.stderr


ALLOWED_TEMPLATE = """\
Parameters:
  Cidr: {Type: String, Default: 10.0.0.0/8, AllowedValues: [10.0.0.0/8, 0.0.0.0/0]}
Resources:
  Ingress:
    Type: AWS::EC2::SecurityGroupIngress
    Properties: {GroupId: sg-12345678, IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}
"""


def test_all_allowed_values_flag(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(ALLOWED_TEMPLATE)
    default = run("check", str(p), "--no-cfn-lint", "--format", "json")
    assert default.exit_code == 0
    (f,) = [x for x in json.loads(default.output)["findings"] if x["rule_id"] == "GOV-EC2-003"]
    assert f["status"] == "PASS" and "[other AllowedValues give FAIL: if parameter Cidr is '0.0.0.0/0'" in f["message"]
    every = run("check", str(p), "--no-cfn-lint", "--all-allowed-values")
    assert every.exit_code == 1 and "if parameter Cidr is '0.0.0.0/0'" in every.output


def test_assembly_outside_govcloud_is_a_usage_error(reference_assembly, tmp_path):
    import shutil

    asm = tmp_path / "asm"
    shutil.copytree(reference_assembly, asm)
    manifest = json.loads((asm / "manifest.json").read_text())
    # --region puts every stack in one Region; the log archive's replica (us-gov-east-1) would
    # then be in the archive's own Region and GOV-S3-005 would rightly fail, so it is left out.
    del manifest["artifacts"]["airx-audit-replica"]
    (asm / "airx-audit-replica.template.json").unlink()
    for art in manifest["artifacts"].values():
        if art["type"] == "aws:cloudformation:stack":
            art["environment"] = "aws://111111111111/us-east-1"
            art["dependencies"] = [d for d in art.get("dependencies", []) if d != "airx-audit-replica"]
    (asm / "manifest.json").write_text(json.dumps(manifest))
    r = run("check", str(asm), "--no-cfn-lint")
    assert r.exit_code == 2 and "us-east-1" in r.output and "not an AWS GovCloud (US) region" in r.output
    r = run("check", str(asm), "--no-cfn-lint", "--region", "us-gov-west-1")
    assert r.exit_code == 0, r.output


def test_output_inside_a_checked_directory_is_refused(reference_assembly, tmp_path):
    import shutil

    asm = tmp_path / "asm"
    shutil.copytree(reference_assembly, asm)
    before = (asm / "manifest.json").read_text()
    r = run("check", str(asm), "--no-cfn-lint", "--output", str(asm / "manifest.json"))
    assert r.exit_code == 2 and "lies inside" in r.output
    assert (asm / "manifest.json").read_text() == before


@pytest.mark.parametrize("value, message", [
    ("8.8.8.8/32", "allowed values are 10.0.0.0/8, 0.0.0.0/0"),
])
def test_parameter_values_cloudformation_would_reject(tmp_path, value, message):
    p = tmp_path / "p.yaml"
    p.write_text(ALLOWED_TEMPLATE)
    r = run("check", str(p), "--no-cfn-lint", "--parameter", f"Cidr={value}")
    assert r.exit_code == 2 and f"--parameter Cidr='{value}'" in r.output and message in r.output


def test_parameter_number_and_pattern(tmp_path):
    p = tmp_path / "n.yaml"
    p.write_text("Parameters:\n  Days: {Type: Number, MinValue: 1, MaxValue: 3653}\n"
                 "  Name: {Type: String, AllowedPattern: '[a-z]+', MinLength: 2, MaxLength: 8}\n"
                 "Resources:\n  G: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: !Ref Days, LogGroupName: !Ref Name}}\n")
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=abc", "--parameter", "Name=ok")
    assert r.exit_code == 2 and "the parameter is a Number" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=0", "--parameter", "Name=ok")
    assert r.exit_code == 2 and "MinValue is 1" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=3654", "--parameter", "Name=ok")
    assert r.exit_code == 2 and "MaxValue is 3653" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=365", "--parameter", "Name=NO")
    assert r.exit_code == 2 and "must match AllowedPattern [a-z]+" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=365", "--parameter", "Name=abcdefghi")
    assert r.exit_code == 2 and "MaxLength is 8" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "Days=365", "--parameter", "Name=a")
    assert r.exit_code == 2 and "MinLength is 2" in r.output
    r = run("check", str(p), "--no-cfn-lint", "--rule", "GOV-LOGS-001", "--parameter", "Days=365",
            "--parameter", "Name=ok")
    assert r.exit_code == 0, r.output


def test_empty_resources_is_not_a_template(tmp_path):
    p = tmp_path / "e.json"
    p.write_text('{"Resources": {}}')
    r = run("check", str(p))
    assert r.exit_code == 2 and "the Resources mapping is empty" in r.output


def test_a_parameter_given_twice_is_a_usage_error(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text(PASSING_TEMPLATE)
    r = run("check", str(p), "--no-cfn-lint", "--parameter", "A=1", "--parameter", "A=2")
    assert r.exit_code == 2
    assert r.output == "govcdk: error: --parameter A: given twice ('1' and '2'); give each parameter once\n"
