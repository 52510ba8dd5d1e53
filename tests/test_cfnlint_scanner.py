"""The cfn-lint scanner: matches become findings; a govcdk suppression with a reason turns a
match into SUPPRESSED (kept in the report) and never hides it."""

from pathlib import Path

from govcdk.policies.loader import load_template
from govcdk.policies.model import Severity, Status
from govcdk.scanners import cfnlint

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  PinnedSubnet:
    Type: AWS::EC2::Subnet
    Metadata:
      govcdk:
        suppressions:
          - id: W3010
            reason: the subnet must sit in the AZ of the capacity reservation
    Properties:
      VpcId: vpc-12345678
      CidrBlock: 10.0.0.0/24
      AvailabilityZone: us-gov-west-1a
  LooseSubnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-12345678
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: us-gov-west-1b
  Gpu:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12345678
      InstanceType: p5.48xlarge
"""


def test_matches_suppressions_and_region_availability(tmp_path: Path):
    p = tmp_path / "t.yaml"
    p.write_text(TEMPLATE)
    t = load_template(p)
    report = cfnlint.scan([(t.stack, t.path, t.template)])
    by = {(f.rule_id, f.logical_id): f for f in report.findings}
    pinned, loose = by[("W3010", "PinnedSubnet")], by[("W3010", "LooseSubnet")]
    assert pinned.status is Status.SUPPRESSED and "capacity reservation" in pinned.suppression
    assert loose.status is Status.FAIL and loose.severity is Severity.MEDIUM and loose.line == 19
    # p5.48xlarge is not offered in us-gov-east-1: cfn-lint's region data says so, once.
    e3628 = [f for f in report.findings if f.rule_id == "E3628"]
    assert len(e3628) == 1 and e3628[0].logical_id == "Gpu" and e3628[0].severity is Severity.HIGH
    assert e3628[0].controls == ("CM-7", "SA-9")
    assert e3628[0].property_path == "Properties.InstanceType"


EXPIRY = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  ExpiredAck:
    Type: AWS::EC2::Subnet
    Metadata:
      govcdk:
        suppressions:
          - id: W3010
            reason: the subnet must sit in the AZ of the capacity reservation
            expires: 2025-05-31
    Properties:
      VpcId: vpc-12345678
      CidrBlock: 10.0.0.0/24
      AvailabilityZone: us-gov-west-1a
  ShortReason:
    Type: AWS::EC2::Subnet
    Metadata:
      govcdk:
        suppressions:
          - id: W3010
            reason: pinned
    Properties:
      VpcId: vpc-12345678
      CidrBlock: 10.0.1.0/24
      AvailabilityZone: us-gov-west-1b
  UnusedAck:
    Type: AWS::EC2::Subnet
    Metadata:
      govcdk:
        suppressions:
          - id: W3010
            reason: the subnet must sit in the AZ of the capacity reservation
          - id: GOV-EC2-001
            reason: a govcdk rule id is the engine's business, not the scanner's
    Properties:
      VpcId: vpc-12345678
      CidrBlock: 10.0.2.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
"""


def test_cfnlint_suppressions_expire_must_be_valid_and_unused_ones_are_listed(tmp_path: Path):
    import datetime

    p = tmp_path / "t.yaml"
    p.write_text(EXPIRY)
    t = load_template(p)
    report = cfnlint.scan([(t.stack, t.path, t.template)], today=datetime.date(2025, 6, 1))
    by = {(f.rule_id, f.logical_id): f for f in report.findings}
    expired = by[("W3010", "ExpiredAck")]
    assert expired.status is Status.FAIL and "suppression expired on 2025-05-31" in expired.message
    short = by[("W3010", "ShortReason")]
    assert short.status is Status.FAIL and "[suppression not applied: suppressions[0] (W3010): reason" in short.message
    assert ("W3010", "UnusedAck") not in by       # no hard-coded zone, no match
    (unused,) = report.unused_suppressions
    assert (unused.logical_id, unused.suppression.id) == ("UnusedAck", "W3010")
    assert unused.why == "cfn-lint reported no W3010 match on this resource"
    # the day before expiry the acknowledgement applies
    earlier = cfnlint.scan([(t.stack, t.path, t.template)], today=datetime.date(2025, 5, 31))
    acked = next(f for f in earlier.findings if f.logical_id == "ExpiredAck")
    assert acked.status is Status.SUPPRESSED and acked.acknowledgements[0].id == "W3010"
