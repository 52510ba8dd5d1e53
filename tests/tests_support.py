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


AGENCY_TAG_KEYS = ("govcdk:agency", "govcdk:system-id", "govcdk:impact-level", "govcdk:data-classification")
TAG_PROPERTIES = ("Tags", "TagSpecifications", "BackupVaultTags", "BackupPlanTags")
"""Resource properties that carry tags (``AWS::EC2::LaunchTemplate`` carries them in
``LaunchTemplateData.TagSpecifications``)."""


def taggable(resource_type: str, region: str) -> bool | None:
    """Whether cfn-lint's registry schema of ``resource_type`` in ``region`` has a tag property;
    None for a type it has no schema for (custom resources)."""
    import json
    from importlib import resources

    providers = json.loads(resources.files("cfnlint").joinpath(
        "data", "schemas", "providers", f"{region}.json").read_text(encoding="utf-8"))
    digest = providers.get(resource_type)
    if digest is None:
        return None
    schema = json.loads(resources.files("cfnlint").joinpath(
        "data", "schemas", "resources", f"{digest}.json").read_text(encoding="utf-8"))
    props = schema.get("properties", {})
    return any(p in props for p in TAG_PROPERTIES) or (
        resource_type == "AWS::EC2::LaunchTemplate" and "LaunchTemplateData" in props)


def tags_text(resource: dict) -> str:
    """The resource's tag properties as JSON text (tags are lists of Key/Value, maps, or tag
    specifications)."""
    import json

    props = resource.get("Properties", {})
    found = [props.get(p) for p in TAG_PROPERTIES if p in props]
    found.append(props.get("LaunchTemplateData", {}).get("TagSpecifications"))
    return json.dumps(found)


def untagged_resources(templates: dict[str, dict], regions: dict[str, str],
                       extra_keys: tuple[str, ...] = ()) -> list[tuple[str, str, str, str]]:
    """``(stack, logical id, type, missing key)`` for every resource whose type can carry tags
    (cfn-lint's schema for the stack's Region) but lacks an agency tag or one of ``extra_keys``."""
    out = []
    for name, template in templates.items():
        for lid, res in template["Resources"].items():
            if not taggable(res["Type"], regions[name]):
                continue
            text = tags_text(res)
            out += [(name, lid, res["Type"], k) for k in AGENCY_TAG_KEYS + extra_keys if f'"{k}"' not in text]
    return out


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


def run_cli(*args: str):
    """``govcdk ARGS`` through click's runner; fails the test on a traceback (an exception
    other than SystemExit, or "Traceback" in the output)."""
    from click.testing import CliRunner

    from govcdk.cli import main

    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result
