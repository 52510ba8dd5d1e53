"""Rule parameters: FedRAMP floors that may be tightened, and loosened only under an exception
with a reason and an expiry; the CLI's --rule-parameter, --policy and --allow-unknown."""

from __future__ import annotations

import datetime
import json
import numbers
from pathlib import Path

import pytest
from click.testing import CliRunner

from govcdk.cli import main
from govcdk.policies import InputError, Status, check, load_rules
from govcdk.policies.parameters import Policy, direction, load_policy, looser, resolve

TODAY = datetime.date(2025, 6, 1)
FUTURE = "2099-12-31"
REASON = "archive account keeps a copy for seven years (POA&M 31)"

# GOV-LOGS-001 floor 365 days: 90 fails, 365 and 400 pass. Tightened to 400: 365 fails too.
# Under an exception down to 90: all three pass.
LOGS = """\
Resources:
  Days90:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 90}
  Days365:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 365}
  Days400:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 400}
"""


@pytest.fixture()
def logs(tmp_path: Path) -> Path:
    p = tmp_path / "logs.yaml"
    p.write_text(LOGS)
    return p


def _statuses(report) -> dict[str, Status]:
    return {f.logical_id: f.status for f in report.findings if f.rule_id == "GOV-LOGS-001"}


def _policy(**values: dict) -> Policy:
    policy = Policy()
    for rule_id, params in values.items():
        for name, value in params.items():
            policy.set(rule_id.replace("_", "-"), name, value, "test")
    return policy


def test_every_rule_parameter_declares_its_direction_and_a_numeric_floor() -> None:
    for rule in load_rules():
        for name, floor in rule.parameters.items():
            kind = direction(name)
            if kind == "require":
                assert floor is True, (rule.id, name)
            else:
                assert kind in ("min", "max"), (rule.id, name)
                assert isinstance(floor, numbers.Real) and not isinstance(floor, bool), (rule.id, name)


def test_direction_and_looseness() -> None:
    assert looser("min_retention_days", 90, 365) and not looser("min_retention_days", 400, 365)
    assert looser("max_rotation_days", 730, 365) and not looser("max_rotation_days", 180, 365)
    assert looser("require_vault_lock", False, True) and not looser("require_vault_lock", True, True)
    with pytest.raises(ValueError, match="declares no direction"):
        direction("retention_days")


def test_floors_tightened_and_loosened(logs: Path) -> None:
    pack = load_rules()
    assert _statuses(check([logs], rule_patterns=["GOV-LOGS-001"], today=TODAY)) == {
        "Days90": Status.FAIL, "Days365": Status.PASS, "Days400": Status.PASS}
    tight = Policy()
    tight.set("GOV-LOGS-001", "min_retention_days", 400, "test")
    report = check([logs], rule_patterns=["GOV-LOGS-001"], policy=tight, today=TODAY)
    assert _statuses(report) == {"Days90": Status.FAIL, "Days365": Status.FAIL,
                                 "Days400": Status.PASS}
    assert report.rule_info["GOV-LOGS-001"]["parameters"] == {"min_retention_days": 400}
    assert report.parameter_exceptions == []
    loose = Policy()
    loose.set("GOV-LOGS-001", "min_retention_days", 90, "test")
    with pytest.raises(InputError, match=r"GOV-LOGS-001 min_retention_days=90 loosens the "
                                         r"FedRAMP floor 365 \(it must be at least 365\)"):
        resolve(loose, pack, TODAY)
    kms = Policy()
    kms.set("GOV-KMS-001", "max_rotation_days", 180, "test")
    assert resolve(kms, pack, TODAY).values == {"GOV-KMS-001": {"max_rotation_days": 180}}
    kms.set("GOV-KMS-001", "max_rotation_days", 730, "test")
    with pytest.raises(InputError, match="max_rotation_days=730 loosens the FedRAMP floor 365 "
                                         r"\(it must be at most 365\)"):
        resolve(kms, pack, TODAY)


def _exception(**kw) -> dict:
    return {"rule": "GOV-LOGS-001", "parameter": "min_retention_days", "value": 90,
            "reason": REASON, "expires": FUTURE, **kw}


