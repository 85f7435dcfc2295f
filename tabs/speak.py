"""Speak tab: text to speech (seed 004). Widgets and wiring only; the work is in pipelines.speak."""

from __future__ import annotations

import gradio as gr

from pipelines.engines.tts import ENGINES, PIPER_VOICE_ID, EngineOptions
from pipelines.formats.text_metrics import alignment_spans
from pipelines.speak import (
    DEFAULT_VOICES,
    MAX_TEXT_CHARS,
    SAMPLE_TEXT,
    SAMPLE_TEXT_KO,
    SpeakOptions,
    find_voices,
    listening_check,
    speak,
    write_outputs,
)

from .common import ALIGNMENT_COLORS, TabContext, user_errors

TITLE = "Speak"

INTRO = f"""**Turn text into speech.** Type or paste text (up to {MAX_TEXT_CHARS:,} characters), choose an
engine and a voice, press **Speak**. Long text is read sentence by sentence with natural pauses.
Download the speech as WAV or MP3 with subtitles (SRT, VTT). **Listening check** lets Whisper
transcribe the result and shows how many words it understood (word error rate)."""

ENGINE_CHOICES = [
    ("Piper: bundled, natural US English voice", "piper"),
    ("espeak-ng: bundled, 100+ languages incl. Korean (robotic)", "espeak"),
    ("Edge online voices: 400+ natural voices, needs internet", "edge"),
]
# (text, voice): choosing the voice selects its engine (see voice.change below).
EXAMPLES = [
    [SAMPLE_TEXT, PIPER_VOICE_ID],
    [SAMPLE_TEXT_KO, "espeak:ko"],
    ["Bonjour tout le monde. Ceci est une voix de synthèse.", "espeak:fr-fr+f3"],
    ["Hello! This is one of the online voices, with word-by-word subtitles.", "edge:en-US-AriaNeural"],
]
EXAMPLE_LABELS = [
    "English paragraph: Piper, Joe",
    "Korean: espeak-ng ko",
    "French: espeak-ng fr-fr, female",
    "English: Edge online voice Aria (bundled voice when offline)",
]
VOICE_HEADERS = ["Voice id", "Name", "Language", "Gender", "Engine"]


def engines_markdown(offline: bool) -> str:
    lines = []
    for key in ("piper", "espeak"):
        ok, reason = ENGINES[key].availability()
        lines.append(f"- **{ENGINES[key].title}**: {'ready, works offline' if ok else reason}")
    ok, reason = ENGINES["edge"].reachability(offline)
    lines.append(
        f"- **{ENGINES['edge'].title}**: "
        + (
            f"reachable ({reason})"
            if ok
            else f"not available: {reason}. Choosing an online voice answers with the closest bundled voice."
        )
    )
    return "\n".join(lines)


def online_markdown(offline: bool) -> str:
    ok, reason = ENGINES["edge"].reachability(offline)
    if ok:
        return "Online voices: reachable. Search them under *Find a voice*."
    return (
        f"Online voices: **not available here** ({reason}). Choosing one answers with the closest "
        "bundled voice (Piper for English, espeak-ng otherwise)."
    )


def _voice_choices(engine: str, language: str, gender: str, search: str, offline: bool):
    voices = find_voices(engine, language or "", gender or "", search or "", offline=offline)
    return voices, [
        (v.label() if v.engine != "edge" else f"{v.label()} [{v.id.split(':', 1)[1]}]", v.id) for v in voices
    ]


def _voice_rows(voices) -> list[list[str]]:
    return [[v.id, v.name, f"{v.language_name} ({v.language})", v.gender, ENGINES[v.engine].title] for v in voices]


