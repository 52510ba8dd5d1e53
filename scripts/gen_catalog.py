"""Regenerate src/govcdk/policies/catalog/controls.json from the OSCAL files in shared/oscal/.

Inputs (public domain, see shared/oscal/SOURCES.md): one NIST SP 800-53 Rev 5 OSCAL catalog
(``*catalog*.json``; today the NIST High baseline resolved-profile catalog, 370 controls with
titles) and the FedRAMP Rev 5 baseline profiles ``FedRAMP_rev5_<LEVEL>-baseline_profile*.json``
for LOW, MODERATE and HIGH (LI-SaaS is read too if a file for it appears: level ``li-saas``).
Every file is loaded and schema-validated with compliance-trestle
(``trestle.oscal.catalog.Catalog`` / ``trestle.oscal.profile.Profile``; about 0.3 s for the
four files), then read from the validated models.

Output: ``{"source": {...}, "controls": [...]}`` written with sorted keys, ``indent=1`` and a
trailing newline, controls in NIST order (family, number, enhancement number):

- ``source``: ``generator`` (this script), ``files``: one entry per input file with ``file``,
  ``sha256``, and the OSCAL ``metadata`` ``title``, ``version``, ``last-modified`` and
  ``oscal-version``; ``note`` says what the catalog lacks.
- each control: ``id`` printed as NIST prints it (``ac-2`` -> ``AC-2``, ``sc-12.1`` ->
  ``SC-12(1)``; checked against the catalog's plain ``label`` prop), ``title`` (an enhancement's
  is ``"<parent title> | <enhancement title>"``), ``family`` (``SC``), ``family_title``,
  ``baselines`` (FedRAMP baselines whose profile includes the id, in the order ``low``,
  ``moderate``, ``high``), ``in_catalog`` (the catalog file holds it).

The controls are the catalog's controls and enhancements plus every id a FedRAMP profile
includes. The NIST file here is the High baseline, not the full SP 800-53 catalog, so about 40
ids FedRAMP adds (``IA-5(7)``, ``SA-9(5)``, ``SC-45``...) have no title in the inputs: their
``title`` is null (``in_catalog`` false). Put the full ``NIST_SP-800-53_rev5_catalog.json`` in
shared/oscal/ and re-run to fill them: a full catalog is preferred over a baseline one, and its
withdrawn controls (``status`` prop ``withdrawn``) are left out.

Usage: python scripts/gen_catalog.py [--oscal DIR] [--out FILE]
(``DIR`` defaults to ``$GOVCDK_SHARED/oscal``, else ``../shared/oscal`` beside the checkout).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "govcdk" / "policies" / "catalog" / "controls.json"
GENERATOR = "scripts/gen_catalog.py"
LEVELS = ("li-saas", "low", "moderate", "high")
"""FedRAMP baselines in the order they are listed; ``li-saas`` only appears if its profile does."""

_OSCAL_ID = re.compile(r"([a-z]{2})-(\d+)(?:\.(\d+))?")
_PROFILE = re.compile(r"FedRAMP_rev5_(LI-SaaS|LOW|MODERATE|HIGH)-baseline_profile.*\.json", re.I)


def default_oscal_dir() -> Path:
    shared = os.environ.get("GOVCDK_SHARED")
    return (Path(shared) if shared else ROOT.parent / "shared") / "oscal"


def printed_id(oscal_id: str) -> str:
    """``sc-12.1`` -> ``SC-12(1)``; ``ac-2`` -> ``AC-2``. Raises ValueError for other shapes."""
    m = _OSCAL_ID.fullmatch(oscal_id)
    if not m:
        raise ValueError(f"not an SP 800-53 control id: {oscal_id!r}")
    family, number, enhancement = m.groups()
    return f"{family.upper()}-{number}" + (f"({enhancement})" if enhancement else "")


def sort_key(oscal_id: str) -> tuple[str, int, int]:
    family, number, enhancement = _OSCAL_ID.fullmatch(oscal_id).groups()  # type: ignore[union-attr]
    return family, int(number), int(enhancement or 0)


def _file_info(path: Path, metadata: Any) -> dict[str, str]:
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "title": metadata.title,
        "version": metadata.version,
        "last-modified": metadata.last_modified.isoformat().replace("+00:00", "Z"),
        "oscal-version": _root(metadata.oscal_version),
    }


def _root(value: Any) -> str:
    """The plain string inside trestle's (possibly nested) pydantic root models."""
    while hasattr(value, "root"):
        value = value.root
    return str(value)


