"""The verdicts stated in the headers of ``<shared>/corpus/cases/*.yaml`` (hand-written
reproductions of public bug reports against other compliance tools), asserted for the govcdk
rule that implements each rule concept.

Rule concepts -> govcdk rules: SG_NO_PUBLIC_INGRESS = GOV-EC2-003, KMS_ROTATION = GOV-KMS-001,
LOG_RETENTION = GOV-LOGS-001, LOG_GROUP_KMS = GOV-LOGS-002, VPC_FLOW_LOGS = GOV-EC2-001,
GOVCLOUD_NO_HARDCODED_PARTITION = GOV-GOVCLOUD-001, GOVCLOUD_SERVICE_PRINCIPAL = GOV-GOVCLOUD-004,
S3_TLS_ONLY = GOV-S3-007, S3_ENCRYPTION_KMS = GOV-S3-006, DOCDB_NON_DEFAULT_PORT = GOV-RDS-003,
IAM_NO_WILDCARD_ADMIN = GOV-IAM-001 (S3_ENCRYPTION, any default encryption,
has no govcdk rule: the pack asks for a customer-managed key).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govcdk.policies import Status, check

P, F, NA = Status.PASS, Status.FAIL, Status.NOT_APPLICABLE

# (case file, parameters, rule id, logical id, expected status)
VERDICTS = [
    ("cdknag-sg-cidr-getatt-crash", None, "GOV-EC2-003", "AdminSg", P),
    ("cdknag-sg-cidr-getatt-crash", None, "GOV-EC2-003", "WorldSshSg", F),
    ("cdknag-param-default-bypass", None, "GOV-KMS-001", "DataKey", F),
    ("cdknag-param-default-bypass", {"RotateKeys": "true"}, "GOV-KMS-001", "DataKey", P),
    # DOCDB_NON_DEFAULT_PORT = GOV-RDS-003: Port -> Ref DbPort -> Default 27017.
    ("cdknag-param-default-bypass", None, "GOV-RDS-003", "DocDbCluster", F),
    ("cdknag-param-default-bypass", {"DbPort": "27117"}, "GOV-RDS-003", "DocDbCluster", P),
    ("checkov-sg-quoted-port-fn", None, "GOV-EC2-003", "QuotedSingle", F),
    ("checkov-sg-quoted-port-fn", None, "GOV-EC2-003", "QuotedDouble", F),
    ("checkov-sg-quoted-port-fn", None, "GOV-EC2-003", "IntControl", F),
    ("checkov-sg-quoted-port-fn", None, "GOV-EC2-003", "PrivateOnly", P),
    ("checkov-kms-asymmetric-rotation-fp", None, "GOV-KMS-001", "SigningKey", NA),
    ("checkov-kms-asymmetric-rotation-fp", None, "GOV-KMS-001", "HmacKey", NA),
    ("checkov-kms-asymmetric-rotation-fp", None, "GOV-KMS-001", "DataKeyNoRotation", F),
    ("checkov-kms-asymmetric-rotation-fp", None, "GOV-KMS-001", "DataKeyRotated", P),
    ("cfnlint-partition-plain-string-fn", None, "GOV-GOVCLOUD-001", "ReaderPolicy", F),
    ("cfnlint-partition-plain-string-fn", None, "GOV-GOVCLOUD-001", "ReaderRole", F),
    # The case header: PASS (Ref RetentionDays -> Default 365), parameters evaluated with their
    # defaults. RetentionDays also allows 90, below the AU-11 floor: the PASS says so, and
    # --all-allowed-values makes it FAIL (test_allowed_value_below_the_floor_is_named).
    ("guard-short-vs-long-intrinsics", None, "GOV-LOGS-001", "ShortGroup", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-LOGS-001", "LongGroup", P),
    ("guard-short-vs-long-intrinsics", {"RetentionDays": "365"}, "GOV-LOGS-001", "ShortGroup", P),
    ("guard-short-vs-long-intrinsics", {"RetentionDays": "365"}, "GOV-LOGS-001", "LongGroup", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-LOGS-002", "ShortGroup", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-LOGS-002", "LongGroup", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-GOVCLOUD-001", "ShortRole", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-GOVCLOUD-001", "LongRole", P),
    ("guard-short-vs-long-intrinsics", None, "GOV-KMS-001", "LogKey", P),
    ("cdk-govcloud-join-literal-partition", None, "GOV-GOVCLOUD-001", "BuildRoleDefaultPolicy", F),
    # IAM_NO_WILDCARD_ADMIN = GOV-IAM-001: scoped actions.
    ("cdk-govcloud-join-literal-partition", None, "GOV-IAM-001", "BuildRoleDefaultPolicy", P),
    ("cfnnag-vpc-flowlog-correlation", None, "GOV-EC2-001", "LoggedVpc", P),
    ("cfnnag-vpc-flowlog-correlation", None, "GOV-EC2-001", "UnloggedVpc", F),
    ("cfnnag-vpc-flowlog-correlation", None, "GOV-LOGS-001", "FlowLogGroup", P),
    # S3_TLS_ONLY = GOV-S3-007: the four equivalent spellings all PASS, as the header says.
    ("guard-s3-tls-only-too-literal-fp", None, "GOV-S3-007", "BucketA", P),
    ("guard-s3-tls-only-too-literal-fp", None, "GOV-S3-007", "BucketB", P),
    ("guard-s3-tls-only-too-literal-fp", None, "GOV-S3-007", "BucketC", P),
    ("guard-s3-tls-only-too-literal-fp", None, "GOV-S3-007", "BucketD", P),
    # S3_ENCRYPTION_KMS = GOV-S3-006: the header's SseKmsBucket PASS, and DSSE-KMS under the same
    # customer-managed key PASS; PlainBucket FAIL (the header's strict-profile verdict). The
    # header's S3_ENCRYPTION (any default encryption) PASS for SseS3Bucket is a different
    # concept: SSE-S3 keys are Amazon S3's, not customer-managed (KMS-5), so GOV-S3-006 FAILS it.
    ("checkov-s3-encryption-property-path-fp", None, "GOV-S3-006", "SseKmsBucket", P),
    ("checkov-s3-encryption-property-path-fp", None, "GOV-S3-006", "DsseBucket", P),
    ("checkov-s3-encryption-property-path-fp", None, "GOV-S3-006", "PlainBucket", F),
    ("checkov-s3-encryption-property-path-fp", None, "GOV-S3-006", "SseS3Bucket", F),
    ("cdk-govcloud-regional-service-principal", None, "GOV-GOVCLOUD-004", "GlobalPrincipalRole", P),
    ("cdk-govcloud-regional-service-principal", None, "GOV-GOVCLOUD-004", "RegionalPrincipalRole",
     F),
    ("cdk-govcloud-regional-service-principal", None, "GOV-GOVCLOUD-004",
     "UrlSuffixPrincipalRole", F),
    ("cdk-govcloud-regional-service-principal", None, "GOV-GOVCLOUD-004",
     "GovDomainPrincipalRole", F),
]

_reports: dict[tuple[str, str], object] = {}


def case_report(shared: Path, case: str, parameters: dict | None, *, all_allowed_values: bool = False):
    key = (case, repr(sorted((parameters or {}).items())), all_allowed_values)
    if key not in _reports:
        path = shared / "corpus" / "cases" / f"{case}.yaml"
        assert path.is_file(), f"case file {path} not found in the shared corpus"
        _reports[key] = check([path], parameters=parameters, all_allowed_values=all_allowed_values)
    return _reports[key]


def find(report, rule_id: str, logical_id: str):
    matches = [f for f in report.findings
               if f.rule_id == rule_id and f.logical_id == logical_id]
    assert len(matches) == 1, f"{rule_id}[{logical_id}]: {len(matches)} findings"
    return matches[0]


@pytest.mark.parametrize("case,parameters,rule_id,logical_id,expected", VERDICTS,
                         ids=[f"{c}:{r}:{l}" + (":override" if p else "")
                              for c, p, r, l, _ in VERDICTS])
def test_case_verdict(shared: Path, case: str, parameters: dict | None, rule_id: str,
                      logical_id: str, expected: Status) -> None:
    finding = find(case_report(shared, case, parameters), rule_id, logical_id)
    assert finding.status == expected, finding.message


def test_no_case_crashes_the_engine(shared: Path) -> None:
    for path in sorted((shared / "corpus" / "cases").glob("*.yaml")):
        report = check([path])
        assert not [f for f in report.findings if f.status == Status.ERROR], path.name


def test_partition_locations_plain_join_sub_but_not_if(shared: Path) -> None:
    report = case_report(shared, "cfnlint-partition-plain-string-fn", None)
    policy = find(report, "GOV-GOVCLOUD-001", "ReaderPolicy")
    statements = "Properties.PolicyDocument.Statement[{}].Resource"
    assert policy.paths == tuple(statements.format(i) for i in range(3))
    assert not any("Statement[3]" in p for p in policy.paths)
    assert policy.property_path == statements.format(0)
    role = find(report, "GOV-GOVCLOUD-001", "ReaderRole")
    assert role.paths == ("Properties.ManagedPolicyArns[0]",)
    for f in report.findings:   # Description and Outputs are not resource properties
        if f.rule_id != "GOV-GOVCLOUD-001":
            continue    # other rules report on the template (GOV-GOVCLOUD-002's target Region)
        assert "Description" not in f.property_path and "Outputs" not in f.property_path
        assert f.logical_id in ("ReaderRole", "ReaderPolicy")


def test_join_literal_partition_only_statement_0(shared: Path) -> None:
    report = case_report(shared, "cdk-govcloud-join-literal-partition", None)
    policy = find(report, "GOV-GOVCLOUD-001", "BuildRoleDefaultPolicy")
    assert policy.paths == ("Properties.PolicyDocument.Statement[0].Resource",)
    assert policy.line is not None
    assert find(report, "GOV-GOVCLOUD-001", "BuildRole").status == P


def test_short_and_long_forms_agree(shared: Path) -> None:
    report = case_report(shared, "guard-short-vs-long-intrinsics", None)
    for rule_id, short, long in [("GOV-LOGS-001", "ShortGroup", "LongGroup"),
                                 ("GOV-LOGS-002", "ShortGroup", "LongGroup"),
                                 ("GOV-GOVCLOUD-001", "ShortRole", "LongRole")]:
        a, b = find(report, rule_id, short), find(report, rule_id, long)
        assert (a.status, a.message) == (b.status, b.message)


def test_param_default_bypass_reports_the_parameter(shared: Path) -> None:
    report = case_report(shared, "cdknag-param-default-bypass", None)
    finding = find(report, "GOV-KMS-001", "DataKey")
    assert finding.property_path == "Properties.EnableKeyRotation"
    assert finding.message == "EnableKeyRotation is 'false' (parameter RotateKeys default)"
    every = find(case_report(shared, "cdknag-param-default-bypass", None, all_allowed_values=True),
                 "GOV-KMS-001", "DataKey")
    assert every.status.value == "FAIL"
    assert every.message == ("if parameter RotateKeys is 'false' (its default): "
                             "EnableKeyRotation is 'false'")
    given = find(case_report(shared, "cdknag-param-default-bypass", {"RotateKeys": "true"}),
                 "GOV-KMS-001", "DataKey")
    assert given.message.endswith("(parameter RotateKeys as given)")


def test_allowed_value_below_the_floor_is_named(shared: Path) -> None:
    default = find(case_report(shared, "guard-short-vs-long-intrinsics", None), "GOV-LOGS-001", "ShortGroup")
    assert default.status.value == "PASS"
    assert default.message == (
        "RetentionInDays 365 meets the 365-day floor (parameter RetentionDays default) [other "
        "AllowedValues give FAIL: if parameter RetentionDays is '90': RetentionInDays 90 is below "
        "the 365-day floor (AU-11, OMB M-21-31); check them with --all-allowed-values]")
    report = case_report(shared, "guard-short-vs-long-intrinsics", None, all_allowed_values=True)
    group = find(report, "GOV-LOGS-001", "ShortGroup")
    assert group.status.value == "FAIL"
    assert group.message == ("if parameter RetentionDays is '90': RetentionInDays 90 is below "
                             "the 365-day floor (AU-11, OMB M-21-31)")
    assert group.property_path == "Properties.RetentionInDays"
