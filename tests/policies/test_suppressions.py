"""Suppressions (acknowledgements) of govcdk findings: validation, expiry, wildcards, unused
and invalid entries, and their place in the text and JSON reports. Expiry is judged against a
fixed ``today`` so the verdicts do not move with the calendar."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from govcdk.policies import CheckResult, Rule, Severity, Status, check
from govcdk.policies import suppressions as supp
from govcdk.policies.reporters import render_text, to_json

ENGINE_FIXTURES = Path(__file__).resolve().parent / "engine_fixtures"
TODAY = datetime.date(2025, 6, 1)
SEVERITIES = {"GOV-LOGS-001": Severity.MEDIUM, "GOV-S3-001": Severity.HIGH}

# Verdicts of engine_fixtures/suppressions.yaml on TODAY (the template's comments say why).
EXPECTED = {
    ("GOV-LOGS-001", "AckedShortRetention"): Status.SUPPRESSED,
    ("GOV-LOGS-001", "AckedNoExpiry"): Status.SUPPRESSED,
    ("GOV-LOGS-001", "AckedExpiresToday"): Status.SUPPRESSED,
    ("GOV-LOGS-001", "ExpiredAck"): Status.FAIL,
    ("GOV-LOGS-001", "ShortReason"): Status.FAIL,
    ("GOV-LOGS-001", "AckedUnknown"): Status.SUPPRESSED,
    ("GOV-LOGS-001", "UnusedAcks"): Status.PASS,
    ("GOV-S3-001", "HighNoExpiry"): Status.FAIL,
    ("GOV-S3-001", "AckedHigh"): Status.SUPPRESSED,
    ("GOV-S3-001", "Malformed"): Status.FAIL,
    ("GOV-S3-001", "NotAList"): Status.FAIL,
    ("SUPPRESSION", "ShortReason"): Status.FAIL,
    ("SUPPRESSION", "HighNoExpiry"): Status.FAIL,
    ("SUPPRESSION", "Malformed"): Status.FAIL,
    ("SUPPRESSION", "NotAList"): Status.FAIL,
}


@pytest.fixture(scope="module")
def report():
    return check([ENGINE_FIXTURES / "suppressions.yaml"],
                 rule_patterns=["GOV-LOGS-001", "GOV-S3-001"], today=TODAY)


def _by(report) -> dict[tuple[str, str], Any]:
    return {(f.rule_id, f.logical_id): f for f in report.findings}


# ------------------------------------------------------------------------------- validation


def _entry(**kw: Any) -> dict[str, Any]:
    return {"id": "GOV-LOGS-001", "reason": "pilot log group, deleted at the end of the pilot",
            **kw}


@pytest.mark.parametrize("reason", [
    None, 42, "accepted", "   short reason   ", "....................................",
    "aaaaaaaaaaaaaaaaaaaaaaaaa", "TODO TODO TODO TODO TODO", "-- -- -- -- -- -- -- -- --",
])
def test_reason_without_substance_is_refused(reason: Any) -> None:
    with pytest.raises(ValueError, match="reason"):
        supp.validate_entry(_entry(reason=reason), supp.severity_lookup(SEVERITIES))


def test_valid_entry_keeps_every_field_and_normalizes_whitespace() -> None:
    s = supp.validate_entry(_entry(reason="  pilot log group,\n deleted at pilot end  ",
                                   expires=datetime.date(2025, 9, 1), poam="POAM-7",
                                   wildcard="logs:*"),
                            supp.severity_lookup(SEVERITIES))
    assert s.to_dict() == {"id": "GOV-LOGS-001", "reason": "pilot log group, deleted at pilot end",
                           "expires": "2025-09-01", "poam": "POAM-7", "wildcard": "logs:*"}


@pytest.mark.parametrize("entry, message", [
    (_entry(expires="2025/06/30"), "expires must be a date YYYY-MM-DD"),
    (_entry(expires="2025-02-30"), "expires must be a date YYYY-MM-DD"),
    (_entry(expires=datetime.datetime(2025, 6, 30, 12)), r"not a date-time: 2025-06-30T12:00:00$"),
    (_entry(expiry="2025-06-30"), "unknown key.*expiry.*allowed: id, reason, expires, poam, wildcard"),
    (_entry(poam=""), "poam must be a non-empty string"),
    (_entry(wildcard=7), "wildcard must be a non-empty string"),
    ({"reason": "pilot log group, deleted at the end of the pilot"}, "id is required"),
    (_entry(id="GOV-NOPE-001"), "not a rule id of the rule pack"),
    (_entry(id="ENGINE"), "not suppressible"),
    (_entry(id="SUPPRESSION"), "not suppressible"),
    (_entry(id="GOV-S3-001"), "expires .* is required: GOV-S3-001 has severity HIGH"),
    (_entry(id="E3012"), "expires .* is required: E3012 has severity HIGH"),
    ("GOV-LOGS-001", "must be a mapping"),
])
def test_invalid_entries_say_what_is_wrong(entry: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        supp.validate_entry(entry, supp.severity_lookup(SEVERITIES))


def test_cfnlint_ids_are_known_by_form_and_warnings_need_no_expiry() -> None:
    s = supp.validate_entry(_entry(id="W3010"), supp.severity_lookup({}))
    assert s.id == "W3010" and s.expires is None
    assert supp.cfnlint_severity("I3011") is Severity.LOW
    assert supp.cfnlint_severity("GOV-LOGS-001") is None


def test_parse_reports_duplicates_and_shapes() -> None:
    parsed = supp.parse({"govcdk": {"suppressions": [_entry(), _entry(), _entry(wildcard="*")]}},
                        SEVERITIES)
    assert [s.wildcard for s in parsed.suppressions] == [None, "*"]
    (problem,) = parsed.problems
    assert problem.index == 1 and "duplicate of suppressions[0]" in problem.message
    assert supp.parse({"govcdk": "x"}, SEVERITIES).problems[0].message.startswith(
        "Metadata.govcdk must be a mapping")
    assert supp.parse({"aws:cdk:path": "S/R"}, SEVERITIES).problems == []
    assert supp.parse(None, SEVERITIES).suppressions == []


def test_expiry_is_inclusive() -> None:
    s = supp.validate_entry(_entry(expires="2025-06-01"), supp.severity_lookup(SEVERITIES))
    assert not supp.expired(s, datetime.date(2025, 6, 1))
    assert supp.expired(s, datetime.date(2025, 6, 2))


def test_a_high_suppression_holds_at_most_a_year_ahead() -> None:
    """Break test: expires 9999-12-31 on a HIGH rule was accepted, no expiry in all but name.
    A HIGH or CRITICAL acknowledgement may reach at most 365 days past the day of the check;
    beyond, the finding keeps failing and says why. MEDIUM and LOW ones have no horizon."""
    lookup = supp.severity_lookup(SEVERITIES)
    fail = CheckResult.failed("rotation off", ("Properties", "EnableKeyRotation"))
    for expires, status in (("2026-06-01", Status.SUPPRESSED),     # TODAY + 365 days
                            ("2026-06-02", Status.FAIL), ("9999-12-31", Status.FAIL)):
        s = supp.validate_entry(_entry(id="GOV-S3-001", expires=expires), lookup)
        applied = supp.apply([fail], "GOV-S3-001", [s], TODAY)
        assert applied.results[0].status is status, expires
        if status is Status.FAIL:
            assert ("more than 365 days ahead: a HIGH or CRITICAL finding is acknowledged for at "
                    "most 365 days at a time") in applied.results[0].message
            assert applied.used == {0}       # it matched: not reported as unused
    low = supp.validate_entry(_entry(expires="9999-12-31"), lookup)   # GOV-LOGS-001: not HIGH
    assert supp.apply([fail], "GOV-LOGS-001", [low], TODAY).results[0].status is Status.SUPPRESSED


def test_error_results_are_never_suppressed() -> None:
    s = supp.validate_entry(_entry(), supp.severity_lookup(SEVERITIES))
    applied = supp.apply([CheckResult(Status.ERROR, "rule raised KeyError")], "GOV-LOGS-001",
                         [s], TODAY)
    assert applied.results[0].status is Status.ERROR and not applied.used


# ------------------------------------------------------------------------------- the engine


def test_fixture_verdicts(report) -> None:
    found = _by(report)
    wrong = {k: (found[k].status if k in found else None) for k, v in EXPECTED.items()
             if k not in found or found[k].status is not v}
    assert not wrong, wrong
    assert set(found) == set(EXPECTED)


def test_suppressed_finding_keeps_its_message_and_carries_the_acknowledgement(report) -> None:
    f = _by(report)[("GOV-LOGS-001", "AckedShortRetention")]
    assert f.message == "RetentionInDays 30 is below the 365-day floor (AU-11, OMB M-21-31)"
    (ack,) = f.acknowledgements
    assert (ack.id, ack.expires, ack.poam, ack.wildcard) == (
        "GOV-LOGS-001", datetime.date(2025, 12, 31), "POAM-2025-007", None)
    assert "short-lived pilot" in f.suppression and "POA&M POAM-2025-007" in f.suppression
    assert f.property_path == "Properties.RetentionInDays" and f.line is not None
    unknown = _by(report)[("GOV-LOGS-001", "AckedUnknown")]
    assert "parameter Days has no Default" in unknown.message


def test_expired_suppression_fails_again_and_says_so(report) -> None:
    f = _by(report)[("GOV-LOGS-001", "ExpiredAck")]
    assert f.message.startswith("RetentionInDays 14 is below the 365-day floor")
    assert "suppression expired on 2025-05-31" in f.message
    assert f.acknowledgements == () and f.suppression == ""
    # the day after the fixture's expiry date, the acknowledgement that expires "today" lapses
    later = check([ENGINE_FIXTURES / "suppressions.yaml"], rule_patterns=["GOV-LOGS-001"],
                  today=datetime.date(2025, 6, 2))
    assert _by(later)[("GOV-LOGS-001", "AckedExpiresToday")].status is Status.FAIL


def test_invalid_suppressions_are_engine_findings_naming_the_problem(report) -> None:
    by = _by(report)
    short = by[("SUPPRESSION", "ShortReason")]
    assert short.severity is Severity.MEDIUM       # as severe as the rule it names
    assert "suppressions[0] (GOV-LOGS-001): reason must say why" in short.message
    assert short.property_path == "Metadata.govcdk.suppressions[0]" and short.line is not None
    high = by[("SUPPRESSION", "HighNoExpiry")]
    assert high.severity is Severity.HIGH and "expires (YYYY-MM-DD) is required" in high.message
    bad = by[("SUPPRESSION", "Malformed")].message
    assert "suppressions[0] (GOV-S3-999): id GOV-S3-999: not a rule id" in bad
    assert "suppressions[1] (GOV-S3-001): expires must be a date YYYY-MM-DD, got '2025-13-01'" in bad
    assert "suppressions[2] (GOV-S3-001): unknown key(s) expiry" in bad
    assert "suppressions[3]: an entry must be a mapping" in bad and "the string 'GOV-S3-001'" in bad
    assert by[("SUPPRESSION", "Malformed")].paths == tuple(
        f"Metadata.govcdk.suppressions[{i}]" for i in range(4))
    assert "must be a list of entries, got a mapping" in by[("SUPPRESSION", "NotAList")].message
    assert report.rules_run[-1] == "SUPPRESSION"
    assert report.rule_info["SUPPRESSION"]["severity"] == "HIGH"
    # engine findings come first in each template, as ENGINE's do
    assert [f.rule_id for f in report.findings[:4]] == ["SUPPRESSION"] * 4


def test_unused_suppressions_are_reported_with_why(report) -> None:
    unused = {(u.logical_id, u.suppression.id): u for u in report.unused_suppressions}
    assert set(unused) == {("UnusedAcks", "GOV-LOGS-001"), ("UnusedAcks", "GOV-S3-001")}
    assert unused[("UnusedAcks", "GOV-LOGS-001")].why == \
        "GOV-LOGS-001 has no failing result on this resource (PASS)"
    assert unused[("UnusedAcks", "GOV-S3-001")].why == \
        "GOV-S3-001 does not check AWS::Logs::LogGroup resources"
    assert unused[("UnusedAcks", "GOV-S3-001")].resource_type == "AWS::Logs::LogGroup"


def test_reports_show_acknowledgements_and_unused(report) -> None:
    data = json.loads(to_json(report))
    acked = next(f for f in data["findings"] if f["logical_id"] == "AckedHigh")
    assert acked["status"] == "SUPPRESSED"
    assert acked["acknowledgements"] == [{
        "id": "GOV-S3-001", "reason": "static website bucket fronted by CloudFront with "
        "origin access control", "expires": "2025-07-15", "poam": "POAM-2025-011",
        "wildcard": None}]
    assert data["summary"]["unused_suppressions"] == 2
    assert {u["why"] for u in data["unused_suppressions"]} == {
        "GOV-LOGS-001 has no failing result on this resource (PASS)",
        "GOV-S3-001 does not check AWS::Logs::LogGroup resources"}
    assert data["summary"]["by_status"]["SUPPRESSED"] == 5
    console = Console(record=True, width=400, color_system=None)
    render_text(report, console)
    out = console.export_text()
    assert "Unused suppressions: 2" in out and "does not check AWS::Logs::LogGroup" in out
    assert "POA&M POAM-2025-011" in out and "expires 2025-07-15" in out
    assert "invalid suppression, not applied" in out


# ------------------------------------------------------------------------------- wildcards


def _wildcard_check(resource: Any, ctx: Any) -> list[CheckResult]:
    """One result per action of the policy's first statement: FAIL for a service wildcard,
    named in double quotes (the wildcard contract of CheckResult)."""
    actions = resource.properties["PolicyDocument"]["Statement"][0]["Action"]
    path = ("Properties", "PolicyDocument", "Statement", 0, "Action")
    out = []
    for i, action in enumerate(actions):
        if action.endswith("*"):
            out.append(CheckResult.failed(f'Action "{action}" grants every action of the '
                                          f'service', path + (i,)))
        else:
            out.append(CheckResult.passed(f'Action "{action}" is specific', path + (i,)))
    return out


def _raising_check(resource: Any, ctx: Any) -> CheckResult:
    raise KeyError("PolicyDocument")


def _rule(rule_id: str, check_fn: Any, name: str) -> Rule:
    return Rule(id=rule_id, name=name, title="test rule", scope="resource",
                resource_types=("AWS::IAM::Policy",), controls=("AC-6",),
                severity=Severity.MEDIUM, rationale="r", remediation="r", check=check_fn)


WILDCARD_RULE = _rule("TEST-IAM-001", _wildcard_check, "service_wildcards")
RAISING_RULE = _rule("TEST-IAM-002", _raising_check, "raising")

POLICY = """\
  {lid}:
    Type: AWS::IAM::Policy
    Metadata:
      govcdk:
        suppressions: {acks}
    Properties:
      PolicyName: p
      Roles: [r]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: ["logs:*", "s3:*", "kms:Decrypt"]
            Resource: "*"
