"""Agreement of govcdk with checkov and the Guard rules registry on the shared corpus, and the
exactness of docs/AGREEMENT.md, which explains every disagreement.

The comparison (what maps, how verdicts are read and when they agree) is
:mod:`policies.agreement`. The report (numbers per tool, then each disagreement with govcdk's
message) is printed by :func:`test_agreement_report`: see it with ``pytest -s`` or ``-rA``, or
run ``PYTHONPATH=src:tests python -m policies.agreement``. The tests fail when a disagreement is
not in the document's table, when the table lists one that no longer occurs (or now has other
verdicts), when a cause is not explained or an explanation is no longer used, and when the
document's numbers or its list of unmapped checks are out of date. Skipped only when ../shared
is missing (``tests_support.require_shared``, through the ``shared`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govcdk.policies import Finding, Report, Severity, Status

from .agreement import (
    AGREES, DOC, RIGHT, TEMPLATE_WIDE, AgreementError, Comparison, Expectation, Result, doc_row,
    format_report, read_doc, resource_verdict, run, template_verdict)


@pytest.fixture(scope="module")
def result(shared: Path) -> Result:
    """govcdk run once per corpus template named by a mapped row (about a second)."""
    return run(shared / "corpus")


@pytest.fixture(scope="module")
def doc():
    return read_doc()


def test_agreement_report(result: Result) -> None:
    """Print the summary and every disagreement; both tools have mapped rows, no rule
    crashed, and each comparison's verdicts are ones the comparison knows."""
    print()
    print(format_report(result))
    assert not result.errors, "rules raised (ERROR findings):\n" + "\n".join(result.errors)
    summary = result.summary()
    for tool in ("checkov", "guard"):
        assert summary[tool]["comparisons"], f"no {tool} row maps to a govcdk rule"
    known = {s.value for s in Status}
    for c in result.comparisons:
        assert c.ours in known, c
        assert c.expectation.expected in AGREES[c.expectation.tool], c


def test_every_disagreement_is_explained(result: Result, doc) -> None:
    missing = [c for c in result.disagreements if c.key not in doc.disagreements]
    assert not missing, (
        f"{len(missing)} disagreement(s) not explained in {DOC}; add these rows to its "
        f"disagreements table (right: {'/'.join(RIGHT)}; cause: a ### heading) or fix govcdk:\n"
        + "\n".join(f"{doc_row(c, None)}  <- ours: {c.message}" for c in missing))


def test_no_stale_explanation(result: Result, doc) -> None:
    """A row for a disagreement that no longer occurs (or whose verdicts changed) fails, so the
    document says exactly what happens today."""
    current = {c.key for c in result.disagreements}
    stale = sorted((entry.line, key) for key, entry in doc.disagreements.items()
                   if key not in current)
    assert not stale, f"{DOC.name} explains disagreements that no longer occur:\n" + "\n".join(
        f"  line {line}: {' | '.join(key)}" for line, key in stale)


def test_causes_are_explained_and_used(doc) -> None:
    used: dict[str, list[int]] = {}
    for entry in doc.disagreements.values():
        causes = [c.strip() for c in entry.cause.split(",")]
        assert all(causes), f"{DOC.name}:{entry.line}: empty cause"
        for cause in causes:
            used.setdefault(cause, []).append(entry.line)
    undefined = {c: lines for c, lines in used.items() if c not in doc.causes}
    assert not undefined, f"{DOC.name}: causes without a '### <cause>' section: {undefined}"
    unused = sorted(set(doc.causes) - set(used))
    assert not unused, f"{DOC.name}: sections no disagreement refers to: {unused}"


def test_documented_numbers_are_current(result: Result, doc) -> None:
    expected = {tool: {k: str(v) for k, v in s.items()} for tool, s in result.summary().items()}
    assert doc.summary == expected, f"{DOC.name} summary table is stale; current: {expected}"
    basis = {b: {k: str(v) for k, v in row.items()} for b, row in result.by_basis().items()}
    assert doc.basis == basis, f"{DOC.name} basis table is stale; current: {basis}"


def test_unmapped_checks_are_listed(result: Result, doc) -> None:
    """Every check of the expectations files that no rule's ``equivalents`` names is listed
    with the reason no govcdk rule maps to it, and nothing listed maps (the judgement whether a
    check belongs in a rule's metadata is recorded, and stays true)."""
    current = {key: str(n) for key, n in result.unmapped.items()}
    listed = {key: rows for key, (rows, _why) in doc.unmapped.items()}
    assert listed == current, (f"{DOC.name} unmapped table differs from the expectations "
                               f"files: listed {listed}, current {current}")
    assert all(why for _rows, why in doc.unmapped.values())


