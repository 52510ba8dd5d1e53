"""The project's shape: the constructs library is not shadowed, locks record no addresses,
cdk.json and govcdk synthesize with the same feature flags."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_constructs_resolves_to_installed_library():
    spec = importlib.util.find_spec("constructs")
    assert spec is not None and spec.origin is not None
    assert "site-packages" in spec.origin, spec.origin
    import constructs

    assert hasattr(constructs, "Construct")


def test_cdk_json_matches_the_flags_govcdk_synthesizes_with():
    from govcdk.stacks.agency import FEATURE_FLAGS

    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    assert cdk_json["app"] == "python app.py"
    assert cdk_json["context"] == FEATURE_FLAGS
    assert "aws-us-gov" in FEATURE_FLAGS["@aws-cdk/core:target-partitions"]
    assert FEATURE_FLAGS["@aws-cdk/aws-ec2:restrictDefaultSecurityGroup"] is True
    assert FEATURE_FLAGS["@aws-cdk/aws-iam:minimizePolicies"] is True


def test_flags_cover_every_flag_the_installed_cdk_recommends():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_cdk_flags
    finally:
        sys.path.pop(0)
    from govcdk.stacks.agency import FEATURE_FLAGS

    assert FEATURE_FLAGS == gen_cdk_flags.flags(), "run `python scripts/gen_cdk_flags.py`"


def test_lock_files_name_no_registry_address():
    for name in ("requirements.lock", "requirements-checkov.lock", "package-lock.json"):
        text = (ROOT / name).read_text()
        assert not re.search(r"https?://|file://|--index-url|--extra-index-url|--find-links", text), name
        assert '"resolved"' not in text, name


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-checkov.lock"])
def test_python_locks_are_hashed(name):
    lines = (ROOT / name).read_text().splitlines()
    pins = [l for l in lines if re.match(r"^[A-Za-z0-9_.-]+==", l)]
    assert len(pins) > 20
    text = "\n".join(lines)
    assert text.count("--hash=sha256:") >= len(pins)


def test_checkov_lock_pins_checkov_apart_from_govcdk():
    """checkov's own environment: its boto3/networkx pins are not govcdk's."""
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements-checkov.lock")
                           .read_text(), flags=re.M))
    assert "checkov" in pins and "checkov" not in (ROOT / "requirements.lock").read_text()
    assert (ROOT / "requirements-checkov.in").read_text().strip() == f"checkov=={pins['checkov']}"


def test_check_imports_no_cdk_no_cfn_lint_no_aws_sdk(tmp_path):
    """`govcdk check --no-cfn-lint` of a well-formed template loads none of the heavy
    packages (their import time would count in every run)."""
    template = tmp_path / "t.yaml"
    template.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
                        "    Properties: {KmsMasterKeyId: !Ref Key}\n"
                        "  Key: {Type: AWS::KMS::Key}\n", encoding="utf-8")
    code = ("import sys\nfrom govcdk.cli import main\n"
            "try:\n    main(['check', '--no-cfn-lint', '--format', 'json', sys.argv[1]])\n"
            "except SystemExit as exc:\n    assert exc.code in (0, 1), exc.code\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', "
            "'boto3', 'botocore', 'moto', 'cfnlint', 'sympy', 'networkx', 'policyuniverse'})\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code, str(template)], check=True,
                   stdout=subprocess.DEVNULL)


def test_help_does_not_import_the_cdk():
    code = "import sys; from govcdk import cli; assert 'aws_cdk' not in sys.modules and 'jsii' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_literal_commercial_partition_in_source():
    needle = "arn:" + "aws:"
    hits = [str(p) for p in (ROOT / "src").rglob("*.py") if needle in p.read_text()]
    assert hits == []
