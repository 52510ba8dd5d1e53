"""Pytest setup for the policy engine tests.

``src/`` is put on ``sys.path`` so the tests run without installing the package. The shared
corpus (``<repo>/../shared``, overridable with ``GOVCDK_SHARED``) is offered by the ``shared``
fixture, which skips with a clear reason when it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

from .helpers import shared_dir  # noqa: E402


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "corpus").is_dir():
        pytest.skip(f"shared corpus not found at {path} (set GOVCDK_SHARED to its location)")
    return path
