"""Paths and small helpers shared by the policy engine tests."""

from __future__ import annotations

from pathlib import Path

from govcdk.policies import Rule

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def service_of(rule: Rule) -> str:
    """The ``rules/<service>/`` folder a rule's module lives in."""
    return rule.check.__module__.split(".")[-2]
