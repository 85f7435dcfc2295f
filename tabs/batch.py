"""Batch tab: many recordings (several uploads or a zip) through one task; one results zip with a manifest."""

from __future__ import annotations

import json

import gradio as gr

from pipelines.batch import (
    DONE,
    TASK_TITLES,
    BatchOptions,
    batch_stream,
    build_options,
    defaults_of,
    limits_from,
    limits_line,
)
from pipelines.core import ray_cluster
from pipelines.core.errors import UserError

from .common import TabContext, clear_on_new_input, clears_before_error, show_warnings, start_rule, user_errors

TITLE = "Batch"
DEFAULTS = BatchOptions()  # the defaults, written once: the widgets and the handler's keyword defaults read them
NO_TASK_OPTIONS = ""  # blank: the task's own defaults

INTRO = """**Many recordings at once.** Upload several recordings or one zip of them, pick what to do
with each (transcribe, find the speakers, write meeting notes, remove noise, classify or analyze),
and press **Run batch**. Each file's progress shows as it goes; a file that fails is listed with
its reason while the others go on. Download one zip with every file's results, named after the
file (`lecture01.txt`, `lecture01.srt`...), and a manifest (CSV and JSON)."""

HEADERS = ["file", "status", "duration (s)", "engine", "seconds taken", "outputs", "note or reason"]


def defaults_markdown(task: str) -> str:
    """The task's options and their defaults, as the JSON box takes them."""
    shown = json.dumps(defaults_of(task), ensure_ascii=False)
    return f"Options of this task and their defaults (type only those you change, as JSON):\n\n`{shown}`"


def parse_task_options(text: str | None) -> dict:
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f'The task options are not valid JSON ({exc.msg}); write e.g. {{"language": "en"}}.') from None
    if not isinstance(value, dict):
        raise UserError('The task options must be a JSON object such as {"language": "en"}.')
    return value


def rows_table(rows) -> list[list]:
    return [
        [
            r.file,
            r.status,
            "" if r.duration is None else round(r.duration, 1),
            r.engine,
            round(r.seconds, 1),
            " ".join(r.outputs),
            r.reason[:300],
        ]
        for r in rows
    ]


def build(ctx: TabContext) -> None:
    s = ctx.settings
    limits = limits_from(s.batch_max_files, s.batch_max_hours)
    gr.Markdown(INTRO)
    start_rule(False)
    with gr.Row():
        with gr.Column():
            files = gr.File(label="Recordings (audio files or a zip)", file_count="multiple", elem_id="batch-in")
            gr.Markdown(limits_line(limits), elem_id="batch-limits")
            task = gr.Dropdown(
                [(title, key) for key, title in TASK_TITLES.items()],
                value=DEFAULTS.task,
                label="Task",
                elem_id="batch-task",
            )
            task_options = gr.Textbox(
                value=NO_TASK_OPTIONS,
                label="Task options (JSON)",
                placeholder='{"language": "en"}',
                elem_id="batch-options",
            )
            options_md = gr.Markdown(defaults_markdown(DEFAULTS.task), elem_id="batch-defaults")
            with gr.Row():
                run = gr.Button("Run batch", variant="primary", elem_id="batch-run")
                cancel = gr.Button("Cancel", elem_id="batch-cancel")
        with gr.Column():
            status = gr.Markdown("", elem_id="batch-status")
            table = gr.Dataframe(headers=HEADERS, label="Files", interactive=False, wrap=True, elem_id="batch-table")
            result = gr.File(label="Results (zip)", interactive=False, elem_id="batch-zip")

    task.change(defaults_markdown, task, options_md, api_name=False, show_progress="hidden")

    @user_errors
    @clears_before_error(3)  # an error empties the old results; a Cancel keeps the files done
    def batch(files, task=DEFAULTS.task, task_options=NO_TASK_OPTIONS, progress=gr.Progress()):
        """Run many recordings through one task; returns a status line, one row per file and the results zip.

        Args:
            files: the recordings (audio files; a zip among them is unpacked, non-audio members skipped).
            task: transcribe, diarize, meeting_notes, denoise, classify or analyze.
            task_options: that task's options as a JSON object, e.g. '{"language": "en"}' (blank: its defaults).
        """
        if not files:
            raise UserError("Choose one or more recordings (or a zip of them) first.")
        options = BatchOptions(
            task=task or DEFAULTS.task, task_options=parse_task_options(task_options), limits=limits, offline=s.offline
        )
        build_options(options.task, options.task_options)  # a wrong option is said before anything is unpacked
        paths = [f if isinstance(f, str) else getattr(f, "name", f) for f in files]
        job_dir = s.new_output_dir("batch")
        progress(0.0, desc="Unpacking and checking the recordings")
        executor = None
        if ray_cluster.STATE.connected:  # --ray: the files go through Ray Data on the cluster
            from pipelines.batch.on_ray import ray_executor

            executor = ray_executor()
        update = None
        for update in batch_stream(
            paths,
            job_dir,
            options,
            max_seconds=s.max_seconds,
            executor=executor,
            progress=lambda share, stage: progress(share, desc=stage),
        ):
            if update.result is None:
                yield f"**{update.finished} of {update.total} files finished.**", rows_table(update.rows), None
        r = update.result
        n = r.counts()
        failed = [row for row in r.rows if row.status != DONE]
        show_warnings([f"{row.file}: {row.reason}" for row in failed][:5])
        yield (
            f"**{n['done']} of {len(r.rows)} files done** · {n['failed']} failed · {n['skipped']} skipped · "
            f"run {r.runner}.",
            rows_table(r.rows),
            str(r.zip_path),
        )

    event = run.click(
        batch, [files, task, task_options], [status, table, result], api_name="batch", concurrency_limit=1
    )
    clear_on_new_input(files, [status, table, result], api_name="batch_clear_stale")
    cancel.click(
        lambda: "**Cancelled.** Files finished before you pressed Cancel are listed above.",
        None,
        status,
        cancels=[event],
        api_name=False,
        show_progress="hidden",
    )
