"""checkov acknowledgements in both example agencies: well-formed ``Metadata.checkov.skip``
entries (the format checkov reads: id + comment), on the resources expected, with their
reasons. Running checkov itself is not this test's job (it needs checkov's own environment);
this pins what the templates ask checkov to skip and why (``pytest -s`` prints it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk.constructs.isolated_vpc import RESTRICT_DEFAULT_SG_HANDLER_CHECKOV
from govcdk.policies.suppressions import MIN_REASON_CHARS, tool_acknowledgements

pytestmark = pytest.mark.synth

HANDLER = "{code}-network/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler"


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


@pytest.mark.parametrize("agency, code", [("reference", "airx"), ("east", "evalx")])
def test_checkov_skips_are_well_formed_and_only_on_cdks_default_sg_handler(agency, code, request, capsys):
    skips = _skips(request.getfixturevalue(f"{agency}_assembly"))
    with capsys.disabled():
        print(f"\ncheckov skips in the {agency} agency:")
        for path, entries in skips.items():
            for check_id, comment in entries:
                print(f"  {check_id} on {path}: {comment}")
    assert skips == {HANDLER.format(code=code): list(RESTRICT_DEFAULT_SG_HANDLER_CHECKOV.items())}
