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
