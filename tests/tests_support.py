"""Helpers shared by test modules (not fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``shared/`` beside the checkout (corpus, OSCAL), or ``$GOVCDK_SHARED``."""
    return Path(os.environ.get("GOVCDK_SHARED", ROOT.parent / "shared"))


def require_shared() -> Path:
    """The shared directory. Without it the test is skipped on a developer's machine and fails
    in CI (``CI`` set), where ../shared always lies beside the clone."""
    path = shared_dir()
    if not (path / "corpus").is_dir():
        message = f"shared corpus not found at {path} (set GOVCDK_SHARED to its location)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def corpus_templates() -> list[Path]:
    root = shared_dir() / "corpus" / "templates"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


CORPUS_REFUSED = {
    "aws-cfn-templates/APIGateway__apigateway_lambda_integration.yaml":
        ("LambdaFunction", "Fn::Rain::Embed is not a CloudFormation intrinsic function"),
    "aws-cfn-templates/CloudFormation__StackSets__log-setup-management.yaml":
        ("TargetAccountLogging", "Fn::Rain::Embed is not a CloudFormation intrinsic function"),
    "cfn-lint/test__fixtures__templates__bad__conditions.yaml":
        ("HasParam", "Fn::Of is not a CloudFormation intrinsic function"),
}
"""Corpus templates (relative to ``corpus/templates``) CloudFormation itself would refuse, with
the logical ID and reason govcdk names: two templates of aws-cloudformation-templates use the
rain CLI's ``Fn::Rain::Embed`` directive (``rain pkg`` replaces it before deployment), and
cfn-lint's ``bad/conditions.yaml`` fixture uses ``Fn::Of``. ``govcdk check`` reports each as an
input error and exits 2."""
