"""checkov acknowledgements in both example agencies: well-formed ``Metadata.checkov.skip``
entries (the format checkov reads: id + comment), on the resources expected (CDK's default
security group handler, the server access log buckets), with their reasons. Running checkov
itself is not this test's job (it needs checkov's own environment); this pins what the
templates ask checkov to skip and why (``pytest -s`` prints it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk.constructs._log_buckets import ACCESS_LOG_NOT_LOGGED_REASON, CHECKOV_ACCESS_LOGGING
from govcdk.constructs.isolated_vpc import RESTRICT_DEFAULT_SG_HANDLER_CHECKOV
from govcdk.policies.suppressions import MIN_REASON_CHARS, tool_acknowledgements

pytestmark = pytest.mark.synth

HANDLER = "{code}-network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"
ACCESS_LOGS = [(CHECKOV_ACCESS_LOGGING, ACCESS_LOG_NOT_LOGGED_REASON)]
"""checkov's CKV_AWS_18 (server access logging) on each server access log bucket, which is
the destination of the archive's logs and does not log into itself."""
EXPECTED = {
    "reference": {
        HANDLER.format(code="airx"): list(RESTRICT_DEFAULT_SG_HANDLER_CHECKOV.items()),
        "airx-audit/Audit/AccessLogBucket/Resource": ACCESS_LOGS,
        "airx-audit-replica/Replica/AccessLogBucket/Resource": ACCESS_LOGS,
    },
    "east": {
        HANDLER.format(code="evalx"): list(RESTRICT_DEFAULT_SG_HANDLER_CHECKOV.items()),
        "evalx-audit/Audit/AccessLogBucket/Resource": ACCESS_LOGS,
    },
}


def _skips(assembly: Path) -> dict[str, list[tuple[str, str]]]:
    """cdk path -> [(check id, comment)] of every resource with checkov skips; asserts the
    skips are well-formed and that nothing but checkov's own keys is in the block."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(assembly.glob("*.template.json")):
        for lid, res in json.loads(path.read_text())["Resources"].items():
            meta = res.get("Metadata") or {}
            if "checkov" not in meta:
                continue
            assert set(meta["checkov"]) == {"skip"}, (lid, meta["checkov"])
            for entry in meta["checkov"]["skip"]:
                assert set(entry) == {"id", "comment"}, (lid, entry)
            acks, problems = tool_acknowledgements({"checkov": meta["checkov"]})
            assert problems == [], (lid, problems)
            assert all(len(a.reason) >= MIN_REASON_CHARS for a in acks)
            out[meta["aws:cdk:path"]] = [(a.id, a.reason) for a in acks]
    return out


@pytest.mark.parametrize("agency", ["reference", "east"])
def test_checkov_skips_are_well_formed_and_only_where_expected(agency, request, capsys):
    skips = _skips(request.getfixturevalue(f"{agency}_assembly"))
    with capsys.disabled():
        print(f"\ncheckov skips in the {agency} agency:")
        for path, entries in skips.items():
            for check_id, comment in entries:
                print(f"  {check_id} on {path}: {comment}")
    assert skips == EXPECTED[agency]
