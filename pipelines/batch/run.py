"""A batch: many recordings through one task, each file's failure listed while the others go on.

``batch_stream`` yields a :class:`BatchUpdate` before and after every file (the tab shows them);
``run_batch`` is the same for scripts and the command line. The files run in this process, or,
given ``executor=ray_executor(...)`` (pipelines/batch/on_ray.py), through Ray Data on a cluster:
both call :func:`pipelines.batch.tasks.run_file` for each recording.
"""

from __future__ import annotations

import logging
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.batch import manifest
from pipelines.batch.inputs import BatchInput, gather
from pipelines.batch.manifest import DONE, FAILED, SKIPPED, Row
from pipelines.batch.options import TASK_TITLES, BatchOptions
from pipelines.batch.tasks import build_options, run_file
from pipelines.core.errors import UserError
from pipelines.core.progress import Progress

log = logging.getLogger(__name__)
RESULTS_ZIP = "batch-results.zip"


@dataclass
class Job:
    """What every file of a batch needs (it travels to Ray's workers too: plain data only)."""

    task: str
    options: object  # the task's options dataclass
    max_seconds: float
    offline: bool
    files_dir: Path  # the outputs, named after their input
    work_dir: Path  # each file's scratch folder


@dataclass
class BatchResult:
    rows: list[Row]
    zip_path: Path
    job_dir: Path
    cancelled: bool = False
    resumed: int = 0  # files done by an earlier run of this batch, not done again
    runner: str = "in-process"  # or "Ray Data on N nodes"

    def counts(self) -> dict[str, int]:
        out = {DONE: 0, FAILED: 0, SKIPPED: 0}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out


@dataclass
class BatchUpdate:
    finished: int  # files finished (done, failed or skipped) of ``total``
    total: int
    current: str  # the file now running ('' between files)
    rows: list[Row] = field(default_factory=list)
    result: BatchResult | None = None

    @property
    def fraction(self) -> float:
        return self.finished / max(self.total, 1)


def process(item: BatchInput, job: Job, progress: Progress | None = None) -> Row:
    """One recording: its row, its outputs moved into ``job.files_dir``. Never raises for the file's fault."""
    started = time.perf_counter()
    scratch = job.work_dir / item.stem
    shutil.rmtree(scratch, ignore_errors=True)  # what an interrupted try left
    row = Row(item.name, FAILED, size=item.size, task=job.task)
    try:
        done = run_file(
            job.task,
            item.path,
            scratch,
            item.stem,
            job.options,
            max_seconds=job.max_seconds,
            offline=job.offline,
            progress=progress,
        )
    except UserError as exc:
        row.reason = str(exc)
    except Exception as exc:  # the server's fault on this file: logged, listed, the others go on
        log.exception("batch: %s failed", item.name)
        row.reason = f"failed on the server: {type(exc).__name__}: {exc}"
    else:
        job.files_dir.mkdir(parents=True, exist_ok=True)
        for p in done.outputs:
            shutil.move(str(p), job.files_dir / p.name)
        row.status, row.duration, row.engine = DONE, done.duration, done.engine
        row.outputs, row.reason = [p.name for p in done.outputs], done.note
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    row.seconds = time.perf_counter() - started
    return row


Executor = Callable[[list[BatchInput], Job, Callable[[str, float, str], None]], Iterable[Row]]


def in_process(should_stop: Callable[[], bool] | None = None) -> Executor:
    """Run the files one after the other in this process (the default)."""

    def execute(items, job, report):
        for item in items:
            if should_stop and should_stop():
                return
            report(item.name, 0.0, "Starting")
            yield process(item, job, lambda share, stage, n=item.name: report(n, share, stage))

    execute.label = "in-process"  # the results' "run ..." line
    return execute


