"""Analyze tab: measure a recording (tempo, key, pitch, loudness, speaking rate). Widgets and wiring only.

A tab of its own rather than a section of Visualize: Visualize draws features for any sound and
redraws as settings change; Analyze measures music and voice and answers with numbers, a
summary, a click track and files, and it runs models (YAMNet, Whisper) that Visualize never loads.
"""

from __future__ import annotations

import gradio as gr

from pipelines.analyze import FIGURES, KINDS, TARGET_NAMES, AnalyzeOptions, analyze

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

TITLE = "Analyze"

INTRO = """**Measure a recording.** *Visualize* draws a sound's features; *Analyze* measures it: for music
the tempo and beats (hear them as a click track over the music), time signature, key with the
runners-up, chords and genre; for a voice the pitch contour and range, speaking rate, pauses and
filler words; for both, loudness over time (EBU R128) against the streaming, podcast and broadcast
targets. Every series downloads as CSV and JSON."""

FIX_NOTE = """**Fix the loudness:** the gain each target needs is in the table. A one-click fix will send
the file to the Sound lab's `normalize_loudness` once that tab is merged (it is not part of this
build yet)."""

EXAMPLES = ["drum_loop.wav", "speech_librivox.wav", "c_major_chord.wav", "two_speakers_pyannote.wav"]
FIGURE_LABELS = {
    "loudness": "Loudness over time",
    "rhythm": "Beats",
    "key": "Key and chords",
    "pitch": "Pitch contour",
    "mood": "Mood (heuristic)",
}

D = AnalyzeOptions()


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(True)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input()
            examples = gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            kind = gr.Radio(list(KINDS), value=D.kind, label="Measure as", info="auto: YAMNet tells music from speech")
            target = gr.Radio(list(TARGET_NAMES), value=D.target, label="Loudness target for the summary")
            with gr.Accordion("Speech settings", open=False):
                transcribe = gr.Checkbox(D.transcribe, label="Transcribe for speaking rate and filler words (Whisper)")
                language = gr.Textbox(D.language, label="Language (auto, en, fr, ...)")
                keep_fillers = gr.Checkbox(D.keep_fillers, label="Ask Whisper to keep um / uh")
            click_gain = gr.Slider(0, 1, value=D.click_gain, step=0.05, label="Click level over the music")
            run = gr.Button("Analyze", variant="primary")
            gr.Markdown(FIX_NOTE)
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
        """
        clip = ctx.load(source)
        show_warnings(clip.warnings)
        options = AnalyzeOptions(
            kind=kind,
            transcribe=bool(transcribe),
            language=(language or "auto").strip() or "auto",
            keep_fillers=bool(keep_fillers),
            target=target,
            click_gain=click_gain,
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
    event = gr.on(
        [run.click, audio.upload, audio.stop_recording],
        run_analysis,
        [audio, kind, target, transcribe, language, keep_fillers, click_gain],
        results,
        api_name="analyze",
        concurrency_limit=2,
    )
    clear_on_error(event, results)
    inputs = [audio, kind, target, transcribe, language, keep_fillers, click_gain]
    clear_on_error(run_after_example(examples, run_analysis, inputs, results, api_name="analyze_example"), results)
    event.then(
        lambda *outs: [gr.update(visible=x is not None) for x in outs],  # only what was measured: no empty boxes
        [clicks, *images],
        [clicks, *images],
        api_name="analyze_show_measured",
        api_visibility="private",
        queue=False,
    )
