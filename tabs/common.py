"""What every tab shares: the app context, the audio input widget, and error reporting."""

from __future__ import annotations

import functools
import inspect
import json
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
from pipelines.core.files import EXPIRED_MESSAGE, JobFiles, expired_file, touch_results

from .hub_choices import restorable

log = logging.getLogger("audio_ai_studio")

# Colours of pipelines.text_metrics.alignment_spans labels in gr.HighlightedText.
ALIGNMENT_COLORS = {"substitution": "#fde68a", "insertion": "#bfdbfe", "deletion": "#fca5a5"}

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "examples"


@dataclass
class SendTarget:
    tab: str
    title: str
    audio: gr.Audio
    fields: dict
    inner: tuple | None = None


@dataclass
class TabContext:
    settings: Settings
    page_load_events: list[dict] = field(default_factory=list)  # wired by app.build_app after the tabs
    # Sending a sound from one tab to another (see register_input / send_menu): filled while the
    # tabs are built, wired by app.build_app once every tab exists.
    tab_id: str = ""  # the tab being built now (set by app.build_app)
    tab_title: str = ""
    tabs: gr.Tabs | None = None  # the app's tab bar (set by app.build_app)
    send_targets: dict[str, SendTarget] = field(default_factory=dict)
    _sends: list = field(default_factory=list)

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

    def register_input(self, audio: gr.Audio, *, fields: dict | None = None, inner=None) -> None:
        """Make ``audio`` the input other tabs send sounds to (one per tab). ``fields`` names other
        widgets a sender may fill (e.g. the Sound lab's chain); ``inner`` is ``(gr.Tabs, id)`` of a
        sub-tab to select too."""
        self.send_targets[self.tab_id] = SendTarget(self.tab_id, self.tab_title, audio, fields or {}, inner)

    def send_menu(self, source: gr.Audio, elem_id: str) -> None:
        """A "Send to" menu and button under ``source``: puts its sound in another tab's input and opens that tab."""
        with gr.Row(equal_height=True):
            where = gr.Dropdown([], label="Send this sound to", elem_id=f"{elem_id}-to", scale=3, min_width=160)
            button = gr.Button("Send", elem_id=elem_id, scale=1, min_width=80, size="sm")
        self._sends.append(("menu", self.tab_id, source, where, button, elem_id))

    def send_on(self, trigger, target: str, fn, inputs: list, api_name: str) -> None:
        """When ``trigger`` fires, ``fn(*inputs)`` returns ``(path, {field: value})`` for tab ``target``."""
        self._sends.append(("fixed", target, trigger, fn, inputs, api_name))

    def wire_sends(self) -> None:
        """Called by app.build_app inside the Blocks, after every tab is built."""
        for item in self._sends:
            if item[0] == "menu":
                self._wire_menu(*item[1:])
            else:
                self._wire_fixed(*item[1:])

    def _outputs(self, t: SendTarget) -> list:
        outs = [t.audio, *t.fields.values()]
        if self.tabs is not None:
            outs.append(self.tabs)
        if t.inner is not None:
            outs.append(t.inner[0])
        return outs

    def _updates(self, t: SendTarget, path: str, values: dict) -> list:
        ups = [path, *(values.get(k, gr.skip()) for k in t.fields)]
        if self.tabs is not None:
            ups.append(gr.Tabs(selected=t.tab))
        if t.inner is not None:
            ups.append(gr.Tabs(selected=t.inner[1]))
        return ups

    def _wire_menu(self, own: str, source, where, button, elem_id: str) -> None:
        targets = [t for t in self.send_targets.values() if t.tab != own]
        if not targets:
            return
        where.choices = [(t.title, t.tab) for t in targets]
        where.value = targets[0].tab
        outputs = list(dict.fromkeys(o for t in targets for o in self._outputs(t)))

        @user_errors
        def send(path=None, tab=targets[0].tab):
            if not path:
                raise UserError("There is no sound to send yet: make or load one first.")
            t = self.send_targets.get(tab)
            if t is None or t.tab == own:
                raise UserError(f"Cannot send to '{tab}': choose a tab from the list.")
            ups = dict(zip(self._outputs(t), self._updates(t, path, {})))
            return [ups.get(o, gr.skip()) for o in outputs]

        button.click(
            send, [source, where], outputs, api_name=f"send_{elem_id.replace('-', '_')}", api_visibility="undocumented"
        )

    def _wire_fixed(self, target: str, trigger, fn, inputs, api_name) -> None:
        t = self.send_targets.get(target)
        if t is None:
            return

        @user_errors
        def send(*args):
            path, values = fn(*args)
            return self._updates(t, path, values)

        trigger(send, inputs, self._outputs(t), api_name=api_name, api_visibility="undocumented")

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
            job = JobFiles()  # its results folders are spared by the clean-up until it ends
            items = None
            try:
                _refuse_expired(args, kwargs)
                items = fn(*args, **kwargs)
                while True:
                    with job.step():  # each step may run on another worker thread
                        try:
                            item = next(items)
                        except StopIteration:
                            return
                    touch_results(item)
                    yield item
            except Exception as exc:
                raise _as_user_error(fn, _expired_instead(exc, args, kwargs)) from exc
            finally:
                job.release()
                if items is not None:
                    items.close()  # a visitor who left: the handler stops at its next step

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        job = JobFiles()
        try:
            _refuse_expired(args, kwargs)
            with job.step():
                result = fn(*args, **kwargs)
        except Exception as exc:
            raise _as_user_error(fn, _expired_instead(exc, args, kwargs)) from exc
        finally:
            job.release()
        touch_results(result)  # the download's grace period starts now (pipelines/core/files.py)
        return result

    return wrapper


