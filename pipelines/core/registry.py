"""One model registry: every model is named once, loaded lazily, cached, and unloadable.

Pipeline modules register their models at import time with :func:`register`. Nothing is
loaded until :meth:`ModelRegistry.get` is first called; concurrent first calls load the
model once (one caller loads, the others wait on that model's lock), and other models
are not blocked meanwhile.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipelines.core.environment import MODEL_DIRS_ENV, engine_settings
from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.hub import hub_reason, hub_status

Engine = Literal["bundled", "hub", "local"]  # local: a model folder given by the user or a test


def module_installed(name: str) -> bool:
    """Whether ``name`` (dotted names too: "pyannote.audio") can be imported, without importing it.
    find_spec raises for a dotted name whose parent package is missing; that means not installed."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@dataclass(frozen=True)
class ModelSpec:
    key: str  # unique id, e.g. "whisper-tiny.en"
    task: str  # "transcribe", "classify", ...
    title: str  # what users read, e.g. "Whisper tiny.en (bundled)"
    engine: Engine
    licence: str
    loader: Callable[[], Any] = field(compare=False, repr=False)
    size_mb: float | None = None
    requires: tuple[str, ...] = ()  # importable modules the loader needs ("a|b": either one)
    binaries: tuple[str, ...] = ()  # programs on PATH the loader needs (Debian packages of the same name)
    hub_id: str | None = None
    note: str = ""  # shown beside the model, e.g. a non-commercial licence
    group: str | None = None  # models of one group share a cap on how many stay loaded (set_group_cap)

    def missing_modules(self) -> list[str]:
        return [m.replace("|", " or ") for m in self.requires if not any(module_installed(x) for x in m.split("|"))]

    def missing_binaries(self) -> list[str]:
        return [b for b in self.binaries if shutil.which(b) is None]

    def availability(self, check_hub: bool = True) -> tuple[bool, str]:
        """(usable, reason) without loading anything."""
        missing = self.missing_modules()
        if missing:
            return False, f"needs the Python package(s) {', '.join(missing)}"
        absent = self.missing_binaries()
        if absent:
            names = " ".join(absent)
            return False, (
                f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not installed on this server "
                f"(an administrator can install it with `apt-get install {names}`)"
            )
        if self.engine == "hub" and check_hub:
            status = hub_status()
            if not status.reachable:
                return False, hub_reason(status)
        return True, "ready" if self.engine == "bundled" else "from the model hub"


class ModelRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, ModelSpec] = {}
        self._models: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.load_seconds: dict[str, float] = {}
        self._group_caps: dict[str, int] = {}
        self._group_order: dict[str, list[str]] = {}  # loaded keys per group, least recently used first

    def set_group_cap(self, group: str, cap: int) -> None:
        """Keep at most ``cap`` models of ``group`` loaded: using one more unloads the least recently used."""
        with self._guard:
            self._group_caps[group] = int(cap)

    def register(self, spec: ModelSpec) -> ModelSpec:
        with self._guard:
            self._specs[spec.key] = spec
            self._locks.setdefault(spec.key, threading.Lock())
        return spec

    def ensure(self, key: str, make: Callable[[], ModelSpec]) -> ModelSpec:
        """The spec under ``key``, registered from ``make()`` on first use (a model a user named)."""
        with self._guard:
            spec = self._specs.get(key)
        return spec if spec is not None else self.register(make())

    def spec(self, key: str) -> ModelSpec:
        try:
            return self._specs[key]
        except KeyError:
            raise ModelUnavailable(f"Unknown model '{key}'. Known: {', '.join(sorted(self._specs))}") from None

    def specs(self, task: str | None = None) -> list[ModelSpec]:
        return [s for s in self._specs.values() if task is None or s.task == task]

    def get(self, key: str) -> Any:
        """The loaded model, loading it on first use (once, whatever the concurrency)."""
        spec = self.spec(key)
        model = self._load(spec)
        if spec.group is not None:
            self._used(spec)
        return model

    def _used(self, spec: ModelSpec) -> None:
        """Mark a grouped model as the most recently used one; unload the oldest beyond the cap."""
        assert spec.group is not None
        with self._guard:
            order = self._group_order.setdefault(spec.group, [])
            if spec.key in order:
                order.remove(spec.key)
            order.append(spec.key)
            cap = self._group_caps.get(spec.group)
            evict = order[: max(0, len(order) - cap)] if cap is not None else []
            del order[: len(evict)]
        for k in evict:
            self.unload(k)

    def _load(self, spec: ModelSpec) -> Any:
        key = spec.key
        model = self._models.get(key)
        if model is not None:
            return model
        with self._locks[key]:
            model = self._models.get(key)
            if model is not None:
                return model
            ok, reason = spec.availability()
            if not ok:
                raise ModelUnavailable(f"{spec.title} is not available: {reason}.")
            start = time.perf_counter()
            model = spec.loader()
            self.load_seconds[key] = time.perf_counter() - start
            self._models[key] = model
            return model

    def is_loaded(self, key: str) -> bool:
        return key in self._models

    def loaded(self) -> list[str]:
        return list(self._models)

    def unload(self, key: str | None = None) -> list[str]:
        """Drop one model (or all) so its memory can be freed; returns what was dropped."""
        keys = [key] if key else list(self._models)
        dropped = []
        for k in keys:
            with self._locks.get(k, threading.Lock()):
                if self._models.pop(k, None) is not None:
                    dropped.append(k)
            with self._guard:
                for order in self._group_order.values():
                    if k in order:
                        order.remove(k)
        gc.collect()
        return dropped


REGISTRY = ModelRegistry()
register = REGISTRY.register

# --- local model folders ----------------------------------------------------------------
# Tabs accept a model folder on the server in place of a hub id (a model the operator already
# has, or a tiny random one in tests). The API would otherwise read any server path a
# visitor names, so one rule for every tab: only folders inside AUDIO_STUDIO_MODEL_DIRS.

LOCAL_DIRS_ENV = MODEL_DIRS_ENV  # os.pathsep-separated folders local models may be read from


def local_model_roots() -> list[Path]:
    return list(engine_settings().model_dirs)


def is_folder_name(value: str | os.PathLike) -> bool:
    """Whether what a user typed names a folder rather than a model id, judged by the text alone.

    A folder starts with '/', '.' or '~', or has more than one '/' (a hub id is 'owner/name').
    The file system is never asked, so the answer cannot tell a visitor what exists on the server."""
    text = os.fspath(value).strip()
    return text.startswith(("/", ".", "~")) or text.count("/") > 1 or (os.sep != "/" and os.sep in text)


def local_model_folder(value: str | os.PathLike, marker: str, what: str) -> Path:
    """The resolved folder a user named, if it lies inside an allowed root and holds ``marker``.

    The one rule every engine uses for a model folder a user names. Raises UserError with a
    user-facing message otherwise; ``what`` names the expected model. A folder outside the
    roots is refused with the same message whether or not it exists.
    """
    path = Path(value).expanduser().resolve()
    if not any(path == root or root in path.parents for root in local_model_roots()):
        raise UserError(
            f"Local model folders are read only from the folders in {LOCAL_DIRS_ENV} "
            f"(set on the server); '{path.name}' is not in one."
        )
    if not (path / marker).is_file():
        raise UserError(f"'{path.name}' is not {what} (it has no {marker}).")
    return path
