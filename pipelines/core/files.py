"""Where the app keeps files: the model cache folder, safe names for downloads, and the clean-up
that keeps results and uploads within an age and a size limit."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("audio_ai_studio")


def cache_root() -> Path:
    root = os.environ.get("AUDIO_STUDIO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "audio-ai-studio"
    )
    return Path(root)


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


def prune_folder(folder: Path, *, max_age_s: float, max_bytes: int, min_age_s: float = 120.0) -> PruneReport:
    """Delete files older than ``max_age_s``, then the oldest until the folder holds at most
    ``max_bytes``. Files younger than ``min_age_s`` are never deleted: they were just made and a
    visitor is about to fetch them (a download already under way keeps its open file on Linux).
    Empty folders older than ``min_age_s`` are removed."""
    now = time.time()
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
    removed = removed_bytes = 0
    for stamp, size, path in files:
        age = now - stamp
        if age < min_age_s:
            continue
        if age > max_age_s or total > max_bytes:
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
            if path.is_dir() and now - path.stat().st_mtime >= min_age_s:
                path.rmdir()  # only when empty
        except OSError:
            pass
    return PruneReport(removed, removed_bytes, len(files) - removed, total)


class FolderJanitor:
    """Prunes one folder every ``interval_s`` seconds in a daemon thread (see :func:`prune_folder`)."""

    def __init__(
        self, folder: Path, *, max_age_s: float, max_bytes: int, interval_s: float = 60.0, min_age_s: float = 120.0
    ):
        self.folder, self.max_age_s, self.max_bytes = Path(folder), max_age_s, max_bytes
        self.interval_s, self.min_age_s = interval_s, min_age_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="folder-janitor", daemon=True)

    def start(self) -> FolderJanitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def prune_now(self) -> PruneReport:
        return prune_folder(self.folder, max_age_s=self.max_age_s, max_bytes=self.max_bytes, min_age_s=self.min_age_s)

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
            except Exception:  # never let clean-up stop the server
                log.exception("Clean-up of %s failed", self.folder)
