"""Pytest setup for the policy engine tests: the ``shared`` fixture is ../shared (corpus and
OSCAL data), skipped on a developer machine without it and failing in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests_support import require_shared


@pytest.fixture(scope="session")
def shared() -> Path:
    return require_shared()
