"""Diarize tab: who spoke when, offline, and a transcript that names its speakers (seed 004).

Widgets and wiring only; the work is in ``pipelines/diarize.py``.
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from pipelines import diarize as dz
from pipelines.clean_up import CLEAN_DEFAULT
from pipelines.core.config import format_seconds
from pipelines.core.files import safe_stem
from pipelines.core.registry import module_installed

from .clean_option import clean_dropdown, clean_first
from .common import (
    TabContext,
    audio_input,
    clear_on_error,
    clear_on_new_input,
    downloadable,
    example_files,
    show_warnings,
    start_rule,
    user_errors,
)
from .hub_choices import accept_set_apart, split_hub_choices
from .speakers import known_from, known_voices_file

TITLE = "Diarize"

INTRO = """**Who spoke when.** Record or upload a conversation (or click an example). The app finds the
speech, tells the voices apart and draws a timeline with one colour per speaker, a table of turns,
each speaker's talk time, and a transcript with a speaker on every line. Set the number of speakers
if you know it (0 = let the app estimate it between the minimum and maximum). Rename the speakers,
then download the turns (RTTM) and the transcript (TXT, SRT subtitles: a name before each line, or the
dash style, where a cue holding two speakers' lines puts "- " before each)."""

HOW_IT_WORKS = """- **pyannote.audio (offline, default)**: pyannote's own pipeline with models that install with the
  app: segmentation-3.0 finds speech, speaker changes and overlapped speech over 10 s windows; CAM++
  voice fingerprints (embeddings) are clustered into speakers. Where two people talk at once, both
  keep their turn: the timeline, the turns, the RTTM and the transcript show both.
- **Light (offline: resemblyzer)**: Silero voice activity detection finds speech; the resemblyzer
  voice encoder turns every 1.5 s of speech (every 0.25 s) into a voice fingerprint; Ward clustering
  groups them into speakers. Overlapping speech is given to one speaker. It is also the fallback
  where pyannote cannot load.
- **Transcript**: the bundled Whisper tiny.en (English) writes words with times; each word goes to
  the speaker whose turn holds it.
- **Known voices**: voices enrolled in the Speakers tab (or a known-voices file through the API)
  name the speakers they match; the others are "unknown 1", "unknown 2".
- **pyannote (model hub)**: pyannote's newest pipeline from the Hugging Face hub; it needs the hub
  and a token of an account that accepted the model's terms."""

EXAMPLES = ["two_speakers_pyannote.wav", "speech_librivox.wav"]
ENGINES = [
    ("pyannote.audio (offline)", dz.OFFLINE_ENGINE),
    ("Light (offline: resemblyzer)", "bundled"),
    ("pyannote (model hub)", "pyannote"),
]
OFFLINE_ENGINES = ENGINES[:2]
SPEAKER_STYLES = [("Name: text", "name"), ("- dash at a change of speaker", "dash")]
DEFAULTS = dz.DiarizeOptions()  # the defaults, written once: the widgets and the handler's keyword defaults read them


def _outputs(result, words, files, shown, state, info=None):
    transcript = (
        dz.transcript_text(dz.utterances(words, result.turns), shown)
        if words is not None
        else "(transcript not requested)"
    )
    return [
        gr.skip() if info is None else info,
        str(files.timeline),
        dz.talk_rows(result, shown),
        dz.turns_rows(result, shown),
        transcript,
        downloadable(files.rttm),
        downloadable(files.txt),
        downloadable(files.srt),
        dz.name_rows(result, shown),
        state,
    ]


def pyannote_state(offline: bool) -> tuple[list, str, bool]:
    """(engine choices, note, pyannote usable): pyannote is set apart while it cannot be used here,
    for want of its package or of the model hub (issue 13, class 3); a missing token does not hide it."""
    engines = split_hub_choices(ENGINES, {"pyannote"})
    if not module_installed("pyannote.audio"):
        _ok, reason = dz.pyannote_availability(None, offline=offline)
        return OFFLINE_ENGINES, f"pyannote: not available: {reason}.", False
    if not engines.reachable:
        return engines.offered, engines.note, False
    return ENGINES, "pyannote: ready when a token is given.", True


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(False)
    engines, pyannote_note, pyannote_ok = pyannote_state(ctx.settings.offline)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            audio = audio_input()
            gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            with gr.Row():
                num = gr.Number(
                    DEFAULTS.num_speakers,
                    label="Speakers (0 = auto)",
                    minimum=0,
                    maximum=dz.MAX_SPEAKERS,
                    precision=0,
                    elem_id="num-speakers",
                )
                lo = gr.Number(
                    DEFAULTS.min_speakers, label="Auto: at least", minimum=1, maximum=dz.MAX_SPEAKERS, precision=0
                )
                hi = gr.Number(
                    DEFAULTS.max_speakers, label="Auto: at most", minimum=1, maximum=dz.MAX_SPEAKERS, precision=0
                )
            transcribe = gr.Checkbox(
                dz.DEFAULT_TRANSCRIBE, label="Transcript with speakers (bundled Whisper tiny.en, English)"
            )
            speaker_style = gr.Radio(
                SPEAKER_STYLES,
                value=dz.SUBTITLE_DEFAULTS.speaker_style,
                label="Speakers in the subtitles (SRT)",
                elem_id="diarize-speaker-style",
            )
            clean = clean_dropdown("diarize-clean")
            with gr.Accordion("Engine", open=False):
                engine = gr.Radio(
                    engines,
                    value=dz.DEFAULT_ENGINE,
                    label="Diarization engine",
                    elem_id="diarize-engine",
                )
                accept_set_apart(engine, ENGINES)  # the API may still ask for pyannote, and hears why not
                pyannote_md = gr.Markdown(pyannote_note, elem_id="pyannote-status")
                token = gr.Textbox(
                    "",
                    label="Hugging Face token (pyannote only; not stored)",
                    type="password",
                    visible=pyannote_ok,
                    elem_id="diarize-token",
                )
            run = gr.Button("Find speakers", variant="primary")
            with gr.Accordion("How it works", open=False):
                gr.Markdown(HOW_IT_WORKS)
        with gr.Column(scale=2):
            info = gr.Markdown(label="Summary", elem_id="diarize-info")
            timeline = gr.Image(
                label="Timeline: who spoke when",
                type="filepath",
                format="png",
                interactive=False,
                buttons=["download", "fullscreen"],
                elem_id="diarize-timeline",
            )
            talk = gr.Dataframe(
                headers=["Speaker", "Name", "Talk time (s)", "Share", "Turns"],
                label="Talk time",
                interactive=False,
                elem_id="diarize-talk",
            )
            transcript = gr.Textbox(
                label="Transcript with speakers",
                lines=8,
                max_lines=20,
                interactive=False,
                buttons=["copy"],
                elem_id="diarize-transcript",
            )
            with gr.Group():
                names = gr.Dataframe(
                    headers=["Speaker", "Name"],
                    label="Rename speakers (type in the Name column)",
                    interactive=True,
                    static_columns=[0],
                    elem_id="diarize-names",
                )
                rename = gr.Button("Apply names to the timeline, tables and downloads")
            with gr.Row():
                rttm = gr.File(label="Turns (RTTM)", interactive=False, elem_id="diarize-rttm")
                txt = gr.File(label="Transcript (TXT)", interactive=False, elem_id="diarize-txt")
                srt = gr.File(label="Subtitles (SRT)", interactive=False, elem_id="diarize-srt")
            turns = gr.Dataframe(
                headers=["Start (s)", "End (s)", "Length (s)", "Speaker"],
                label="Turns",
                interactive=False,
                elem_id="diarize-turns",
            )
            state = gr.State()
            names_text = gr.Textbox(
                "", label="Speaker names", visible=False
            )  # API only: 'Alice, Bob' or 'SPEAKER_01=Bob'

    @user_errors
    def find_speakers(
        source,
        num_speakers=DEFAULTS.num_speakers,
        min_speakers=DEFAULTS.min_speakers,
        max_speakers=DEFAULTS.max_speakers,
        transcribe=dz.DEFAULT_TRANSCRIBE,
        engine=dz.DEFAULT_ENGINE,
        hub_token="",
        speaker_names="",
        clean_audio=CLEAN_DEFAULT,
        speaker_style=dz.SUBTITLE_DEFAULTS.speaker_style,
        known_voices=None,
        progress=gr.Progress(),
    ):
        """Find who spoke when in a conversation; returns the timeline, talk time, turns, a speaker-attributed transcript and RTTM/TXT/SRT files.

        Args:
            source: the recording (any audio format).
            num_speakers: how many people speak; 0 = estimate between min_speakers and max_speakers.
            min_speakers: fewest speakers to consider when estimating.
            max_speakers: most speakers to consider when estimating.
            transcribe: also write what each speaker said (English, bundled Whisper tiny.en).
            engine: "pyannote-offline" (pyannote.audio offline, keeps overlapped speech), "bundled" (light,
                resemblyzer) or "pyannote" (needs the hub and a token).
            hub_token: a Hugging Face token, for the pyannote engine only.
            speaker_names: names for the speakers in order, e.g. "Alice, Bob".
            clean_audio: clean the audio first: "off", "denoise" or "voice only".
            speaker_style: subtitles' speakers: "name" ('SPEAKER_00: text') or "dash" ('- ' before each speaker's line
                in a cue shared by two speakers).
            known_voices: a known-voices JSON file (from enroll_voice): recognised speakers are named, the
                others "unknown 1", "unknown 2".
        """
        known = known_from(known_voices)
        num_speakers, min_speakers, max_speakers = dz.check_counts(num_speakers, min_speakers, max_speakers)
        source = clean_first(ctx, source, clean_audio)
        progress(0.02, desc="Loading audio")
        audio = ctx.open_mono(source, dz.SAMPLE_RATE)  # 16 kHz mono, never the upload's rate and channels whole
        show_warnings(audio.warnings)
        stem = safe_stem(audio.name, "audio")
        outcome = dz.run(
            np.asarray(audio.samples),
            audio.sr,
            ctx.settings.new_output_dir("diarize"),
            stem=stem,
            options=dz.DiarizeOptions(num_speakers=num_speakers, min_speakers=min_speakers, max_speakers=max_speakers),
            engine=engine or dz.DEFAULT_ENGINE,
            hub_token=hub_token,
            offline=ctx.settings.offline,
            transcribe=bool(transcribe),
            names=speaker_names,
            progress=lambda f, d: progress(f, desc=d),
            subtitles=dz.SubtitleOptions(speaker_style=speaker_style or dz.SUBTITLE_DEFAULTS.speaker_style),
            known_voices=known,
        )
        r = outcome.result
        n = len(r.speakers)
        info = (
            f"**{n} speaker{'s' if n != 1 else ''}** · {r.how} · {format_seconds(r.speech_seconds)} of speech in "
            f"{format_seconds(r.duration)} · diarized in {outcome.seconds:.1f} s"
            f"{' (first run: includes loading the models)' if outcome.loaded_now else ''}\n\n"
            f"Engine: {'offline: ' if engine != 'pyannote' else ''}{r.engine}"
            + (
                f"; transcript: {outcome.transcript_engine}, words joined to turns by overlap"
                if outcome.words is not None
                else ""
            )
        )
        return _outputs(r, outcome.words, outcome.files, outcome.names, dz.outcome_state(outcome, stem), info)

    outputs = [info, timeline, talk, turns, transcript, rttm, txt, srt, names, state]
    event = gr.on(
        [run.click],
        find_speakers,
        [audio, num, lo, hi, transcribe, engine, token, names_text, clean, speaker_style, known_voices_file(ctx)],
        outputs,
        api_name="diarize",
        concurrency_limit=2,
        show_progress_on=[info],  # one progress indicator per action (issue 13)
    )
    clear_on_error(event, outputs)
    clear_on_new_input(audio, outputs, api_name="diarize_clear_stale")

    def refresh_engines(current=dz.DEFAULT_ENGINE):
        engines, note, usable = pyannote_state(ctx.settings.offline)
        keys = [k for _, k in engines]
        chosen = current if current in keys else dz.DEFAULT_ENGINE
        return gr.update(choices=engines, value=chosen), note, gr.update(visible=usable)

    # the hub check finishes after start-up: refresh on every visit
    ctx.on_page_load(
        refresh_engines,
        [engine],
        [engine, pyannote_md, token],
        api_name="diarize_engines",
        api_visibility="undocumented",
        show_progress="hidden",
    )

    @user_errors
    def apply_names(table, saved):
        result, words = dz.result_from_state(saved)
        given = dz.names_from_rows(table)
        subtitles = dz.subtitles_from_state(saved)
        files, shown = dz.render(result, words, ctx.settings.new_output_dir("diarize"), saved["stem"], given, subtitles)
        return _outputs(result, words, files, shown, saved)

    rename.click(
        apply_names,
        [names, state],
        outputs,
        api_name="rename_speakers",
        api_visibility="undocumented",
        concurrency_limit=2,
    )
