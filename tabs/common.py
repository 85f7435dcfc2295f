"""What every tab shares: the app context, the audio input widget, and error reporting."""

from __future__ import annotations

import functools
import inspect
import logging
import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from pipelines.core.audio import AudioInput, load_audio
from pipelines.core.audio_stream import MonoAudio, load_bounded, open_mono
from pipelines.core.config import Settings
from pipelines.core.errors import UserError

log = logging.getLogger("audio_ai_studio")

# Colours of pipelines.text_metrics.alignment_spans labels in gr.HighlightedText.
ALIGNMENT_COLORS = {"substitution": "#fde68a", "insertion": "#bfdbfe", "deletion": "#fca5a5"}

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "examples"


@dataclass
class TabContext:
    settings: Settings
    page_load_events: list[dict] = field(default_factory=list)  # wired by app.build_app after the tabs

    def load(self, source, **kwargs) -> AudioInput:
        """The one audio entry point, with the server's limits applied."""
        return load_audio(source, **self._limits(kwargs))

    def open_mono(self, source, target_sr: int, **kwargs) -> MonoAudio:
        """Mono at one rate, read from disk block by block (long recordings), the server's limits applied."""
        return open_mono(source, target_sr, **self._limits(kwargs))

    def load_bounded(self, source, target_sr: int, **kwargs) -> AudioInput:
        """As ``load``, but a long file comes as mono at ``target_sr`` (bounded memory)."""
        return load_bounded(source, target_sr, **self._limits(kwargs))

    def _limits(self, kwargs: dict) -> dict:
        return {"max_seconds": self.settings.max_seconds, "min_seconds": self.settings.min_seconds, **kwargs}

    def on_page_load(self, fn, inputs, outputs, api_name: str, **kwargs) -> None:
        """Run ``fn`` each time a page opens (e.g. to refresh what the hub check decided).

        Tabs are built inside a tab, not the Blocks, so the app wires these with ``demo.load``.
        """
        self.page_load_events.append(dict(fn=fn, inputs=inputs, outputs=outputs, api_name=api_name, **kwargs))

    def limits_text(self) -> str:
        s = self.settings
        return f"Uploads up to {s.max_upload_mb:g} MB and {s.max_seconds / 60:g} minutes of audio."


def audio_input(label: str = "Audio: record or upload", **kwargs) -> gr.Audio:
    """Microphone or upload, delivered to Python as a file path (keeps the file's format)."""
    kwargs.setdefault("sources", ["upload", "microphone"])
    return gr.Audio(label=label, type="filepath", **kwargs)


def example_files(*names: str) -> list[str]:
    return [str(EXAMPLES_DIR / n) for n in names if (EXAMPLES_DIR / n).exists()]


def user_errors(fn):
    """Turn the errors users can cause into readable gr.Error messages, and show warnings.

    Anything unexpected is logged with its traceback and shown as a short message; the
    server keeps serving either way.
    """

    if inspect.isgeneratorfunction(fn):  # streaming handlers: errors surface while iterating

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as exc:
                raise _as_user_error(fn, exc) from exc

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _as_user_error(fn, exc) from exc

    return wrapper


def _as_user_error(fn, exc: Exception) -> gr.Error:
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, UserError):  # the user can fix it: a plain message, one log line
        log.info("User error in %s: %s", fn.__name__, exc)
        return gr.Error(str(exc), title="Cannot do that")
    if isinstance(exc, MemoryError):
        log.error("Out of memory in %s", fn.__name__)
        return gr.Error("The server ran out of memory for this input; try a shorter clip.")
    # A bug, not the user's fault: log the traceback, say so briefly, keep serving.
    log.error("Unexpected error in %s:\n%s", fn.__name__, traceback.format_exc())
    return gr.Error(
        f"Something went wrong on the server ({exc.__class__.__name__}). "
        "It has been logged; please try again or with another input.",
        title="Server error",
    )


def show_warnings(warnings: list[str]) -> None:
    for w in warnings:
        gr.Warning(w)


# Numbers the API accepts without a bound of their own (a seed, a frequency): past this, refuse.
UNBOUNDED_NUMBER_LIMIT = 1e9


