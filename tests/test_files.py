"""Disk stays bounded: results and uploads older than the age limit, or past the size limit,
are deleted oldest first; files just made (about to be fetched) and open downloads survive."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file

from conftest import ROOT, free_port
from pipelines.core.files import folder_usage, prune_folder


def _file(path: Path, size: int, age_s: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_old_files_go_and_fresh_ones_stay(tmp_path):
    old = _file(tmp_path / "a" / "old.wav", 1000, age_s=4000)
    fresh = _file(tmp_path / "b" / "fresh.wav", 1000, age_s=10)
    report = prune_folder(tmp_path, max_age_s=3600, max_bytes=10**9, min_age_s=60)
    assert not old.exists() and fresh.exists()
    stamp = time.time() - 4000
    os.utime(tmp_path / "a", (stamp, stamp))
    prune_folder(tmp_path, max_age_s=3600, max_bytes=10**9, min_age_s=60)
    assert not (tmp_path / "a").exists()  # its emptied folder goes once it is old too
    assert (report.removed_files, report.kept_files) == (1, 1)


def test_size_limit_deletes_oldest_first_but_never_what_was_just_made(tmp_path):
    files = [_file(tmp_path / f"f{i}.bin", 1000, age_s=1000 - i * 100) for i in range(5)]  # f0 oldest
    newest = _file(tmp_path / "just-made.bin", 5000, age_s=1)
    prune_folder(tmp_path, max_age_s=10**6, max_bytes=7000, min_age_s=60)
    assert [f.exists() for f in files] == [False, False, False, True, True]
    assert newest.exists()
    assert folder_usage(tmp_path)[1] <= 7000


def test_a_download_in_progress_keeps_reading_after_its_file_is_deleted(tmp_path):
    path = _file(tmp_path / "result.wav", 200_000, age_s=10_000)
    with open(path, "rb") as download:
        first = download.read(1000)
        prune_folder(tmp_path, max_age_s=60, max_bytes=10**9, min_age_s=0)
        assert not path.exists()
        rest = download.read()
    assert len(first) + len(rest) == 200_000


@pytest.mark.slow
def test_a_server_returns_under_its_limits_after_requests(tmp_path):
    """A real server with a 12 s age limit: 8 requests leave files, which are gone after the
    clean-up interval, and results are written once (not copied into a second cache)."""
    clip = tmp_path / "tone.wav"
    sf.write(clip, 0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000), 16000)
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("GRADIO_TEMP_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--offline", "--port", str(port), "--keep-files-minutes", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 90
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                assert time.time() < deadline and proc.poll() is None, "the app did not start"
                time.sleep(0.5)
        (folder,) = Path("/tmp").glob(f"audio-ai-studio-{proc.pid}-*")
        for _ in range(8):
            client.predict(handle_file(str(clip)), api_name="/visualize")
        n_files, _ = folder_usage(folder)
        assert n_files >= 20  # uploads and figures (the oldest may already be gone: 12 s limit)
        waveforms = [p for p in folder.rglob("*.png") if "waveform" in p.name]
        # written once, in the results folder Gradio serves from; never copied into its cache
        assert waveforms and all("results" in p.parts for p in waveforms), waveforms
        assert len(waveforms) <= 8
        deadline = time.time() + 90  # age limit 12 s, clean-up every 10 s: gone within ~25 s on a quiet machine
        while (left := folder_usage(folder)[0]) > 2 and time.time() < deadline:
            time.sleep(1)
        assert left <= 2, sorted(map(str, folder.rglob("*")))[:20]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not folder.exists()  # the instance's folder goes with the instance


def test_files_in_use_are_spared(tmp_path):
    busy = _file(tmp_path / "upload-a" / "queued.wav", 1000, age_s=10_000)
    old = _file(tmp_path / "upload-b" / "old.wav", 1000, age_s=10_000)
    report = prune_folder(tmp_path, max_age_s=60, max_bytes=0, min_age_s=30, in_use=[str(busy)])
    assert busy.exists() and not old.exists()
    assert (report.removed_files, report.spared_files) == (1, 1)


def _tone(path: Path, seconds: float, seed: int) -> Path:
    """A tone with a little noise: a fresh file each time (Gradio names uploads by their content)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    sf.write(path, 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * rng.standard_normal(len(t)), 16000)
    return path


def _tight_janitor(demo, keep: set[str]):
    """The app's janitor with no age or size allowance at all: everything it may delete goes."""
    import app as app_module
    from pipelines.core.config import instance_folder
    from pipelines.core.files import FolderJanitor

    return FolderJanitor(
        instance_folder(),
        max_age_s=0,
        max_bytes=0,
        min_age_s=0,
        in_use=lambda: list(keep) + app_module.queued_files(demo),
    )


