"""``audio-ai-studio batch`` (or ``python app.py batch``): a batch from the command line.

The operator's own tool: besides files and zips it takes folders on the server. Run it again
with the same ``--out`` folder to resume an interrupted batch without redoing finished files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.batch.options import TASK_TITLES, BatchOptions, limits_from, limits_line
from pipelines.batch.run import batch_stream
from pipelines.core.errors import UserError


def parser() -> argparse.ArgumentParser:
    d = BatchOptions()
    p = argparse.ArgumentParser(
        prog="audio-ai-studio batch",
        description="Run many recordings (files, zips, server folders) through one task; one results zip "
        "with a manifest. The same --out folder resumes an interrupted batch.",
    )
    p.add_argument("inputs", nargs="+", help="audio files, zips of them, or folders")
    p.add_argument("--task", default=d.task, choices=list(TASK_TITLES), help=f"what to do (default {d.task})")
    p.add_argument("--options", default="", metavar="JSON", help='the task\'s options, e.g. \'{"language": "en"}\'')
    p.add_argument("--out", required=True, type=Path, help="the job's folder (outputs, manifest, results zip)")
    p.add_argument("--max-files", type=int, default=None, help=f"default {d.limits.max_files}")
    p.add_argument("--max-hours", type=float, default=None, help=f"default {d.limits.max_total_hours:g}")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="longest recording (default 1800)")
    p.add_argument("--offline", action="store_true", help="never touch the model hub")
    p.add_argument(
        "--ray",
        default=None,
        metavar="auto|ADDRESS",
        help="run the files through Ray Data (needs requirements/ray.txt)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    try:
        task_options = json.loads(a.options) if a.options.strip() else {}
    except json.JSONDecodeError as exc:
        print(f"--options is not valid JSON: {exc.msg}", file=sys.stderr)
        return 2
    limits = limits_from(a.max_files, a.max_hours)
    options = BatchOptions(task=a.task, task_options=task_options, limits=limits, offline=a.offline)
    print(limits_line(limits), flush=True)
    executor = None
    if a.ray:
        from pipelines.batch.on_ray import connect_or_warn, ray_executor

        if connect_or_warn(a.ray):
            executor = ray_executor()

    def say(share: float, stage: str) -> None:
        print(f"  {share * 100:5.1f}%  {stage}", flush=True)

    try:
        last = None
        for last in batch_stream(
            a.inputs, a.out, options, max_seconds=a.max_seconds, allow_folders=True, executor=executor, progress=say
        ):
            if last.result is None and last.rows:
                r = last.rows[-1]
                print(f"[{last.finished}/{last.total}] {r.file}: {r.status} {r.reason[:120]}", flush=True)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    r = last.result
    n = r.counts()
    print(
        f"{n['done']} done, {n['failed']} failed, {n['skipped']} skipped ({r.resumed} from an earlier run); {r.runner}"
    )
    print(f"results: {r.zip_path}")
    return 0 if n["done"] else 1


if __name__ == "__main__":
    sys.exit(main())
