"""The control catalog (govcdk.policies.catalog): generated data is current, every rule's
controls are known, baselines are the FedRAMP profiles' and a rule's are its primary control's.

Spot checks were read off the OSCAL files in shared/oscal/ (FedRAMP Rev 5 profiles, commit
c784140b of GSA/fedramp-automation; NIST SP 800-53 Rev 5.1.1 High baseline catalog):
``sc-12.1`` is in the High profile's ``with-ids`` only; ``ac-2``, ``sc-28.1`` in all three;
``sc-7.5``, ``ac-4``, ``ia-5.7`` in Moderate and High; ``au-9.2`` in High only; ``ia-5.7`` is
absent from the NIST High catalog (FedRAMP adds it), so it has no title.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import resources

import pytest
from click.testing import CliRunner

from govcdk.policies import Rule, Severity, load_rules
from govcdk.policies import catalog
from govcdk.policies.catalog import BASELINES, UnknownControlError

from .helpers import REPO

RULES = load_rules()
SCRIPTS = REPO / "scripts"
COMMITTED = REPO / "src" / "govcdk" / "policies" / "catalog" / "controls.json"


def _gen_catalog():
    pytest.importorskip("trestle", reason="compliance-trestle (the oscal extra) is not installed")
    sys.path.insert(0, str(SCRIPTS))
    try:
        import gen_catalog
    finally:
        sys.path.pop(0)
    return gen_catalog


def test_generated_catalog_is_current(shared, tmp_path):
    gen = _gen_catalog()
    out = tmp_path / "controls.json"
    gen.main(["--oscal", str(shared / "oscal"), "--out", str(out)])
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "src/govcdk/policies/catalog/controls.json is stale: run python scripts/gen_catalog.py")


def test_catalog_file_is_deterministic_json():
    text = COMMITTED.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert doc["source"]["generator"] == "scripts/gen_catalog.py"


def test_baselines_match_the_raw_profiles(shared):
    """Re-derive every control's baselines from the profile JSON without trestle."""
    members: dict[str, set[str]] = {}
    for level in BASELINES:
        (path,) = (shared / "oscal").glob(f"FedRAMP_rev5_{level.upper()}-baseline_profile*.json")
        profile = json.loads(path.read_text())["profile"]
        members[level] = {i for imp in profile["imports"]
                          for sel in imp.get("include-controls", []) for i in sel["with-ids"]}
    # SOURCES.md: 156, 323 and 410 control ids.
    assert [len(members[b]) for b in BASELINES] == [156, 323, 410]
    gen = _gen_catalog()
    expected = {gen.printed_id(i): tuple(b for b in BASELINES if i in members[b])
                for i in set().union(*members.values())}
    got = {c.id: c.baselines for c in catalog.all_controls() if c.baselines}
    assert got == expected


def test_fedramp_baselines_are_nested():
    """Every Low control is in Moderate, every Moderate control in High (FedRAMP Rev 5)."""
    for c in catalog.all_controls():
        if c.baselines:
            assert c.baselines == BASELINES[BASELINES.index(c.baselines[0]):], c


@pytest.mark.parametrize("cid, baselines, title", [
    ("SC-12(1)", ("high",), "Cryptographic Key Establishment and Management | Availability"),
    ("AC-2", ("low", "moderate", "high"), "Account Management"),
    ("SC-7(5)", ("moderate", "high"), "Boundary Protection | Deny by Default — Allow by Exception"),
    ("SC-28(1)", ("low", "moderate", "high"),
     "Protection of Information at Rest | Cryptographic Protection"),
    ("AU-9(2)", ("high",),
     "Protection of Audit Information | Store on Separate Physical Systems or Components"),
    ("AC-4", ("moderate", "high"), "Information Flow Enforcement"),
    ("IA-5(7)", ("moderate", "high"), None),
])
def test_spot_checks_from_the_oscal_files(cid, baselines, title):
    c = catalog.control(cid)
    assert (c.id, c.baselines, c.title) == (cid, baselines, title)
    assert c.family == cid[:2]
    assert c.in_catalog is (title is not None)


