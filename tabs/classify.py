"""Classify tab: what is this sound, over the whole clip and moment by moment (seeds 001, 002)."""

from __future__ import annotations

import gradio as gr

from pipelines.classify import TASKS, ClassifyOptions, ClassifyResult, classify, find_task, write_timeline
from pipelines.core.files import safe_stem
from pipelines.core.hub import hub_reason, hub_status
from pipelines.core.registry import REGISTRY

from .common import (
    TabContext,
    audio_input,
    clear_on_error,
    clear_on_new_input,
    example_files,
    run_after_example,
    show_warnings,
    start_rule,
    user_errors,
)
from .hub_choices import accept_set_apart, split_hub_choices

TITLE = "Classify"
DEFAULTS = ClassifyOptions()  # the defaults, written once: the widgets and the handler's keyword defaults read them

INTRO = """**What is this sound?** Record or upload a clip (or click an example), pick a task and press
**Classify**. You get the most likely labels for the whole clip and, for sound events and birds,
a timeline of the strongest classes moment by moment (YAMNet every 0.48 s, BirdNET every 3 s),
downloadable as CSV. Bundled tasks work with no internet; model-hub tasks need the hub."""

EXAMPLES = ["speech_librivox.wav", "drum_loop.wav", "c_major_chord.wav", "a440_sine.wav"]


def task_info(task_key: str) -> tuple[str, dict]:
    """What the chosen task runs on, whether it can run now, and whether the model box applies."""
    t = find_task(task_key)
    if t.kind == "hf":
        status = hub_status(block=False)
        where = f"`{t.hub_id}`" if t.hub_id else "the model id you type"
        avail = (
            "the model hub is reachable: it downloads on first use"
            if status.reachable
            else f"**not available now**: {hub_reason(status)}. A local model folder still works"
        )
        text = (
            f'Runs {where} through `transformers.pipeline("audio-classification")`; {avail}. '
            "You may type another model id (or a local model folder) below."
        )
        return text, gr.update(visible=True, placeholder=t.hub_id or "owner/model-name")
    spec = REGISTRY.spec(t.model_key)
    ok, reason = spec.availability()
    text = f"Runs offline on **{spec.title}** ({t.about}). Licence: {spec.licence}. " + (
        "Ready." if ok else f"Unavailable: {reason}."
    )
    if spec.note and "licence" not in spec.note.lower():  # the licence is said once, just above
        text += f" **{spec.note}**"
    return text, gr.update(visible=False)


def offered_tasks():
    """The tasks, the model-hub ones set apart while the hub cannot be reached (issue 13, class 3)."""
    return split_hub_choices([(t.title, t.key) for t in TASKS], lambda key: find_task(key).kind == "hf")


def result_markdown(r: ClassifyResult) -> str:
    lines = [f"**Engine:** {r.engine}.", f"**Top label:** {r.top_label} ({r.labels.get(r.top_label, 0):.0%})."]
    lines += [f"*{n}*" for n in r.notes]
    if r.frames is not None:
        lines.append(f"Timeline: {len(r.frames.starts)} frames of {r.frames.window_s:g} s every {r.frames.hop_s:g} s.")
    return "  \n".join(lines)


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(True)
    tasks = offered_tasks()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input(elem_id="classify-audio")
            ctx.register_input(audio)  # other tabs can send a sound here
            examples = gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            task = gr.Dropdown(tasks.offered, value=DEFAULTS.task, label="Task", elem_id="classify-task")
            accept_set_apart(task, [(t.title, t.key) for t in TASKS])  # the API may still name a hub task
            info = gr.Markdown(task_info(DEFAULTS.task)[0], elem_id="classify-task-info")
            hub_md = gr.Markdown(tasks.note, elem_id="classify-hub")
            model_id = gr.Textbox(
                DEFAULTS.model_id,
                label="Model id on the hub, or a local model folder",
                visible=False,
                max_lines=1,
                elem_id="classify-model-id",
            )
            top_k = gr.Slider(1, 20, value=DEFAULTS.top_k, step=1, label="How many labels to show")
            run = gr.Button("Classify", variant="primary", elem_id="classify-run")
        with gr.Column(scale=2):
            labels = gr.Label(label="Most likely labels (whole clip)", num_top_classes=20, elem_id="classify-labels")
            summary = gr.Markdown(elem_id="classify-summary")
            timeline = gr.Image(
                label="Strongest classes over time",
                type="filepath",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
                elem_id="classify-timeline",
            )
            frames_csv = gr.File(label="Frame scores (CSV)", interactive=False, elem_id="classify-csv")

    task.change(task_info, task, [info, model_id], api_name="classify_task_info", api_visibility="undocumented")

    def refresh_tasks(current=DEFAULTS.task):
        tasks = offered_tasks()
        return tasks.dropdown_update(current, DEFAULTS.task), tasks.note

    # the hub check finishes after start-up: refresh the choices on every visit
    ctx.on_page_load(
        refresh_tasks,
        [task],
        [task, hub_md],
        api_name="classify_tasks",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    @user_errors
    def run_classify(
        source, task=DEFAULTS.task, model_id=DEFAULTS.model_id, top_k=DEFAULTS.top_k, progress=gr.Progress()
    ):
        """Tell what a sound is, for the whole clip and moment by moment; returns the top labels, a summary, a timeline picture and frame scores as CSV.

        Args:
            source: the audio file.
            task: sound-events (YAMNet, offline), birds (BirdNET, offline, non-commercial), language (spoken language), or a hub task: keywords, intent, language-fleurs, emotion, audioset-ast, music-genre, custom.
            model_id: for the custom task: a model id on the hub (or an allowed local folder).
            top_k: how many labels to return.
        """
        t = find_task(task)
        progress(0.05, desc="Loading audio")
        audio = ctx.load_bounded(source, 48000 if t.kind == "birdnet" else 16000)
        show_warnings(audio.warnings)
        progress(0.2, desc=f"Running {t.title.split(':')[0].lower()} (the first run loads the model)")
        result = classify(audio, t.key, model_id=model_id, top_k=top_k)
        image = csv_path = None
        if result.frames is not None:
            progress(0.85, desc="Drawing the timeline")
            png, csv = write_timeline(
                result.frames,
                f"{t.title.split(':')[0]}: strongest classes over time",
                ctx.settings.new_output_dir("classify"),
                safe_stem(audio.name, "audio"),
                t.key,
            )
            image, csv_path = str(png), str(csv)
        for n in result.notes:
            gr.Info(n)
        return result.labels, result_markdown(result), image, csv_path

    results = [labels, summary, timeline, frames_csv]
    event = gr.on(
        [run.click, audio.upload, audio.stop_recording],
        run_classify,
        [audio, task, model_id, top_k],
        results,
        api_name="classify",
        concurrency_limit=2,
    )
    clear_on_error(event, results)
    clear_on_error(
        run_after_example(examples, run_classify, [audio, task, model_id, top_k], results, api_name="classify_example"),
        results,
    )
    clear_on_new_input(audio, results, api_name="classify_clear_stale")
