"""Run a test script in a fresh Python process and read back its result.

Keras picks its backend, and JAX its devices, once per process: tests of
other backends and devices run their script in a subprocess with the
environment they need. The script prints one line ``RESULT`` + JSON.
"""

import json
import os
import subprocess
import sys


def run_script(script, *, timeout=600, **env):
    """The JSON object the script printed after ``RESULT``; ``env`` is added
    to this process's environment. Fails with the script's stderr."""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])
