"""What importing some modules loads, asked of a fresh interpreter (this one has Django loaded)."""

from __future__ import annotations

import json
import subprocess
import sys


def packages_loaded_by(imports: str, packages: tuple[str, ...]) -> list[str]:
    """The modules of ``packages`` that exist after running ``imports`` in a new Python process, sorted.

    Raises:
        AssertionError: if ``imports`` fails (with the child's stderr).
    """
    code = (
        f"import json, sys\n{imports}\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
