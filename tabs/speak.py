"""Speak tab: text to speech (seed 004). Widgets and wiring only; the work is in pipelines.speak."""

from __future__ import annotations

import gradio as gr

from pipelines import speak as sp
from pipelines.engines.tts import PIPER_VOICE_ID, EdgeOptions, EspeakOptions, PiperOptions
from pipelines.formats.text_metrics import alignment_spans
from pipelines.speak import MAX_TEXT_CHARS, SAMPLE_TEXT, SAMPLE_TEXT_KO, SpeakOptions

from .common import ALIGNMENT_COLORS, TabContext, clear_on_error, clear_on_new_input, start_rule, user_errors

# The live character count, in the language the page shows (issue 30: it stayed English for a Korean page)
COUNTER_JS = """(t) => {
  const ko = /[\\uac00-\\ud7a3]/.test(document.querySelector('#intro')?.innerText || '');
  const n = t.length.toLocaleString(), max = (MAX_CHARS).toLocaleString(), over = t.length > MAX_CHARS;
  return ko ? `${n} / ${max}자` + (over ? ' (너무 김)' : '') : `${n} / ${max} characters` + (over ? ' (too long)' : '');
}"""

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
# Offline the online choice stays (its example and the API still answer, with a bundled voice),
# but its label says so (issue 13, class 3), beside the reason under the radio.
EDGE_OFFLINE_LABEL = "Edge online voices: not reachable here, a bundled voice answers instead"


def engine_choices(online_ok: bool) -> list[tuple[str, str]]:
    """The engine radio's choices: the online one marked when it cannot be reached."""
    if online_ok:
        return ENGINE_CHOICES
    return [(EDGE_OFFLINE_LABEL, v) if v == "edge" else (label, v) for label, v in ENGINE_CHOICES]


# (text, voice, engine): an example sets all three in one event, then lists that engine's
# voices (chained). Setting only the voice and letting change events switch the engine and
# relist the voices raced under load: the Korean example could end on 'espeak:en-us' (issue 20).
EXAMPLES = [
    [SAMPLE_TEXT, PIPER_VOICE_ID, "piper"],
    [SAMPLE_TEXT_KO, "espeak:ko", "espeak"],
    ["Bonjour tout le monde. Ceci est une voix de synthèse.", "espeak:fr-fr+f3", "espeak"],
    ["Hello! This is one of the online voices, with word-by-word subtitles.", "edge:en-US-AriaNeural", "edge"],
]
EXAMPLE_LABELS = [
    "English paragraph: Piper, Joe",
    "Korean: espeak-ng ko",
    "French: espeak-ng fr-fr, female",
    "English: Edge online voice Aria (bundled voice when offline)",
]
VOICE_HEADERS = ["Voice id", "Name", "Language", "Gender", "Engine"]

# The defaults, written once in the pipeline and the engines: the widgets and the handlers read them.
DEFAULTS, PIPER, ESPEAK, EDGE = SpeakOptions(), PiperOptions(), EspeakOptions(), EdgeOptions()


def _voice_choices(engine: str, language: str, gender: str, search: str, offline: bool):
    voices = sp.find_voices(engine, language or "", gender or "", search or "", offline=offline)
    return voices, [sp.voice_choice(v) for v in voices]


