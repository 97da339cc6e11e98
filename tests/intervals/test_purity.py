"""The pure layer must never import Django."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_pure_layer_does_not_import_django():
    code = (
        "import sys\n"
        "import esper_rekall.intervals.interval, esper_rekall.intervals.interval_set\n"
        "import esper_rekall.intervals.collection, esper_rekall.intervals.kernels\n"
        "import esper_rekall.intervals.match, esper_rekall.intervals.errors\n"
        "import esper_rekall.intervals\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
