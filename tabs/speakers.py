"""Speakers tab: same person?, who is this?, and the visitor's known voices (seed 004, chapter 4).

Widgets and wiring only; the work is in ``pipelines/speakers.py``. Known voices live in the
visitor's browser (one ``gr.BrowserState``, shared with Diarize and Meeting notes through
:func:`known_voices_store`) and as a downloadable file of voice prints; the server keeps nothing.
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from pipelines import speakers as sp

from .common import TabContext, audio_input, clear_on_error, clear_on_new_input, downloadable, user_errors

TITLE = "Speakers"
STORE_KEY = "audio-studio-known-voices"
OPTIONS = sp.SpeakersOptions()  # the defaults, written once

INTRO = """## Speakers: same person? who is this?
Compare two voices, or enroll the voices you know (a name and a few seconds of speech) and let the
app recognise them here, in **Diarize** and in **Meeting notes**. Your known voices stay in this
browser as voice prints (numbers, never audio); download them as a file to keep or move them."""


def known_voices_store(ctx: TabContext) -> gr.BrowserState:
    """The one browser-side store of known voices for the page (created by the first tab that asks)."""
    store = getattr(ctx, "known_voices_store", None)
    if store is None:
        # rendered in the Speakers tab: tabs mount their children when first opened, and a BrowserState
        # reads the browser's storage when it mounts
        store = gr.BrowserState("", storage_key=STORE_KEY, render=False)
        ctx.known_voices_store = store
    return store


def known_voices_file(ctx: TabContext) -> gr.File:
    """The one known-voices file of the page: shown (and rendered) in the Speakers tab, filled from the
    browser's store when a page opens, and the ``known_voices`` input of Diarize and Meeting notes
    (created unrendered by the first tab that asks, so tabs built earlier can wire it)."""
    file = getattr(ctx, "known_voices_file", None)
    if file is None:
        file = gr.File(
            label="Known voices file (download to keep; upload to restore)",
            file_types=[".json"],
            elem_id="speakers-file",
            render=False,
        )
        ctx.known_voices_file = file
    return file


def known_from(file=None) -> sp.KnownVoices:
    """Known voices from a file (none: no known voices)."""
    if not file:
        return sp.KnownVoices()
    return sp.read(file if isinstance(file, str) else getattr(file, "name", file), OPTIONS)


def _mono(ctx: TabContext, source, what: str) -> np.ndarray:
    if source is None:
        raise sp.UserError(f"{what}: record or upload a recording first.")
    audio = ctx.open_mono(source, sp.SAMPLE_RATE)  # 16 kHz mono whatever the recording's rate
    return np.asarray(audio.samples, dtype=np.float32)


def verdict_text(v: sp.Verification) -> str:
    decision = "**Same person**" if v.same else "**Different people**"
    return (
        f"{decision} · similarity {v.score:.2f} (threshold {v.threshold:.2f}; higher is more alike)  \n"
        f"Measured at this threshold: {100 * v.far:.1f}% false accepts, {100 * v.frr:.1f}% false rejects."
    )


def identity_text(i: sp.Identification) -> str:
    if i.name is None:
        return f"**Not one of your known voices** (closest: {i.ranking[0][0]}, similarity {i.score:.2f})"
    return f"**{i.name}** · similarity {i.score:.2f} (threshold {i.threshold:.2f})"


def _known_outputs(ctx: TabContext, known: sp.KnownVoices, message: str):
    path = sp.write(known, ctx.settings.new_output_dir("speakers")) if known.voices else None
    return (
        downloadable(path),
        known.rows(),
        gr.update(choices=known.names, value=None),
        message,
        sp.dumps(known) if known.voices else "",
    )


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    store = known_voices_store(ctx)
    store.render()
    with gr.Tabs():
        with gr.Tab("Same person?"):
            with gr.Row():
                audio_a = audio_input("First voice: record or upload", elem_id="speakers-a")
                audio_b = audio_input("Second voice: record or upload", elem_id="speakers-b")
            compare = gr.Button("Compare the voices", variant="primary")
            verdict = gr.Markdown(elem_id="speakers-verdict")
            verdict_json = gr.JSON(label="Result (JSON)")
        with gr.Tab("Who is this?"):
            audio_q = audio_input("Who is speaking? Record or upload", elem_id="speakers-query")
            identify_btn = gr.Button("Find the voice", variant="primary")
            identity = gr.Markdown(elem_id="speakers-identity")
            identity_json = gr.JSON(label="Scores (JSON)")
        with gr.Tab("Known voices") as known_tab:
            with gr.Row():
                with gr.Column():
                    name = gr.Textbox(label="Name", placeholder="Alice", elem_id="speakers-name")
                    audio_e = audio_input(
                        f"A few seconds of their speech (at least {OPTIONS.min_enroll_s:g} s)",
                        elem_id="speakers-enroll",
                    )
                    enroll_btn = gr.Button("Enroll this voice", variant="primary")
                    message = gr.Markdown(elem_id="speakers-message")
                with gr.Column():
                    table = gr.Dataframe(
                        headers=["Name", "Clips", "Seconds of speech"],
                        label="Your known voices",
                        interactive=False,
                        elem_id="speakers-table",
                    )
                    chosen = gr.Dropdown([], label="Voice", elem_id="speakers-chosen")
                    new_name = gr.Textbox(label="New name")
                    with gr.Row():
                        rename_btn = gr.Button("Rename")
                        remove_btn = gr.Button("Remove", variant="stop")
                    file = known_voices_file(ctx)
                    file.render()
            gr.Markdown(
                f"At most {OPTIONS.max_voices} voices and {OPTIONS.max_clips} clips per voice. The file holds "
                "voice prints only; one edited by hand is refused."
            )

    @user_errors
    def verify_speakers(audio_a, audio_b):
        """Are two recordings the same person's voice? Returns JSON with score (higher = more alike), same (the decision), threshold and its measured error rates.

        Args:
            audio_a: the first recording.
            audio_b: the second recording.
        """
        v = sp.verify(_mono(ctx, audio_a, "The first voice"), _mono(ctx, audio_b, "The second voice"), options=OPTIONS)
        return v.as_dict(), verdict_text(v)

    verdict_out = [verdict_json, verdict]
    clear_on_error(
        compare.click(verify_speakers, [audio_a, audio_b], verdict_out, api_name="verify_speakers"), verdict_out
    )
    clear_on_new_input([audio_a, audio_b], verdict_out, api_name="speakers_clear_verdict")

    @user_errors
    def enroll_voice(audio, name, known_voices=None):
        """Add a voice (a name and at least 3 s of their speech) to known voices; returns the updated known voices as a JSON file.

        Args:
            audio: a recording of the person speaking.
            name: their name; enrolling the same name again adds another clip of that voice.
            known_voices: the known-voices JSON file to add to (none: start a new one).
        """
        known = known_from(known_voices)
        sp.check_name(name, OPTIONS)
        updated, vp = sp.enroll(known, name, _mono(ctx, audio, "The enrolment clip"), options=OPTIONS)
        return _known_outputs(ctx, updated, f"Enrolled **{sp.check_name(name)}** ({vp.speech_s:.1f} s of speech).")

    known_outputs = [file, table, chosen, message, store]
    enroll_btn.click(enroll_voice, [audio_e, name, file], known_outputs, api_name="enroll_voice")

    @user_errors
    def identify_speaker(audio, known_voices=None):
        """Who is speaking, among the known voices? Returns JSON with name (null: not one of the known voices), score and every voice's score.

        Args:
            audio: a recording of the person speaking.
            known_voices: the known-voices JSON file (from enroll_voice).
        """
        known = known_from(known_voices)
        i = sp.identify(_mono(ctx, audio, "The recording"), known, options=OPTIONS)
        data = {
            "name": i.name,
            "score": round(i.score, 4),
            "threshold": i.threshold,
            "scores": {n: round(s, 4) for n, s in i.ranking},
        }
        return data, identity_text(i)

    identity_out = [identity_json, identity]
    event = identify_btn.click(identify_speaker, [audio_q, file], identity_out, api_name="identify_speaker")
    clear_on_error(event, identity_out)
    clear_on_new_input(audio_q, identity_out, api_name="speakers_clear_identity")

    @user_errors
    def rename_voice(old, new, known_voices=None):
        known = sp.rename(known_from(known_voices), old, new, OPTIONS)
        return _known_outputs(ctx, known, f"Renamed **{old}** to **{sp.check_name(new)}**.")

    rename_btn.click(rename_voice, [chosen, new_name, file], known_outputs, api_name="rename_voice")

    @user_errors
    def remove_voice(old, known_voices=None):
        known = sp.remove(known_from(known_voices), old)
        return _known_outputs(ctx, known, f"Removed **{old}**.")

    remove_btn.click(remove_voice, [chosen, file], known_outputs, api_name="remove_voice")

    @user_errors
    def import_voices(known_voices):
        known = known_from(known_voices)
        return _known_outputs(ctx, known, f"Loaded {len(known.voices)} known voices from the file.")

    file.upload(import_voices, [file], known_outputs, api_name="import_voices", api_visibility="undocumented")

    def show_stored(stored):
        try:
            known = sp.loads(stored or None, OPTIONS)
        except sp.UserError:
            known = sp.KnownVoices()  # a damaged store is set aside, never shown as an error on page load
        return _known_outputs(ctx, known, "")[:-1]  # never writes the store: a page load must not erase it

    quiet = dict(api_visibility="private", show_progress="hidden")
    known_tab.select(show_stored, [store], known_outputs[:-1], api_name="speakers_shown", **quiet)
    ctx.on_page_load(show_stored, [store], known_outputs[:-1], api_name="speakers_stored", **quiet)
