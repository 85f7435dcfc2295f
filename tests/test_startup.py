"""Start-up stays light: building the whole app imports none of the heavy libraries; each tab
imports its own when it first needs them (docs/ARCHITECTURE.md, "Heavy libraries")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Heavy or slow to import: each loads on a tab's first use, never when the app starts.
HEAVY = (
    "torch",
    "transformers",
    "librosa",
    "numba",
    "onnxruntime",
    "ctranslate2",
    "faster_whisper",
    "matplotlib",
    "sklearn",
    "scipy.signal",
    "piper",
    "resemblyzer",
    "pyloudnorm",
    "edge_tts",
    "pyannote.audio",
    "llama_cpp",
    "xllamacpp",
    "pedalboard",
    "datasets",  # (pyarrow is not listed: Gradio itself imports pandas, which imports pyarrow when installed)
)

PROBE = """
import json, sys
import app
from pipelines.core.config import Settings
demo = app.build_app(Settings(offline=True))
heavy = json.loads(sys.argv[1])
print(json.dumps({"tabs": len(demo.fns), "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


def _probe() -> dict:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    run = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_building_the_app_imports_no_heavy_library():
    report = _probe()
    assert report["tabs"] > 20  # the app really was built: every tab's events are there
    assert report["loaded"] == [], f"imported at start-up: {report['loaded']}"


def test_the_probe_sees_a_heavy_import():
    """The check can fail: a module that imports librosa at start-up shows up in the list."""
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    code = PROBE.replace("import app\n", "import app\nimport librosa\n")
    run = subprocess.run(
        [sys.executable, "-c", code, json.dumps(HEAVY)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "librosa" in json.loads(run.stdout.strip().splitlines()[-1])["loaded"]
