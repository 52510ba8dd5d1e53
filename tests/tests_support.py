"""Helpers shared by test modules (not fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``shared/`` beside the checkout (corpus, OSCAL), or ``$GOVCDK_SHARED``."""
    return Path(os.environ.get("GOVCDK_SHARED", ROOT.parent / "shared"))


def corpus_templates() -> list[Path]:
    root = shared_dir() / "corpus" / "templates"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
