"""Where the app keeps files: the model cache folder, safe names for downloads, and the clean-up
that keeps results and uploads within an age and a size limit."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("audio_ai_studio")


def cache_root() -> Path:
    from pipelines.core.environment import engine_settings

    chosen = engine_settings().cache_dir
    return chosen or Path(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))) / "audio-ai-studio"


def safe_stem(name: str, default: str = "transcript") -> str:
    """A file-name stem without the extension or characters file systems dislike."""
    stem = Path(name or default).stem
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip("._")
    return keep[:80] or default


def text_stem(text: str, default: str, words: int = 5, max_chars: int = 40, lower: bool = True) -> str:
    """A file-name stem from the first words of free text (a sentence to speak, a prompt, a
    recipe): ``"Hello, world! This is..."`` -> ``hello-world-this-is``. Letters of any script are
    kept (Korean stays Korean); a sharp sign becomes ``s`` (``C#5`` -> ``Cs5``); ``default`` when
    nothing is left."""
    text = (text or "").replace("#", "s")
    joined = "-".join("".join(c if c.isalnum() else " " for c in text).split()[:words])
    return safe_stem((joined.lower() if lower else joined)[:max_chars].strip("-"), default)


@dataclass(frozen=True)
class PruneReport:
    removed_files: int
    removed_bytes: int
    kept_files: int
    kept_bytes: int
    spared_files: int = 0  # old enough to go, kept because a queued or running job uses them


EXPIRED_MESSAGE = (
    "This file has expired: the server deletes uploads and results after a while. Upload it again and retry."
)

# Folders whose files the server hands out and deletes (the instance folder, the results folder).
_served_roots: set[Path] = set()


class _Job(threading.local):
    folders: list[Path] | None = None


_job = _Job()
_busy_folders: dict[Path, int] = {}  # results folders of running jobs -> how many jobs hold them
_busy_lock = threading.Lock()


def claim_folder(folder: Path) -> None:
    """Mark a results folder as being written by the running job (see :class:`JobFiles`); outside
    a job this does nothing."""
    if _job.folders is None:
        return
    folder = Path(folder).resolve()
    _job.folders.append(folder)
    with _busy_lock:
        _busy_folders[folder] = _busy_folders.get(folder, 0) + 1


def busy_folders() -> list[Path]:
    with _busy_lock:
        return list(_busy_folders)


class JobFiles:
    """The results folders one handler call makes: claimed while it runs (on whichever thread runs
    each step of a streaming handler), released when it ends."""

    def __init__(self):
        self.folders: list[Path] = []

    def step(self):
        return _JobStep(self)

    def release(self) -> None:
        with _busy_lock:
            for folder in self.folders:
                left = _busy_folders.get(folder, 0) - 1
                if left > 0:
                    _busy_folders[folder] = left
                else:
                    _busy_folders.pop(folder, None)
        self.folders = []


class _JobStep:
    def __init__(self, job: JobFiles):
        self.job = job

    def __enter__(self):
        self.previous, _job.folders = _job.folders, self.job.folders

    def __exit__(self, *exc):
        _job.folders = self.previous
        return False


def add_served_root(folder: Path | str) -> None:
    _served_roots.add(Path(folder).resolve())


def file_paths(value) -> Iterable[str]:
    """Every file path inside a handler's argument or result: a str, a dict with ``path``
    (Gradio's FileData), an object with ``.path``, lists and tuples of them."""
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from file_paths(v)
    elif isinstance(value, dict):
        if isinstance(value.get("path"), str):
            yield value["path"]
    elif isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if len(text) < 1000 and "\n" not in text and os.path.isabs(text):
            yield text
    elif isinstance(getattr(value, "path", None), str):
        yield value.path


def _served(path: str) -> bool:
    try:
        resolved = Path(path).resolve()
    except (OSError, ValueError):
        return False
    return any(resolved.is_relative_to(root) for root in _served_roots)


def expired_file(*values) -> str | None:
    """The first served file (an upload, an earlier result) among ``values`` that no longer exists."""
    for value in values:
        for path in file_paths(value):
            if _served(path) and not os.path.exists(path):
                return path
    return None


def touch_results(*values) -> None:
    """Restart the clean-up's grace period of the served files a handler returns: their download
    time starts when they are handed out, not when the job began writing them."""
    for value in values:
        for path in file_paths(value):
            if _served(path):
                try:
                    os.utime(path)
                except OSError:
                    pass


def folder_usage(folder: Path) -> tuple[int, int]:
    """(files, bytes) under ``folder``."""
    n = size = 0
    for path in Path(folder).rglob("*"):
        try:
            if path.is_file():
                n += 1
                size += path.stat().st_size
        except OSError:  # removed meanwhile
            continue
    return n, size


def prune_folder(
    folder: Path,
    *,
    max_age_s: float,
    max_bytes: int,
    min_age_s: float = 120.0,
    in_use: Iterable[str | Path] = (),
) -> PruneReport:
    """Delete files older than ``max_age_s``, then the oldest until the folder holds at most
    ``max_bytes``. Never deleted: files in ``in_use`` (the uploads of queued and running jobs),
    anything in a folder there or claimed by a running job (:func:`claim_folder`: its results
    being written), and files younger than ``min_age_s`` (results just handed out that a visitor
    is about to fetch; a download already under way keeps its open file on Linux). Empty folders
    older than ``min_age_s`` are removed, except those."""
    now = time.time()
    keep: set[Path] = set()
    keep_dirs: set[Path] = set()
    for p in list(in_use) + busy_folders():
        try:
            resolved = Path(p).resolve()
        except (OSError, ValueError):
            continue
        (keep_dirs if resolved.is_dir() else keep).add(resolved)
    # a busy folder and the folders above it are never removed (a job is about to write there)
    standing = keep_dirs.union(*(d.parents for d in keep_dirs))
    files = []
    for path in Path(folder).rglob("*"):
        try:
            if path.is_file():
                st = path.stat()
                files.append((st.st_mtime, st.st_size, path))
        except OSError:
            continue
    files.sort()  # oldest first
    total = sum(size for _, size, _ in files)
    removed = removed_bytes = spared = 0
    for stamp, size, path in files:
        age = now - stamp
        if age < min_age_s:
            continue
        if age > max_age_s or total > max_bytes:
            resolved = path.resolve()
            if resolved in keep or any(d in keep_dirs for d in resolved.parents):
                spared += 1
                continue
            try:
                path.unlink()
            except OSError:
                continue
            removed += 1
            removed_bytes += size
            total -= size
    for path in sorted(Path(folder).rglob("*"), key=lambda p: len(p.parts), reverse=True):
        try:
            # an empty folder just made is about to be written into: leave it
            if path.is_dir() and now - path.stat().st_mtime >= min_age_s and path.resolve() not in standing:
                path.rmdir()  # only when empty
        except OSError:
            pass
    return PruneReport(removed, removed_bytes, len(files) - removed, total, spared)


class FolderJanitor:
    """Prunes one folder every ``interval_s`` seconds in a daemon thread (see :func:`prune_folder`)."""

    def __init__(
        self,
        folder: Path,
        *,
        max_age_s: float,
        max_bytes: int,
        interval_s: float = 60.0,
        min_age_s: float = 120.0,
        in_use: Callable[[], Iterable[str]] | None = None,
        on_removed: Callable[[], None] | None = None,
        after_pass: Callable[[], None] | None = None,
    ):
        """``in_use`` lists the files queued and running jobs need (asked before each pass);
        ``on_removed`` runs after a pass that deleted files, ``after_pass`` after every timed pass."""
        self.folder, self.max_age_s, self.max_bytes = Path(folder), max_age_s, max_bytes
        self.interval_s, self.min_age_s = interval_s, min_age_s
        self.in_use, self.on_removed, self.after_pass = in_use, on_removed, after_pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folder-janitor", daemon=True)

    def start(self) -> FolderJanitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def prune_now(self) -> PruneReport:
        busy = list(self.in_use()) if self.in_use else []
        report = prune_folder(
            self.folder, max_age_s=self.max_age_s, max_bytes=self.max_bytes, min_age_s=self.min_age_s, in_use=busy
        )
        if report.removed_files and self.on_removed:
            self.on_removed()
        return report

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                report = self.prune_now()
                if report.removed_files:
                    log.info(
                        "Removed %d old files (%.1f MB) from %s",
                        report.removed_files,
                        report.removed_bytes / 1e6,
                        self.folder,
                    )
                if self.after_pass:
                    self.after_pass()
            except Exception:  # never let clean-up stop the server
                log.exception("Clean-up of %s failed", self.folder)
