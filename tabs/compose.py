"""Compose tab: music from a text prompt (seed 004's MusicGen, plus a bundled composer). Widgets and wiring only."""

from __future__ import annotations

import gradio as gr

from pipelines.compose import (
    COMPOSER,
    DEFAULT_SECONDS,
    MAX_PROMPT_CHARS,
    MAX_SECONDS,
    MIN_SECONDS,
    ComposeOptions,
    compose,
    engine_choices,
)
from pipelines.engines import musicgen

from .common import TabContext, audio_input, clear_on_error, clear_on_new_input, start_rule, user_errors
from .hub_choices import split_hub_choices

TITLE = "Compose"
DEFAULTS = ComposeOptions()  # the defaults, written once: the widgets and the handler's keyword defaults read them

INTRO = f"""**Make music from words.** Describe it (style, mood, instruments, tempo, key), press
**Compose**, listen, and download the WAV (and the MIDI file, to open in any music program).

The default engine, the **bundled composer, composes by rules, not by a neural model**: words
pick a style, tempo, key and General MIDI instruments; it writes an intro, chords, a melody that
repeats and varies, bass and drums, and plays them through a SoundFont. It works offline and the
same seed always gives the same music. Words it knows: styles (lo-fi, pop, ballad, orchestral/epic,
ambient, rock, jazz, folk, classical), moods (calm, happy, sad, dark, upbeat...), instruments
(piano, guitar, strings, violin, synth, brass, sax, flute, organ, harp...), "no drums",
"120 bpm", "in D minor". **MusicGen** (a neural model from the model hub, when reachable) makes
up to {musicgen.MAX_SECONDS:g} s; its weights are licensed **CC-BY-NC 4.0: non-commercial use only**."""

DURATION_INFO = f"MusicGen: at most {musicgen.MAX_SECONDS:g} s."

EXAMPLES = [
    "calm lo-fi piano",
    "upbeat synth pop",
    "sad strings",
    "epic orchestral with drums",
    "smooth jazz with saxophone",
    "happy folk guitar in G major",
    "dreamy ambient pad, 64 bpm",
    "rock guitar 140 bpm",
]