def batch_stream(
    sources,
    job_dir: Path,
    options: BatchOptions | None = None,
    *,
    max_seconds: float = 1800.0,
    allow_folders: bool = False,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Iterator[BatchUpdate]:
    """Run a batch into ``job_dir``; resumes from ``job_dir/manifest.json`` when a run was interrupted."""
    o = options or BatchOptions()
    if o.task not in TASK_TITLES:
        raise UserError(f"Unknown batch task '{o.task}': choose one of {', '.join(TASK_TITLES)}.")
    task_options = build_options(o.task, o.task_options)  # a wrong option is refused before any work
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    job = Job(
        o.task,
        task_options,
        min(max_seconds, o.limits.max_file_minutes * 60),
        o.offline,
        job_dir / "files",
        job_dir / "work",
    )
    inputs, skipped = gather(sources, job_dir, o.limits, allow_folders=allow_folders)
    earlier = manifest.finished(manifest.read(job_dir), job.files_dir)
    rows: dict[str, Row] = {}
    pending: list[BatchInput] = []
    budget = o.limits.max_total_hours * 3600
    for item in inputs:
        old = earlier.get((item.name, item.size, o.task))
        if old is not None:
            rows[item.name] = old
            budget -= old.duration or 0
            continue
        row = _over_limits(item, job, budget, o)
        if row is not None:
            rows[item.name] = row
            continue
        budget -= _seconds(item) or 0
        pending.append(item)
    rows.update({s.name: Row(s.name, SKIPPED, reason=s.reason, task=o.task) for s in skipped})
    order = [i.name for i in inputs] + [s.name for s in skipped]
    resumed = len(inputs) - len(pending) - sum(1 for i in inputs if rows.get(i.name) and rows[i.name].status != DONE)
    execute = executor or in_process()
    header = {"task": o.task, "options": _plain(task_options), "runner": getattr(execute, "label", "in-process")}

    def table() -> list[Row]:
        return [rows[n] for n in order if n in rows]

    manifest.write(table(), job_dir, header)
    total = len(order)
    yield BatchUpdate(len(rows), total, "", table())

    def report(name: str, share: float, stage: str) -> None:
        if progress:
            progress(min(1.0, (len(rows) + max(0.0, min(1.0, share))) / max(total, 1)), f"{name}: {stage}")

    for row in execute(pending, job, report):
        rows[row.file] = row
        manifest.write(table(), job_dir, header)  # after every file: what a resumed batch starts from
        yield BatchUpdate(len(rows), total, "", table())
    cancelled = len(rows) < total
    result = BatchResult(table(), _zip(table(), job_dir), job_dir, cancelled, resumed, header["runner"])
    yield BatchUpdate(len(rows), total, "", result.rows, result)


def run_batch(sources, job_dir: Path, options: BatchOptions | None = None, **kwargs) -> BatchResult:
    """The finished batch (see :func:`batch_stream`)."""
    last = None
    for last in batch_stream(sources, job_dir, options, **kwargs):  # noqa: B007 (the last one carries the result)
        pass
    return last.result


def _seconds(item: BatchInput) -> float | None:
    from pipelines.core.audio import file_seconds

    try:
        return file_seconds(item.path)
    except Exception:  # an undecodable file fails later with the audio loader's own message
        return None


def _over_limits(item: BatchInput, job: Job, budget: float, o: BatchOptions) -> Row | None:
    seconds = _seconds(item)
    if seconds is None:
        return None
    if seconds > job.max_seconds:
        return Row(
            item.name,
            FAILED,
            seconds,
            size=item.size,
            task=o.task,
            reason=f"{seconds / 60:.1f} min is longer than a batch file may be ({job.max_seconds / 60:.0f} min).",
        )
    if seconds > budget:
        return Row(
            item.name,
            SKIPPED,
            seconds,
            size=item.size,
            task=o.task,
            reason=f"over the batch's total of {o.limits.max_total_hours:g} hours of audio.",
        )
    return None


def _plain(options) -> dict:
    from dataclasses import asdict, is_dataclass

    return asdict(options) if is_dataclass(options) else {}


def _zip(rows: list[Row], job_dir: Path) -> Path:
    """One zip: every output (named after its input) and manifest.csv / manifest.json."""
    path = job_dir / RESULTS_ZIP
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for r in rows:
            for name in r.outputs:
                if (job_dir / "files" / name).is_file():
                    zf.write(job_dir / "files" / name, name)
        zf.write(job_dir / "manifest.csv", "manifest.csv")
        zf.write(job_dir / "manifest.json", "manifest.json")
    tmp.replace(path)
    return path
