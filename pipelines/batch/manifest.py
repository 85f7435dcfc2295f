"""The manifest of a batch: one row per recording, written as CSV and JSON after every file.

It is also what a batch resumes from: a row ``done`` whose outputs are still in the job's folder
is not done again when the same recordings are given with the same output folder.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FIELDS = ("file", "status", "duration", "engine", "seconds", "outputs", "reason", "size", "task")
DONE, FAILED, SKIPPED = "done", "failed", "skipped"


@dataclass
class Row:
    file: str  # the recording's name as given (a zip member: 'archive.zip/x.wav')
    status: str  # done, failed, skipped
    duration: float | None = None  # seconds of audio
    engine: str = ""
    seconds: float = 0.0  # processing time of this file
    outputs: list[str] = field(default_factory=list)  # names inside the results zip
    reason: str = ""  # why it failed or was skipped (or a note on the result)
    size: int = 0  # bytes of the input: with the name and task, how a resumed batch knows it
    task: str = ""
    node: str = ""  # the machine that ran it (Ray); not written to the CSV

    def key(self) -> tuple[str, int, str]:
        return self.file, self.size, self.task


def write(rows: list[Row], folder: Path, extra: dict | None = None) -> tuple[Path, Path]:
    """``manifest.json`` and ``manifest.csv`` in ``folder``, each replaced whole (never half written)."""
    folder = Path(folder)
    js, cs = folder / "manifest.json", folder / "manifest.csv"
    data = {**(extra or {}), "files": [asdict(r) for r in rows]}
    _replace(js, json.dumps(data, indent=2, ensure_ascii=False))
    tmp = cs.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        for r in rows:
            d = asdict(r)
            d["outputs"] = " ".join(r.outputs)
            d["duration"] = "" if r.duration is None else round(r.duration, 2)
            d["seconds"] = round(r.seconds, 2)
            w.writerow([d[k] for k in FIELDS])
    os.replace(tmp, cs)
    return js, cs


def _replace(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read(folder: Path) -> list[Row]:
    """The rows of an earlier run in ``folder`` (none when there is no readable manifest)."""
    path = Path(folder) / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {f for f in Row.__dataclass_fields__}
        return [Row(**{k: v for k, v in d.items() if k in names}) for d in data.get("files", [])]
    except (OSError, ValueError, TypeError, AttributeError):
        return []


def finished(rows: list[Row], files_dir: Path) -> dict[tuple, Row]:
    """Rows done earlier whose every output is still there, by (file, size, task)."""
    return {
        r.key(): r
        for r in rows
        if r.status == DONE and r.outputs and all((Path(files_dir) / o).is_file() for o in r.outputs)
    }