def build(ctx: TabContext) -> None:
    offline = ctx.settings.offline
    gr.Markdown(INTRO)
    start_rule(True)  # an example click speaks it; typed text waits for the button
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            text = gr.Textbox(
                label="Text to speak", lines=7, placeholder="Type or paste text here...", elem_id="speak-text"
            )
            counter = gr.Markdown(f"0 / {MAX_TEXT_CHARS:,} characters", elem_id="speak-counter")
            engine = gr.Radio(ENGINE_CHOICES, value=sp.DEFAULT_ENGINE, label="Engine", elem_id="speak-engine")
            online_status = gr.Markdown(
                "Online voices: checking whether they are reachable...", elem_id="speak-online-status"
            )
            with gr.Accordion("Find a voice (language, gender, name)", open=False):
                with gr.Row():
                    language = gr.Textbox(label="Language", placeholder="e.g. ko, en-GB, Korean")
                    gender = gr.Radio(["any", "female", "male"], value="any", label="Gender")
                search = gr.Textbox(label="Search by name or id")
                voice_table = gr.Dataframe(
                    sp.voice_rows(sp.find_voices(sp.DEFAULT_ENGINE)),
                    headers=VOICE_HEADERS,
                    label="Matching voices",
                    interactive=False,
                    max_height=240,
                    elem_id="speak-voice-table",
                )
            voice = gr.Dropdown(
                _voice_choices(sp.DEFAULT_ENGINE, "", "", "", offline)[1],
                value=sp.DEFAULT_VOICES[sp.DEFAULT_ENGINE],
                label="Voice",
                allow_custom_value=True,
                filterable=True,  # 200 voices: typing narrows the list
                elem_id="speak-voice",
            )
            with gr.Row():
                speed = gr.Slider(0.5, 2.0, value=DEFAULTS.speed, step=0.05, label="Speed (1 = normal)")
                pause = gr.Slider(0.0, 3.0, value=DEFAULTS.pause, step=0.1, label="Pauses between sentences (x)")
            with gr.Accordion("Piper controls", open=False):
                length_scale = gr.Slider(
                    0.5, 2.0, value=PIPER.length_scale, step=0.05, label="Length scale (> 1 slower)"
                )
                noise_scale = gr.Slider(
                    0.0, 1.5, value=PIPER.noise_scale, step=0.01, label="Noise scale (expressiveness)"
                )
                noise_w = gr.Slider(0.0, 1.5, value=PIPER.noise_w, step=0.01, label="Noise-w scale (rhythm variation)")
            with gr.Accordion("espeak-ng controls", open=False):
                pitch = gr.Slider(0, 99, value=ESPEAK.pitch, step=1, label="Pitch (0-99)")
            # the online voices' own controls: hidden while they cannot be reached (issue 13, class 3);
            # the engine stays, since choosing it answers with a bundled voice (the line under it says so)
            with gr.Accordion("Edge online voice controls", open=False, elem_id="speak-edge-controls") as edge_controls:
                rate = gr.Slider(-50, 100, value=EDGE.rate, step=5, label="Rate (%)")
                volume = gr.Slider(-50, 50, value=EDGE.volume, step=5, label="Volume (%)")
                edge_pitch = gr.Slider(-50, 50, value=EDGE.pitch, step=5, label="Pitch (Hz)")
            fallback = gr.Checkbox(DEFAULTS.fallback, label="If the online voices are unreachable, use a bundled voice")
            examples = gr.Examples(  # above the button it fills for (issue 13, class 7)
                EXAMPLES,
                inputs=[text, voice, engine],
                label="Examples (click one)",
                example_labels=EXAMPLE_LABELS,
            )
            run = gr.Button("Speak", variant="primary", elem_id="speak-button")
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

    def _online_ok() -> bool:
        return all(e.availability(offline)[0] for e in sp.ENGINES.values() if e.online)

    def engine_status():
        """When a page opens, not while the UI is built: the online check may take a few seconds."""
        online_ok = _online_ok()
        return (
            sp.online_markdown(offline),
            sp.engines_markdown(offline),
            gr.update(visible=online_ok),
            gr.update(choices=engine_choices(online_ok)),
        )

    ctx.on_page_load(
        engine_status,
        None,
        [online_status, engines_status, edge_controls, engine],
        api_name="speak_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    # Live character count in the browser (typing, pasting, examples): no server round trip.
    text.change(
        None,
        text,
        counter,
        js=COUNTER_JS.replace("MAX_CHARS", str(MAX_TEXT_CHARS)),
        api_name="text_counter",
        api_visibility="private",
    )

    def list_voices(engine=sp.DEFAULT_ENGINE, language="", gender="any", search="", current=""):
        voices, choices = _voice_choices(engine, language, gender, search, offline)
        warning = sp.unreachable_warning(engine, offline)
        if warning:
            gr.Warning(warning)
        return gr.update(choices=choices, value=sp.pick_voice(engine, voices, current)), sp.voice_rows(voices)

    gr.on(
        # engine.input (a visitor's click), not engine.change: a change event also fired when an
        # example set the engine, and under load it could read the voice from before the example
        # and replace 'espeak:ko' with the engine's default voice (the Korean-example race).
        [engine.input, language.submit, gender.change, search.submit],
        list_voices,
        [engine, language, gender, search, voice],
        [voice, voice_table],
        api_name="voices",
    )

    # After an example has set text, voice and engine (one event), list that engine's voices:
    # chained, so it reads the example's values.
    def voices_of_example(engine=sp.DEFAULT_ENGINE, language="", gender="any", search="", current=""):
        """The example's engine's voices; and the engine labels again, since Gradio's example
        click sends back every input's build-time settings (the offline Edge label was lost)."""
        voices, table = list_voices(engine, language, gender, search, current)
        return voices, table, gr.update(choices=engine_choices(_online_ok()))

    example_voices = examples.load_input_event.then(
        voices_of_example,
        [engine, language, gender, search, voice],
        [voice, voice_table, engine],
        api_name="voices_of_example",
        api_visibility="private",
    )

    def engine_of_voice(voice, engine):
        """A typed or chosen id names a voice of another engine: switch the engine to it."""
        owner = sp.engine_of_voice(voice)
        return owner if owner and owner != engine else gr.skip()

    voice.input(  # a visitor's choice or typed id; examples set the engine themselves
        engine_of_voice,
        [voice, engine],
        engine,
        api_name="engine_of_voice",
        api_visibility="private",
        show_progress="hidden",
    ).then(
        list_voices,
        [engine, language, gender, search, voice],
        [voice, voice_table],
        api_name="voices_of_voice",
        api_visibility="private",
    )

    @user_errors
    def do_speak(
        text,
        engine=sp.DEFAULT_ENGINE,
        voice="",
        speed=DEFAULTS.speed,
        pause=DEFAULTS.pause,
        length_scale=PIPER.length_scale,
        noise_scale=PIPER.noise_scale,
        noise_w=PIPER.noise_w,
        pitch=ESPEAK.pitch,
        rate=EDGE.rate,
        volume=EDGE.volume,
        edge_pitch=EDGE.pitch,
        fallback=DEFAULTS.fallback,
        progress=gr.Progress(),
    ):
        """Read text aloud and return the speech (WAV), its downloads (WAV, MP3, SRT, VTT) and subtitles.

        Args:
            text: the text to speak, up to 5,000 characters; long text is read sentence by sentence.
            engine: "piper" (bundled US English voice), "espeak" (bundled, ~130 languages) or "edge" (online voices).
            voice: a voice id from /voices, e.g. "espeak:ko"; empty = the engine's default voice.
            speed: speaking pace for every engine, 1 = the voice's normal pace.
            pause: multiplies the pauses between sentences.
            length_scale: Piper only: longer phonemes above 1 (slower speech).
            noise_scale: Piper only: variation in the voice's timbre.
            noise_w: Piper only: variation in phoneme lengths.
            pitch: espeak-ng only: voice pitch, 0 to 99.
            rate: online voices only: rate change such as "+10%".
            volume: online voices only: volume change such as "-5%".
            edge_pitch: online voices only: pitch change such as "+20Hz".
            fallback: when the online voice is unreachable, answer with the closest bundled voice.
        """
        options = SpeakOptions(
            speed=float(speed),
            pause=float(pause),
            fallback=bool(fallback),
            offline=offline,
            engines={
                "piper": PiperOptions(float(length_scale), float(noise_scale), float(noise_w)),
                "espeak": EspeakOptions(int(pitch)),
                "edge": EdgeOptions(int(rate), int(volume), int(edge_pitch)),
            },
        )
        engine, voice = sp.requested_voice(engine, voice)
        progress(0, desc="Preparing the voice")
        result = sp.speak(text, engine, voice, options, progress=lambda f, d: progress(f, desc=d))
        out = sp.write_outputs(result, ctx.settings.new_output_dir("speak"), sp.speech_stem(result.text))
        if result.voice.engine != engine:
            gr.Warning(result.engine_note)
        for warning in result.warnings:
            gr.Warning(warning)
        summary = sp.result_markdown(result)
        vtt = (out.words_vtt or out.vtt).read_text(encoding="utf-8")
        return str(out.wav), [str(p) for p in out.all()], summary, vtt, result.text, result.voice.language

    speak_inputs = [
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
    ]
    results = [audio_out, files, info, subtitles, spoken_text, spoken_language, check_info, check_diff]
    speak_outputs = results[:6]
    # quick: an example is spoken at once, once its engine's voices are listed (chained above)
    clear_on_error(
        example_voices.then(
            do_speak,
            speak_inputs,
            speak_outputs,
            api_name="speak_example",
            api_visibility="private",
            concurrency_limit=2,
        ),
        results,
    )
    # other text: the speech, its files and the listening check of the old text go (in the page: every key)
    clear_on_new_input(text, results, api_name="speak_clear_stale", in_browser=True)
    speak_event = run.click(
        do_speak,
        speak_inputs,
        speak_outputs,
        api_name="speak",
        concurrency_limit=2,
    )
    clear_on_error(speak_event, results)

    @user_errors
    def do_check(audio, text, language="en", progress=gr.Progress()):
        sp.check_listening_request(audio, text)
        progress(0.1, desc="Transcribing with Whisper")
        clip = ctx.load(audio)
        result = sp.listening_check(clip.mono, clip.sr, text, language or "en")
        if result.warning:
            gr.Warning(result.warning)
        return sp.listening_markdown(result), alignment_spans(result.comparison.alignment)

    check.click(
        do_check,
        [audio_out, spoken_text, spoken_language],
        [check_info, check_diff],
        api_name="listening_check",
        concurrency_limit=1,
    )
