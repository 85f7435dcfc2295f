"""Analyze tab: measure a recording (tempo, key, pitch, loudness, speaking rate). Widgets and wiring only.

A tab of its own rather than a section of Visualize: Visualize draws features for any sound and
redraws as settings change; Analyze measures music and voice and answers with numbers, a
summary, a click track and files, and it runs models (YAMNet, Whisper) that Visualize never loads.
"""

from __future__ import annotations

import gradio as gr

from pipelines.analyze import (
    FIGURES,
    KINDS,
    TARGET_NAMES,
    AnalyzeOptions,
    analyze,
    check_analyze_length,
    fix_chain,
)
from pipelines.core.errors import UserError

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
from .hub_choices import hub_only

TITLE = "Analyze"

INTRO = """**Measure a recording.** *Visualize* draws a sound's features; *Analyze* measures it: for music
the tempo and beats (hear them as a click track over the music), time signature, key with the
runners-up, chords and genre; for a voice the pitch contour and range, speaking rate, pauses and
filler words; for both, loudness over time (EBU R128) against the streaming, podcast and broadcast
targets. Every series downloads as CSV and JSON."""

FIX_NOTE = """**Fix the loudness:** bring the recording to the target chosen above, here (the Sound lab's
`normalize_loudness`, with a true-peak ceiling of -1 dBTP), or open it in the Sound lab with that chain
filled in, to add more effects first."""

SHORT_NOTE = (
    "It stays under {lufs:g} LUFS because its peaks would pass the -1 dBTP ceiling: a limiter kept them. "
    "For more loudness, compress it first in the Sound lab."
)

EXAMPLES = ["drum_loop.wav", "speech_librivox.wav", "c_major_chord.wav", "two_speakers_pyannote.wav"]
FIGURE_LABELS = {
    "loudness": "Loudness over time",
    "rhythm": "Beats",
    "key": "Key and chords",
    "pitch": "Pitch contour",
    "mood": "Mood (heuristic)",
}

D = AnalyzeOptions()


