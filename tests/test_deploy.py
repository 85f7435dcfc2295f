"""Every deployment path ends in the whole app: the real command started in its own process
(what the container and the Space run after scripts/setup.sh), the installed package's console
command, and the MCP tools for AI assistants."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import http.server
import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from conftest import EXAMPLES, ROOT, SPEECH_WAV, free_port

pytestmark = pytest.mark.slow

# One request per tab, each with its main endpoint (new tabs add theirs here).
TAB_REQUESTS = {
    "visualize": lambda c: c.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), api_name="/visualize"),
    "transcribe": lambda c: c.predict(handle_file(str(SPEECH_WAV)), api_name="/transcribe"),
    "diarize": lambda c: c.predict(handle_file(str(EXAMPLES / "two_speakers_pyannote.wav")), api_name="/diarize"),
    "classify": lambda c: c.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), api_name="/classify"),
    "zero_shot": lambda c: c.predict(
        handle_file(str(EXAMPLES / "drum_loop.wav")), labels="drums, speech", api_name="/zero_shot"
    ),
    "speak": lambda c: c.predict("Hello there.", api_name="/speak"),
    "compose": lambda c: c.predict("calm piano", duration=5, api_name="/compose"),
    "analyze": lambda c: c.predict(handle_file(str(EXAMPLES / "drum_loop.wav")), api_name="/analyze"),
    "clean_up": lambda c: c.predict(handle_file(str(SPEECH_WAV)), api_name="/denoise"),
    "meeting_notes": lambda c: c.predict(
        handle_file(str(EXAMPLES / "meeting_three_voices.wav")), api_name="/meeting_notes"
    ),
    "voice_chat": lambda c: c.predict(None, "What is the capital of Italy?", api_name="/voice_chat"),
    "sound_lab": lambda c: c.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), "gain(db=-6)", api_name="/effects"),
}
# Live captions streams from a browser microphone (gradio_client cannot stream): its browser test covers it.


def _wait_for_http(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited with code {proc.returncode}: {proc.stdout.read()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no HTTP 200 from {url} within {timeout_s:.0f} s")


def _start(cmd: list[str], port: int, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    env.pop("GRADIO_TEMP_DIR", None)  # the instance makes its own folder
    proc = subprocess.Popen(
        [*cmd, "--port", str(port), "--offline"],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for_http(f"http://127.0.0.1:{port}/", proc)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


BUNDLED_ENGINES = (
    "YAMNet",
    "BirdNET",
    "Whisper tiny.en",
    "Whisper base",
    "Piper",
    "espeak-ng",
    "DeepFilterNet",
    "Spleeter",
    "Gemma",
)
LOCK = ROOT / "requirements.lock"


def _assert_every_bundled_engine_ready(client: Client) -> None:
    status = client.predict(api_name="/status")
    assert "Offline engines on this server" in status
    assert "unavailable" not in status, status  # every bundled engine's packages are installed
    for engine in BUNDLED_ENGINES:
        assert engine in status, (engine, status)


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: float = 1200) -> None:
    done = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, text=True, capture_output=True, timeout=timeout
    )
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


def _dockerfile_steps() -> tuple[list[str], dict[str, str]]:
    """The Dockerfile's own RUN commands (less the Debian and user set-up) and its ENV values."""
    runs, env, lines = [], {}, (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    for line in lines:
        if line.startswith("RUN ") and "apt-get" not in line and "useradd" not in line:
            runs.append(line[4:].strip())
        elif line.startswith("ENV "):
            for pair in line[4:].split():
                key, _, value = pair.partition("=")
                env[key] = value
    return runs, env


def test_the_dockerfile_steps_in_a_fresh_checkout_give_every_engine_and_each_tab_answers(tmp_path):
    """No container engine runs on these machines, so the image's steps run here instead: the Debian
    packages it installs are present, its RUN steps (scripts/setup.sh) build a fresh .venv in a
    fresh checkout, and its command serves the app with every bundled engine ready and an answer
    from every tab (the Space builds the same Dockerfile)."""
    import shutil

    fonts = {"fonts-noto-cjk": Path("/usr/share/fonts/opentype/noto")}  # a font package has no program
    for package in (ROOT / "packages.txt").read_text().split():
        if package in fonts:
            assert fonts[package].is_dir(), f"the Dockerfile installs {package}; {fonts[package]} is missing here"
            continue
        program = {"build-essential": "g++"}.get(package, package)
        assert shutil.which(program), f"the Dockerfile installs {package}; {program} is missing here"
    runs, env = _dockerfile_steps()
    # setup.sh, then only the optional Ray step, which does nothing unless the image is built WITH_RAY=1
    assert runs[0] == "bash scripts/setup.sh" and all("WITH_RAY" in r for r in runs[1:]), runs
    studio = tmp_path / "studio"
    _run(["git", "clone", "-q", str(ROOT), str(studio)], tmp_path)  # what COPY . . brings: the committed tree
    # Left out here: the image's extra index for CPU torch (this machine's index serves it) and its
    # no-cache setting (pip's cache saves CI the downloads; bench_install.py times a cache-less install).
    build_env = {
        k: v for k, v in env.items() if k.startswith("PIP_") and k not in ("PIP_EXTRA_INDEX_URL", "PIP_NO_CACHE_DIR")
    }
    for step in runs:
        _run(["bash", "-c", step], studio, build_env)
    port = free_port()
    run_env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
    run_env.update(AUDIO_STUDIO_HOST="127.0.0.1", AUDIO_STUDIO_PORT=str(port), AUDIO_STUDIO_OFFLINE="1")
    cache = tmp_path / "cache"  # the image's cache volume
    run_env.update(XDG_CACHE_HOME=str(cache), HF_HOME=str(cache / "huggingface"))
    assert env["XDG_CACHE_HOME"] == "/home/app/.cache" and env["AUDIO_STUDIO_PORT"] == "7860"
    proc = _start([str(studio / ".venv" / "bin" / "python"), "app.py"], port, studio, run_env)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        _assert_every_bundled_engine_ready(client)
        for tab, request in TAB_REQUESTS.items():
            result = request(client)
            assert result, f"{tab} answered nothing"
    finally:
        _stop(proc)


def test_pip_install_in_a_fresh_environment_gives_a_working_command(tmp_path):
    """`pip install .` in a new virtual environment (then the --no-deps packages, which a package's
    metadata cannot express) gives an `audio-ai-studio` command that serves the whole app from any
    folder, assets included (Compose renders through the bundled SoundFont)."""
    env_dir = tmp_path / "env"
    _run([sys.executable, "-m", "venv", str(env_dir)], tmp_path)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(LOCK)]
    _run([*pip, str(ROOT)], tmp_path)
    _run([*pip, "--no-deps", "-r", str(ROOT / "requirements-nodeps.txt")], tmp_path)
    _run([str(env_dir / "bin" / "python"), str(ROOT / "scripts" / "torchaudio_pure.py")], tmp_path)
    command = env_dir / "bin" / "audio-ai-studio"
    help_text = subprocess.run(
        [str(command), "--help"], cwd=tmp_path, text=True, capture_output=True, check=True
    ).stdout
    assert "--mcp" in help_text and "--max-seconds" in help_text
    port = free_port()
    proc = _start([str(command)], port, tmp_path)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        _assert_every_bundled_engine_ready(client)
        wav, midi, png, text = client.predict("calm piano", duration=5, api_name="/compose")
        assert Path(wav).stat().st_size > 10_000 and Path(midi).stat().st_size > 100
    finally:
        _stop(proc)