def _refuse_expired(args, kwargs) -> None:
    """An upload or earlier result the server has since deleted (an old page, a reused link):
    say so before any work, instead of a file-not-found error from deep inside a loader."""
    if expired_file(args, list(kwargs.values())):
        raise UserError(EXPIRED_MESSAGE)


def _expired_instead(exc: Exception, args, kwargs) -> Exception:
    """A loader's error for a served file that vanished while the job ran is the expired message."""
    if isinstance(exc, (UserError, gr.Error)):
        return exc
    if expired_file(args, list(kwargs.values())) or (
        isinstance(exc, FileNotFoundError) and exc.filename and expired_file(str(exc.filename))
    ):
        return UserError(EXPIRED_MESSAGE)
    return exc


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
        "Something went wrong on the server. It has been logged; please try again or with another input.",
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


def one_progress_indicator(demo: gr.Blocks) -> None:
    """Issue 13, class 7: one progress indicator per action. An event that fills several outputs
    shows its progress on the first one the visitor can see, not on every panel at once (Diarize
    drew nine). An event that names its own ``show_progress_on``, or hides its progress, is kept."""
    for block_fn in demo.fns.values():
        if block_fn.show_progress == "hidden" or block_fn.show_progress_on:
            continue
        shown = [
            c
            for c in block_fn.outputs
            if not isinstance(c, (gr.State, gr.BrowserState)) and getattr(c, "visible", True) is not False
        ]
        if len(shown) > 1:
            block_fn.show_progress_on = shown[:1]


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


# --- settings kept between visits (gr.BrowserState) ----------------------------------------

# Choices remembered in the visitor's browser when a tab does not declare its own: widgets with
# these labels (model, language, voice, colour map...) in every tab.
REMEMBERED_LABELS = frozenset(
    {
        "Model",
        "Language",
        "Language model",
        "Language you speak",
        "Voice",
        "Gender",
        "Colour map",
        "Diarization engine",
        "Window",
        "Stems",
    }
)
SETTINGS_KEY = "audio-ai-studio-settings"