def _engine_dropdown_choices() -> tuple[list[tuple[str, str]], str, bool]:
    """(dropdown choices, note, MusicGen usable): MusicGen is set apart while the model hub cannot
    be reached (issue 13, class 3); an engine missing something else says what."""
    engines = engine_choices(check_hub=False)
    hub = split_hub_choices([(e.label, e.key) for e in engines if e.available], musicgen.HUB_MODELS)
    missing: dict[str, list[str]] = {}
    for e in engines:
        if not e.available:  # group the engines that are missing for the same reason
            missing.setdefault(e.reason, []).append(e.label)
    lines = [hub.note] + [
        f"**Not available here:** {', '.join(labels)}. Why: {reason}." for reason, labels in missing.items()
    ]
    musicgen_ok = hub.reachable and any(k in musicgen.HUB_MODELS for k in hub.values())
    return hub.offered, "  \n".join(lines), musicgen_ok


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(False)  # a piece takes seconds to minutes: an example only fills the prompt
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            prompt = gr.Textbox(
                label="Describe the music",
                placeholder="e.g. calm lo-fi piano",
                lines=2,
                elem_id="compose-prompt",
                info=f"Up to {MAX_PROMPT_CHARS} characters.",
            )
            gr.Examples([[e] for e in EXAMPLES], inputs=[prompt], label="Examples (click one)")
            engine = gr.Dropdown(
                [("Bundled composer (rules, offline)", COMPOSER)],
                value=COMPOSER,
                label="Engine",
                allow_custom_value=True,
                elem_id="compose-engine",
            )
            engine_info = gr.Markdown("Checking which engines are available...", elem_id="compose-engines")
            duration = gr.Slider(
                MIN_SECONDS,
                MAX_SECONDS,
                value=DEFAULT_SECONDS,
                step=1,
                label="Duration (seconds)",
            )
            seed = gr.Number(DEFAULTS.seed, label="Seed (-1 = a new one each time)", precision=0, minimum=-1)
            # MusicGen's own settings: hidden until MusicGen can be used (the page load decides)
            with gr.Accordion(
                "MusicGen settings", open=False, visible=False, elem_id="compose-musicgen"
            ) as musicgen_fold:
                temperature = gr.Slider(
                    0.1, 2.0, value=DEFAULTS.temperature, step=0.05, label="Temperature (higher = more surprising)"
                )
                top_k = gr.Slider(0, 500, value=DEFAULTS.top_k, step=1, label="Top-k (0 = off)")
                top_p = gr.Slider(0.0, 1.0, value=DEFAULTS.top_p, step=0.05, label="Top-p (0 = off)")
                guidance = gr.Slider(
                    1.0,
                    10.0,
                    value=DEFAULTS.guidance_scale,
                    step=0.5,
                    label="Guidance scale (how closely to follow the text)",
                )
                melody = audio_input("Melody to follow (MusicGen melody only): record or upload")
            run = gr.Button("Compose", variant="primary", elem_id="compose-run")
        with gr.Column(scale=2):
            audio_out = gr.Audio(
                label="Music (WAV, loudness-normalised)",
                type="filepath",
                interactive=False,
                elem_id="compose-audio",
                buttons=["download"],
            )
            midi_out = gr.File(label="MIDI file (bundled composer)", interactive=False, elem_id="compose-midi")
            picture = gr.Image(
                label="What it looks like",
                type="filepath",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
                elem_id="compose-picture",
            )
            description = gr.Markdown(elem_id="compose-description")

    def refresh_engines(current=COMPOSER):
        choices, info, musicgen_ok = _engine_dropdown_choices()
        keys = [k for _, k in choices]
        return (
            gr.update(choices=choices, value=current if current in keys else COMPOSER),
            info,
            gr.update(visible=musicgen_ok),
            gr.update(info=DURATION_INFO if musicgen_ok else None),
        )

    # when the page opens: the hub check has finished by then
    ctx.on_page_load(
        refresh_engines,
        [engine],
        [engine, engine_info, musicgen_fold, duration],
        api_name="compose_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    @user_errors
    def compose_music(
        prompt,
        duration=DEFAULT_SECONDS,
        engine=COMPOSER,
        seed=DEFAULTS.seed,
        temperature=DEFAULTS.temperature,
        top_k=DEFAULTS.top_k,
        top_p=DEFAULTS.top_p,
        guidance_scale=DEFAULTS.guidance_scale,
        melody=None,
        progress=gr.Progress(),
    ):
        """Compose music from a text description; returns the WAV (-14 LUFS), a MIDI file (bundled
        composer), a mel-spectrogram picture and a description (tempo, key, instruments, seed, engine).

        Args:
            prompt: what the music should be, e.g. "calm lo-fi piano" or "rock guitar 140 bpm".
            duration: length in seconds.
            engine: "composer" (bundled, rule-based, offline) or a MusicGen model (needs the model hub).
            seed: the same prompt and seed give the same music; -1 picks a new one each time.
            temperature: MusicGen only: sampling temperature (higher = more surprising).
            top_k: MusicGen only: sample among this many most likely tokens.
            top_p: MusicGen only: nucleus sampling threshold (0 = off).
            guidance_scale: MusicGen only: how closely to follow the prompt.
            melody: MusicGen melody model only: a recording whose tune the music follows.
        """
        mel = None
        if melody:
            loaded = ctx.load(melody, max_seconds=60)
            mel = (loaded.mono, loaded.sr)
        options = ComposeOptions(
            seed=-1 if seed is None else int(seed),
            temperature=float(temperature),
            top_k=int(top_k),
            top_p=float(top_p),
            guidance_scale=float(guidance_scale),
            melody=mel,
        )
        result = compose(
            prompt,
            duration,
            engine or COMPOSER,
            options,
            ctx.settings.new_output_dir("compose"),
            progress=lambda share, desc: progress(share, desc=desc),
        )
        midi = str(result.midi_path) if result.midi_path else None
        return str(result.wav_path), midi, str(result.figure_path), result.description

    results = [audio_out, midi_out, picture, description]
    event = gr.on(
        [run.click, prompt.submit],
        compose_music,
        [prompt, duration, engine, seed, temperature, top_k, top_p, guidance, melody],
        results,
        api_name="compose",
        concurrency_limit=2,
    )
    clear_on_error(event, results)
    # another description: the music of the old one goes (in the page: the prompt changes on every key)
    clear_on_new_input(prompt, results, api_name="compose_clear_stale", in_browser=True)
    clear_on_new_input(melody, results, api_name="compose_melody_clear_stale")  # another tune to follow