"""


def _ack(rule: str, wildcard: str | None = None) -> dict[str, Any]:
    out = {"id": rule, "reason": "the CloudWatch agent creates its log groups at run time"}
    return {**out, "wildcard": wildcard} if wildcard else out


@pytest.fixture(scope="module")
def wildcard_report(tmp_path_factory):
    resources = {
        "OneAcked": [_ack("TEST-IAM-001", "logs:*")],
        "BothAcked": [_ack("TEST-IAM-001", "logs:*"), _ack("TEST-IAM-001", "s3:*")],
        "Unquoted": [_ack("TEST-IAM-001", "logs")],       # "logs" is not "logs:*"
        "WholeRule": [_ack("TEST-IAM-001")],
        "Raising": [_ack("TEST-IAM-002")],
    }
    body = "".join(POLICY.format(lid=lid, acks=json.dumps(acks)) for lid, acks in resources.items())
    path = tmp_path_factory.mktemp("wildcards") / "wildcards.yaml"
    path.write_text("Resources:\n" + body)
    return check([path], rules=[WILDCARD_RULE, RAISING_RULE], today=TODAY)


def test_wildcard_acknowledgement_covers_only_its_wildcard(wildcard_report) -> None:
    by = _by(wildcard_report)
    one = by[("TEST-IAM-001", "OneAcked")]
    assert one.status is Status.FAIL
    assert [a.wildcard for a in one.acknowledgements] == ["logs:*"]
    # the failing part names s3:*, and the acknowledged part is still shown
    assert one.message.startswith('Action "s3:*" grants every action of the service')
    assert 'acknowledged: Action "logs:*" grants every action' in one.message
    assert one.paths == ("Properties.PolicyDocument.Statement[0].Action[1]",)
    both = by[("TEST-IAM-001", "BothAcked")]
    assert both.status is Status.SUPPRESSED
    assert [a.wildcard for a in both.acknowledgements] == ["logs:*", "s3:*"]
    assert '"logs:*"' in both.message and '"s3:*"' in both.message
    assert both.paths == ("Properties.PolicyDocument.Statement[0].Action[0]",
                          "Properties.PolicyDocument.Statement[0].Action[1]")
    assert by[("TEST-IAM-001", "Unquoted")].status is Status.FAIL
    console = Console(record=True, width=600, color_system=None)
    render_text(wildcard_report, console)
    assert '[partly acknowledged: the CloudWatch agent creates its log groups at run time ' \
           '(no expiry, wildcard "logs:*")]' in console.export_text()
    assert by[("TEST-IAM-001", "WholeRule")].status is Status.SUPPRESSED


def test_wildcard_that_matches_nothing_and_error_findings_are_unused(wildcard_report) -> None:
    by = _by(wildcard_report)
    assert by[("TEST-IAM-002", "Raising")].status is Status.ERROR
    unused = {(u.logical_id, u.suppression.id): u.why for u in wildcard_report.unused_suppressions}
    assert unused == {
        ("Unquoted", "TEST-IAM-001"): 'no failing result of TEST-IAM-001 names "logs"',
        ("Raising", "TEST-IAM-002"):
            "TEST-IAM-002 raised an error on this resource (ERROR is never suppressed)",
    }