def remember(*widgets):
    """Declare widgets whose value the visitor's browser keeps between visits (any tab)."""
    for w in widgets:
        w._remember = True  # read by restore_settings, after every tab is built
    return widgets[0] if len(widgets) == 1 else widgets


def remembered_widgets(demo: gr.Blocks) -> dict[str, gr.components.Component]:
    """{stable name: widget} of every remembered setting; the name survives a restart."""
    out: dict[str, gr.components.Component] = {}
    tab = "app"
    for block in demo.blocks.values():
        if isinstance(block, gr.Tab):
            tab = str(block.id or block.label)
        if not isinstance(block, (gr.Dropdown, gr.Radio, gr.Checkbox, gr.Slider)):
            continue
        if getattr(block, "_remember", False) or (isinstance(block.label, str) and block.label in REMEMBERED_LABELS):
            name = f"{tab}:{block.elem_id or block.label}"
            while name in out:
                name += "+"
            out[name] = block
    return out


def _valid_for(widget, value) -> bool:
    choices = getattr(widget, "choices", None)
    if isinstance(widget, (gr.Dropdown, gr.Radio)) and choices:
        allowed = {c[1] if isinstance(c, (tuple, list)) else c for c in choices}
        if getattr(widget, "multiselect", False) and isinstance(value, list):
            return all(v in allowed for v in value)
        return value in allowed or restorable(widget, value)  # a hub choice set apart at build, usable now
    if isinstance(widget, gr.Checkbox):
        return isinstance(value, bool)
    if isinstance(widget, gr.Slider):
        return isinstance(value, (int, float)) and widget.minimum <= value <= widget.maximum
    return True


def restore_settings(demo: gr.Blocks, ctx: TabContext | None = None) -> None:
    """One gr.BrowserState for every remembered widget: saved on change, restored on page load,
    and a "Reset settings" button that brings back the defaults. Call inside the Blocks, after the tabs."""
    widgets = remembered_widgets(demo)
    if not widgets:
        return
    names, comps = list(widgets), list(widgets.values())
    defaults = [w.value for w in comps]
    store = gr.BrowserState({}, storage_key=SETTINGS_KEY)
    reset = gr.Button("Reset settings", size="sm", variant="secondary", elem_id="reset-settings")

    def restore(saved):
        saved = saved if isinstance(saved, dict) else {}
        return [
            gr.update(value=saved[n]) if n in saved and _valid_for(w, saved[n]) else gr.update()
            for n, w in zip(names, comps)
        ]

    demo.load(restore, store, comps, api_name="restore_settings", api_visibility="private", show_progress="hidden")
    for name, widget in widgets.items():

        def save(saved, value, name=name):
            return {**(saved if isinstance(saved, dict) else {}), name: value}

        widget.input(
            save,
            [store, widget],
            store,
            api_name=f"save_setting_{len(names)}_{names.index(name)}",
            api_visibility="private",
            show_progress="hidden",
        )

    def reset_all():
        return [{}, *[gr.update(value=d) for d in defaults]]

    reset.click(reset_all, None, [store, *comps], api_name="reset_settings", api_visibility="private")


def clear_on_new_input(
    inputs, outputs, api_name: str, *, initial: dict | None = None, in_browser: bool = False
) -> None:
    """Issue 13, class 1: when any of ``inputs`` changes (a new upload, recording, example click,
    or the input cleared), every output in ``outputs`` is emptied, so no result stays beside an
    input it does not belong to (a lesson player or a download of the previous file).

    Pass only the outputs the tab does not redraw itself on that change; runs in the browser's
    request at once (no queue, no progress bar). ``initial`` maps an output to the value it goes
    back to instead of empty (a placeholder text). ``in_browser``: done by the page alone, with no
    request to the server: for a text box, whose change fires on every key."""
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    outputs = list(outputs)
    triggers = [c.change for c in inputs]
    if in_browser:
        values = json.dumps(_cleared(outputs, initial), ensure_ascii=False)
        gr.on(
            triggers,
            None,
            None,
            outputs,
            js=f"() => {values}",
            show_progress="hidden",
            api_name=api_name,
            api_visibility="private",
        )
        return
    gr.on(
        triggers,
        lambda: _cleared(outputs, initial),
        inputs=None,
        outputs=outputs,
        queue=False,
        show_progress="hidden",
        api_name=api_name,
        api_visibility="private",
    )


