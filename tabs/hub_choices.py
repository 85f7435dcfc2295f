"""Issue 13, class 3: choices that cannot work here must look it.

One rule for every tab: a choice that needs the model hub (or the internet) is not offered as a
normal entry while the hub cannot be reached. The dropdown or radio offers only what works; one
note beneath it says why, once, in plain words (``core.hub.hub_line``), and names what is set
apart; controls that only such a choice uses are hidden. When the hub is reachable everything
shows as before and the note is the usual hub line.

The API still accepts a set-apart value (``accept_set_apart``): the pipeline answers it with its
own clear ModelUnavailable message, as it always did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import gradio as gr

from pipelines.core.hub import HubStatus, hub_line, hub_status

# The one wording of what is set apart, under the hub line that says why (so the reason is said once).
SET_APART = "*Needs the model hub, so not offered here:* {names}."


@dataclass(frozen=True)
class HubChoices:
    offered: list[tuple[str, object]]  # (label, value) a visitor can pick now
    set_apart: list[tuple[str, object]]  # (label, value) that need the hub, not offered now
    reachable: bool  # the hub answers: hub-only controls show
    status: HubStatus | None = None  # what the hub check said when the choices were split

    @property
    def note(self) -> str:
        """The Markdown under the choice: why (the hub line), then what is set apart."""
        return hub_note(self, self.status)

    def values(self) -> list:
        return [v for _, v in self.offered]

    def value(self, current, default):
        """``current`` if it is still offered, else ``default``."""
        return current if current in self.values() else default

    def dropdown_update(self, current=None, default=None) -> dict:
        """The widget's choices (and value, when a default is given) for a page-load refresh."""
        if default is None:
            return gr.update(choices=self.offered)
        return gr.update(choices=self.offered, value=self.value(current, default))

    def apart_note(self) -> str:
        """The note only while something is set apart ("" when the hub answers: nothing to explain)."""
        return self.note if self.set_apart else ""

    def controls_update(self) -> dict:
        """For a widget only a hub choice uses (MusicGen's settings, CLAP's template)."""
        return gr.update(visible=self.reachable)


def split_hub_choices(
    choices: Iterable,
    needs_hub: Callable[[object], bool] | Iterable,
    status: HubStatus | None = None,
) -> HubChoices:
    """Split ``choices`` ((label, value) pairs or plain values) into those offered now and those
    set apart because they need the hub. ``needs_hub``: a predicate on the value, or the values.

    ``status`` defaults to what the hub check knows now (never waits)."""
    status = status or hub_status(block=False)
    if not callable(needs_hub):
        hub_values = set(needs_hub)
        needs_hub = hub_values.__contains__
    pairs = [c if isinstance(c, (tuple, list)) else (str(c), c) for c in choices]
    pairs = [(str(label), value) for label, value in pairs]
    if status.reachable:
        return HubChoices(pairs, [], True, status)
    offered = [p for p in pairs if not needs_hub(p[1])]
    set_apart = [p for p in pairs if needs_hub(p[1])]
    return HubChoices(offered, set_apart, False, status)


def hub_only(*labels: str, status: HubStatus | None = None) -> HubChoices:
    """Controls (not choices) that only work with the hub, e.g. Analyze's hub models: ``reachable``
    says whether to show them, ``note`` why they are hidden and what they are."""
    return split_hub_choices([(label, label) for label in labels], lambda _value: True, status)


def hub_language_models() -> HubChoices:
    """The model-hub language models (Meeting notes, Voice chat): ``llm.choices`` lists them only
    when they can be used; this names them, set apart, while the hub cannot be reached."""
    from pipelines.engines import llm  # registers them; already imported by the tabs that ask

    hub = [(s.title, s.key) for s in llm.REGISTRY.specs("language-model") if s.engine == "hub"]
    return split_hub_choices(hub, lambda _key: True)


def hub_note(choices: HubChoices | None = None, status: HubStatus | None = None) -> str:
    """The hub line (why, said once), and beneath it the names of the choices set apart."""
    line = hub_line(status)
    names = set_apart_line(choices) if choices is not None else ""
    return line + "  \n" + names if names else line


def set_apart_line(choices: HubChoices, *more: str) -> str:
    """Only the names set apart (and ``more`` hub-only things, e.g. "a dataset from the hub"), for a
    second section of a tab whose hub line is already shown above; "" when nothing is set apart."""
    if choices.reachable:
        return ""
    names = [_short(label) for label, _ in choices.set_apart] + list(more)
    return SET_APART.format(names="; ".join(names)) if names else ""


def _short(label: str) -> str:
    """A label without its own "model hub" mark: the line already says it."""
    for mark in (" (model hub)", ", model hub"):
        if label.endswith(mark):
            return label[: -len(mark)]
    return label


def accept_set_apart(widget, choices: Iterable) -> None:
    """Let the API (a client that never opened the page) still send any of ``choices``, also those
    not offered in the browser now; the handler then answers a hub choice with its own clear
    message instead of Gradio's "not in the list of choices". Call once, on the built widget."""
    allowed = {c[1] if isinstance(c, (tuple, list)) else c for c in choices}
    preprocess = widget.preprocess

    def accepting(payload):
        if (
            isinstance(payload, (str, int, float))
            and payload in allowed
            and getattr(widget, "type", "value") == "value"
        ):
            return payload
        return preprocess(payload)

    widget.preprocess = accepting
    widget._hub_values = allowed  # a setting remembered in the browser may restore one when the hub answers


def restorable(widget, value) -> bool:
    """A remembered value of a widget given to ``accept_set_apart`` that its build-time choices
    lack (set apart then) is restored only if the hub answers now (tabs.common.restore_settings)."""
    return value in getattr(widget, "_hub_values", ()) and hub_status(block=False).reachable
