"""Zero-shot tab: classify a sound against labels you type (seed 001, CLAP)."""

from __future__ import annotations

import gradio as gr

from pipelines.classify import write_timeline
from pipelines.core.files import safe_stem
from pipelines.zero_shot import MAX_LABELS, SEED_LABELS, ZeroShotOptions, ZeroShotResult, input_rate, zero_shot

from .common import (
    TabContext,
    audio_input,
    clear_on_error,
    clear_on_new_input,
    example_files,
    show_warnings,
    start_rule,
    user_errors,
)
from .hub_choices import accept_set_apart, split_hub_choices

TITLE = "Zero-shot"
DEFAULTS = ZeroShotOptions()  # the defaults, written once: the widgets and the handler's keyword defaults read them

INTRO = f"""**Classify against your own labels.** Type two or more descriptions (comma-separated or one
per line, at most {MAX_LABELS}), record or upload a clip, and press **Score labels**. With the model hub,
CLAP (`laion/clap-htsat-unfused`) compares the sound with each description. Without it, an
**approximate (offline)** engine maps YAMNet's 521 AudioSet classes to your labels by sentence
similarity, and shows which classes each label drew on."""

EXAMPLES = ["drum_loop.wav", "speech_librivox.wav", "c_major_chord.wav"]
LABEL_EXAMPLES = [", ".join(SEED_LABELS), "Speech, Music, Silence", "Drums, Piano, Someone talking, Telephone ringing"]
ENGINE_CHOICES = [
    ("Automatic: CLAP when the model hub is reachable, else approximate", "auto"),
    ("Approximate, offline (YAMNet + sentence similarity)", "offline"),
    ("CLAP (model hub, or a local CLAP folder)", "clap"),
]


def offered_engines():
    """The engines, CLAP set apart while the model hub cannot be reached (issue 13, class 3)."""
    return split_hub_choices(ENGINE_CHOICES, {"clap"})


def result_markdown(r: ZeroShotResult) -> str:
    head = f"**Engine:** {r.engine}.  \n**Best match:** {r.top_label} ({r.labels[r.top_label]:.0%})."
    head += "".join(f"  \n*{n}*" for n in r.notes)
    if r.approximate:
        head += (
            "  \nEach score is the YAMNet score of the AudioSet classes most like that label, weighted by "
            "similarity (0 to 1, not CLAP probabilities).\n\n" + r.sources_markdown()
        )
    return head


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(False)
    engines = offered_engines()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input(elem_id="zs-audio")
            gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Example clips (click one)")
            gr.Markdown(ctx.limits_text())
            labels = gr.Textbox(
                DEFAULTS.labels,
                label="Candidate labels (comma-separated or one per line)",
                lines=3,
                placeholder=", ".join(SEED_LABELS),
                elem_id="zs-labels",
            )
            gr.Examples([[x] for x in LABEL_EXAMPLES], inputs=labels, label="Example labels (click one)")
            template = gr.Textbox(
                DEFAULTS.template,
                label="Hypothesis template for CLAP ({} is replaced by each label)",
                max_lines=1,
                visible=engines.reachable,  # CLAP's only: hidden until CLAP can be used
                elem_id="zs-template",
            )
            engine = gr.Radio(engines.offered, value=DEFAULTS.engine, label="Engine", elem_id="zs-engine")
            accept_set_apart(engine, ENGINE_CHOICES)  # the API may still ask for CLAP (or a local CLAP folder)
            hub_md = gr.Markdown(engines.note, elem_id="zs-hub")
            model_id = gr.Textbox(
                DEFAULTS.model_id,
                label="CLAP model id or local folder (blank: laion/clap-htsat-unfused)",
                max_lines=1,
                visible=engines.reachable,
                elem_id="zs-model-id",
            )
            run = gr.Button("Score labels", variant="primary", elem_id="zs-run")
        with gr.Column(scale=2):
            scores = gr.Label(label="Labels, best match first", num_top_classes=MAX_LABELS, elem_id="zs-scores")
            summary = gr.Markdown(elem_id="zs-summary")
            timeline = gr.Image(
                label="Your labels over time (approximate engine)",
                type="filepath",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
                elem_id="zs-timeline",
            )
            frames_csv = gr.File(label="Label scores per frame (CSV)", interactive=False, elem_id="zs-csv")

    @user_errors
    def run_zero_shot(
        source,
        labels=DEFAULTS.labels,
        template=DEFAULTS.template,
        engine=DEFAULTS.engine,
        model_id=DEFAULTS.model_id,
        progress=gr.Progress(),
    ):
        """Score a clip against labels you write; offline the answer is approximate (YAMNet classes matched to the labels), with the hub it uses CLAP.

        Args:
            source: the audio file.
            labels: two or more candidate labels, separated by commas or one per line.
            template: sentence each label is put into for CLAP; must contain {} once.
            engine: "auto", "clap" (needs the hub) or "offline".
            model_id: a CLAP model id or allowed local folder (blank = laion/clap-htsat-unfused).
        """
        progress(0.05, desc="Loading audio")
        audio = ctx.load_bounded(source, input_rate(engine, model_id))
        show_warnings(audio.warnings)
        progress(0.2, desc="Scoring labels (the first run loads the models)")
        result = zero_shot(audio, labels, template, engine, model_id)
        image = csv_path = None
        if result.frames is not None:
            png, csv = write_timeline(
                result.frames,
                "Your labels over time (approximate)",
                ctx.settings.new_output_dir("zero-shot"),
                safe_stem(audio.name, "audio"),
                "labels",
                rows=len(result.frames.labels),  # every label the visitor gave, not the 8 strongest
            )
            image, csv_path = str(png), str(csv)
        return result.labels, result_markdown(result), image, csv_path

    def refresh_engines(current=DEFAULTS.engine):
        engines = offered_engines()
        shown = engines.controls_update()
        return engines.dropdown_update(current, DEFAULTS.engine), engines.note, shown, shown

    # the hub check finishes after start-up: refresh the choices on every visit
    ctx.on_page_load(
        refresh_engines,
        [engine],
        [engine, hub_md, template, model_id],
        api_name="zero_shot_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    results = [scores, summary, timeline, frames_csv]
    event = gr.on(
        [run.click, labels.submit],
        run_zero_shot,
        [audio, labels, template, engine, model_id],
        results,
        api_name="zero_shot",
        concurrency_limit=2,
    )
    clear_on_error(event, results)
    clear_on_new_input(audio, results, api_name="zero_shot_clear_stale")
