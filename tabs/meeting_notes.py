"""Meeting notes tab: speakers and transcript, then notes (seed 004). Widgets and wiring only;
the work is in ``pipelines/meeting_notes.py``."""

from __future__ import annotations

import gradio as gr
import numpy as np

from pipelines import meeting_notes as mn
from pipelines.core.files import safe_stem
from pipelines.engines import llm as lm
from pipelines.engines.whisper.languages import AUTO, LANGUAGES, language_name

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
from .hub_choices import hub_language_models
from .i18n import translate  # before escaping: escaped text no longer matches the catalogue
from .speakers import known_from, known_voices_file

TITLE = "Meeting notes"

INTRO = """**Notes of a meeting.** Record or upload a meeting (any language Whisper base knows, Korean
included). The app finds who spoke when, transcribes it, and writes notes: a summary, key points,
decisions, action items with the speaker who owns each, open questions and the next meeting. The
transcript with speakers and times stands beside the notes; download them as Markdown, text, JSON or
subtitles (SRT)."""

HOW_IT_WORKS = """- **Speakers**: the Diarize tab's bundled engine (Silero VAD, resemblyzer voice fingerprints, Ward
  clustering). **Transcript**: bundled Whisper base, any language; each word goes to the speaker whose
  turn holds it.
- **Notes with no language model (the default)**: the summary and key points are the transcript's most
  *central* sentences (all-MiniLM-L6-v2 sentence embeddings; character n-grams for non-Latin scripts),
  quoted with speaker and time. Decisions, action items, questions and dates are found by *rules*
  ("I will", "can you", "let's", "we agreed", "by Friday", "다음 회의"...): they quote what was said,
  never more, and can miss what is phrased otherwise.
- **Language model**: your own server if the operator configured one (`--llm-url`, `--llm-model`), an
  instruction model from the model hub when it is reachable, or the bundled **Gemma 3 270M base**: a
  *very* small model that is not instruction-tuned. It writes only one-line summaries from examples; the
  rest stays extractive. A meeting longer than the model's context is summarised in parts, then as a
  whole. If the model fails, the extractive notes are shown with the reason."""

EXAMPLES = ["meeting_three_voices.wav", "two_speakers_pyannote.wav"]
NOTES_PLACEHOLDER = "*The notes appear here.*"


def _model_note(key: str, offline: bool) -> str:
    if key == lm.NONE:
        return "Notes by the extractive rules: no language model is used."
    if key == lm.BUNDLED_KEY:
        return f"**Gemma 3 270M base (bundled)**: {lm.BUNDLED_NOTE}"
    return f"Notes written by **{lm.REGISTRY.spec(key).title}**; the extractive notes are the fallback."


def _stages_rows(result: mn.MeetingResult) -> list[list]:
    total = sum(s.seconds for s in result.stages) or 1e-9
    rows = [[s.name, round(s.seconds, 1), f"{s.seconds / max(result.duration, 1e-9):.2f}"] for s in result.stages]
    return rows + [["total", round(total, 1), f"{total / max(result.duration, 1e-9):.2f}"]]