def _cleared(outputs: list, initial: dict | None = None):
    by_id = {id(k): v for k, v in (initial or {}).items()}
    values = [by_id.get(id(o)) for o in outputs]
    return values if len(values) > 1 else values[0]


def clear_on_error(event, outputs, *, initial: dict | None = None) -> None:
    """Issue 13, class 1: when ``event`` fails (its error shown as a message), its ``outputs`` are
    emptied rather than left from the previous run beside the error. Not for an event a Cancel
    button stops: Gradio reports a Cancel as a failure too, and would wipe what was done before it."""
    outputs = list(outputs)
    event.failure(
        lambda: _cleared(outputs, initial), None, outputs, queue=False, show_progress="hidden", api_name=False
    )


def clears_before_error(n_outputs: int):
    """Issue 13, class 1, for a streaming handler whose event has a Cancel button: on an error the
    handler itself empties its ``n_outputs`` outputs, then raises (the error is shown). A Cancel
    stops the handler from outside, so what it decoded before the Cancel stays; ``clear_on_error``
    cannot tell the two apart (Gradio reports a Cancel as a failure). Put it under ``user_errors``."""

    def wrap(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception:
                yield (None,) * n_outputs if n_outputs > 1 else None
                raise

        return gen

    return wrap


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


FILE_EXPECTED = (
    "A file must be uploaded for {inputs}, not given as text ({given}). From Python, pass "
    "gradio_client.handle_file(path); in the page, upload or record it."
)


def plain_input_errors(demo: gr.Blocks) -> None:
    """Issue 30, item 8: a path string sent where a file is expected failed in Gradio's own
    input check, before any handler, as its opaque "has not enabled verbose error reporting".
    It now says that a file must be uploaded, naming the file inputs of that endpoint."""
    original = demo.preprocess_data

    async def preprocess_data(block_fn, inputs, state, explicit_call=False):
        try:
            return await original(block_fn, inputs, state, explicit_call)
        except gr.Error:
            raise
        except Exception as exc:
            files = [b for b in block_fn.inputs if _takes_files(b)]
            given = [v for b, v in zip(block_fn.inputs, inputs) if _takes_files(b) and _is_text(v)]
            if not files or not given:
                raise
            names = ", ".join(f"'{n}'" for n in _parameter_names(block_fn, files))
            shown = str(
                next((v for v in given[0] if isinstance(v, str)), "") if isinstance(given[0], list) else given[0]
            )
            shown = shown[:80]
            raise gr.Error(FILE_EXPECTED.format(inputs=names, given=f"'{shown}'")) from exc

    demo.preprocess_data = preprocess_data


def _parameter_names(block_fn, blocks) -> list[str]:
    """The handler's parameter names (what an API caller writes) of these input blocks."""
    try:
        params = list(inspect.signature(block_fn.fn).parameters)
    except (TypeError, ValueError):
        params = []
    where = [i for i, b in enumerate(block_fn.inputs) if any(b is x for x in blocks)]
    return [params[i] if i < len(params) else type(block_fn.inputs[i]).__name__ for i in where]


def _takes_files(block) -> bool:
    model = getattr(block, "data_model", None)
    return model is not None and "FileData" in str(getattr(model, "model_fields", {}) or model)


def _is_text(value) -> bool:
    """A path or any text where Gradio expects its FileData (a dict), alone or in a list."""
    return isinstance(value, str) or (isinstance(value, list) and any(isinstance(v, str) for v in value))