# --------------------------------------------------------------------------------------------
# the comparison itself, on reasoned-out inputs


def _finding(rule_id: str, logical_id: str, status: Status, message: str = "m") -> Finding:
    return Finding(source="govcdk", rule_id=rule_id, title="t", severity=Severity.HIGH,
                   controls=(), status=status, message=message, stack="s", template_path="t",
                   logical_id=logical_id, resource_type="AWS::S3::Bucket")


def test_template_verdict_fail_beats_unknown_and_skip_needs_nothing_to_check() -> None:
    r = "GOV-S3-006"
    both = Report(findings=[_finding(r, "A", Status.UNKNOWN), _finding(r, "B", Status.FAIL),
                            _finding(r, "C", Status.PASS)])
    assert template_verdict(both, r)[0] == "FAIL"
    unsure = Report(findings=[_finding(r, "A", Status.UNKNOWN), _finding(r, "C", Status.PASS)])
    assert template_verdict(unsure, r)[0] == "UNKNOWN"
    passing = Report(findings=[_finding(r, "C", Status.PASS),
                               _finding(r, "D", Status.NOT_APPLICABLE)])
    assert template_verdict(passing, r)[0] == "PASS"
    assert template_verdict(Report(), r)[0] == "NOT_APPLICABLE"
    # An engine finding (a SAM transform) means part of the template was not checked.
    engine = Report(findings=[_finding("ENGINE", "", Status.UNKNOWN, "Transform X"),
                              _finding(r, "C", Status.PASS)])
    verdict, message = template_verdict(engine, r)
    assert verdict == "UNKNOWN" and "Transform X" in message
    crashed = Report(findings=[_finding(r, "A", Status.ERROR), _finding(r, "B", Status.FAIL)])
    assert template_verdict(crashed, r)[0] == "ERROR"


def test_resource_verdict_reads_the_rule_finding_then_the_engine() -> None:
    r = "GOV-LAMBDA-001"
    report = Report(findings=[_finding(r, "Fn", Status.FAIL, "secret"),
                              _finding("ENGINE", "", Status.UNKNOWN, "Transform X")])
    assert resource_verdict(report, r, "Fn") == ("FAIL", "secret")
    assert resource_verdict(report, r, "Other")[0] == "UNKNOWN"
    assert resource_verdict(Report(), r, "Other")[0] == "NOT_APPLICABLE"


@pytest.mark.parametrize("tool, theirs, ours, agrees", [
    ("checkov", "PASS", "PASS", True),
    ("checkov", "PASS", "NOT_APPLICABLE", False),
    ("checkov", "FAIL", "UNKNOWN", False),
    ("checkov", "NOT_REPORTED", "UNKNOWN", True),
    ("checkov", "NOT_REPORTED", "NOT_APPLICABLE", True),
    ("checkov", "NOT_REPORTED", "PASS", False),
    ("checkov", "FAIL", "SUPPRESSED", False),
    ("guard", "SKIP", "NOT_APPLICABLE", True),
    ("guard", "SKIP", "SUPPRESSED", True),
    ("guard", "SKIP", "UNKNOWN", False),
    ("guard", "SKIP", "PASS", False),
    ("guard", "FAIL", "FAIL", True),
    ("guard", "FAIL", "ERROR", False),
])
def test_which_verdicts_agree(tool: str, theirs: str, ours: str, agrees: bool) -> None:
    e = Expectation(tool, "t.yaml", "X", TEMPLATE_WIDE, theirs, "", 2)
    assert Comparison(e, "GOV-X-001", ours, "").agrees is agrees