def build(ctx: TabContext) -> None:
    s = ctx.settings
    lm.configure_servers(s.llm_url, s.llm_models, s.llm_key, s.llm_timeout_s)
    models = lm.choices(s.offline)
    default_model = lm.default_choice(s.offline)
    o = mn.MeetingNotesOptions()
    gr.Markdown(INTRO)
    start_rule(False)  # speakers, transcript and notes take a while
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            audio = audio_input("Meeting: record or upload")
            gr.Examples(example_files(*EXAMPLES), inputs=audio, label="Examples (click one)")
            gr.Markdown(ctx.limits_text())
            with gr.Row():
                num = gr.Number(o.num_speakers, label="Speakers (0 = auto)", minimum=0, maximum=10, precision=0)
                language = gr.Dropdown(
                    [("Detect automatically", AUTO)] + [(f"{n} ({c})", c) for c, n in LANGUAGES.items()],
                    value=o.language,
                    label="Language",
                    elem_id="meeting-language",
                )
            model = gr.Dropdown(models, value=default_model, label="Language model", elem_id="meeting-model")
            model_md = gr.Markdown(_model_note(default_model, s.offline), elem_id="meeting-model-note")
            gr.Markdown(
                hub_language_models().apart_note(), elem_id="meeting-hub"
            )  # after lm.choices: the hub check is done
            names = gr.Textbox(
                o.names,
                label="Speaker names (optional)",
                placeholder="Alice, Bob  or  SPEAKER_01=Bob",
                elem_id="meeting-names",
            )
            run = gr.Button("Write the notes", variant="primary", elem_id="meeting-run")
            with gr.Accordion("How it works", open=False):
                gr.Markdown(HOW_IT_WORKS)
        with gr.Column(scale=2):
            info = gr.Markdown(elem_id="meeting-info")
            with gr.Row():
                with gr.Column(scale=3, min_width=300):
                    notes = gr.Markdown(NOTES_PLACEHOLDER, label="Notes", elem_id="meeting-notes", sanitize_html=True)
                with gr.Column(scale=2, min_width=260):
                    transcript = gr.Textbox(
                        label="Transcript with speakers and times",
                        lines=16,
                        max_lines=30,
                        interactive=False,
                        buttons=["copy"],
                        elem_id="meeting-transcript",
                    )
            with gr.Row():
                md_file = gr.File(label="Notes (Markdown)", interactive=False, elem_id="meeting-md", min_width=240)
                txt_file = gr.File(label="Notes (TXT)", interactive=False, elem_id="meeting-txt", min_width=240)
            with gr.Row():
                json_file = gr.File(label="Notes (JSON)", interactive=False, elem_id="meeting-json", min_width=240)
                srt_file = gr.File(
                    label="Subtitles with speakers (SRT)", interactive=False, elem_id="meeting-srt", min_width=240
                )
            stages = gr.Dataframe(
                headers=["Stage", "Seconds", "Real-time factor"],
                label="Time per stage",
                interactive=False,
                elem_id="meeting-stages",
            )

    model.change(
        lambda k: _model_note(k, s.offline), model, model_md, api_name="meeting_notes_model", api_visibility="private"
    )

    @user_errors
    def meeting_notes(
        source,
        num_speakers=o.num_speakers,
        language=o.language,
        model=o.model,
        speaker_names=o.names,
        known_voices=None,
        progress=gr.Progress(),
    ):
        """Turn a meeting recording into notes: speakers and transcript, then summary, key points, decisions, action items with owners, open questions and next meeting; Markdown, TXT, JSON and SRT files.

        Args:
            source: the meeting recording.
            num_speakers: how many people speak; 0 = estimate.
            language: the meeting's language (a Whisper code), or auto to detect it.
            model: the language model for the notes: "none" (extractive notes by rules, offline), the bundled model, or one the server's operator configured.
            speaker_names: names for the speakers in order ("Alice, Bob") or as "SPEAKER_01=Bob".
            known_voices: a known-voices JSON file (from enroll_voice): recognised speakers are named.
        """
        known = known_from(known_voices)
        options = mn.MeetingNotesOptions(
            num_speakers=int(num_speakers or 0),
            language=language or AUTO,
            model=model or lm.NONE,
            names=speaker_names or "",
        )
        lm.get(options.model, s.offline)  # refuse an unknown model (or a typed address) before loading audio
        progress(0.01, desc="Loading audio")
        audio_in = ctx.open_mono(source, mn.SAMPLE_RATE)
        show_warnings(audio_in.warnings)
        stem = safe_stem(audio_in.name, "meeting")
        outcome = mn.run(
            np.asarray(audio_in.samples),
            audio_in.sr,
            s.new_output_dir("meeting-notes"),
            stem=stem,
            options=options,
            offline=s.offline,
            progress=lambda f, d: progress(f, desc=d),
            known_voices=known,
        )
        r = outcome.result
        if r.model_error:
            gr.Warning(r.model_error)
        lang = language_name(r.language) if r.language else "unknown"
        summary = (
            f"**{mn.speaker_count(len(r.speakers))}** · {mn.clock(r.duration)} · language: {lang} · "
            f"done in {sum(x.seconds for x in r.stages):.0f} s  \nEngines: {mn.md_escape(translate(r.engines))}"
        )
        if r.model_notes is not None and r.parts > 1:
            summary += f"  \nThe transcript was longer than the model's context: summarised in {r.parts} parts."
        body = f"*Notes: {mn.md_escape(translate(r.notes.method))}.*\n\n" + mn.sections_markdown(r.notes)
        f = outcome.files
        return (
            summary,
            body,
            "\n".join(mn.transcript_lines(r.sentences)),
            downloadable(f.markdown),  # no 0-byte file offered
            downloadable(f.txt),
            downloadable(f.json),
            downloadable(f.srt),
            _stages_rows(r),
        )

    results = [info, notes, transcript, md_file, txt_file, json_file, srt_file, stages]
    blank = {notes: NOTES_PLACEHOLDER}
    event = run.click(
        meeting_notes,
        [audio, num, language, model, names, known_voices_file(ctx)],
        results,
        api_name="meeting_notes",
        concurrency_limit=1,
    )
    clear_on_error(event, results, initial=blank)
    clear_on_new_input(audio, results, api_name="meeting_notes_clear_stale", initial=blank)
