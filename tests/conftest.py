"""Shared fixtures. CDK synthesis costs seconds (jsii starts Node.js), so each example agency is
synthesized once per test session and every test reads that one cloud assembly (or, for
cdk-nag, walks that one synthesized App)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcdk._node import configure_jsii

ROOT = Path(__file__).resolve().parents[1]
configure_jsii(ROOT)  # before anything imports aws_cdk

REFERENCE = ROOT / "agencies" / "reference.yaml"
EAST = ROOT / "agencies" / "east.yaml"


@pytest.fixture(scope="session")
def reference_config():
    from govcdk.config import load_agency

    return load_agency(REFERENCE)


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory, reference_config):
    """The reference agency's :class:`aws_cdk.App`, synthesized once (aspects applied), for
    checks that walk the construct tree (cdk-nag); its cloud assembly is
    ``reference_assembly``."""
    from govcdk.stacks import build_app

    out = tmp_path_factory.mktemp("reference") / "cdk.out"
    app = build_app(reference_config, out)
    app.synth()
    return app


@pytest.fixture(scope="session")
def reference_assembly(reference_app) -> Path:
    """The reference agency synthesized once: the cloud assembly directory."""
    return Path(reference_app.outdir)


@pytest.fixture(scope="session")
def reference_templates(reference_assembly) -> dict[str, dict]:
    """Stack name -> decoded template of the reference agency."""
    return _templates(reference_assembly)


def _templates(assembly: Path) -> dict[str, dict]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {name: json.loads((assembly / art["properties"]["templateFile"]).read_text())
            for name, art in manifest["artifacts"].items() if art["type"] == "aws:cloudformation:stack"}


@pytest.fixture(scope="session")
def east_config():
    from govcdk.config import load_agency

    return load_agency(EAST)


@pytest.fixture(scope="session")
def east_app(tmp_path_factory, east_config):
    """The second example agency's App, synthesized once (see ``reference_app``)."""
    from govcdk.stacks import build_app

    out = tmp_path_factory.mktemp("east") / "cdk.out"
    app = build_app(east_config, out)
    app.synth()
    return app


@pytest.fixture(scope="session")
def east_assembly(east_app) -> Path:
    """The second example agency (us-gov-east-1, Moderate, p6-b200.48xlarge Capacity Block),
    synthesized once."""
    return Path(east_app.outdir)


@pytest.fixture(scope="session")
def east_templates(east_assembly) -> dict[str, dict]:
    return _templates(east_assembly)
