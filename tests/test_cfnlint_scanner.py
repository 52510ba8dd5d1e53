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