def hub_models_state():
    return hub_only("the speech-emotion and music-genre models beside the offline answers")


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(True)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input()
            ctx.register_input(audio)  # other tabs can send a sound here
            examples = gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            kind = gr.Radio(list(KINDS), value=D.kind, label="Measure as", info="auto: YAMNet tells music from speech")
            target = gr.Radio(list(TARGET_NAMES), value=D.target, label="Loudness target for the summary")
            with gr.Accordion("Speech settings", open=False):
                transcribe = gr.Checkbox(D.transcribe, label="Transcribe for speaking rate and filler words (Whisper)")
                language = gr.Textbox(D.language, label="Language (auto, en, fr, ...)")
                keep_fillers = gr.Checkbox(D.keep_fillers, label="Ask Whisper to keep um / uh")
            hub = hub_models_state()
            # hidden until the hub can be reached (issue 13, class 3); the note says why
            hub_md = gr.Markdown(hub.apart_note(), elem_id="analyze-hub")
            with gr.Accordion(
                "Hub models beside the offline answers", open=False, visible=hub.reachable, elem_id="analyze-hub-models"
            ) as hub_fold:
                hub_models = gr.Checkbox(
                    D.hub_models, label="Also ask the hub's speech-emotion and music-genre models (when reachable)"
                )
                emotion_model = gr.Textbox(D.emotion_model, label="Speech-emotion model (hub id or local folder)")
                genre_model = gr.Textbox(D.genre_model, label="Music-genre model (hub id or local folder)")
            click_gain = gr.Slider(0, 1, value=D.click_gain, step=0.05, label="Click level over the music")
            run = gr.Button("Analyze", variant="primary")
            with gr.Group():
                gr.Markdown(FIX_NOTE)
                with gr.Row():
                    fix_here = gr.Button("Fix the loudness here", elem_id="analyze-fix", size="sm")
                    fix_lab = gr.Button("Open in the Sound lab", elem_id="analyze-fix-lab", size="sm")
                fixed = gr.Audio(
                    label="Loudness fixed",
                    type="filepath",
                    interactive=False,
                    buttons=["download"],
                    visible=False,
                    elem_id="analyze-fixed",
                )
                fixed_note = gr.Markdown(elem_id="analyze-fixed-note")
        with gr.Column(scale=2):
            summary = gr.Markdown(elem_id="analyze-summary")
            clicks = gr.Audio(
                label="Music with a click on every beat (is the tempo right?)",
                type="filepath",
                interactive=False,
                visible=False,
                elem_id="analyze-clicks",
            )
            facts = gr.Dataframe(
                headers=["Measure", "Value"],
                label="Measurements",
                interactive=False,
                wrap=True,
                column_widths=["34%", "66%"],
                elem_id="analyze-facts",
            )
            images = [
                gr.Image(
                    label=FIGURE_LABELS[name],
                    show_label=False,  # the figure's own title says it, and the label would cover it
                    visible=False,
                    type="filepath",
                    format="png",
                    buttons=["download", "fullscreen"],
                    interactive=False,
                    elem_id=f"analyze-{name}",
                )
                for name in FIGURES
            ]
            with gr.Row():
                json_file = gr.File(label="Analysis (JSON)", interactive=False)
                zip_file = gr.File(label="Every series (CSV + JSON + figures, zip)", interactive=False)

    @user_errors
    def run_analysis(
        source,
        kind=D.kind,
        target=D.target,
        transcribe=D.transcribe,
        language=D.language,
        keep_fillers=D.keep_fillers,
        click_gain=D.click_gain,
        hub_models=D.hub_models,
        emotion_model=D.emotion_model,
        genre_model=D.genre_model,
        progress=gr.Progress(),
    ):
        """Measure music and voice: tempo and beats, key, chords, genre; pitch, speaking rate, pauses, fillers; loudness over time against delivery targets; returns a summary, a table, figures and CSV/JSON of every series.

        Args:
            source: the audio file.
            kind: what to measure: auto (YAMNet tells music from speech), music, speech or both.
            target: the loudness target the summary compares with: streaming (-14 LUFS), podcast (-16) or broadcast (-23).
            transcribe: transcribe speech with the bundled Whisper for speaking rate and filler words.
            language: the language spoken (a Whisper code), or auto to detect it.
            keep_fillers: ask Whisper to write "um" and "uh" so they can be counted.
            click_gain: level of the click track mixed over the music.
            hub_models: also ask the hub's speech-emotion and music-genre models, shown beside the heuristic mood and YAMNet's genre (unavailable, with the reason, when the hub is not reachable).
            emotion_model: the speech-emotion audio-classification model (a hub id or an allowed local folder).
            genre_model: the music-genre audio-classification model (a hub id or an allowed local folder).
        """
        if isinstance(source, str):
            check_analyze_length(source)  # before decoding a file that is too long
        clip = ctx.load(source)
        show_warnings(clip.warnings)
        options = AnalyzeOptions(
            kind=kind,
            transcribe=bool(transcribe),
            language=(language or "auto").strip() or "auto",
            keep_fillers=bool(keep_fillers),
            target=target,
            click_gain=click_gain,
            hub_models=bool(hub_models),
            emotion_model=(emotion_model or "").strip() or D.emotion_model,
            genre_model=(genre_model or "").strip() or D.genre_model,
        )
        result = analyze(
            clip, ctx.settings.new_output_dir("analyze"), options, progress=lambda s, d: progress(s, desc=d)
        )
        show_warnings([w for w in result.warnings if w not in clip.warnings])
        text = f"**{result.summary}**\n\n<small>Engines: {'; '.join(result.engines)}</small>"
        figs = [str(result.figures[n]) if n in result.figures else None for n in FIGURES]
        click = str(result.click_path) if result.click_path else None
        return [text, click, result.facts, *figs, str(result.json_path), str(result.zip_path)]

    results = [summary, clicks, facts, *images, json_file, zip_file]
    clear_on_new_input(audio, results, api_name="analyze_clear_stale")

    def refresh_hub_models():
        hub = hub_models_state()
        # unticked while hidden: no "unavailable" rows for models the page does not offer (class 3)
        ask = gr.update(value=D.hub_models if hub.reachable else False)
        return hub.apart_note(), hub.controls_update(), ask

    # the hub check finishes after start-up: refresh on every visit
    ctx.on_page_load(
        refresh_hub_models,
        None,
        [hub_md, hub_fold, hub_models],
        api_name="analyze_hub_models",
        api_visibility="undocumented",
        show_progress="hidden",
    )
    inputs = [
        audio,
        kind,
        target,
        transcribe,
        language,
        keep_fillers,
        click_gain,
        hub_models,
        emotion_model,
        genre_model,
    ]
    event = gr.on(
        [run.click, audio.upload, audio.stop_recording],
        run_analysis,
        inputs,
        results,
        api_name="analyze",
        concurrency_limit=2,
    )
    clear_on_error(event, results)
    clear_on_error(run_after_example(examples, run_analysis, inputs, results, api_name="analyze_example"), results)
    event.then(
        lambda *outs: [gr.update(visible=x is not None) for x in outs],  # only what was measured: no empty boxes
        [clicks, *images],
        [clicks, *images],
        api_name="analyze_show_measured",
        api_visibility="private",
        queue=False,
    )

    @user_errors
    def fix_loudness(source, target=D.target):
        """Bring a recording to a loudness target (streaming -14, podcast -16, broadcast -23 LUFS) through the Sound lab's normalize_loudness; returns the fixed file and what it measures now.

        Args:
            source: the audio file.
            target: the delivery target: streaming, podcast or broadcast.
        """
        from pipelines.sound_lab import check_effects_length, run_effects  # pedalboard: not at start-up

        chain = fix_chain(target)
        if not source:
            raise UserError("Load a recording first, then fix its loudness.")
        if isinstance(source, str):
            check_effects_length(source)
        clip = ctx.load(source)
        check_effects_length(None, clip.duration)
        result = run_effects(clip, chain, ctx.settings.new_output_dir("analyze-fix"), ctx.settings.max_seconds)
        show_warnings(result.warnings)
        b, a = result.before.facts, result.after.facts
        note = "Applied `{chain}`: {before} LUFS before, {after} LUFS now, peak {peak:.1f} dBFS.".format(
            chain=chain,
            before="n/a" if b.loudness_lufs is None else f"{b.loudness_lufs:.1f}",
            after="n/a" if a.loudness_lufs is None else f"{a.loudness_lufs:.1f}",
            peak=a.peak_dbfs,
        )
        wanted = float(chain.split("lufs=")[1].split(",")[0])
        if a.loudness_lufs is not None and a.loudness_lufs < wanted - 0.5:
            note += " " + SHORT_NOTE.format(lufs=wanted)
        return gr.update(value=str(result.after.wav), visible=True), note

    fix_event = fix_here.click(
        fix_loudness, [audio, target], [fixed, fixed_note], api_name="analyze_fix_loudness", concurrency_limit=2
    )
    # the fixed copy belongs to the recording it was made from (issue 30, item 4)
    clear_on_error(fix_event, [fixed, fixed_note])
    clear_on_new_input(audio, [fixed, fixed_note], api_name="analyze_fix_clear_stale")

    def to_sound_lab(source=None, target=D.target):
        if not source:
            raise UserError("Load a recording first, then open it in the Sound lab.")
        return source, {"chain": fix_chain(target)}

    ctx.send_on(fix_lab.click, "sound_lab", to_sound_lab, [audio, target], api_name="analyze_fix_in_sound_lab")