def _all_files() -> set[str]:
    from pipelines.core.config import instance_folder

    return {str(p) for p in instance_folder().rglob("*") if p.is_file()}


def _waiting_paths(demo) -> list[str]:
    from pipelines.core.files import file_paths

    return [
        p
        for q in list(demo._queue.event_queue_per_concurrency_id.values())
        for e in list(q.queue)
        for p in file_paths(getattr(e.data, "data", None) or [])
    ]


def _wait_until_processing(jobs, timeout_s: float = 120) -> None:
    """Until every job has left the queue and runs (a condition, not a fixed sleep: under load the
    server may take seconds to start them)."""
    from gradio_client.utils import Status

    deadline = time.time() + timeout_s
    while not all(j.done() or j.status().code in (Status.PROCESSING, Status.ITERATING) for j in jobs):
        assert time.time() < deadline, [j.status().code for j in jobs]
        time.sleep(0.05)


def test_a_queued_jobs_upload_survives_the_clean_up_and_the_job_finishes(app_server, client, tmp_path):
    demo, _ = app_server
    from pipelines.core.config import instance_folder

    long_clip = _tone(tmp_path / "blocker.wav", 240, seed=1)
    queued_clip = _tone(tmp_path / "queued-tone.wav", 2, seed=int(time.time()))
    janitor = _tight_janitor(demo, keep=_all_files())  # other tests' files stay
    stale = _file(instance_folder() / "stale-test" / "stale.bin", 1000, age_s=10_000)
    blockers = [client.submit(handle_file(str(long_clip)), api_name="/visualize") for _ in range(2)]
    _wait_until_processing(blockers)  # the two blockers take Visualize's two places first
    job = client.submit(handle_file(str(queued_clip)), api_name="/visualize")
    deadline = time.time() + 60
    while not (waiting := [p for p in _waiting_paths(demo) if p.endswith("queued-tone.wav")]):
        assert time.time() < deadline and not job.done(), "the third job never waited in the queue"
        time.sleep(0.02)
    report = janitor.prune_now()  # while the job waits for its turn
    assert not stale.exists(), "the clean-up did not run"
    assert Path(waiting[0]).exists() and report.spared_files >= 1
    facts = job.result(timeout=120)[0]
    assert ["Duration", "2.000 s"] in facts["data"], facts
    for b in blockers:
        b.result(timeout=120)


def test_a_deleted_upload_gets_the_expired_message(app_server, app_url, tmp_path):
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    demo, _ = app_server
    clip = _tone(tmp_path / "old-link.wav", 1, seed=int(time.time()) + 7)
    janitor = _tight_janitor(demo, keep=_all_files())
    with open(clip, "rb") as f:
        (server_path,) = httpx.post(app_url + "gradio_api/upload", files=[("files", (clip.name, f))]).json()
    janitor.prune_now()
    assert not Path(server_path).exists()
    # A visitor reusing what it uploaded earlier (a page left open, a saved API call): the path is sent as is.
    fresh = Client(app_url, verbose=False)
    endpoint = next(e for e in fresh.endpoints.values() if e.api_name == "/visualize")
    endpoint._upload_file = lambda f, data_index=0: {"path": server_path, "meta": {"_type": "gradio.FileData"}}
    with pytest.raises(AppError, match="This file has expired.*Upload it again"):
        fresh.predict(handle_file(str(clip)), api_name="/visualize")
    from gradio_client import Client as Plain  # the server keeps serving: a normal upload works

    facts = Plain(app_url, verbose=False).predict(handle_file(str(clip)), api_name="/visualize")[0]
    assert ["Duration", "1.000 s"] in facts["data"], facts


def test_a_running_jobs_results_folder_is_spared_until_it_ends(tmp_path):
    from pipelines.core.config import Settings
    from pipelines.core.files import JobFiles

    settings = Settings(output_dir=tmp_path / "results")
    job = JobFiles()
    with job.step():  # as tabs.common.user_errors runs a handler
        folder = settings.new_output_dir("diarize")
    stamp = time.time() - 10_000
    os.utime(folder, (stamp, stamp))  # empty for a long time: the job is still computing
    early = _file(folder / "figure.png", 1000, age_s=10_000)
    prune_folder(tmp_path, max_age_s=0, max_bytes=0, min_age_s=0)
    assert folder.is_dir() and early.exists()
    job.release()
    prune_folder(tmp_path, max_age_s=0, max_bytes=0, min_age_s=0)
    assert not early.exists()