def test_exception_allows_loosening_and_every_finding_says_so(logs: Path) -> None:
    policy = Policy(exceptions=[_exception()])
    report = check([logs], rule_patterns=["GOV-LOGS-001"], policy=policy, today=TODAY)
    assert _statuses(report) == {"Days90": Status.PASS, "Days365": Status.PASS,
                                 "Days400": Status.PASS}
    (exc,) = report.parameter_exceptions
    assert (exc.rule_id, exc.parameter, exc.floor, exc.value, exc.expires) == (
        "GOV-LOGS-001", "min_retention_days", 365, 90, datetime.date(2099, 12, 31))
    note = "[min_retention_days=90 under a parameter exception (FedRAMP floor 365) until 2099-12-31"
    assert all(note in f.message for f in report.findings if f.rule_id == "GOV-LOGS-001")


@pytest.mark.parametrize("exception, value, message", [
    (_exception(expires="2025-05-31"), 90, "expired on 2025-05-31"),
    (_exception(value=180), 90, r"min_retention_days=90 is looser than its exception allows \(180"),
    (_exception(reason="ok"), 90, "reason must say why"),
    (_exception(expires=None), 90, "missing expires"),
    (_exception(expires="soon"), 90, "expires must be a date YYYY-MM-DD"),
    (_exception(parameter="retention"), 90, "GOV-LOGS-001 has no parameter retention; allowed: "
                                            r"min_retention_days \(floor 365\)"),
    (_exception(rule="GOV-NOPE-001"), 90, "unknown rule id GOV-NOPE-001; rules with parameters: "),
])
def test_exceptions_that_do_not_allow_the_loosening(exception, value, message) -> None:
    policy = Policy(exceptions=[exception])
    policy.set("GOV-LOGS-001", "min_retention_days", value, "test")
    with pytest.raises(InputError, match=message):
        resolve(policy, load_rules(), TODAY)


def test_an_exception_to_a_high_rule_lasts_at_most_a_year() -> None:
    """Retest R4: a HIGH rule (GOV-EC2-004) could be loosened until 9999-12-31, no expiry in
    all but name; as suppressions, an exception to a HIGH or CRITICAL rule reaches at most
    365 days past the day of the check. MEDIUM rules (GOV-LOGS-001) have no horizon."""
    def policy(expires: str) -> Policy:
        p = Policy(exceptions=[_exception(rule="GOV-EC2-004", parameter="max_hop_limit", value=3,
                                          expires=expires)])
        p.set("GOV-EC2-004", "max_hop_limit", 3, "test")
        return p

    with pytest.raises(InputError, match=r"expires 9999-12-31 is more than 365 days ahead; "
                                         r"GOV-EC2-004 has severity HIGH") as err:
        resolve(policy("9999-12-31"), load_rules(), TODAY)
    assert "exception {rule: GOV-EC2-004, parameter: max_hop_limit, value: 3" in str(err.value)
    with pytest.raises(InputError, match=r"expires 2026-06-02 is more than 365 days ahead"):
        resolve(policy("2026-06-02"), load_rules(), TODAY)
    resolved = resolve(policy("2026-06-01"), load_rules(), TODAY)      # TODAY + 365 days
    assert resolved.values == {"GOV-EC2-004": {"max_hop_limit": 3}}
    assert resolve(Policy(exceptions=[_exception(expires="9999-12-31")]), load_rules(), TODAY)


def test_unused_exception_is_a_warning_not_an_error() -> None:
    policy = Policy(exceptions=[_exception()])
    policy.set("GOV-LOGS-001", "min_retention_days", 400, "test")
    resolved = resolve(policy, load_rules(), TODAY)
    assert resolved.exceptions == []
    assert "is not used: the value set (400) is not looser than the floor 365" in \
        resolved.unused_exceptions[0]
    expired = resolve(Policy(exceptions=[_exception(expires="2025-01-01")]), load_rules(), TODAY)
    assert expired.values == {} and "expired on 2025-01-01" in expired.unused_exceptions[0]


