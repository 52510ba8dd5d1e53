"""The NIST SP 800-53 Rev 5 controls and their FedRAMP Rev 5 baselines.

The data is ``controls.json`` in this package, generated from the OSCAL files in
``shared/oscal/`` by ``scripts/gen_catalog.py`` (never edited by hand; :func:`source` names the
files, their OSCAL ``metadata`` titles, versions and last-modified dates). It holds every
control and enhancement of the NIST SP 800-53 Rev 5 High baseline catalog plus every id a FedRAMP
Rev 5 Low, Moderate or High profile includes: 410 controls. About 40 ids that FedRAMP adds to
the NIST High baseline (``IA-5(7)``, ``SA-9(5)``...) are not in the NIST file shipped in
``shared/oscal/``, so their ``title`` is ``None``; they are still known, with their baselines.

Control ids are printed as NIST prints them: ``AC-2``, ``SC-12(1)`` (OSCAL ``ac-2``,
``sc-12.1``). Loading parses the JSON once (cached) through :mod:`importlib.resources`; nothing
here imports ``aws_cdk``.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

BASELINES = ("low", "moderate", "high")
"""The FedRAMP Rev 5 baselines, in the order ``baselines`` lists them."""

_OSCAL_ID = re.compile(r"([a-z]{2})-(\d+)(?:\.(\d+))?")


class UnknownControlError(ValueError):
    """A control id the catalog does not hold; the message suggests the closest ids."""


@dataclass(frozen=True)
class Control:
    """One control or enhancement.

    ``id`` is the printed id (``SC-12(1)``); ``title`` is NIST's title, an enhancement's prefixed
    with its parent's (``"Cryptographic Key Establishment and Management | Availability"``), or
    ``None`` when the NIST catalog file the data was generated from does not hold the control
    (``in_catalog`` False); ``family`` is the two-letter family (``SC``) and ``family_title``
    its name; ``baselines`` are the FedRAMP Rev 5 baselines whose profile includes the id, in
    :data:`BASELINES` order (empty for a control in none).
    """

    id: str
    title: str | None
    family: str
    baselines: tuple[str, ...]
    family_title: str | None = None
    in_catalog: bool = True

    @property
    def letters(self) -> str:
        """The baselines as letters, ``"LMH"``, ``"MH"``, ``"H"`` (``""`` for none)."""
        return "".join(b[0].upper() for b in self.baselines)


@functools.lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files(__name__).joinpath("controls.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.lru_cache(maxsize=1)
def _controls() -> dict[str, Control]:
    out: dict[str, Control] = {}
    for c in _data()["controls"]:
        out[c["id"]] = Control(id=c["id"], title=c["title"], family=c["family"],
                               baselines=tuple(c["baselines"]),
                               family_title=c.get("family_title"),
                               in_catalog=bool(c.get("in_catalog", True)))
    return out


def all_controls() -> tuple[Control, ...]:
    """Every control, in NIST order (family, number, enhancement)."""
    return tuple(_controls().values())


def is_known(control_id: str) -> bool:
    """True when ``control_id`` (printed form, ``SC-12(1)``) is in the catalog."""
    return isinstance(control_id, str) and control_id in _controls()


def control(control_id: str) -> Control:
    """The :class:`Control` printed as ``control_id`` (``"SC-12(1)"``).

    Raises :class:`UnknownControlError` for any other string (an OSCAL id such as ``sc-12.1``,
    a withdrawn or mistyped id such as ``SC-99``); the message suggests the closest known ids.
    """
    found = _controls().get(control_id) if isinstance(control_id, str) else None
    if found is None:
        raise UnknownControlError(_unknown_message(control_id))
    return found


def baselines_of(control_ids: Iterable[str]) -> tuple[str, ...]:
    """The FedRAMP baselines that include at least one of ``control_ids``, in
    :data:`BASELINES` order. Raises :class:`UnknownControlError` for an unknown id."""
    wanted = {b for cid in control_ids for b in control(cid).baselines}
    return tuple(b for b in BASELINES if b in wanted) + tuple(
        sorted(b for b in wanted if b not in BASELINES))


def source() -> dict[str, Any]:
    """The catalog's header: ``{"generator": "scripts/gen_catalog.py", "files": [{"file",
    "sha256", "title", "version", "last-modified", "oscal-version"}, ...], "note": ...}`` (a
    copy: changing it changes nothing)."""
    return json.loads(json.dumps(_data()["source"]))


def _unknown_message(control_id: object) -> str:
    ids = list(_controls())
    text = str(control_id)
    suggestions: list[str] = []
    m = _OSCAL_ID.fullmatch(text.strip().lower())
    if m:
        printed = f"{m[1].upper()}-{m[2]}" + (f"({m[3]})" if m[3] else "")
        if printed in _controls() and printed != text:
            suggestions.append(printed)
    upper = re.sub(r"\s+", "", text.upper())
    if upper in _controls() and upper != text:
        suggestions.append(upper)
    family = [c for c in ids if c.split("-")[0] == upper.split("-")[0]]
    for pool in (family, ids):  # the same family first
        suggestions += [c for c in difflib.get_close_matches(upper, pool, n=5, cutoff=0.6)
                        if c not in suggestions]
    message = (f"unknown NIST SP 800-53 Rev 5 control {control_id!r}: not in the FedRAMP Rev 5 "
               f"baselines or the NIST High baseline catalog (ids are printed as AC-2, SC-12(1))")
    if suggestions:
        message += f"; did you mean {', '.join(suggestions[:5])}?"
    return message


__all__ = ["BASELINES", "Control", "UnknownControlError", "all_controls", "baselines_of",
           "control", "is_known", "source"]