def test_families_and_counts():
    controls = catalog.all_controls()
    assert len(controls) == 410
    assert sum(c.in_catalog for c in controls) == 370
    assert catalog.control("SC-12(1)").family_title == "System and Communications Protection"
    # NIST order: number, then enhancement, not string order.
    ids = [c.id for c in controls if c.family == "AC"]
    assert ids.index("AC-2") < ids.index("AC-2(1)") < ids.index("AC-3") < ids.index("AC-10")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_control_is_known(rule: Rule) -> None:
    unknown = [c for c in rule.controls if not catalog.is_known(c)]
    assert unknown == [], f"{rule.id}: controls not in the catalog: {unknown}"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_baselines_are_those_of_its_first_control(rule: Rule) -> None:
    assert rule.baselines == catalog.control(rule.controls[0]).baselines
    assert set(rule.control_titles) == set(rule.controls)


def _rule(*controls: str) -> Rule:
    return Rule(id="GOV-TEST-001", name="t", title="t", scope="resource", resource_types=("*",),
                controls=controls, severity=Severity.LOW, rationale="", remediation="",
                check=lambda resource, ctx: [])


def test_only_the_primary_control_decides_a_rule_baselines():
    assert _rule("SC-12(1)", "SC-12").baselines == ("high",)
    assert _rule("SC-12", "SC-12(1)").baselines == ("low", "moderate", "high")
    assert _rule().baselines == ()
    kms = next(r for r in RULES if r.id == "GOV-KMS-001")
    assert kms.controls[:2] == ("SC-12", "SC-12(1)") and kms.baselines == BASELINES


def test_unknown_control_fails_with_suggestions():
    assert not catalog.is_known("SC-99")
    with pytest.raises(UnknownControlError) as err:
        catalog.control("SC-99")
    message = str(err.value)
    assert "'SC-99'" in message and "did you mean" in message
    suggested = message.split("did you mean ")[1].rstrip("?").split(", ")
    assert suggested and all(catalog.is_known(s) and s.startswith("SC-") for s in suggested)
    assert isinstance(err.value, ValueError)
    with pytest.raises(UnknownControlError, match=r"did you mean SC-12\(1\)"):
        catalog.control("sc-12.1")
    with pytest.raises(UnknownControlError):
        _rule("SC-99").baselines
    with pytest.raises(UnknownControlError, match="SC-99"):
        catalog.baselines_of(["AC-2", "SC-99"])


def test_baselines_of_is_the_union_in_baseline_order():
    assert catalog.baselines_of(["SC-12(1)", "AC-4"]) == ("moderate", "high")
    assert catalog.baselines_of(["SC-12(1)"]) == ("high",)
    assert catalog.baselines_of(["AC-2", "SC-12(1)"]) == BASELINES
    assert catalog.baselines_of([]) == ()


def test_source_names_the_oscal_files(shared):
    src = catalog.source()
    assert src["generator"] == "scripts/gen_catalog.py"
    names = {f["file"] for f in src["files"]}
    assert names == {p.name for p in (shared / "oscal").glob("*.json")}
    by_name = {f["file"]: f for f in src["files"]}
    for name, info in by_name.items():
        meta = next(iter(json.loads((shared / "oscal" / name).read_text()).values()))["metadata"]
        assert (info["title"], info["version"]) == (meta["title"], meta["version"])
    src["files"].clear()
    assert catalog.source()["files"], "source() must return a copy"


def test_catalog_is_package_data_and_never_imports_aws_cdk():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "policies/catalog/*.json" in pyproject["tool"]["setuptools"]["package-data"]["govcdk"]
    assert resources.files("govcdk.policies.catalog").joinpath("controls.json").is_file()
    code = ("import sys; from govcdk.policies import catalog; catalog.control('AC-2'); "
            "assert 'aws_cdk' not in sys.modules and 'jsii' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_rules_shows_baseline_letters():
    from govcdk.cli import main

    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Template rules (govcdk check)") and "FedRAMP" in lines[1]
    assert any(l.startswith("Deployed-account rules (govcdk verify)") for l in lines)
    from govcdk.verify.rules import VERIFY_RULES

    for rule in (*RULES, *VERIFY_RULES):
        line = next(l for l in result.output.splitlines() if l.startswith(rule.id + " "))
        letters = "".join(b[0].upper() for b in rule.baselines)
        assert line.split()[2] == letters, line
