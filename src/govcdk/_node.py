"""Point jsii (the bridge between Python and the AWS CDK's JavaScript) at a supported Node.js.

jsii starts a Node.js process for every CDK app. It reads the executable from ``JSII_NODE``
(jsii runtime, ``jsii/_kernel/providers/process.py``) and prints an end-of-life banner on an
unsupported Node.js (20 is end-of-life since 2026-04-30). The set-up (``make setup``) installs
Node.js 22 from the npm registry into ``node_modules/`` when the system one is older; this
module finds it so ``govcdk synth``, ``python app.py`` and ``npx cdk synth`` all use it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

MIN_NODE_MAJOR = 22
"""Oldest Node.js major release jsii supports (jsii's own support table; 22 is LTS to 2027-04-30)."""


def _major(node: str) -> int | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _candidates(start: Path) -> list[Path]:
    roots = [start, *start.parents]
    pkg_root = Path(__file__).resolve().parents[2]  # <checkout>/src/govcdk -> <checkout>
    roots.append(pkg_root)
    return [r / "node_modules" / ".bin" / "node" for r in roots]


def find_node(start: Path | None = None) -> str | None:
    """Return the path of a Node.js >= 22 for jsii, or ``None`` when there is none.

    Order: ``JSII_NODE`` if already set, the project's ``node_modules/.bin/node`` (looked up
    from ``start``, default the working directory, and from the govcdk checkout), then
    ``node`` on ``PATH`` when it is new enough.
    """
    env = os.environ.get("JSII_NODE")
    if env:
        return env
    for cand in _candidates((start or Path.cwd()).resolve()):
        if cand.exists() and (_major(str(cand)) or 0) >= MIN_NODE_MAJOR:
            return str(cand)
    system = shutil.which("node")
    if system and (_major(system) or 0) >= MIN_NODE_MAJOR:
        return system
    return None


def configure_jsii(start: Path | None = None) -> str | None:
    """Set ``JSII_NODE`` for this process (before ``aws_cdk`` is imported) and return it.

    Returns ``None`` and leaves the environment alone when no supported Node.js is installed;
    jsii then falls back to ``node`` on ``PATH``. Run ``make setup`` to install one.
    """
    node = find_node(start)
    if node:
        os.environ["JSII_NODE"] = node
    return node
