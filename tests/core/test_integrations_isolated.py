"""The core never needs a web framework: importing twinsql loads no FastAPI or Starlette."""

from __future__ import annotations

import subprocess
import sys


def test_importing_twinsql_loads_no_web_framework() -> None:
    code = (
        "import sys, twinsql; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
