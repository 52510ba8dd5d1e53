"""Report writers: pure functions of a :class:`govcdk.policies.model.Report`."""

from .json_report import to_json
from .text import render_text

__all__ = ["to_json", "render_text"]
