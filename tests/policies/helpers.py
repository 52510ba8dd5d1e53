"""Paths and small helpers shared by the policy engine tests."""

from __future__ import annotations

import os
from pathlib import Path

from govcdk.policies import Rule

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_dir() -> Path:
    """``$GOVCDK_SHARED`` or ``<repo>/../shared``."""
    env = os.environ.get("GOVCDK_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def service_of(rule: Rule) -> str:
    """The ``rules/<service>/`` folder a rule's module lives in."""
    return rule.check.__module__.split(".")[-2]