def test_document_parser_rejects_bad_rows(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- agreement:disagreements -->")
    row = text.index("\n| ", text.index("|---", start)) + 1
    first = text[row:text.index("\n", row)]
    twice = tmp_path / "twice.md"
    twice.write_text(text[:row] + first + "\n" + text[row:], encoding="utf-8")
    with pytest.raises(AgreementError, match="listed twice"):
        read_doc(twice)
    cells = first.split("|")
    cells[-3] = " maybe "
    wrong = tmp_path / "wrong.md"
    wrong.write_text(text.replace(first, "|".join(cells), 1), encoding="utf-8")
    with pytest.raises(AgreementError, match="right 'maybe'"):
        read_doc(wrong)


def _corpus(tmp_path: Path, checkov_rows: list[str], guard_rows: list[str]) -> Path:
    """A small corpus: one template with an SSE-S3 bucket and a KMS-encrypted one."""
    (tmp_path / "templates" / "t").mkdir(parents=True)
    (tmp_path / "templates" / "t" / "b.yaml").write_text(
        "Resources:\n"
        "  Key:\n    Type: AWS::KMS::Key\n    Properties: {EnableKeyRotation: true}\n"
        "  SseS3:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n"
        "        ServerSideEncryptionConfiguration:\n"
        "          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}\n"
        "  Kms:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n"
        "        ServerSideEncryptionConfiguration:\n"
        "          - ServerSideEncryptionByDefault:\n"
        "              SSEAlgorithm: aws:kms\n              KMSMasterKeyID: !Ref Key\n")
    (tmp_path / "checkov_expectations.tsv").write_text("\n".join(
        ["template\tcheck_id\tresource\texpected\tcheck_name\tbasis\tcheckov_test"]
        + checkov_rows) + "\n")
    (tmp_path / "guard_expectations.tsv").write_text("\n".join(
        ["template\trule\texpected\tcase_name\tsource_test_file\tcase_index"] + guard_rows)
        + "\n")
    return tmp_path


def test_run_on_a_reasoned_out_corpus(tmp_path: Path) -> None:
    """CKV_AWS_19 passes SSE-S3, GOV-S3-006 fails it (a disagreement); both pass the KMS
    bucket. Guard's S3_DEFAULT_ENCRYPTION_KMS FAIL agrees with the template-wide FAIL; a check
    no rule names is counted as unmapped."""
    corpus = _corpus(tmp_path, [
        "t/b.yaml\tCKV_AWS_19\tAWS::S3::Bucket.SseS3\tPASS\tn\texplicit\tx.py",
        "t/b.yaml\tCKV_AWS_19\tAWS::S3::Bucket.Kms\tPASS\tn\texplicit\tx.py",
        "t/b.yaml\tCKV_AWS_999\tAWS::S3::Bucket.Kms\tPASS\tn\texplicit\tx.py",
    ], ["t/b.yaml\tS3_DEFAULT_ENCRYPTION_KMS\tFAIL\tcase\tf.yml\t1"])
    result = run(corpus)
    verdicts = {(c.expectation.check, c.expectation.resource): (c.rule_id, c.ours, c.agrees)
                for c in result.comparisons}
    assert verdicts == {
        ("CKV_AWS_19", "AWS::S3::Bucket.SseS3"): ("GOV-S3-006", "FAIL", False),
        ("CKV_AWS_19", "AWS::S3::Bucket.Kms"): ("GOV-S3-006", "PASS", True),
        ("S3_DEFAULT_ENCRYPTION_KMS", TEMPLATE_WIDE): ("GOV-S3-006", "FAIL", True),
    }
    assert dict(result.unmapped) == {("checkov", "CKV_AWS_999"): 1}
    assert result.summary()["checkov"]["agreement"] == "50.0%"


@pytest.mark.parametrize("row, message", [
    ("t/b.yaml\tCKV_AWS_19\tAWS::S3::Bucket.Missing\tPASS\tn\texplicit\tx.py",
     r"checkov_expectations.tsv:2: Missing is not declared in the template"),
    ("t/b.yaml\tCKV_AWS_19\tAWS::EC2::Volume.SseS3\tPASS\tn\texplicit\tx.py",
     r"checkov_expectations.tsv:2: SseS3 is of type AWS::S3::Bucket, not AWS::EC2::Volume"),
    ("t/b.yaml\tCKV_AWS_19\tAWS::S3::Bucket.SseS3\tMAYBE\tn\texplicit\tx.py",
     r"checkov_expectations.tsv:2: expected 'MAYBE', allowed: PASS, FAIL, NOT_REPORTED"),
    ("t/nope.yaml\tCKV_AWS_19\tAWS::S3::Bucket.SseS3\tPASS\tn\texplicit\tx.py",
     r"checkov_expectations.tsv:2: template 't/nope.yaml' is not in"),
    ("t/b.yaml\tCKV_AWS_19\tSseS3\tPASS\tn\texplicit\tx.py",
     r"checkov_expectations.tsv:2: resource 'SseS3' is not Type.LogicalId"),
])
def test_bad_expectation_rows_name_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(AgreementError, match=message):
        run(_corpus(tmp_path, [row], []))
