"""The model registry: a group's cap unloads the least recently used model; one local-folder rule."""

from __future__ import annotations

import threading
import time

import pytest

from pipelines.core.errors import UserError
from pipelines.core.registry import LOCAL_DIRS_ENV, ModelRegistry, ModelSpec, is_folder_name, local_model_folder


def _spec(key: str, group: str | None = "g") -> ModelSpec:
    return ModelSpec(key, "test", key, "bundled", "test", loader=lambda: {"model": key}, group=group)


def test_a_group_keeps_at_most_its_cap_loaded_least_recently_used_out_first():
    reg = ModelRegistry()
    reg.set_group_cap("g", 2)
    for key in ("a", "b", "c"):
        reg.register(_spec(key))
    reg.register(_spec("free", group=None))
    reg.get("free")
    reg.get("a")
    reg.get("b")
    reg.get("a")  # a is now the most recently used
    reg.get("c")
    assert sorted(reg.loaded()) == ["a", "c", "free"]  # b went, the ungrouped model stays
    assert reg.get("b") == {"model": "b"}  # reloads on demand
    assert sorted(reg.loaded()) == ["b", "c", "free"]
    reg.unload("c")
    reg.get("a")
    assert sorted(reg.loaded()) == ["a", "b", "free"]


def test_folder_names_are_judged_by_the_text_alone():
    assert is_folder_name("/models/x") and is_folder_name("./x") and is_folder_name("~/x")
    assert is_folder_name("a/b/c")
    assert not is_folder_name("owner/name") and not is_folder_name("whisper-gigantic")


def test_a_folder_outside_the_roots_is_refused_alike_whether_or_not_it_exists(tmp_path, monkeypatch):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    monkeypatch.setenv(LOCAL_DIRS_ENV, str(allowed))
    real = tmp_path / "secret-x"
    real.mkdir()
    (real / "config.json").write_text("{}")
    messages = []
    for folder in (real, tmp_path / "missing-x"):
        with pytest.raises(UserError) as err:
            local_model_folder(folder, "config.json", "a model folder")
        messages.append(str(err.value).replace(folder.name, "NAME"))
    assert messages[0] == messages[1] and "read only from the folders in AUDIO_STUDIO_MODEL_DIRS" in messages[0]
    inside = allowed / "m"
    inside.mkdir()
    with pytest.raises(UserError, match="has no config.json"):
        local_model_folder(inside, "config.json", "a model folder")
    (inside / "config.json").write_text("{}")
    assert local_model_folder(inside, "config.json", "a model folder") == inside.resolve()


def test_the_ui_asks_the_hub_without_waiting_and_a_caller_about_to_use_it_waits(monkeypatch):
    from pipelines.core import hub

    probe = threading.Thread(target=time.sleep, args=(0.6,), daemon=True)
    probe.start()
    monkeypatch.setattr(hub, "_status", None)
    monkeypatch.setattr(hub, "_thread", probe)
    start = time.perf_counter()
    status = hub.hub_status(block=False)
    assert time.perf_counter() - start < 0.1
    assert not status.reachable and "still running" in status.reason
    start = time.perf_counter()
    hub.hub_status()  # blocks for the probe under way (it ends after 0.6 s)
    assert 0.3 < time.perf_counter() - start < hub.PROBE_WAIT_S


def test_a_dotted_module_under_a_missing_package_is_not_installed():
    """find_spec raises for 'pkg.sub' when 'pkg' is absent (pyannote.audio without pyannote.metrics
    made the Diarize tab fail to build); the registry answers 'not installed' instead."""
    from pipelines.core.registry import module_installed

    assert not module_installed("package_that_is_not_installed.audio")
    assert module_installed("numpy.linalg") and module_installed("numpy")


def test_a_model_may_need_either_of_two_runtimes():
    """The bundled language model runs on xllamacpp's wheel or on llama-cpp-python built here."""

    def spec(requires):
        return ModelSpec("k", "t", "T", "bundled", "MIT", loader=lambda: None, requires=requires)

    assert spec(("no_such_runtime|json",)).availability() == (True, "ready")
    ok, reason = spec(("no_such_a|no_such_b", "json")).availability()
    assert not ok and reason == "needs the Python package(s) no_such_a or no_such_b"