@pytest.fixture
def file_server():
    """A real HTTP server on loopback serving the example clips (MCP clients pass files as URLs)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(EXAMPLES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_mcp_lists_each_tab_tool_with_documented_parameters_and_calls_one(file_server):
    """Every main function is a tool whose parameters are all described; speak runs end to end and
    returns its audio as a URL; a file URL on a loopback address is refused, not fetched."""
    mcp = pytest.importorskip("mcp")  # installed by requirements (gradio[mcp])
    from mcp.client.streamable_http import streamablehttp_client

    port = free_port()
    proc = _start([sys.executable, "app.py", "--mcp"], port, ROOT)

    async def session():
        async with streamablehttp_client(f"http://127.0.0.1:{port}/gradio_api/mcp/") as (read, write, _):
            async with mcp.ClientSession(read, write) as s:
                await s.initialize()
                tools = {t.name: t for t in (await s.list_tools()).tools}
                spoken = await s.call_tool("speak", {"text": "Hello from the tools."})
                seen = await s.call_tool("visualize", {"source": f"{file_server}/a440_sine.wav"})
                return tools, spoken, seen

    try:
        # in a thread of its own: Playwright may already run an event loop in this one
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            tools, spoken, seen = pool.submit(asyncio.run, session()).result(timeout=300)
    finally:
        _stop(proc)
    import app

    for name in app.MCP_TOOLS:
        assert name in tools, sorted(tools)
        tool = tools[name]
        assert len(tool.description) > 40, (name, tool.description)
        props = tool.inputSchema["properties"]
        undocumented = [p for p, schema in props.items() if not schema.get("description")]
        assert not undocumented, (name, undocumented)
    assert not spoken.isError, spoken.content
    assert any(".wav" in str(c) or ".mp3" in str(c) for c in spoken.content), spoken.content
    # Audio goes in as a URL that the server fetches; Gradio refuses private and loopback addresses
    # (no server-side request forgery), so a tool given this test's loopback file server refuses it
    # (with Gradio's generic message: the refusal happens before the app's own code runs).
    assert seen.isError, seen.content
