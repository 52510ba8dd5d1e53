"""The README's construct example runs as written (one synthesis)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.synth
def test_readme_construct_example_synthesizes(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Using the constructs in your own CDK app", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    monkeypatch.chdir(tmp_path)
    # The CDK CLI tells the app its output directory through CDK_OUTDIR; the jsii process of
    # this test session is already running, so give it to App() instead.
    assert code.count("App()") == 1
    code = code.replace("App()", f"App(outdir={str(tmp_path / 'cdk.out')!r})")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    template = (tmp_path / "cdk.out" / "enclave.template.json").read_text()
    assert "AWS::EC2::LaunchTemplate" in template and "arn:" + "aws:" not in template
