"""Live captions tab: words on screen while you speak into the microphone. Widgets and wiring only.

The browser streams the microphone in about 0.1-s pieces (48 kHz), handled one after another:
the handler only feeds the visitor's :class:`LiveSession` (its own decoding thread) and shows
what is there, skipping the update when nothing changed.
"""

from __future__ import annotations

import html

import gradio as gr
import numpy as np

from pipelines.core.environment import engine_settings
from pipelines.core.files import safe_stem
from pipelines.live_captions import (
    AtCapacity,
    LiveOptions,
    LiveSession,
    Slots,
    recording_seconds_text,
    timed_lines,
    write_transcript,
)
from pipelines.transcribe import LANGUAGES, SAMPLE_RATE, TranscribeOptions, transcribe

from .common import TabContext, clear_on_error, downloadable, start_rule, user_errors

TITLE = "Live captions"

INTRO = """**Captions while you speak.** Press **Record** and talk: confirmed words appear in normal
type, the still-changing tail in *grey italics*. Press **Stop** for the whole transcript with
times, as TXT, SRT or VTT, and re-transcribe the recording at full offline quality if you like.
English uses the bundled Whisper **tiny.en**; other languages and live translation into English
use the bundled Whisper **base**. Everything runs on this server, offline."""

STREAM_EVERY_S = 0.1  # the browser sends a piece this often
METER_EVERY_S = 0.3  # the level meter is redrawn this often (each update costs the server a message)
# How many visitors may stream at once: one per two CPU cores. benchmarks/bench_live_captions.py on the
# 2-core development machine, unloaded: 1 tiny.en stream keeps up (lag p90 0.80 s, not growing), 2 fall
# behind (p90 2.03 s, growing). AUDIO_STUDIO_LIVE_STREAMS overrides it for a bigger machine.
STREAMS = engine_settings().live_streams
IDLE_S = engine_settings().live_idle_s  # no audio this long: the stream is over
SLOTS = Slots(STREAMS)

CSS = """
#live-captions .live-box { font-size: 1.35rem; line-height: 1.6; min-height: 7.5em; max-height: 16em;
  overflow-y: auto; padding: 0.6em 0.8em; border-radius: 8px; background: var(--background-fill-secondary); }
#live-captions .tentative { color: var(--body-text-color-subdued); font-style: italic; }
#live-captions .placeholder { color: var(--body-text-color-subdued); }
#live-meter .meter { height: 12px; border-radius: 6px; background: var(--background-fill-secondary); overflow: hidden; }
#live-meter .meter > div { height: 100%; background: linear-gradient(90deg, #22c55e, #eab308 75%, #ef4444); }
#live-meter .meter-label { font-size: 0.85rem; color: var(--body-text-color-subdued); }
"""


def language_choices() -> list[tuple[str, str]]:
    return [("Detect (Whisper base)", "auto")] + [(f"{name} ({code})", code) for code, name in LANGUAGES.items()]


def captions_html(caps=None, note: str = "") -> str:
    if caps is None or not (caps.confirmed or caps.tentative):
        text = html.escape(note or "Captions appear here while you speak.")
        return f"<div class='live-box'><span class='placeholder'>{text}</span></div>"
    confirmed = html.escape(caps.confirmed_text)
    tentative = html.escape(caps.tentative_text)
    tail = f" <span class='tentative'>{tentative}</span>" if tentative else ""
    return f"<div class='live-box'><span class='confirmed'>{confirmed}</span>{tail}</div>"


def meter_html(level_db: float = -120.0, seconds: float = 0.0) -> str:
    width = int(np.clip((level_db + 60.0) / 60.0, 0.0, 1.0) * 100)
    return (
        f"<div class='meter' title='microphone level'><div style='width:{width}%'></div></div>"
        f"<div class='meter-label'>Level {max(level_db, -99):.0f} dBFS · {recording_seconds_text(seconds)} heard</div>"
    )


def status_text(caps, extra: str = "") -> str:
    parts = [f"**Engine:** {caps.engine}"]
    if caps.decodes:
        parts.append(f"{caps.decodes} decodes, real-time factor {caps.rtf:.2f}")
    text = " · ".join(parts)
    for line in filter(None, [caps.message, extra]):
        text += f"\n\n**{line}**"
    return text


