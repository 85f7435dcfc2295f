"""The app shell: flags and environment, a broken tab, login, upload limit, audio length limit."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from gradio_client import Client, handle_file

import app as app_module
import tabs
from conftest import EXAMPLES, free_port
from pipelines.core.config import Settings


def test_flags_and_environment(monkeypatch):
    monkeypatch.setenv("AUDIO_STUDIO_PORT", "9001")
    monkeypatch.setenv("AUDIO_STUDIO_OFFLINE", "1")
    monkeypatch.setenv("AUDIO_STUDIO_MAX_SECONDS", "60")
    s = app_module.parse_args([])
    assert (s.port, s.offline, s.max_seconds, s.host) == (9001, True, 60.0, "127.0.0.1")
    s = app_module.parse_args(
        [
            "--port",
            "9002",
            "--host",
            "0.0.0.0",
            "--max-upload-mb",
            "5",
            "--no-offline",
            "--auth",
            "ann:secret",
            "--share",
        ]
    )
    assert (s.port, s.host, s.max_upload_mb, s.offline, s.share) == (9002, "0.0.0.0", 5.0, False, True)
    assert s.auth_pair() == ("ann", "secret")
    with pytest.raises(SystemExit):
        app_module.parse_args(["--auth", "no-colon"])


def test_a_broken_tab_shows_why_and_the_rest_starts(monkeypatch, tmp_path):
    (tmp_path / "broken_for_test.py").write_text("import package_that_is_not_installed\n")
    monkeypatch.setattr(tabs, "__path__", [*tabs.__path__, str(tmp_path)])
    monkeypatch.setattr(app_module, "TAB_MODULES", ["visualize", "broken_for_test"])
    demo = app_module.build_app(Settings(offline=True))
    texts = [getattr(b, "value", "") for b in demo.blocks.values() if isinstance(getattr(b, "value", None), str)]
    assert any("not available" in t and "package_that_is_not_installed" in t for t in texts)
    assert "visualize" in demo.config["dependencies"][0]["api_name"] or any(
        d.get("api_name") == "visualize" for d in demo.config["dependencies"]
    )


def _launch(settings: Settings):
    demo = app_module.build_app(settings)
    app_module.launch(demo, settings, prevent_thread_lock=True, quiet=True)
    return demo


def test_login_protects_the_app(tmp_path):
    settings = Settings(offline=True, port=free_port(), auth="ann:secret", output_dir=tmp_path)
    demo = _launch(settings)
    try:
        with pytest.raises(Exception):  # noqa: B017 (any refusal: gradio_client raises its own types)
            Client(demo.local_url, verbose=False)
        client = Client(demo.local_url, auth=("ann", "secret"), verbose=False)
        facts, *_ = client.predict(handle_file(str(EXAMPLES / "a440_sine.wav")), api_name="/visualize")
        assert facts["data"][0][0] == "Sample rate"
    finally:
        demo.close()


def test_upload_and_duration_limits(tmp_path):
    settings = Settings(offline=True, port=free_port(), max_upload_mb=0.1, max_seconds=3, output_dir=tmp_path)
    demo = _launch(settings)
    try:
        client = Client(demo.local_url, verbose=False)
        big = tmp_path / "big.wav"
        sf.write(big, np.zeros(200_000, np.float32), 16000, subtype="FLOAT")  # 0.8 MB > 0.1 MB
        with pytest.raises(Exception, match="(?i)size|large|exceed|limit"):
            client.predict(handle_file(str(big)), api_name="/visualize")
        long_small = tmp_path / "long-but-small.wav"
        sf.write(long_small, np.zeros(1000 * 5, np.float32), 1000, subtype="PCM_U8")  # 5 s in 5 kB
        with pytest.raises(Exception, match="limit is 3.0 s"):
            client.predict(handle_file(str(long_small)), api_name="/visualize")
        ok = tmp_path / "ok.wav"
        sf.write(ok, 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000), 8000, subtype="PCM_16")  # 16 kB
        facts, *_ = client.predict(handle_file(str(ok)), api_name="/visualize")
        assert facts["data"][0][1] == "8000 Hz"
    finally:
        demo.close()


LAYER_RANK = {"core": 0, "dsp": 1, "formats": 1, "engines": 2}  # tasks (pipelines/*.py) rank 3
# A task may use another task only for a real composition (docs/ARCHITECTURE.md).
TASK_COMPOSITIONS = {
    "diarize": {"transcribe", "speakers"},  # known voices name the speakers
    "meeting_notes": {"diarize", "transcribe"},
    "voice_chat": {"transcribe", "speak", "live_captions"},  # a turn is heard as it is spoken
    "classify": {"transcribe"},
    "speak": {"transcribe"},
    "analyze": {"transcribe"},  # Whisper's word times give the speaking rate
    "live_captions": {"transcribe"},  # its language table and model rules; the offline pass
}


def _pipeline_imports():
    """(module path, layer, imported pipelines module) for every import inside pipelines/."""
    import ast

    from conftest import ROOT

    for path in sorted((ROOT / "pipelines").rglob("*.py")):
        rel = path.relative_to(ROOT / "pipelines")
        layer = rel.parts[0] if len(rel.parts) > 1 else "task"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    names = ["<relative>"]
                else:
                    names = [
                        f"{node.module}.{a.name}" if node.module == "pipelines" else node.module or ""
                        for a in node.names
                    ]
            else:
                continue
            for name in names:
                yield rel, layer, name


def test_pipelines_never_import_gradio():
    """Arrows point one way: app.py -> tabs -> pipelines; pipelines run without Gradio."""
    offenders = [
        f"{rel}: {name}"
        for rel, _, name in _pipeline_imports()
        if name.split(".")[0] in {"gradio", "gradio_client", "tabs"}
    ]
    assert not offenders, offenders


def test_layers_point_down():
    """core <- dsp, formats <- engines <- tasks: a module imports only its own layer or lower ones;
    an engine never imports a task; a task imports another task only for a listed composition."""
    offenders = []
    for rel, layer, name in _pipeline_imports():
        if name == "<relative>":
            offenders.append(f"{rel}: relative import (write pipelines.<layer>.<module>)")
            continue
        parts = name.split(".")
        if parts[0] != "pipelines" or len(parts) < 2:
            continue
        target = parts[1]
        rank = LAYER_RANK.get(layer, 3)
        if target in LAYER_RANK:
            if LAYER_RANK[target] > rank:
                offenders.append(f"{rel} ({layer}) imports {name} ({target}, a higher layer)")
            elif layer in ("dsp", "formats") and target != layer and LAYER_RANK[target] == rank:
                offenders.append(f"{rel} ({layer}) imports {name}: dsp and formats stand side by side")
        else:  # a task module
            if layer != "task":
                offenders.append(f"{rel} ({layer}) imports the task {name}")
            elif target != rel.stem and target not in TASK_COMPOSITIONS.get(rel.stem, set()):
                offenders.append(
                    f"{rel} imports the task {name}: add it to TASK_COMPOSITIONS only for a real composition"
                )
    assert not offenders, "\n".join(offenders)


def test_the_layer_rule_catches_an_engine_importing_a_task(tmp_path, monkeypatch):
    """The rule above can fail: a planted engine that imports a task is reported."""
    import conftest

    fake = tmp_path / "pipelines"
    for sub in ("engines", "core"):
        (fake / sub).mkdir(parents=True)
    (fake / "engines" / "bad.py").write_text("from pipelines.transcribe import transcribe\n")
    (fake / "core" / "worse.py").write_text("from pipelines.engines import whisper\n")
    (fake / "transcribe.py").write_text("from pipelines.compose import compose\n")
    monkeypatch.setattr(conftest, "ROOT", tmp_path)
    with pytest.raises(AssertionError) as err:
        test_layers_point_down()
    text = str(err.value)
    assert "engines/bad.py (engines) imports the task pipelines.transcribe" in text
    assert "core/worse.py (core) imports pipelines.engines" in text
    assert "transcribe.py imports the task pipelines.compose" in text


def test_the_package_declares_what_the_requirements_install():
    """pyproject.toml's dependencies name the same packages as requirements.txt's files (less the
    --no-deps ones, which package metadata cannot express), so `pip install .` gets every engine's runtime."""
    import re
    import tomllib

    from conftest import ROOT

    def name(req: str) -> str:
        return re.split(r"[<>=\[ ;]", req.strip())[0].lower().replace("_", "-")

    declared = {name(d) for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    wanted = {"torch"}
    for path in (ROOT / "requirements").glob("*.txt"):
        if "nodeps" not in path.name:
            wanted |= {
                name(line.split("#")[0])
                for line in path.read_text().splitlines()
                if line.split("#")[0].strip() and not line.startswith("-")
            }
    assert declared == wanted, (sorted(declared - wanted), sorted(wanted - declared))