@pytest.mark.parametrize("value, message", [
    ("four hundred", "takes an integer"), (True, "takes a number"), (400.5, "takes an integer"),
])
def test_values_must_be_numbers_of_the_floors_type(value, message) -> None:
    with pytest.raises(InputError, match=message):
        resolve(_policy(GOV_LOGS_001={"min_retention_days": value}), load_rules(), TODAY)


def test_policy_file_shape_errors(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("parameter: {}\n")
    with pytest.raises(InputError, match="unknown key.*parameter; allowed: parameters, exceptions"):
        load_policy(p)
    p.write_text("exceptions:\n  - {rule: GOV-LOGS-001, why: x}\n")
    with pytest.raises(InputError, match="unknown key.*why"):
        load_policy(p)
    p.write_text("parameters: [1]\n")
    with pytest.raises(InputError, match="parameters must map rule ids"):
        load_policy(p)
    # an unquoted date that does not exist: a YAML error with its line, not a traceback
    p.write_text("exceptions:\n  - {rule: GOV-KMS-001, parameter: max_rotation_days, value: 730,\n"
                 "     reason: HSM-backed keys rotate on the vendor cycle, expires: 2026-02-30}\n")
    with pytest.raises(InputError, match=r"policy.yaml \(line 3, column 67\): not valid YAML: '2026-02-30' is not a valid date or time \(day is out of range for month\)"):
        load_policy(p)
    p.write_text("exceptions:\n  - {rule: GOV-KMS-001, value: !!bool maybe}\n")
    with pytest.raises(InputError, match=r"policy.yaml \(line 2, column 32\): not valid YAML: 'maybe' is not a valid !!bool value"):
        load_policy(p)


# ------------------------------------------------------------------------------- CLI


def run(*args: str):
    return CliRunner().invoke(main, ["check", *args, "--no-cfn-lint"])


def test_cli_rule_parameter_tightens(logs: Path) -> None:
    ok = LOGS.split("  Days90:")[0] + LOGS.split("Properties: {RetentionInDays: 90}\n")[1]
    logs.write_text(ok)                          # 365 and 400 only: passes at the floor
    only = ("--rule", "GOV-LOGS-001")
    assert run(str(logs), *only).exit_code == 0
    r = run(str(logs), *only, "--rule-parameter", "GOV-LOGS-001.min_retention_days=400")
    assert r.exit_code == 1 and "Days365" in r.output and "400-day floor" in r.output
    r = run(str(logs), *only, "--rule-parameter", "GOV-LOGS-001.min_retention_days=400",
            "--format", "json")
    assert json.loads(r.output)["rule_parameters"]["GOV-LOGS-001"] == {"min_retention_days": 400}


@pytest.mark.parametrize("item, message", [
    ("GOV-LOGS-001.min_retention_days=90",
     "--rule-parameter GOV-LOGS-001.min_retention_days=90: GOV-LOGS-001 min_retention_days=90 "
     "loosens the FedRAMP floor 365"),
    ("GOV-LOGS-001.max_retention_days=90", "GOV-LOGS-001 has no parameter max_retention_days; "
                                           "allowed: min_retention_days (floor 365)"),
    ("GOV-NOPE-001.min_retention_days=400", "unknown rule id GOV-NOPE-001; rules with "
                                            "parameters: GOV-BACKUP-002, GOV-BACKUP-003, GOV-EC2-001"),
    ("GOV-BACKUP-003.require_vault_lock=maybe", "GOV-BACKUP-003 require_vault_lock takes true or false"),
    ("GOV-BACKUP-003.require_vault_lock=false", "GOV-BACKUP-003 require_vault_lock=False loosens the "
                                                "FedRAMP floor True (it must be true)"),
    ("GOV-S3-001.min_x=1", "GOV-S3-001 has no parameter min_x; it takes no parameters"),
    ("min_retention_days=400", "expected RULE.PARAMETER=VALUE"),
    ("GOV-LOGS-001.min_retention_days=lots", "takes an integer"),
])
def test_cli_rule_parameter_errors_exit_2(logs: Path, item: str, message: str) -> None:
    r = run(str(logs), "--rule-parameter", item)
    assert r.exit_code == 2 and message in r.output, r.output


def test_cli_rule_parameter_given_twice_exit_2(logs: Path) -> None:
    """Retest R5: the second --rule-parameter silently won."""
    r = run(str(logs), "--rule-parameter", "GOV-LOGS-001.min_retention_days=400",
            "--rule-parameter", "GOV-LOGS-001.min_retention_days=731")
    assert r.exit_code == 2
    assert ("--rule-parameter GOV-LOGS-001.min_retention_days=731: GOV-LOGS-001.min_retention_days "
            "is given twice (400 and 731); give it once") in r.output


def test_cli_policy_file_with_exception(logs: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"""\
parameters:
  GOV-KMS-001:
    max_rotation_days: 180
exceptions:
  - rule: GOV-LOGS-001
    parameter: min_retention_days
    value: 90
    reason: {REASON}
    expires: {FUTURE}
""")
    r = run(str(logs), "--policy", str(policy), "--rule", "GOV-LOGS-001")
    assert r.exit_code == 0, r.output
    assert "Parameter exceptions: 1" in r.output and "POA&M 31" in r.output
    r = run(str(logs), "--policy", str(policy), "--rule", "GOV-LOGS-001", "--format", "json")
    data = json.loads(r.output)
    assert data["parameter_exceptions"] == [{
        "rule_id": "GOV-LOGS-001", "parameter": "min_retention_days", "floor": 365, "value": 90,
        "reason": REASON, "expires": FUTURE}]
    assert data["summary"]["parameter_exceptions"] == 1
    # --rule-parameter wins over the file: 400 is not looser, so the exception is unused
    r = run(str(logs), "--policy", str(policy), "--rule", "GOV-LOGS-001",
            "--rule-parameter", "GOV-LOGS-001.min_retention_days=400")
    assert r.exit_code == 1 and "Parameter exceptions" not in r.output
    assert "warning:" in r.output and "is not used" in r.output
    policy.write_text(policy.read_text().replace(FUTURE, "2020-01-01"))
    r = run(str(logs), "--policy", str(policy), "--rule-parameter",
            "GOV-LOGS-001.min_retention_days=90")
    assert r.exit_code == 2 and "expired on 2020-01-01" in r.output
    r = run(str(logs), "--policy", str(tmp_path / "missing.yaml"))
    assert r.exit_code == 2 and "cannot read the policy file" in r.output


def test_cli_allow_unknown(tmp_path: Path) -> None:
    p = tmp_path / "unknown.yaml"
    # RetentionInDays from a parameter without a value: UNKNOWN, never a guess.
    p.write_text("Parameters:\n  Days: {Type: Number}\nResources:\n  Logs:\n"
                 "    Type: AWS::Logs::LogGroup\n    Properties: {RetentionInDays: !Ref Days}\n")
    strict = run(str(p), "--rule", "GOV-LOGS-001")
    assert strict.exit_code == 1 and "UNKNOWN" in strict.output
    allowed = run(str(p), "--rule", "GOV-LOGS-001", "--allow-unknown")
    assert allowed.exit_code == 0, allowed.output
    assert "UNKNOWN" in allowed.output
    assert "1 UNKNOWN finding(s) do not change the exit code (--allow-unknown)" in allowed.output
    # a FAIL still fails with --allow-unknown
    p.write_text(p.read_text() + "  Short:\n    Type: AWS::Logs::LogGroup\n"
                                 "    Properties: {RetentionInDays: 7}\n")
    assert run(str(p), "--rule", "GOV-LOGS-001", "--allow-unknown").exit_code == 1


def test_readme_policy_example_is_accepted(tmp_path: Path) -> None:
    import re

    from .helpers import REPO

    text = (REPO / "README.md").read_text()
    block = re.search(r"```yaml\n(parameters:.*?)```", text, flags=re.S)
    assert block is not None
    p = tmp_path / "policy.yaml"
    p.write_text(block.group(1))
    resolved = resolve(load_policy(p), load_rules(), TODAY)
    assert resolved.values == {"GOV-LOGS-001": {"min_retention_days": 400},
                               "GOV-KMS-001": {"max_rotation_days": 730}}
    assert [(e.rule_id, e.value, e.floor) for e in resolved.exceptions] == [
        ("GOV-KMS-001", 730, 365)]