def build(ctx: TabContext) -> None:
    gr.HTML(f"<style>{CSS}</style>", padding=False)
    gr.Markdown(INTRO)
    start_rule(True)  # Record starts the captions; the full-quality pass waits for its button
    defaults = LiveOptions()
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            with gr.Row():
                language = gr.Dropdown(
                    language_choices(), value=defaults.language, label="Language", elem_id="live-language"
                )
                task = gr.Radio(["transcribe", "translate"], value=defaults.task, label="Task", elem_id="live-task")
            mic = gr.Audio(
                sources=["microphone"],
                streaming=True,
                type="numpy",
                label="Microphone",
                elem_id="live-audio",
                waveform_options=gr.WaveformOptions(show_recording_waveform=False),
            )
            meter = gr.HTML(meter_html(), elem_id="live-meter")
            status = gr.Markdown(
                "Visitors who can stream at once: {n}; each stream may last {minutes} minutes.".format(
                    n=STREAMS, minutes=f"{defaults.max_seconds / 60:g}"
                ),
                elem_id="live-status",
            )
        with gr.Column(scale=2, min_width=300):
            captions = gr.HTML(captions_html(), elem_id="live-captions")
            transcript = gr.Textbox(
                label="Transcript with times (when stopped)",
                lines=6,
                interactive=False,
                buttons=["copy"],
                elem_id="live-transcript",
            )
            files = gr.File(
                label="Download SRT · VTT · TXT, and the recording (WAV)",
                file_count="multiple",
                interactive=False,
                elem_id="live-files",
            )
            redo = gr.Button("Re-transcribe the recording at full quality", elem_id="live-redo")
            redo_info = gr.Markdown(elem_id="live-redo-info")
            redo_text = gr.Textbox(
                label="Full-quality transcript", lines=5, interactive=False, elem_id="live-redo-text"
            )
    session = gr.State(None, delete_callback=_close)

    def on_chunk(chunk, live, language: str = defaults.language, task: str = defaults.task):
        if chunk is None:
            return gr.skip(), gr.skip(), gr.skip(), live
        sr, data = chunk
        if live is None or live.captioner.done:
            if live is not None:
                return gr.skip(), gr.skip(), gr.skip(), live  # finished (stop or limit): ignore the rest
            try:
                live = _start(language, task)
            except AtCapacity as exc:  # told plainly, on every piece, until a place frees
                return captions_html(note=str(exc)), gr.skip(), f"**{exc}**", None
        live.feed(data, int(sr))
        cap = live.captioner
        if cap.over_limit:
            live.stop()
        # only what changed goes back to the page: this runs for every 0.1-s piece
        changed = cap.version != getattr(live, "shown_version", -1) or cap.done
        message = (cap.message, live.lost_text())
        message_changed = message != getattr(live, "shown_message", None)
        live.shown_version, live.shown_message = cap.version, message
        caps = live.captions() if changed or message_changed else None
        meter_due = cap.audio_seconds - getattr(live, "shown_meter_s", -1.0) >= METER_EVERY_S
        if meter_due:
            live.shown_meter_s = cap.audio_seconds
        return (
            captions_html(caps) if changed else gr.skip(),
            meter_html(cap.level_db, cap.audio_seconds) if meter_due else gr.skip(),
            status_text(caps, message[1]) if changed or message_changed else gr.skip(),
            live,
        )

    def on_stop(live):
        if live is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), live
        caps = live.stop()
        if getattr(live, "files", None) is None:  # stop_recording may fire twice: write once
            out = ctx.settings.new_output_dir("live")
            stem = recording_stem(caps.audio_seconds)
            paths = write_transcript(caps, out, f"{stem}-captions")
            import soundfile as sf

            wav = out / f"{stem}-recording.wav"  # what the server heard, 16 kHz mono
            sf.write(wav, live.captioner.recording(), SAMPLE_RATE)
            # no speech: empty captions are not offered (issue 13, class 6), the recording is
            live.files = downloadable([paths[f] for f in ("srt", "vtt", "txt")] + [wav])
        extra = "" if caps.confirmed else "No speech was heard, so there is no transcript."
        return captions_html(caps), timed_lines(caps), live.files, status_text(caps, extra), live

    def on_redo(live, language: str = defaults.language, task: str = defaults.task):
        if live is None:
            raise gr.Error("Record something first: the recording is re-transcribed when it has stopped.")
        audio = live.captioner.recording()
        if len(audio) < SAMPLE_RATE // 4:
            raise gr.Error("The recording is too short to transcribe.")
        result = transcribe(audio, TranscribeOptions(language=language, task=task), name="live recording")
        info = f"**Engine:** {result.engine} · {result.duration:.1f} s in {result.processing_seconds:.1f} s"
        warnings = " ".join(result.warnings())
        return (info + (f"\n\n{warnings}" if warnings else "")), result.text

    def on_start(live):
        if live is not None:
            live.stop(timeout=5)
        return captions_html(), meter_html(), "", None, "", "", None

    mic.start_recording(  # a new recording: nothing of the last one stays (issue 13, class 1)
        on_start,
        [session],
        [captions, meter, transcript, files, redo_info, redo_text, session],
        api_name="live_captions_start",
        show_progress="hidden",
    )
    mic.stream(
        user_errors(on_chunk),
        [mic, session, language, task],
        [captions, meter, status, session],
        stream_every=STREAM_EVERY_S,
        time_limit=defaults.max_seconds + 30,
        concurrency_limit=None,  # each visitor's decoding runs in its own thread; SLOTS bounds them
        show_progress="hidden",
        api_name="live_captions_chunk",
    )
    mic.stop_recording(
        user_errors(on_stop),
        [session],
        [captions, transcript, files, status, session],
        api_name="live_captions_stop",
        show_progress="hidden",
    )
    redo_event = redo.click(
        user_errors(on_redo),
        [session, language, task],
        [redo_info, redo_text],
        api_name="live_captions_redo",
        concurrency_limit=1,
    )
    clear_on_error(redo_event, [redo_info, redo_text])


def recording_stem(seconds: float) -> str:
    """Download names of a live recording, after its length: ``live-0m05s`` + ``-captions.srt`` or
    ``-recording.wav`` (issue 13, class 6)."""
    m, s = divmod(int(seconds), 60)
    return safe_stem(f"live-{m}m{s:02d}s")


def _start(language: str, task: str) -> LiveSession:
    return LiveSession(LiveOptions(language=language, task=task), slots=SLOTS, idle_s=IDLE_S)


def _close(live) -> None:
    """The visitor's page went away: end its stream (frees the thread and the slot)."""
    if live is not None:
        live.stop(timeout=5)
