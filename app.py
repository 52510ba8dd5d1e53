#!/usr/bin/env python3
"""CDK entry point (``npx cdk synth``): the agency in $GOVCDK_AGENCY, default the reference one.

Thin on purpose: load the agency file, build the stacks, synthesize. ``govcdk synth`` does the
same through :func:`govcdk.stacks.build_app`.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_PY = HERE / ".venv" / "bin" / "python"

try:
    import govcdk  # noqa: F401
except ModuleNotFoundError:
    # `npx cdk synth` runs "python app.py" with whatever python is on PATH; use the checkout's
    # virtual environment when that one lacks govcdk.
    if VENV_PY.exists() and Path(sys.prefix).resolve() != VENV_PY.parent.parent.resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:]])
    sys.exit("govcdk is not installed: run `make setup` first")

from govcdk._node import configure_jsii  # noqa: E402

configure_jsii(HERE)

from govcdk.config import AgencyConfigError, load_agency  # noqa: E402

agency_file = os.environ.get("GOVCDK_AGENCY", str(HERE / "agencies" / "reference.yaml"))
try:
    config = load_agency(agency_file)
except AgencyConfigError as exc:
    sys.exit(str(exc))

from govcdk.stacks import build_app  # noqa: E402

build_app(config).synth()
