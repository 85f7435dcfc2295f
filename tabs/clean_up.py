"""Clean up tab: remove noise from speech, or pull the voice out of music. Widgets and wiring only."""

from __future__ import annotations

import gradio as gr

from pipelines.clean_up import (
    DENOISE_RATE,
    MAX_STEMS,
    SEPARATOR_STEMS,
    STRENGTH_MAX_DB,
    DenoiseOptions,
    SeparateOptions,
    check_separate_length,
    denoise_stream,
    engine_choices,
    separate,
    stem_label,
    stem_names,
)
from pipelines.core.files import safe_stem
from pipelines.core.registry import REGISTRY

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

TITLE = "Clean up"

INTRO = """**Clean up a recording.** *Remove noise* keeps the voice and takes away hiss, hum, traffic and
chatter (DeepFilterNet3, or the lighter RNNoise). *Separate* splits music into the voice and the
accompaniment (Spleeter 2 stems), or, with no model at all, into what repeats and what does not
(REPET-SIM) or into steady tones and hits (HPSS). Both run offline on this server."""

STRENGTH_HELP = "At most this many dB of noise is removed: 100 = all it can; 12-20 keeps some room sound."
EXAMPLES = ["speech_librivox.wav", "two_speakers_pyannote.wav", "drum_loop.wav"]
DENOISE_DEFAULT = DenoiseOptions()
SEPARATE_DEFAULT = SeparateOptions()


def _stem_choices(engine: str) -> list[str]:
    return ["all", *SEPARATOR_STEMS.get(engine, ())]


def offered_separators():
    """The separators, HT-Demucs set apart while the model hub cannot be reached (issue 13, class 3)."""
    choices = []
    for spec in REGISTRY.specs("separate"):
        ok, reason = spec.availability(check_hub=False)  # a missing package still says so in the label
        choices.append((spec.title if ok else f"{spec.title}: {reason}", spec.key))
    return split_hub_choices(choices, lambda key: REGISTRY.spec(key).engine == "hub")


def player_labels(engine=SEPARATE_DEFAULT.engine, stems=SEPARATE_DEFAULT.stems) -> list:
    """The stem players' labels after a separation: the stems' names, then "Stem n" for the unused."""
    names = stem_names(engine, stems or "all")
    return [gr.update(label=stem_label(n)) for n in names] + [
        gr.update(label=f"Stem {i + 1}") for i in range(len(names), MAX_STEMS)
    ]


