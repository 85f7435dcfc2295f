"""Visualize tab: see a sound (seeds 000, 003, 004). Widgets and wiring only."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from pipelines.core.files import safe_stem
from pipelines.dsp.features import CHROMA_KINDS, WINDOWS, SpectralParams, phase_lesson
from pipelines.formats import plots
from pipelines.visualize import (
    LONG_NOTE,
    PANELS,
    ViewOptions,
    export_features,
    load_head,
    params_from_form,
    render_source,
    write_phase_lesson,
)

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

TITLE = "Visualize"

INTRO = """**See a sound.** Record with the microphone or upload a file (or click an example), then
read its facts and look at it as a waveform, a spectrum, a spectrogram and the features speech
and music models use. Change a setting and the figures redraw. Every figure downloads as PNG;
**Download features** gives every matrix as `.npy` and `.csv`."""

PANEL_LABELS = {
    "waveform": "Waveform",
    "spectrum": "Spectrum",
    "spectrogram": "Spectrogram",
    "phase": "Phase",
    "mel": "Mel spectrogram",
    "mfcc": "MFCC + deltas",
    "chroma": "Chroma",
}

PANEL_HELP = """- **Waveform**: loudness over time, each channel.
- **Spectrum**: which frequencies the whole clip contains (Hann-windowed FFT, log axis).
- **Spectrogram**: frequencies over time (STFT magnitude in dB); n_fft trades time detail for frequency detail.
- **Phase**: the STFT's other half. It looks like noise, yet the sound needs it (hear the phase lesson below).
- **Mel spectrogram**: frequencies warped to how we hear; what Whisper and most audio models take in.
- **MFCC + deltas**: compact 'timbre' features of classic speech recognition (13 numbers per moment, plus how fast and how sharply each changes: 39 rows).
- **Chroma**: energy per musical pitch class (C, C#, ... B): STFT, CQT or CENS."""

# The defaults, written once in the pipeline: the widgets and the handlers' keyword defaults read them.
P, V = SpectralParams(), ViewOptions()
LESSON_SECONDS = 15.0  # the phase lesson rebuilds this much

EXAMPLES = ["speech_librivox.wav", "a440_sine.wav", "c_major_chord.wav", "stereo_sweeps.wav", "drum_loop.wav"]


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(True)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input()
            ctx.register_input(audio)  # other tabs can send a sound here
            examples = gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            run = gr.Button("Visualize", variant="primary")
            with gr.Accordion("Settings (figures redraw when you change one)", open=False):
                n_fft = gr.Dropdown(
                    ["256", "512", "1024", "2048", "4096", "8192"],
                    value=str(P.n_fft),
                    allow_custom_value=True,
                    label="n_fft (frequency detail)",
                )
                hop = gr.Dropdown(
                    ["64", "128", "256", "512", "1024", "2048"],
                    value=str(P.hop_length),
                    allow_custom_value=True,
                    label="Hop length (time detail)",
                )
                window = gr.Dropdown(list(WINDOWS), value=P.window, label="Window")
                freq_scale = gr.Radio(["log", "linear"], value=V.freq_scale, label="Spectrogram frequency axis")
                n_mels = gr.Slider(16, 256, value=P.n_mels, step=1, label="Mel bands")
                with gr.Row():
                    fmin = gr.Number(P.fmin, label="fmin (Hz)", minimum=0)
                    fmax = gr.Number(P.fmax or 0, label="fmax (Hz, 0 = half the sample rate)", minimum=0)
                n_mfcc = gr.Slider(5, 40, value=P.n_mfcc, step=1, label="MFCCs (x3 with deltas)")
                cmvn = gr.Checkbox(P.cmvn, label="CMVN (normalise each MFCC over time)")
                chroma = gr.Radio(list(CHROMA_KINDS), value=P.chroma, label="Chroma")
                cmap = gr.Dropdown(list(plots.COLORMAPS), value=V.cmap, label="Colour map")
            with gr.Group():
                gr.Markdown(
                    "**Hear the phase lesson**: the first 15 s rebuilt from the magnitude "
                    "alone (Griffin-Lim guesses the phase) beside magnitude and true phase (inverse STFT)."
                )
                lesson_btn = gr.Button("Rebuild and play")
                mag_only = gr.Audio(label="Magnitude only (Griffin-Lim)", type="filepath", interactive=False)
                with_phase = gr.Audio(label="Magnitude + phase (inverse STFT)", type="filepath", interactive=False)
                lesson_info = gr.Markdown(elem_id="phase-info")
            export_btn = gr.Button("Download features (.npy + .csv + PNG, zip)")
            export_file = gr.File(label="Features", interactive=False)
            gr.Markdown(LONG_NOTE)
        with gr.Column(scale=2):
            facts = gr.Dataframe(headers=["Fact", "Value"], label="Facts", interactive=False, elem_id="facts")
            with gr.Accordion("What am I looking at?", open=False):
                gr.Markdown(PANEL_HELP)
            images = []
            for name in PANELS:
                images.append(
                    gr.Image(
                        label=PANEL_LABELS[name],
                        type="filepath",
                        format="png",
                        buttons=["download", "fullscreen"],
                        interactive=False,
                        elem_id=f"panel-{name}",
                    )
                )

    settings = [n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma]

    def draw(source, with_facts, n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma, freq_scale, cmap):
        result = render_source(
            source,
            ctx.settings.new_output_dir("visualize"),
            params_from_form(n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma),
            min_seconds=ctx.settings.min_seconds,
            max_seconds=ctx.settings.max_seconds,
            cmap=cmap,
            freq_scale=freq_scale,
            with_facts=with_facts,
        )
        show_warnings(result.warnings)
        facts_out = result.facts.as_rows() if with_facts else gr.skip()
        return [facts_out] + [str(result.figures[p]) for p in PANELS]

    @user_errors
    def visualize(
        source,
        n_fft=str(P.n_fft),
        hop=str(P.hop_length),
        window=P.window,
        n_mels=P.n_mels,
        fmin=P.fmin,
        fmax=P.fmax or 0,
        n_mfcc=P.n_mfcc,
        cmvn=P.cmvn,
        chroma=P.chroma,
        freq_scale=V.freq_scale,
        cmap=V.cmap,
    ):
        """Show a recording: facts (rate, channels, duration, peak, RMS, LUFS, clipping, silence) and seven figures (waveform, spectrum, STFT spectrogram, phase, mel, MFCC with deltas, chroma) as PNG files.

        Args:
            source: the audio file (WAV, FLAC, OGG, MP3, WebM, M4A).
            n_fft: STFT window length in samples, e.g. "2048".
            hop: samples between STFT frames, e.g. "512".
            window: STFT window: hann, hamming, blackman, bartlett or boxcar.
            n_mels: number of mel bands.
            fmin: lowest frequency of the mel bands in Hz.
            fmax: highest frequency of the mel bands in Hz (0 = half the sample rate).
            n_mfcc: number of MFCCs (deltas are added).
            cmvn: normalise each MFCC to zero mean and unit variance.
            chroma: chroma kind: stft, cqt or cens.
            freq_scale: frequency axis of the spectrograms: log or linear.
            cmap: colour map of the spectrograms, e.g. magma.
        """
        return draw(source, True, n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma, freq_scale, cmap)

    @user_errors
    def redraw(
        source,
        n_fft=str(P.n_fft),
        hop=str(P.hop_length),
        window=P.window,
        n_mels=P.n_mels,
        fmin=P.fmin,
        fmax=P.fmax or 0,
        n_mfcc=P.n_mfcc,
        cmvn=P.cmvn,
        chroma=P.chroma,
        freq_scale=V.freq_scale,
        cmap=V.cmap,
    ):
        """A setting changed: the figures again, the facts (which no setting changes) kept as shown."""
        if source is None:  # nothing to redraw yet
            return [gr.skip()] * (1 + len(PANELS))
        return draw(source, False, n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma, freq_scale, cmap)

    inputs = [audio, *settings, freq_scale, cmap]
    shown = [facts, *images]
    event = gr.on(
        [run.click, audio.upload, audio.stop_recording],
        visualize,
        inputs,
        shown,
        api_name="visualize",
        concurrency_limit=2,
    )
    # A new clip, Clear or an error: the facts and figures of the previous clip go (issue 30, item 4).
    clear_on_error(event, shown)
    clear_on_error(run_after_example(examples, visualize, inputs, shown, api_name="visualize_example"), shown)
    redrawn = gr.on(
        [c.change for c in (n_fft, hop, window, freq_scale, chroma, cmap, cmvn)]
        + [c.release for c in (n_mels, n_mfcc)]
        + [c.submit for c in (fmin, fmax)],
        redraw,
        inputs,
        [facts, *images],
        api_name="visualize_redraw",
        api_visibility="undocumented",
        trigger_mode="always_last",
        concurrency_limit=2,
    )
    clear_on_error(redrawn, images)

    @user_errors
    def phase(source, n_fft=str(P.n_fft), hop=str(P.hop_length), window=P.window):
        limits = dict(min_seconds=ctx.settings.min_seconds, max_seconds=ctx.settings.max_seconds)
        y, sr = load_head(source, LESSON_SECONDS, **limits)
        params = params_from_form(n_fft, hop, window, P.n_mels, P.fmin, P.fmax, P.n_mfcc, P.cmvn, P.chroma)
        lesson = phase_lesson(y, sr, params, max_seconds=LESSON_SECONDS)
        a, b = write_phase_lesson(lesson, ctx.settings.new_output_dir("phase"), _source_stem(source))
        info = (
            f"Rebuilt {lesson.seconds_used:.1f} s. Griffin-Lim's spectrum differs from the original by "
            f"{lesson.griffinlim_error_db:.1f} dB (how far its spectrum is from the original's; lower is closer, "
            "0 dB would be as far as silence); the inverse STFT reproduces the "
            f"waveform to {lesson.istft_error_db:.0f} dB. Same magnitudes, different phase: hear the difference."
        )
        return str(a), str(b), info

    lesson = [mag_only, with_phase, lesson_info]
    clear_on_error(
        lesson_btn.click(phase, [audio, n_fft, hop, window], lesson, api_name="phase_lesson", concurrency_limit=2),
        lesson,
    )

    @user_errors
    def export(
        source,
        n_fft=str(P.n_fft),
        hop=str(P.hop_length),
        window=P.window,
        n_mels=P.n_mels,
        fmin=P.fmin,
        fmax=P.fmax or 0,
        n_mfcc=P.n_mfcc,
        cmvn=P.cmvn,
        chroma=P.chroma,
        freq_scale=V.freq_scale,
        cmap=V.cmap,
        progress=gr.Progress(),
    ):
        progress(0.1, desc="Computing features")
        out = ctx.settings.new_output_dir("features")
        params = params_from_form(n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma)
        limits = dict(min_seconds=ctx.settings.min_seconds, max_seconds=ctx.settings.max_seconds)
        result = render_source(source, out, params, cmap=cmap, freq_scale=freq_scale, full_phase=True, **limits)
        progress(0.5, desc="Writing .npy and .csv")
        return str(export_features(result, out, stem=f"features-{_source_stem(source)}"))

    clear_on_error(
        export_btn.click(export, inputs, export_file, api_name="export_features", concurrency_limit=2), [export_file]
    )
    # A new clip: the lesson players and the features zip were made from the previous one.
    clear_on_new_input(
        audio, [*shown, mag_only, with_phase, lesson_info, export_file], api_name="visualize_clear_stale"
    )


def _source_stem(source) -> str:
    """Download names after the input file: ``features-<stem>.zip``, ``<stem>-magnitude-only...wav``."""
    name = source if isinstance(source, str) else (source or {}).get("path") if isinstance(source, dict) else None
    return safe_stem(Path(name).name if name else "recording", "audio")