def build(ctx: TabContext) -> None:
    offline = ctx.settings.offline
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            text = gr.Textbox(
                label="Text to speak", lines=7, placeholder="Type or paste text here...", elem_id="speak-text"
            )
            counter = gr.Markdown(f"0 / {MAX_TEXT_CHARS:,} characters", elem_id="speak-counter")
            engine = gr.Radio(ENGINE_CHOICES, value="piper", label="Engine", elem_id="speak-engine")
            online_status = gr.Markdown(
                "Online voices: checking whether they are reachable...", elem_id="speak-online-status"
            )
            with gr.Accordion("Find a voice (language, gender, name)", open=False):
                with gr.Row():
                    language = gr.Textbox(label="Language", placeholder="e.g. ko, en-GB, Korean")
                    gender = gr.Radio(["any", "female", "male"], value="any", label="Gender")
                search = gr.Textbox(label="Search by name or id")
                voice_table = gr.Dataframe(
                    _voice_rows(find_voices("piper")),
                    headers=VOICE_HEADERS,
                    label="Matching voices",
                    interactive=False,
                    max_height=240,
                    elem_id="speak-voice-table",
                )
            voice = gr.Dropdown(
                _voice_choices("piper", "", "", "", offline)[1],
                value=PIPER_VOICE_ID,
                label="Voice",
                allow_custom_value=True,
                elem_id="speak-voice",
            )
            with gr.Row():
                speed = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Speed (1 = normal)")
                pause = gr.Slider(0.0, 3.0, value=1.0, step=0.1, label="Pauses between sentences (x)")
            with gr.Accordion("Piper controls", open=False):
                length_scale = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Length scale (> 1 slower)")
                noise_scale = gr.Slider(0.0, 1.5, value=0.667, step=0.01, label="Noise scale (expressiveness)")
                noise_w = gr.Slider(0.0, 1.5, value=0.8, step=0.01, label="Noise-w scale (rhythm variation)")
            with gr.Accordion("espeak-ng controls", open=False):
                pitch = gr.Slider(0, 99, value=50, step=1, label="Pitch (0-99)")
            with gr.Accordion("Edge online voice controls", open=False):
                rate = gr.Slider(-50, 100, value=0, step=5, label="Rate (%)")
                volume = gr.Slider(-50, 50, value=0, step=5, label="Volume (%)")
                edge_pitch = gr.Slider(-50, 50, value=0, step=5, label="Pitch (Hz)")
            fallback = gr.Checkbox(True, label="If the online voices are unreachable, use a bundled voice")
            run = gr.Button("Speak", variant="primary", elem_id="speak-button")
            gr.Examples(
                EXAMPLES, inputs=[text, voice], label="Examples (click one, then Speak)", example_labels=EXAMPLE_LABELS
            )
            with gr.Accordion("Engines on this server", open=False):
                engines_status = gr.Markdown("Checking the engines...", elem_id="speak-engines")
        with gr.Column(scale=1):
            audio_out = gr.Audio(label="Speech", type="filepath", interactive=False, elem_id="speak-audio")
            info = gr.Markdown(elem_id="speak-info")
            files = gr.File(
                label="Downloads: WAV, MP3, subtitles (SRT, VTT)",
                file_count="multiple",
                interactive=False,
                elem_id="speak-files",
            )
            subtitles = gr.Textbox(label="Subtitles (WebVTT)", lines=6, interactive=False, buttons=["copy"])
            with gr.Group():
                check = gr.Button("Listening check: let Whisper transcribe it", elem_id="speak-check")
                check_info = gr.Markdown(elem_id="speak-check-info")
                check_diff = gr.HighlightedText(
                    label="What Whisper heard, against your text (said→heard)",
                    combine_adjacent=False,
                    color_map=ALIGNMENT_COLORS,
                )
            spoken_text = gr.Textbox(visible=False)
            spoken_language = gr.Textbox(visible=False)

    def engine_status():
        """When a page opens, not while the UI is built: the online check may take a few seconds."""
        return online_markdown(offline), engines_markdown(offline)

    ctx.on_page_load(
        engine_status,
        None,
        [online_status, engines_status],
        api_name="speak_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    # Live character count in the browser (typing, pasting, examples): no server round trip.
    text.change(
        None,
        text,
        counter,
        js=f"(t) => `${{t.length.toLocaleString()}} / {MAX_TEXT_CHARS:,} characters`"
        + f" + (t.length > {MAX_TEXT_CHARS} ? ' (too long)' : '')",
        api_name="text_counter",
        api_visibility="private",
    )

    def list_voices(engine="piper", language="", gender="any", search="", current=""):
        voices, choices = _voice_choices(engine, language, gender, search, offline)
        ids = [v.id for v in voices]
        value = (
            current
            if current in ids
            else (DEFAULT_VOICES.get(engine) if DEFAULT_VOICES.get(engine) in ids else (ids[0] if ids else None))
        )
        rows = _voice_rows(voices)
        if engine == "edge":
            ok, reason = ENGINES["edge"].reachability(offline)
            if not ok:
                gr.Warning(
                    f"Online voices are not reachable ({reason}). Speak will answer with a bundled voice "
                    "for the same language; or choose Piper or espeak-ng."
                )
        return gr.update(choices=choices, value=value), rows

    gr.on(
        [engine.change, language.submit, gender.change, search.submit],
        list_voices,
        [engine, language, gender, search, voice],
        [voice, voice_table],
        api_name="voices",
    )

    def engine_of_voice(voice, engine):
        """An example (or a typed id) names a voice of another engine: switch the engine to it."""
        owner = (voice or "").split(":", 1)[0]
        return owner if owner in ENGINES and owner != engine else gr.skip()

    voice.change(
        engine_of_voice,
        [voice, engine],
        engine,
        api_name="engine_of_voice",
        api_visibility="private",
        show_progress="hidden",
    )

    @user_errors
    def do_speak(
        text,
        engine="piper",
        voice="",
        speed=1.0,
        pause=1.0,
        length_scale=1.0,
        noise_scale=0.667,
        noise_w=0.8,
        pitch=50,
        rate=0,
        volume=0,
        edge_pitch=0,
        fallback=True,
        progress=gr.Progress(),
    ):
        options = SpeakOptions(
            engine=EngineOptions(
                speed=float(speed),
                length_scale=float(length_scale),
                noise_scale=float(noise_scale),
                noise_w=float(noise_w),
                pitch=int(pitch),
                rate=int(rate),
                volume=int(volume),
                edge_pitch=int(edge_pitch),
            ),
            pause=float(pause),
            fallback=bool(fallback),
            offline=offline,
        )
        engine = engine or "piper"
        if voice == PIPER_VOICE_ID and engine != "piper":
            voice = ""  # the form's initial voice: an API call naming only another engine gets its default
        progress(0, desc="Preparing the voice")
        result = speak(text, engine, voice, options, progress=lambda f, d: progress(f, desc=d))
        out = write_outputs(result, ctx.settings.new_output_dir("speak"))
        if result.voice.engine != engine:
            gr.Warning(result.engine_note)
        words = " Word timings from the voice's word boundaries." if result.words else ""
        load = (
            f" Loading the voice took {result.load_seconds:.1f} s (first use only)."
            if result.load_seconds > 0.05
            else ""
        )
        summary = (
            f"**Answered by:** {result.engine_note}  \n{len(result.sentences)} sentence(s), "
            f"{result.duration:.1f} s of speech made in {result.synth_seconds:.1f} s "
            f"(real-time factor {result.rtf:.2f}).{load}{words}"
        )
        vtt = (out.words_vtt or out.vtt).read_text(encoding="utf-8")
        return str(out.wav), [str(p) for p in out.all()], summary, vtt, result.text, result.voice.language

    run.click(
        do_speak,
        [
            text,
            engine,
            voice,
            speed,
            pause,
            length_scale,
            noise_scale,
            noise_w,
            pitch,
            rate,
            volume,
            edge_pitch,
            fallback,
        ],
        [audio_out, files, info, subtitles, spoken_text, spoken_language],
        api_name="speak",
        concurrency_limit=2,
    )

    @user_errors
    def do_check(audio, text, language="en", progress=gr.Progress()):
        if not audio:
            raise ValueError("Make some speech first: press Speak, then run the listening check.")
        if not (text or "").strip():
            raise ValueError("There is no text to compare the speech with.")
        progress(0.1, desc="Transcribing with Whisper")
        clip = ctx.load(audio)
        result = listening_check(clip.mono, clip.sr, text, language or "en")
        c = result.comparison
        md = (
            f"**Word error rate: {c.wer:.1%}** (character error rate {c.cer:.1%}) with bundled `{result.model}`: "
            f"{c.hits} of {c.reference_words} words heard right, {c.substitutions} wrong, {c.deletions} missed, "
            f"{c.insertions} extra. Lower is better; below 10% is easy to understand.  \n"
            f"**Whisper heard:** {result.transcript or '(nothing)'}"
        )
        return md, alignment_spans(c.alignment)

    check.click(
        do_check,
        [audio_out, spoken_text, spoken_language],
        [check_info, check_diff],
        api_name="listening_check",
        concurrency_limit=1,
    )