def _stem_player(i: int) -> gr.Audio:
    return gr.Audio(label=f"Stem {i}", type="filepath", interactive=False, elem_id=f"separate-stem-{i}")


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(False)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input(elem_id="clean-audio")
            ctx.register_input(audio)  # other tabs can send a sound here
            gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
        with gr.Column(scale=2):
            with gr.Tab("Remove noise"):
                with gr.Row():
                    d_engine = gr.Dropdown(
                        engine_choices("denoise"),
                        value=DENOISE_DEFAULT.engine,
                        label="Engine",
                        elem_id="denoise-engine",
                    )
                    strength = gr.Slider(
                        1,
                        STRENGTH_MAX_DB,
                        value=DENOISE_DEFAULT.strength_db,
                        step=1,
                        label="Strength (dB)",
                        info=STRENGTH_HELP,
                        min_width=240,
                        elem_id="denoise-strength",
                    )
                with gr.Row():
                    d_run = gr.Button("Remove noise", variant="primary", elem_id="denoise-run")
                    d_cancel = gr.Button("Cancel", variant="stop", elem_id="denoise-cancel")
                d_info = gr.Markdown(elem_id="denoise-info")
                with gr.Row():
                    before = gr.Audio(label="Before", type="filepath", interactive=False, elem_id="denoise-before")
                    after = gr.Audio(
                        label="After (cleaned)", type="filepath", interactive=False, elem_id="denoise-after"
                    )
                before_img = gr.Image(label="Before", type="filepath", interactive=False, elem_id="denoise-before-spec")
                after_img = gr.Image(label="After", type="filepath", interactive=False, elem_id="denoise-after-spec")
            with gr.Tab("Separate"):
                separators = offered_separators()
                with gr.Row():
                    s_engine = gr.Dropdown(
                        separators.offered,
                        value=SEPARATE_DEFAULT.engine,
                        label="Engine",
                        min_width=240,
                        elem_id="separate-engine",
                    )
                    stems = gr.Dropdown(
                        _stem_choices(SEPARATE_DEFAULT.engine),
                        value=SEPARATE_DEFAULT.stems,
                        label="Stems",
                        min_width=160,
                        allow_custom_value=True,  # the API may name any engine's stem; the pipeline checks it
                        elem_id="separate-stems",
                    )
                gr.Markdown(
                    "HT-Demucs (4 and 6 stems: drums, bass, other, vocals, guitar, piano) runs from the model "
                    "hub through ONNX when the hub is reachable; offline, Spleeter is the best engine here.",
                    elem_id="separate-note",
                )
                s_hub = gr.Markdown(separators.note, elem_id="separate-hub")
                s_run = gr.Button("Separate", variant="primary", elem_id="separate-run")
                s_info = gr.Markdown(elem_id="separate-info")
                players = []
                with gr.Row():
                    for i in (1, 2):
                        players.append(_stem_player(i))
                # HT-Demucs's only: hidden until it can be used
                with gr.Accordion(
                    "Stems 3-6 (HT-Demucs only)", open=False, visible=separators.reachable, elem_id="separate-more"
                ) as more_stems:
                    for pair in ((3, 4), (5, 6)):
                        with gr.Row():
                            for i in pair:
                                players.append(_stem_player(i))
                with gr.Row():
                    stem_files = gr.File(
                        label="Stems (WAV)", file_count="multiple", interactive=False, elem_id="separate-files"
                    )
                    stem_zip = gr.File(label="All stems (zip)", interactive=False, elem_id="separate-zip")
                stem_img = gr.Image(label="Stems", type="filepath", interactive=False, elem_id="separate-figure")

    @user_errors
    def run_denoise(
        audio_source,
        engine=DENOISE_DEFAULT.engine,
        strength_db=DENOISE_DEFAULT.strength_db,
        progress=gr.Progress(),
    ):
        """Remove background noise from a recording; returns the cleaned audio, a summary with the estimated noise removed, and spectrograms before and after.

        Args:
            audio_source: the noisy recording.
            engine: the noise suppressor: "deepfilternet3" (bundled, the default) or "rnnoise" (bundled, lighter).
            strength_db: the most noise is lowered by, in dB (higher removes more, and may touch the voice).
        """
        clip = ctx.open_mono(audio_source, DENOISE_RATE)
        options = DenoiseOptions(engine=engine, strength_db=float(strength_db))
        before_path = audio_source if isinstance(audio_source, str) else None
        item = None
        first = True
        for item in denoise_stream(clip, options, ctx.settings.new_output_dir("clean"), safe_stem(clip.name, "audio")):
            progress(item.share, desc=item.stage)
            if item.result is None:
                if first:  # clear the previous run's results
                    first = False
                    yield f"**Working:** {item.stage}...", before_path, None, None, None
                continue
        r = item.result
        show_warnings(r.warnings)
        warn = "".join(f"\n\n⚠️ {w}" for w in r.warnings)
        yield r.summary() + warn, before_path, str(r.wav_path), str(r.before_png), str(r.after_png)

    d_event = d_run.click(
        run_denoise,
        [audio, d_engine, strength],
        [d_info, before, after, before_img, after_img],
        api_name="denoise",
        concurrency_limit=2,
        show_progress_on=[d_info],
    )
    d_cancel.click(
        lambda: "**Cancelled.** Nothing was kept from the unfinished run.",
        None,
        d_info,
        cancels=[d_event],
        api_name=False,
        show_progress="hidden",
    )

    @user_errors
    def run_separate(
        audio_source,
        engine=SEPARATE_DEFAULT.engine,
        stems=SEPARATE_DEFAULT.stems,
        progress=gr.Progress(),
    ):
        """Split a recording into stems (voice and accompaniment at least); returns each stem as WAV, all stems as a zip, and a figure.

        Args:
            audio_source: the recording.
            engine: the separator: "spleeter-2stems" (bundled: vocals, accompaniment), "hpss" or "repet-sim" (no model), or a Demucs model (needs the hub).
            stems: which stem to return, or "all".
        """
        if isinstance(audio_source, str):
            check_separate_length(audio_source)  # before decoding a file that is too long
        audio_in = ctx.load(audio_source)
        r = separate(
            audio_in,
            SeparateOptions(engine=engine, stems=stems or "all"),
            ctx.settings.new_output_dir("separate"),
            safe_stem(audio_in.name, "audio"),
            progress=lambda share, desc: progress(share, desc=desc),
        )
        show_warnings(r.warnings)
        paths = [str(p) for p in r.stems.values()] + [None] * (MAX_STEMS - len(r.stems))
        order = "  \n" + " · ".join(f"**Stem {i + 1}:** {name}" for i, name in enumerate(r.stems))
        warn = "".join(f"\n\n⚠️ {w}" for w in r.warnings)
        return (
            r.summary() + order + warn,
            *paths,
            [str(p) for p in r.stems.values()],
            str(r.zip_path),
            str(r.figure_path),
        )

    s_results = [s_info, *players, stem_files, stem_zip, stem_img]
    s_event = s_run.click(
        run_separate,
        [audio, s_engine, stems],
        s_results,
        api_name="separate",
        concurrency_limit=1,
        show_progress_on=[s_info],
    )
    d_results = [d_info, before, after, before_img, after_img]
    clear_on_error(d_event, d_results)
    clear_on_error(s_event, s_results)
    # each player named for the stem it holds ("Voice", "Music (accompaniment)"), in the page only:
    # the API's answer stays the files
    s_event.success(player_labels, [s_engine, stems], players, api_name=False, show_progress="hidden")
    clear_on_new_input(audio, [*d_results, *s_results], api_name="clean_up_clear_stale")
    accept_set_apart(s_engine, [s.key for s in REGISTRY.specs("separate")])  # the API may still name HT-Demucs

    def refresh_separators(current=SEPARATE_DEFAULT.engine):
        separators = offered_separators()
        update = separators.dropdown_update(current, SEPARATE_DEFAULT.engine)
        return update, separators.note, separators.controls_update()

    # the hub check finishes after start-up: refresh the choices on every visit
    ctx.on_page_load(
        refresh_separators,
        [s_engine],
        [s_engine, s_hub, more_stems],
        api_name="separate_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )
    s_engine.change(
        lambda e: gr.update(choices=_stem_choices(e), value="all"),
        s_engine,
        stems,
        api_name=False,
        show_progress="hidden",
    )
