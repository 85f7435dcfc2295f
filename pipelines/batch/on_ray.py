"""A batch on Ray Data: the recordings as a dataset, each file's task run by a pool of actors that
keep their models loaded (``map_batches`` with an ``ActorPoolStrategy``), spread over the nodes.

The recordings travel as bytes and the outputs come back as bytes, so a worker on another machine
needs no shared disk. A node lost mid-batch: Ray restarts the actor and runs its file again
(Ray Data's actors retry their tasks); the driver keeps one row per file, and the manifest written
after every file lets an interrupted batch resume.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

from pipelines.batch.inputs import BatchInput
from pipelines.batch.manifest import Row

log = logging.getLogger(__name__)


def connect_or_warn(address: str) -> bool:
    """Join Ray for a command-line batch; False (with the reason printed) runs it in-process."""
    from pipelines.core import ray_cluster

    state = ray_cluster.connect(address)
    if not state.connected:
        print(state.message, flush=True)
    return state.connected


class FileWorker:
    """One Ray Data actor: runs files through the batch's task; its models stay loaded between files."""

    def __init__(self, job):
        self.job = job
        self.folder = Path(tempfile.mkdtemp(prefix="audio-studio-batch-"))

    def __call__(self, batch: dict) -> dict:
        import numpy as np
        import ray

        from pipelines.batch.run import process

        out: dict[str, list] = {"row": [], "names": [], "data": []}
        for name, stem, size, suffix, data in zip(
            batch["name"], batch["stem"], batch["size"], batch["suffix"], batch["data"], strict=True
        ):
            local = self.folder / "in" / f"{stem}{suffix}"
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(bytes(data))
            files = self.folder / "out"
            job = replace(self.job, files_dir=files, work_dir=self.folder / "work")
            row = process(BatchInput(str(name), local, str(stem), int(size)), job)
            row.node = ray.get_runtime_context().get_node_id()
            out["row"].append(asdict(row))
            out["names"].append(list(row.outputs))
            out["data"].append([(files / n).read_bytes() for n in row.outputs])
            for n in row.outputs:
                (files / n).unlink(missing_ok=True)
            local.unlink(missing_ok=True)
        return {k: np.array(v, dtype=object) for k, v in out.items()}


def ray_executor(*, actors: int | None = None, num_cpus: float = 1.0):
    """A batch executor on the connected Ray cluster (``pipelines.batch.run.batch_stream(executor=...)``)."""

    def execute(items: list[BatchInput], job, report):
        import ray

        if not items:
            return
        size = actors or max(1, min(len(items), int(ray.cluster_resources().get("CPU", 1) // num_cpus)))
        ray.data.DataContext.get_current().enable_progress_bars = False
        records = [
            {"name": i.name, "stem": i.stem, "size": i.size, "suffix": i.path.suffix, "data": i.path.read_bytes()}
            for i in items
        ]
        ds = ray.data.from_items(records, override_num_blocks=len(records)).map_batches(
            FileWorker,
            fn_constructor_kwargs={"job": job},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(min_size=size, max_size=size),  # one per CPU, on every node
            num_cpus=num_cpus,
            batch_format="numpy",
        )
        seen: set[str] = set()
        for rec in ds.iter_rows():
            row = Row(**rec["row"])
            if row.file in seen:  # a file retried after a lost node answers once
                continue
            seen.add(row.file)
            job.files_dir.mkdir(parents=True, exist_ok=True)
            for name, data in zip(rec["names"], rec["data"], strict=True):
                (job.files_dir / name).write_bytes(data)
            report(row.file, 1.0, f"done on node {row.node[:8]}")
            yield row

    execute.label = "through Ray Data"
    return execute
