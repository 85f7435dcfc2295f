"""Ray (requirements/ray.txt, installed by scripts/test.sh): a local cluster of two 1-CPU nodes on
127.0.0.1, started and shut down by these tests. Transcription served by a Serve replica (another
process answers), a batch spread over both nodes, and a worker node killed mid-batch."""

from __future__ import annotations

import os

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep the cluster on loopback (ray_cluster.py)

import shutil
import zipfile

import pytest

from conftest import LIBRIVOX, free_port
from pipelines import serving
from pipelines.batch import DONE, BatchOptions, batch_stream, run_batch
from pipelines.core import ray_cluster

pytestmark = pytest.mark.slow
CLIPS = sorted(LIBRIVOX.glob("*.wav"))
NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 150 * 1024 * 1024}


@pytest.fixture
def cluster():
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
    try:
        worker = c.add_node(**NODE)
        yield c, worker
    finally:
        serving.stop()
        ray_cluster.shutdown()
        c.shutdown()


def _copies(tmp_path, n):
    """n recordings with their own names (the LibriVox clips, repeated)."""
    out = []
    for i in range(n):
        p = tmp_path / f"talk{i:02d}.wav"
        shutil.copy(CLIPS[i % len(CLIPS)], p)
        out.append(p)
    return out


def test_transcription_is_served_by_a_serve_replica(cluster, tmp_path):
    from gradio_client import Client, handle_file

    import app as app_module
    from pipelines.core.config import Settings
    from pipelines.core.registry import REGISTRY

    c, _ = cluster
    for key in REGISTRY.loaded():  # earlier tests in this process may have loaded Whisper here
        if key.startswith("whisper"):
            REGISTRY.unload(key)
    settings = Settings(offline=True, port=free_port(), ray=c.address, output_dir=tmp_path / "out")
    demo = app_module.build_app(settings)
    try:
        app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
        assert serving.active("whisper")
        who = serving.whoami()
        assert who["pid"] != os.getpid()  # another process answers
        text, info, *_ = Client(demo.local_url, verbose=False).predict(
            handle_file(str(CLIPS[1])), model="whisper-tiny.en", language="en", api_name="/transcribe"
        )
        reference = CLIPS[1].with_suffix(".txt").read_text().lower().split()
        assert sum(w in text.lower() for w in reference) >= len(reference) // 2
        assert not any(k.startswith("whisper") for k in REGISTRY.loaded())  # never loaded in this process
        footer = app_module.engines_status_markdown(settings)
        assert "Engines on Ray" in footer and "whisper" in footer
    finally:
        demo.close()
        from ray import serve

        serve.shutdown()


def test_a_batch_runs_on_both_nodes(cluster, tmp_path):
    from pipelines.batch.on_ray import ray_executor

    c, _ = cluster
    assert ray_cluster.connect(c.address).connected
    result = run_batch(_copies(tmp_path, 8), tmp_path / "job", BatchOptions(task="classify"), executor=ray_executor())
    assert [r.status for r in result.rows] == [DONE] * 8
    assert len({r.node for r in result.rows}) == 2  # both nodes did files
    assert result.runner == "through Ray Data"


def test_a_worker_node_killed_mid_batch_loses_nothing(cluster, tmp_path):
    from pipelines.batch.on_ray import ray_executor

    c, worker = cluster
    assert ray_cluster.connect(c.address).connected
    files = _copies(tmp_path, 10)
    killed = False
    last = None
    for last in batch_stream(files, tmp_path / "job", BatchOptions(task="classify"), executor=ray_executor()):
        if not killed and any(r.status == DONE for r in last.rows):
            c.remove_node(worker)  # the node dies with whatever it was running ...
            c.add_node(**NODE)  # ... and the cluster gets a fresh one, as an autoscaler would
            killed = True
    assert killed
    rows = last.result.rows
    assert sorted(r.file for r in rows) == sorted(p.name for p in files)  # every file once
    assert all(r.status == DONE for r in rows), [(r.file, r.reason) for r in rows if r.status != DONE]
    with zipfile.ZipFile(last.result.zip_path) as zf:
        labels = [n for n in zf.namelist() if n.endswith("-labels.json")]
    assert sorted(labels) == sorted(f"{p.stem}-labels.json" for p in files)
