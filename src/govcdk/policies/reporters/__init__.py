"""Report writers: pure functions of a :class:`govcdk.policies.model.Report`.

Every entry of :data:`WRITERS` takes the report and returns the rendered text:

- ``text``: the terminal report (:func:`to_text`; :func:`render_text` prints to a rich console)
- ``json``: ``govcdk.report/v1`` (:func:`to_json`)
- ``sarif``: SARIF 2.1.0 for GitHub code scanning (:func:`to_sarif`)
- ``junit``: JUnit XML for CI test dashboards (:func:`to_junit`)
- ``markdown``: control matrix and findings to act on (:func:`to_markdown`)
- ``oscal``: OSCAL 1.1.2 Assessment Results (:func:`to_oscal`; compliance-trestle is not needed
  to write it)
"""

from typing import Callable

from ..model import Report
from .json_report import to_json
from .junit import to_junit
from .markdown import to_markdown
from .oscal import to_oscal
from .sarif import to_sarif
from .text import render_text, to_text

WRITERS: dict[str, Callable[[Report], str]] = {
    "text": to_text,
    "json": to_json,
    "sarif": to_sarif,
    "junit": to_junit,
    "markdown": to_markdown,
    "oscal": to_oscal,
}
"""Format name (as ``govcdk check --format`` spells it) -> writer ``Report -> str``."""

__all__ = ["WRITERS", "render_text", "to_json", "to_junit", "to_markdown", "to_oscal",
           "to_sarif", "to_text"]
