"""``cdk synth`` in the checkout (``app.py`` and ``cdk.json`` at the root; the agency file in
``$GOVCDK_AGENCY``, default agencies/reference.yaml) writes the same templates, byte for byte,
as ``govcdk synth`` (:func:`govcdk.stacks.build_app`), for both example agencies.

Runs the CDK CLI that ``make setup`` installs (``node_modules/.bin/cdk``, with the Node.js it
installs beside it first on ``PATH``), as ``npx cdk synth`` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"


@pytest.mark.synth
@pytest.mark.parametrize("agency", ["reference", "east"])
def test_cdk_synth_writes_the_same_templates_as_govcdk_synth(agency, request, tmp_path):
    if not (BIN / "cdk").exists():
        pytest.skip(f"{BIN / 'cdk'} is missing: node_modules is not installed (run `make setup`)")
    assembly: Path = request.getfixturevalue(f"{agency}_assembly")
    env = dict(os.environ)
    # `cdk synth` runs "python app.py" with the python on PATH: this interpreter, which imports
    # the govcdk under test (PYTHONPATH as given to pytest, or the installed package).
    env["PATH"] = os.pathsep.join([str(BIN), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["GOVCDK_AGENCY"] = str(ROOT / "agencies" / f"{agency}.yaml")
    out = tmp_path / "cdk.out"
    proc = subprocess.run([str(BIN / "cdk"), "synth", "--quiet", "--output", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "end-of-life" not in proc.stdout + proc.stderr
    ours = sorted(p.name for p in assembly.glob("*.template.json"))
    theirs = sorted(p.name for p in out.glob("*.template.json"))
    assert theirs == ours
    for name in ours:
        assert (out / name).read_bytes() == (assembly / name).read_bytes(), name
