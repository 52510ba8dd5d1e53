"""Every fixture template under ``fixtures/<service>/<rule_name>/`` states its expected verdicts
in logical-id prefixes: ``Pass...``, ``Fail...``, ``Na...`` (NOT_APPLICABLE), ``Unknown...``,
``Suppressed...`` (a finding acknowledged in the resource's Metadata).
Resources without such a prefix are supporting resources and are not asserted. Resources a
``Fn::ForEach`` loop declares are asserted by their expanded logical ids. A fixture whose first
line is ``# govcdk-test: all-allowed-values`` is checked with ``all_allowed_values=True``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cfnlint.decode import decode

from govcdk.policies import Status, check, load_rules
from govcdk.policies.language_extensions import expand as expand_foreach
from govcdk.policies.resolver import Resolver

from .helpers import FIXTURES, service_of

PREFIX = re.compile(r"^(Pass|Fail|Na|Unknown|Suppressed)(?=[A-Z0-9])")
EXPECTED = {
    "Pass": Status.PASS,
    "Fail": Status.FAIL,
    "Na": Status.NOT_APPLICABLE,
    "Unknown": Status.UNKNOWN,
    "Suppressed": Status.SUPPRESSED,
}
RULES_BY_NAME = {(service_of(r), r.name): r for r in load_rules()}
"""Rules by (service folder, name): two services may each have a rule of the same name
(``efs/file_system_cmk_encryption``, ``fsx/file_system_cmk_encryption``)."""
FIXTURE_FILES = sorted(FIXTURES.rglob("*.yaml"))


def expectations(path: Path) -> dict[str, Status]:
    """Expected verdict per logical id; ``Fn::ForEach`` loops over literal lists (or
    parameter defaults) are expanded first, so their resources state verdicts too."""
    template, matches = decode(str(path))
    assert not matches, matches
    template = expand_foreach(template, Resolver(template).resolve).template
    out = {}
    for logical_id in template["Resources"]:
        m = PREFIX.match(logical_id)
        if m:
            out[str(logical_id)] = EXPECTED[m.group(1)]
    return out


@pytest.mark.parametrize("path", FIXTURE_FILES,
                         ids=[str(p.relative_to(FIXTURES)) for p in FIXTURE_FILES])
def test_fixture_verdicts(path: Path) -> None:
    rule = RULES_BY_NAME[(path.parent.parent.name, path.parent.name)]
    expected = expectations(path)
    assert expected, f"{path} states no expected verdict"
    # A fixture about parameter AllowedValues says so in its first line.
    every = path.read_text().startswith("# govcdk-test: all-allowed-values")
    report = check([path], rule_patterns=[rule.id], all_allowed_values=every)
    found = {f.logical_id: f for f in report.findings}
    wrong = []
    for logical_id, status in expected.items():
        finding = found.get(logical_id)
        got = finding.status if finding else None
        if got != status:
            wrong.append(f"{logical_id}: expected {status.value}, got "
                         f"{got.value if got else 'no finding'} "
                         f"({finding.message if finding else ''})")
    assert not wrong, "\n".join(wrong)
    assert all(f.status != Status.ERROR for f in report.findings)


def test_every_rule_has_pass_and_fail_fixtures() -> None:
    for rule in load_rules():
        folder = FIXTURES / service_of(rule) / rule.name
        files = sorted(folder.glob("*.yaml"))
        assert files, f"{rule.id}: no fixtures in {folder}"
        statuses = {s for f in files for s in expectations(f).values()}
        assert Status.PASS in statuses, f"{rule.id}: no Pass fixture resource"
        assert Status.FAIL in statuses, f"{rule.id}: no Fail fixture resource"


def test_fixture_folders_name_existing_rules() -> None:
    for folder in {p.parent for p in FIXTURE_FILES}:
        assert (folder.parent.name, folder.name) in RULES_BY_NAME, \
            f"{folder}: no rule named {folder.name} in service {folder.parent.name}"


def test_raw_index_reported_after_novalue_removal() -> None:
    path = FIXTURES / "ec2" / "security_group_no_public_ingress" / "intrinsics.yaml"
    report = check([path], rule_patterns=["GOV-EC2-003"])
    finding = next(f for f in report.findings if f.logical_id == "FailAfterNoValue")
    assert finding.property_path == "Properties.SecurityGroupIngress[1].CidrIp"
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "FailAfterNoValue:" in text)
    open_rule = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                     if i > line and "CidrIp: 0.0.0.0/0}" in text)
    assert finding.line == open_rule
