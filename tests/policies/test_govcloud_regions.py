"""Region-dependent verdicts of the GovCloud rules, checked with ``region=`` overrides (the
fixture runner always checks for us-gov-west-1)."""

from __future__ import annotations

from pathlib import Path

from govcdk.policies import Status, check

from .helpers import FIXTURES

TARGET = FIXTURES / "govcloud" / "target_region" / "literals.yaml"


def _template_finding(path: Path, rule: str, region: str | None):
    report = check([path], rule_patterns=[rule], region=region)
    found = [f for f in report.findings if f.logical_id == ""]
    assert len(found) == 1, [f.message for f in report.findings]
    return found[0]


def test_target_region_is_a_govcloud_region() -> None:
    for region in ("us-gov-west-1", "us-gov-east-1"):
        f = _template_finding(TARGET, "GOV-GOVCLOUD-002", region)
        assert f.status == Status.PASS and region in f.message
    f = _template_finding(TARGET, "GOV-GOVCLOUD-002", "us-east-1")
    assert f.status == Status.FAIL and "us-east-1" in f.message


def test_commercial_target_makes_pseudo_parameter_arns_fail() -> None:
    """Checked for us-east-1, ${AWS::Partition} is aws and ${AWS::Region} us-east-1."""
    path = FIXTURES / "govcloud" / "target_region" / "intrinsics.yaml"
    report = check([path], rule_patterns=["GOV-GOVCLOUD-002"], region="us-east-1")
    got = {f.logical_id: f.status for f in report.findings}
    assert got["PassSubPseudo"] == Status.FAIL
    report = check([path], rule_patterns=["GOV-GOVCLOUD-002"], region="us-gov-east-1")
    assert {f.logical_id: f.status for f in report.findings}["PassSubPseudo"] == Status.PASS


def test_availability_follows_the_target_region() -> None:
    """AppStream fleets are offered in us-gov-west-1, not in us-gov-east-1 (cfn-lint data)."""
    path = FIXTURES / "govcloud" / "region_availability" / "literals.yaml"
    west = check([path], rule_patterns=["GOV-GOVCLOUD-003"], region="us-gov-west-1")
    east = check([path], rule_patterns=["GOV-GOVCLOUD-003"], region="us-gov-east-1")
    status = {r: {f.logical_id: f.status for f in rep.findings}
              for r, rep in (("west", west), ("east", east))}
    assert status["west"]["PassAppStreamFleetWest"] == Status.PASS
    assert status["east"]["PassAppStreamFleetWest"] == Status.FAIL
    assert status["east"]["PassBucket"] == Status.PASS