def _prop(obj: Any, name: str, cls: str | None = None) -> str | None:
    for p in obj.props or ():
        if p.name == name and getattr(p, "class_", None) == cls:
            return p.value
    return None


def _walk(controls: Iterable[Any], parent: Any = None) -> Iterable[tuple[Any, Any]]:
    for c in controls or ():
        yield c, parent
        yield from _walk(c.controls, c)


def _catalog_file(oscal_dir: Path) -> Path:
    found = sorted(oscal_dir.glob("*catalog*.json"))
    if not found:
        raise SystemExit(f"no NIST SP 800-53 Rev 5 OSCAL catalog (*catalog*.json) in {oscal_dir}")
    # The full catalog (no "baseline" in its name) over a baseline one; then the shortest name.
    return sorted(found, key=lambda p: ("baseline" in p.name.lower(), len(p.name), p.name))[0]


def build(oscal_dir: Path) -> dict[str, Any]:
    """The catalog document (see the module docstring) from the OSCAL files in ``oscal_dir``."""
    from trestle.oscal.catalog import Catalog
    from trestle.oscal.profile import Profile

    cat_path = _catalog_file(oscal_dir)
    catalog = Catalog.oscal_read(cat_path)
    files = [_file_info(cat_path, catalog.metadata)]

    families: dict[str, str] = {}
    entries: dict[str, dict[str, Any]] = {}
    for group in catalog.groups or ():
        families[group.id] = group.title
        for control, parent in _walk(group.controls):
            if _prop(control, "status") == "withdrawn":
                continue
            pid = printed_id(control.id)
            label = _prop(control, "label")
            if label is not None and label != pid:
                raise SystemExit(f"{cat_path.name}: {control.id} is labelled {label!r}, not {pid!r}")
            title = control.title if parent is None else f"{parent.title} | {control.title}"
            entries[control.id] = {"id": pid, "title": title, "family": group.id.upper(),
                                   "family_title": families[group.id], "baselines": [],
                                   "in_catalog": True}

    profile_files: dict[str, Path] = {}
    for path in sorted(oscal_dir.glob("*.json")):
        m = _PROFILE.fullmatch(path.name)
        if not m:
            continue
        level = m.group(1).lower()
        if level in profile_files:
            raise SystemExit(f"two profiles for the FedRAMP {level} baseline in {oscal_dir}")
        profile_files[level] = path
    profiles: dict[str, set[str]] = {}
    for level in sorted(profile_files, key=LEVELS.index):
        path = profile_files[level]
        profile = Profile.oscal_read(path)
        files.append(_file_info(path, profile.metadata))
        ids: set[str] = set()
        for imp in profile.imports:
            if imp.exclude_controls:
                raise SystemExit(f"{path.name}: exclude-controls is not supported")
            for sel in imp.include_controls or ():
                ids.update(_root(w) for w in sel.with_ids or ())
        profiles[level] = ids
    missing = [lvl for lvl in ("low", "moderate", "high") if lvl not in profiles]
    if missing:
        raise SystemExit(f"no FedRAMP Rev 5 profile for {', '.join(missing)} in {oscal_dir}")

    untitled = 0
    for ids in profiles.values():
        for oid in ids:
            if oid not in entries:
                family = oid.split("-")[0]
                entries[oid] = {"id": printed_id(oid), "title": None, "family": family.upper(),
                                "family_title": families.get(family), "baselines": [],
                                "in_catalog": False}
                untitled += 1
    for oid, entry in entries.items():
        entry["baselines"] = [lvl for lvl in LEVELS if oid in profiles.get(lvl, ())]

    note = ("Baselines are FedRAMP Rev 5 profile membership. "
            + (f"{untitled} controls included by a FedRAMP profile are not in {cat_path.name}: "
               f"their title is null." if untitled else "Every control has its catalog title."))
    return {
        "source": {"generator": GENERATOR, "files": files, "note": note},
        "controls": [entries[k] for k in sorted(entries, key=sort_key)],
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oscal", type=Path, default=default_oscal_dir())
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = build(args.oscal)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(doc), encoding="utf-8")
    untitled = sum(1 for c in doc["controls"] if c["title"] is None)
    print(f"wrote {args.out} ({len(doc['controls'])} controls, {untitled} without a title)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
