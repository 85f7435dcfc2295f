"""Live captions tab: words on screen while you speak into the microphone. Widgets and wiring only.

The page records the microphone itself and sends every 0.1-s piece, in order, through the
microphone relay (``tabs/mic_relay.py``) into the visitor's :class:`LiveSession` (its own
decoding thread); a timer shows the captions and how far behind the server is. Nothing waits in
Gradio's queue per piece, so a busy server falls behind but loses no audio (issue 29).
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass

import gradio as gr

from pipelines.core.audio_inbox import AudioInbox
from pipelines.core.environment import engine_settings
from pipelines.core.files import safe_stem
from pipelines.live_captions import (
    AtCapacity,
    LiveOptions,
    LiveSession,
    Slots,
    timed_lines,
    write_transcript,
)
from pipelines.transcribe import LANGUAGES, SAMPLE_RATE, TranscribeOptions, transcribe

from . import mic_relay
from .common import TabContext, clear_on_error, downloadable, start_rule, user_errors
from .mic_relay import MicRelay

TITLE = "Live captions"

INTRO = """**Captions while you speak.** Press **Record** and talk: confirmed words appear in normal
type, the still-changing tail in *grey italics*. Press **Stop** for the whole transcript with
times, as TXT, SRT or VTT, and re-transcribe the recording at full offline quality if you like.
English uses the bundled Whisper **tiny.en**; other languages and live translation into English
use the bundled Whisper **base**. Everything runs on this server, offline."""

TICK_S = 0.3  # the page asks for new captions this often while recording (gr.Timer)
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


def status_text(caps, *extra: str, behind: float | None = None) -> str:
    parts = [f"**Engine:** {caps.engine}"]
    if caps.decodes:
        parts.append(f"{caps.decodes} decodes, real-time factor {caps.rtf:.2f}")
    if behind is not None:
        parts.append(f"behind the microphone: {behind:.1f} s")
    text = " · ".join(parts)
    for line in filter(None, [caps.message, *extra]):
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
            relay = MicRelay(elem_id="live-relay")
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
    timer = gr.Timer(TICK_S, active=False)

    def on_start(
        live, request: gr.Request, evt: gr.EventData, language: str = defaults.language, task: str = defaults.task
    ):
        """Record pressed: a new session reads the page's stream (nothing of the last recording stays)."""
        if live is not None:
            _close(live)
        box = mic_relay.inbox(request, evt)
        live, note = _start(LiveOptions(language=language, task=task), box)
        shown = captions_html(note=note) if note else captions_html()
        return shown, "", None, "", "", live, _status(live, note), gr.Timer(active=True)

    def on_tick(live):
        """What the captions are now, and how far behind the microphone the server is."""
        if live is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False), gr.skip()
        if isinstance(live, Waiting):  # at capacity: ask again for a place
            live.box.take()  # audio from before a place freed is not captioned
            if live.box.closed or live.box.last_push < time.monotonic() - IDLE_S:
                SLOTS.leave(live.owner)
                return gr.skip(), gr.skip(), mic_relay.stop_value(), gr.Timer(active=False), None
            started, note = _start(live.options, live.box)
            if note:
                return captions_html(note=note), f"**{note}**", gr.skip(), gr.skip(), gr.skip()
            return captions_html(), _status(started), gr.skip(), gr.skip(), started
        if getattr(live, "stopping", False):  # Stop has the last word (a late tick must not overwrite it)
            return gr.skip(), gr.skip(), gr.skip(), gr.Timer(active=False), gr.skip()
        cap = live.captioner
        changed = cap.version != getattr(live, "shown_version", -1) or cap.done
        live.shown_version = cap.version
        behind = round(live.behind_seconds() * 2) / 2  # in half seconds: the status changes less often
        message = (cap.message, behind, live.missed_text())
        message_changed = message != getattr(live, "shown_message", None)
        live.shown_message = message
        caps = live.captions() if changed or message_changed else None
        # the stream ended on the server (the length limit, or no audio for a while): the page stops
        ended = cap.done or not live.alive
        return (
            captions_html(caps) if changed else gr.skip(),
            status_text(caps, live.behind_text(), live.missed_text(), behind=behind)
            if changed or message_changed
            else gr.skip(),
            mic_relay.stop_value() if ended else gr.skip(),
            gr.Timer(active=not ended),
            gr.skip(),
        )

    def on_stop(live):
        if live is None or isinstance(live, Waiting):
            _close(live)
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), None, gr.Timer(active=False)
        live.stopping = True
        caps = live.stop()
        if getattr(live, "files", None) is None:  # stop may come twice (the page, and the limit): write once
            out = ctx.settings.new_output_dir("live")
            stem = recording_stem(caps.audio_seconds)
            paths = write_transcript(caps, out, f"{stem}-captions", gaps=live.inbox.gaps)
            import soundfile as sf

            wav = out / f"{stem}-recording.wav"  # what the server heard, 16 kHz mono (silence where audio never came)
            sf.write(wav, live.captioner.recording(), SAMPLE_RATE)
            # no speech: empty captions are not offered (issue 13, class 6), the recording is
            live.files = downloadable([paths[f] for f in ("srt", "vtt", "txt")] + [wav])
        extra = "" if caps.confirmed else "No speech was heard, so there is no transcript."
        missed = live.missed_text() or "Every second of the recording reached the server."
        text = timed_lines(caps) + (f"\n{missed}" if live.inbox.gaps else "")
        return captions_html(caps), text, live.files, status_text(caps, extra, missed), live, gr.Timer(active=False)

    def on_redo(live, language: str = defaults.language, task: str = defaults.task):
        if live is None or isinstance(live, Waiting):
            raise gr.Error("Record something first: the recording is re-transcribed when it has stopped.")
        if live.alive:
            live.stop()  # every piece received is in the recording before it is transcribed again
        audio = live.captioner.recording()
        if len(audio) < SAMPLE_RATE // 4:
            raise gr.Error("The recording is too short to transcribe.")
        result = transcribe(audio, TranscribeOptions(language=language, task=task), name="live recording")
        info = f"**Engine:** {result.engine} · {result.duration:.1f} s in {result.processing_seconds:.1f} s"
        notes = [" ".join(result.warnings()), live.missed_text()]
        return info + "".join(f"\n\n{n}" for n in notes if n), result.text

    relay.start_recording(  # a new recording: nothing of the last one stays (issue 13, class 1)
        user_errors(on_start),
        [session, language, task],
        [captions, transcript, files, redo_info, redo_text, session, status, timer],
        api_name="live_captions_start",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )
    timer.tick(
        on_tick,
        [session],
        [captions, status, relay, timer, session],
        api_name="live_captions_tick",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )
    relay.stop_recording(
        user_errors(on_stop),
        [session],
        [captions, transcript, files, status, session, timer],
        api_name="live_captions_stop",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
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


@dataclass
class Waiting:
    """A page that pressed Record while every place was taken: it waits in line (its audio is not kept)."""

    options: LiveOptions
    box: AudioInbox
    owner: str


def _start(options: LiveOptions, box: AudioInbox) -> tuple[LiveSession | Waiting, str]:
    """A session reading ``box``, or (at capacity) a place in line and the words that say so."""
    try:
        live = LiveSession(options, slots=SLOTS, idle_s=IDLE_S, inbox=box, owner=id(box))
    except AtCapacity as exc:
        return Waiting(options, box, id(box)), str(exc)
    return live, ""


def _status(live, note: str = "") -> str:
    return f"**{note}**" if note else status_text(live.captions())


def _close(live) -> None:
    """The visitor's page went away (or recorded again): end its stream (frees the thread and the slot)."""
    if isinstance(live, Waiting):
        SLOTS.leave(live.owner)
        live.box.close()
    elif live is not None:
        live.close(timeout=5)
