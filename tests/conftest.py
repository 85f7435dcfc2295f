"""Shared test fixtures: the app served in this process, a gradio_client, and a real browser.

The app is launched once per session on a free port (``prevent_thread_lock=True``) in offline
mode, exactly as ``python app.py --offline`` would build it. Browser tests drive Debian's
Chromium with Playwright; its microphone is a fake device fed by a speech WAV.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

DATA = ROOT / "tests" / "data"
LIBRIVOX = DATA / "librivox"
EXAMPLES = ROOT / "assets" / "examples"
ARTIFACTS = ROOT / "test-artifacts"
SPEECH_WAV = EXAMPLES / "speech_librivox.wav"

SRT_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$")
TINY_LABELS = ["yes", "no", "up", "down"]

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def librivox_clips() -> list[tuple[Path, str]]:
    """(wav, reference transcript) for the public-domain LibriVox clips."""
    return [(wav, wav.with_suffix(".txt").read_text().strip()) for wav in sorted(LIBRIVOX.glob("*.wav"))]


def parse_srt_times(text: str) -> list[tuple[float, float]]:
    """(start, end) seconds of every SRT cue; asserts each cue is numbered, timed and has text."""
    times = []
    for block in text.strip().split("\n\n"):
        lines = block.split("\n")
        assert lines[0].strip().isdigit(), block
        m = SRT_TIME.match(lines[1])
        assert m, lines[1]
        g = [int(x) for x in m.groups()]
        times.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000))
        assert len(lines) >= 3 and lines[2].strip(), block
    return times


def assert_monotonic(times, duration):
    """Starts never go back, each span is ordered, and all lie within the recording."""
    last = 0.0
    for start, end in times:
        assert last <= start <= end <= duration + 0.01, (times, duration)
        last = start


def build_tiny_ast(path):
    """A tiny randomly initialised AST audio classifier (labels TINY_LABELS) saved at `path`."""
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    torch.manual_seed(0)
    config = ASTConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        num_mel_bins=128,
        max_length=100,
        id2label=dict(enumerate(TINY_LABELS)),
        label2id={x: i for i, x in enumerate(TINY_LABELS)},
    )
    ASTForAudioClassification(config).save_pretrained(path)
    ASTFeatureExtractor(max_length=100, num_mel_bins=128).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def local_model_root(tmp_path_factory):
    """The one folder this session's app may read local model folders from (AUDIO_STUDIO_MODEL_DIRS).

    Tests build tiny random models under it; a folder outside it must be refused.
    """
    from pipelines.core.registry import LOCAL_DIRS_ENV

    root = tmp_path_factory.mktemp("local-models")
    old = os.environ.get(LOCAL_DIRS_ENV)
    os.environ[LOCAL_DIRS_ENV] = str(root)
    yield root
    if old is None:
        os.environ.pop(LOCAL_DIRS_ENV, None)
    else:
        os.environ[LOCAL_DIRS_ENV] = old


@pytest.fixture(scope="module")
def model_root(local_model_root):
    """A folder for tiny classifier models inside the app's allowed local-model folder (AUDIO_STUDIO_MODEL_DIRS)."""
    root = local_model_root / "classify"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """(demo, url) of the whole app, launched once in this process, offline."""
    import app as app_module
    from pipelines.core.config import Settings

    settings = Settings(offline=True, port=free_port(), max_seconds=1800, output_dir=tmp_path_factory.mktemp("outputs"))
    demo = app_module.build_app(settings)
    app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    yield demo, demo.local_url
    demo.close()


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server[1]


@pytest.fixture(scope="session")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium with a fake microphone that plays SPEECH_WAV in a loop."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian chromium is not installed: run `apt-get install -y chromium` (see .ci/run)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=exe,
            headless=True,
            args=CHROMIUM_FLAGS + [f"--use-file-for-fake-audio-capture={SPEECH_WAV}"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["microphone"])
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.goto(app_url, wait_until="domcontentloaded")
    pg.wait_for_selector("#engines-footer", timeout=60_000)
    yield pg
    context.close()
