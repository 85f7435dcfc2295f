"""Batch: many recordings (uploads, zips, a server folder) through one task, in-process or on Ray.

Modules: ``options`` (the task and the limits), ``inputs`` (gathering files, safe unzipping),
``tasks`` (one file through one task, with that task's own run and write functions), ``manifest``
(the CSV/JSON record a batch resumes from) and ``run`` (the loop, the results zip).
"""

from pipelines.batch.inputs import BatchInput, Skipped, gather, unpack_zip
from pipelines.batch.manifest import DONE, FAILED, SKIPPED, Row
from pipelines.batch.options import AUDIO_EXTENSIONS, TASK_TITLES, BatchLimits, BatchOptions, limits_from, limits_line
from pipelines.batch.run import RESULTS_ZIP, BatchResult, BatchUpdate, Job, batch_stream, in_process, process, run_batch
from pipelines.batch.tasks import build_options, defaults_of, options_class, run_file

__all__ = [
    "AUDIO_EXTENSIONS",
    "DONE",
    "FAILED",
    "RESULTS_ZIP",
    "SKIPPED",
    "TASK_TITLES",
    "BatchInput",
    "BatchLimits",
    "BatchOptions",
    "BatchResult",
    "BatchUpdate",
    "Job",
    "Row",
    "Skipped",
    "batch_stream",
    "build_options",
    "defaults_of",
    "gather",
    "in_process",
    "limits_from",
    "limits_line",
    "options_class",
    "process",
    "run_batch",
    "run_file",
    "unpack_zip",
]