def guard_numeric_inputs(demo: gr.Blocks) -> None:
    """Every Number and Slider of the app answers a wrong type ("abc", NaN, 1e30) with a plain
    message naming the field, before the handler runs; Gradio's own check would fail with a
    generic "the upstream app has raised an exception"."""
    for block in demo.blocks.values():
        if isinstance(block, (gr.Number, gr.Slider)):
            block.preprocess = _checked_number(block, block.preprocess)


def _checked_number(block, preprocess):
    label = block.label or "This number"
    lo, hi = block.minimum, block.maximum

    def checked(payload):
        if payload is None:
            return preprocess(payload)
        if isinstance(payload, str):
            try:
                payload = float(payload.strip())
            except ValueError:
                raise gr.Error(f"{label} must be a number; got '{payload[:40]}'.", title="Cannot do that") from None
        if isinstance(payload, bool) or not isinstance(payload, (int, float)) or not math.isfinite(payload):
            raise gr.Error(f"{label} must be a finite number; got {str(payload)[:40]}.", title="Cannot do that")
        if (hi is None and payload > UNBOUNDED_NUMBER_LIMIT) or (lo is None and payload < -UNBOUNDED_NUMBER_LIMIT):
            low = f"{lo:g}" if lo is not None else f"{-UNBOUNDED_NUMBER_LIMIT:.0e}"
            high = f"{hi:g}" if hi is not None else f"{UNBOUNDED_NUMBER_LIMIT:.0e}"
            raise gr.Error(f"{label} must be between {low} and {high}; got {payload:g}.", title="Cannot do that")
        return preprocess(payload)

    return checked


def clear_on_new_input(inputs, outputs, api_name: str) -> None:
    """Issue 13, class 1: when any of ``inputs`` changes (a new upload, recording, example click,
    or the input cleared), every output in ``outputs`` is emptied, so no result stays beside an
    input it does not belong to (a lesson player or a download of the previous file).

    Pass only the outputs the tab does not redraw itself on that change; runs in the browser's
    request at once (no queue, no progress bar)."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    outputs = list(outputs)

    def clear():
        return [None] * len(outputs) if len(outputs) > 1 else None

    gr.on(
        [c.change for c in inputs],
        clear,
        inputs=None,
        outputs=outputs,
        queue=False,
        show_progress="hidden",
        api_name=api_name,
        api_visibility="private",
    )


def _cleared(outputs: list):
    return [None] * len(outputs) if len(outputs) > 1 else None


def clear_on_error(event, outputs) -> None:
    """Issue 13, class 1: when ``event`` fails (its error shown as a message), its ``outputs`` are
    emptied rather than left from the previous run beside the error."""
    outputs = list(outputs)
    event.failure(lambda: _cleared(outputs), None, outputs, queue=False, show_progress="hidden", api_name=False)


def run_after_example(examples: gr.Examples, fn, inputs, outputs, api_name: str, **kwargs):
    """Issue 13, class 2 (one way to start the work): on a quick tab, clicking an example runs the
    tab's main action, as a new upload or recording does; slow tabs only fill the input."""
    return examples.load_input_event.then(
        fn, inputs, outputs, api_name=api_name, api_visibility="private", concurrency_limit=2, **kwargs
    )


def start_rule(quick: bool) -> gr.Markdown:
    """Issue 13, class 2: the one rule for starting a tab's work, said the same way on every tab."""
    if quick:
        return gr.Markdown(
            "*Starts by itself:* a new recording, upload or example click runs this tab at once.",
            elem_classes=["start-rule"],
        )
    return gr.Markdown(
        "*Press the button to start:* this tab takes a while, so a new recording, upload or example only fills the input.",
        elem_classes=["start-rule"],
    )


def downloadable(path):
    """Issue 13, class 6: a file is offered for download only when it has content (no 0-byte SRT
    when no speech was found). Takes one path or a list; returns the same shape, empties dropped."""
    if path is None:
        return None
    if isinstance(path, (list, tuple)):
        kept = [str(p) for p in path if p and Path(p).is_file() and Path(p).stat().st_size > 0]
        return kept or None
    return str(path) if Path(path).is_file() and Path(path).stat().st_size > 0 else None
