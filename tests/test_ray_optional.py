"""Ray is optional: the app starts and serves without it, and an unreachable Ray address is a clear
message with the engines in-process (or a refusal to start when Ray is required)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from pipelines.core import ray_cluster
from pipelines.core.errors import UserError


def test_an_unreachable_address_falls_back_to_in_process_with_the_reason():
    try:
        state = ray_cluster.connect("127.0.0.1:1")  # nothing listens on port 1
        assert not state.connected
        assert "nothing answers at 127.0.0.1:1" in state.message and "run in this process" in state.message
        with pytest.raises(UserError, match="Ray was required"):
            ray_cluster.connect("127.0.0.1:1", required=True)
        assert "not a Ray address" in ray_cluster.connect("no-port-here").message
    finally:
        ray_cluster.shutdown()


SCRIPT = textwrap.dedent(
    """
    import sys, urllib.request

    class NoRay:  # as if requirements/ray.txt were not installed
        def find_spec(self, name, path=None, target=None):
            if name == "ray" or name.startswith("ray."):
                raise ModuleNotFoundError("No module named 'ray'")

    sys.meta_path.insert(0, NoRay())
    import app
    from pipelines.core.config import Settings

    settings = Settings(offline=True, port=int(sys.argv[1]), ray="auto")
    demo = app.build_app(settings)
    app.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    page = urllib.request.urlopen(demo.local_url, timeout=30).read().decode()
    print("SERVED" if "Audio AI Studio" in page else "NOT SERVED")
    print(app.engines_status_markdown(settings).splitlines()[-1])
    print("RAY IMPORTED" if any(m == "ray" or m.startswith("ray.") for m in sys.modules) else "NO RAY")
    demo.close()
    """
)


def test_the_app_starts_and_serves_without_ray_installed():
    from conftest import free_port

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(free_port())], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert "SERVED" in lines and "NO RAY" in lines
    assert any("Ray is off: Ray is not installed" in line for line in lines), lines
