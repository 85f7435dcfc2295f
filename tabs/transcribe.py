"""Transcribe tab: speech to text with Whisper (seeds 000, 004). Widgets and wiring only."""

from __future__ import annotations

import time

import gradio as gr

from pipelines import serving
from pipelines.clean_up import CLEAN_DEFAULT
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem
from pipelines.core.registry import REGISTRY
from pipelines.formats.subtitles import player_subtitles
from pipelines.transcribe import (
    AUTO,
    LANGUAGES,
    SAMPLE_RATE,
    TranscribeOptions,
    check_comparison_request,
    hub_model_keys,
    info_markdown,
    is_english_only,
    language_name,
    language_scores,
    model_choices,
    options_from_form,
    reference_comparison,
    segment_rows,
    summary_rows,
    transcribe,
    with_advanced,
    with_subtitles,
    word_rows,
    word_spans,
    write_outputs,
    zip_outputs,
)
from pipelines.transcribe.evaluate import SHOWN_HEADERS as EVAL_HEADERS
from pipelines.transcribe.evaluate import (
    EvalOptions,
    csv_name,
    dataset_availability,
    evaluate_pairs,
    pairs_from_dataset,
    pairs_from_files,
)

from .clean_option import clean_dropdown, clean_first
from .common import (
    ALIGNMENT_COLORS,
    TabContext,
    audio_input,
    clear_on_error,
    clear_on_new_input,
    clears_before_error,
    downloadable,
    example_files,
    show_warnings,
    start_rule,
    user_errors,
)
from .hub_choices import accept_set_apart, set_apart_line, split_hub_choices

TITLE = "Transcribe"

INTRO = """**Speech to text.** Record or upload speech (or click the example), press **Transcribe**,
and read the text as it is decoded. Play it back with its subtitles, download them (SRT, VTT, and
word-by-word karaoke ASS and LRC) or the transcript (TXT, JSON, TSV). Paste what was really said into *Reference* to get the word and character error rates.
Models that ship with the app: Whisper **tiny.en** (English, fastest) and Whisper **base**
(99 languages, language detection, translation to English). Bigger Whisper sizes are offered
when the model hub is reachable."""

HELP = """- **Model**: *Automatic* uses tiny.en for English and base for anything else (and to detect the language).
- **Language**: *Detect* shows the three likeliest languages; choose one to skip detection.
- **Task**: *translate* turns any language into English text (multilingual models only).
- **Beam size**: how many candidate sentences are kept while decoding (1 = greedy, faster; 5 = usual).
- **Temperature**: 0 picks the likeliest words; Whisper raises it by 0.2 steps when a passage fails to decode.
- **Voice-activity filter**: skips silence, music and noise, so they are never turned into invented words.
- **Word timestamps**: the time and confidence of every word (colours: sure, unsure, doubtful).
- **Initial prompt**: names, spellings or a style the transcript should follow ("Dashwood, Norland").
- **Condition on previous text**: each passage sees the text before it (more consistent; off stops repetition loops)."""

DEFAULTS = TranscribeOptions()  # the defaults, written once: the widgets and the handlers' keyword defaults read them
ADVANCED_HELP = """Against invented text. **Skip silences** (seconds, 0 = off; needs word timestamps): around a doubtful
passage, silences this long are skipped instead of filled with words. **No-repeat n-gram** (0 = off) forbids
repeating any run of that many tokens; **repetition penalty** above 1 makes words already said less likely.
A window whose text **compresses** better than the threshold (a loop), or is decoded with a mean **log-probability**
below its threshold, is decoded again at a higher temperature; a window more likely **no speech** than the
threshold (and doubtful) is left empty. **Fix repetition loops** finds a passage repeating itself in the result
and decodes it again without the previous text."""

SUBTITLE_HELP = """SRT, VTT and karaoke cues are cut between words (between characters in Chinese and Japanese)
using the word times, so that no line is longer than **characters per line** (a wide character counts as two)
and no cue has more than **lines per cue**; 0 = no limit (one cue per Whisper segment)."""

# What the bundled models can and cannot do in Korean, where the language is chosen (issue 30).
# Measured: espeak-ng's Korean is detected as Thai (91 %); with Korean chosen, faster-whisper itself
# keeps nothing of it. No licensed recording of Korean speech was found to measure real speech.
LANGUAGE_INFO = (
    "Whisper base (bundled) is a small model: in Korean it may get many words wrong, and robotic "
    "synthesised Korean is heard as Thai, or as no speech. For Korean, choose it here, or a bigger "
    "Whisper from the model hub."
)
UPDATE_EVERY_S = 0.4  # live transcript refresh while decoding
SEGMENT_HEADERS = [
    "start (s)",
    "end (s)",
    "text",
    "model's sureness (0 = sure, below -1 = doubtful)",
    "chance it is not speech (0 to 1)",
]
CONFIDENCE_COLORS = {"sure": "#bbf7d0", "unsure": "#fde68a", "doubtful": "#fca5a5"}


def build(ctx: TabContext) -> None:
    gr.Markdown(INTRO)
    start_rule(False)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            audio = audio_input(elem_id="transcribe-audio")
            ctx.register_input(audio)  # other tabs can send a sound here
            gr.Examples(example_files("speech_librivox.wav"), inputs=audio, label="Example (click it)")
            gr.Markdown(ctx.limits_text())
            models = offered_models()
            model = gr.Dropdown(
                models.offered,
                value=DEFAULTS.model,
                label="Model",
                allow_custom_value=True,
                elem_id="transcribe-model",
            )
            accept_set_apart(model, model_choices())  # a remembered hub size comes back when the hub answers
            hub_md = gr.Markdown(models.note, elem_id="transcribe-hub-note")
            language = gr.Dropdown(
                [("Detect automatically", AUTO)] + [(f"{n} ({c})", c) for c, n in LANGUAGES.items()],
                value=DEFAULTS.language,
                label="Language",
                info=LANGUAGE_INFO,
                allow_custom_value=True,
                elem_id="transcribe-language",
            )
            task = gr.Radio(["transcribe", "translate"], value=DEFAULTS.task, label="Task (translate = into English)")
            clean = clean_dropdown("transcribe-clean")
            with gr.Accordion("Decoding options", open=False):
                beam_size = gr.Slider(1, 10, value=DEFAULTS.beam_size, step=1, label="Beam size")
                temperature = gr.Slider(0, 1, value=DEFAULTS.temperature, step=0.1, label="Temperature")
                vad_filter = gr.Checkbox(DEFAULTS.vad_filter, label="Voice-activity filter (skip silence and music)")
                word_timestamps = gr.Checkbox(DEFAULTS.word_timestamps, label="Word timestamps and confidence")
                initial_prompt = gr.Textbox(
                    DEFAULTS.initial_prompt, label="Initial prompt (names, spellings, style)", lines=2
                )
                condition = gr.Checkbox(DEFAULTS.condition_on_previous_text, label="Condition on previous text")
                gr.Markdown(HELP)
            with gr.Accordion("Advanced: invented text and loops", open=False):
                advanced_inputs = [
                    gr.Slider(
                        0,
                        10,
                        value=DEFAULTS.hallucination_silence_threshold,
                        step=0.5,
                        label="Skip silences longer than (s, 0 = off)",
                    ),
                    gr.Slider(
                        0, 10, value=DEFAULTS.no_repeat_ngram_size, step=1, label="No-repeat n-gram size (0 = off)"
                    ),
                    gr.Slider(1, 2, value=DEFAULTS.repetition_penalty, step=0.05, label="Repetition penalty (1 = off)"),
                    gr.Slider(
                        1, 5, value=DEFAULTS.compression_ratio_threshold, step=0.1, label="Compression-ratio threshold"
                    ),
                    gr.Slider(-3, 0, value=DEFAULTS.log_prob_threshold, step=0.1, label="Log-probability threshold"),
                    gr.Slider(0, 1, value=DEFAULTS.no_speech_threshold, step=0.05, label="No-speech threshold"),
                    gr.Checkbox(DEFAULTS.fix_loops, label="Fix repetition loops (decode a repeating passage again)"),
                ]
                gr.Markdown(ADVANCED_HELP)
            with gr.Accordion("Subtitle lines", open=False):
                with gr.Row():
                    subtitle_inputs = [
                        gr.Number(
                            DEFAULTS.subtitles.max_line_chars,
                            label="Characters per line (0 = no limit)",
                            minimum=0,
                            maximum=200,
                            precision=0,
                            elem_id="transcribe-line-chars",
                        ),
                        gr.Number(
                            DEFAULTS.subtitles.max_lines,
                            label="Lines per cue (0 = no limit)",
                            minimum=0,
                            maximum=10,
                            precision=0,
                            elem_id="transcribe-cue-lines",
                        ),
                    ]
                gr.Markdown(SUBTITLE_HELP)
            reference = gr.Textbox(
                "", label="Reference (optional): what was really said", lines=3, elem_id="transcribe-reference"
            )
            with gr.Row():
                run = gr.Button("Transcribe", variant="primary", elem_id="transcribe-run")
                cancel = gr.Button("Cancel", variant="stop", elem_id="transcribe-cancel")
            unload = gr.Button("Free memory (unload Whisper models)", size="sm")
            unload_md = gr.Markdown()
        with gr.Column(scale=2):
            info = gr.Markdown(elem_id="transcribe-info")
            text = gr.Textbox(label="Transcript", lines=6, interactive=False, buttons=["copy"], elem_id="transcript")
            player = gr.Audio(
                label="Play with subtitles",
                type="filepath",
                interactive=False,
                visible=False,
                elem_id="transcribe-player",
            )
            files = gr.File(
                label="Downloads: SRT, VTT, TXT, JSON, TSV; karaoke ASS, LRC (with word timestamps)",
                file_count="multiple",
                interactive=False,
                elem_id="transcribe-files",
            )
            with gr.Row():
                languages = gr.Label(  # min_width: on a phone it takes the whole row (issue 30, item 5)
                    label="Detected language (top 3)", num_top_classes=3, elem_id="transcribe-languages", min_width=320
                )
                compare_md = gr.Markdown(elem_id="transcribe-compare")
            alignment = gr.HighlightedText(
                label="Reference alignment (ref→heard)",
                color_map=ALIGNMENT_COLORS,
                show_legend=True,
                elem_id="transcribe-alignment",
                visible=False,
            )
            words = gr.HighlightedText(
                label="Words by confidence",
                color_map=CONFIDENCE_COLORS,
                show_legend=True,
                combine_adjacent=False,
                elem_id="transcribe-words",
            )
            with gr.Accordion("Word timings", open=False):
                word_table = gr.Dataframe(
                    headers=["start (s)", "end (s)", "word", "probability", "confidence"],
                    interactive=False,
                    elem_id="transcribe-word-table",
                )
            segments = gr.Dataframe(
                headers=SEGMENT_HEADERS,
                label="Segments",
                interactive=False,
                wrap=True,
                column_widths=["9%", "9%", "58%", "12%", "12%"],
                elem_id="transcribe-segments",
            )
            summary = gr.Dataframe(
                headers=["Fact", "Value"], label="Run", interactive=False, wrap=True, column_widths=["30%", "70%"]
            )
            with gr.Accordion("Several files at once (zip)", open=False):
                batch_in = gr.File(
                    label="Audio files", file_count="multiple", file_types=["audio"], elem_id="transcribe-batch-in"
                )
                batch_run = gr.Button("Transcribe all")
                batch_table = gr.Dataframe(
                    headers=["file", "language", "duration (s)", "words", "transcript / problem"],
                    label="Files",
                    interactive=False,
                    wrap=True,
                )
                batch_zip = gr.File(label="All transcripts (zip)", interactive=False, elem_id="transcribe-zip")
            build_evaluation(ctx)

    option_inputs = [
        model,
        language,
        task,
        beam_size,
        temperature,
        vad_filter,
        word_timestamps,
        initial_prompt,
        condition,
    ]
    outputs = [text, info, languages, segments, words, files, summary, compare_md, alignment, word_table]

    @user_errors
    @clears_before_error(len(outputs))  # an error empties them; a Cancel keeps the text decoded so far
    def run_transcribe(
        audio_source,
        model=DEFAULTS.model,
        language=DEFAULTS.language,
        task=DEFAULTS.task,
        beam_size=DEFAULTS.beam_size,
        temperature=DEFAULTS.temperature,
        vad_filter=DEFAULTS.vad_filter,
        word_timestamps=DEFAULTS.word_timestamps,
        initial_prompt=DEFAULTS.initial_prompt,
        condition_on_previous_text=DEFAULTS.condition_on_previous_text,
        reference="",
        clean_audio=CLEAN_DEFAULT,
        hallucination_silence_threshold=DEFAULTS.hallucination_silence_threshold,
        no_repeat_ngram_size=DEFAULTS.no_repeat_ngram_size,
        repetition_penalty=DEFAULTS.repetition_penalty,
        compression_ratio_threshold=DEFAULTS.compression_ratio_threshold,
        log_prob_threshold=DEFAULTS.log_prob_threshold,
        no_speech_threshold=DEFAULTS.no_speech_threshold,
        fix_loops=DEFAULTS.fix_loops,
        max_line_chars=DEFAULTS.subtitles.max_line_chars,
        max_lines=DEFAULTS.subtitles.max_lines,
        progress=gr.Progress(),
    ):
        """Transcribe speech with Whisper; returns the transcript, a summary (engine, language), the detected
        languages, segments, words by confidence and SRT/VTT/TXT/JSON/TSV files, with word timestamps also karaoke
        ASS and LRC files (and WER/CER against a reference).

        Args:
            audio_source: the recording (any audio format, up to the server's length limit).
            model: "auto" (tiny.en for English, base otherwise), "whisper-tiny.en", "whisper-base", or a hub size.
            language: a language code such as "en" or "ko", or "auto" to detect it.
            task: "transcribe", or "translate" into English (multilingual models).
            beam_size: candidates kept while decoding (1 = greedy, 5 = usual).
            temperature: 0 picks the likeliest words; raised step by step when a passage fails.
            vad_filter: skip silence, music and noise with the voice-activity filter.
            word_timestamps: time and confidence of every word.
            initial_prompt: names, spellings or a style the transcript should follow.
            condition_on_previous_text: each passage sees the text before it.
            reference: what was really said, for word and character error rates.
            clean_audio: clean the audio first: "off", "denoise" or "voice only".
            hallucination_silence_threshold: skip silences longer than this around doubtful passages (s, 0 = off).
            no_repeat_ngram_size: forbid repeating any run of this many tokens (0 = off).
            repetition_penalty: above 1 makes words already said less likely.
            compression_ratio_threshold: a window compressing better than this (a loop) is decoded again.
            log_prob_threshold: a window decoded below this mean log-probability is decoded again.
            no_speech_threshold: a doubtful window more likely silence than this is left empty.
            fix_loops: find a passage repeating itself and decode it again.
            max_line_chars: SRT/VTT/karaoke lines at most this long (0 = no limit).
            max_lines: lines per subtitle cue at most (0 = no limit).
        """
        audio_source = clean_first(ctx, audio_source, clean_audio)
        opts = options_from_form(
            model,
            language,
            task,
            beam_size,
            temperature,
            vad_filter,
            word_timestamps,
            initial_prompt,
            condition_on_previous_text,
        )
        opts = with_subtitles(with_advanced(opts, locals()), max_line_chars, max_lines)
        clip = ctx.open_mono(audio_source, SAMPLE_RATE)
        show_warnings(clip.warnings)
        t, last_update, skip = None, None, gr.skip()
        for t in serving.transcribe_stream(clip.samples, opts, name=clip.name):  # on a Serve replica with --ray
            now = time.monotonic()
            if t.done or (last_update is not None and now - last_update < UPDATE_EVERY_S):
                continue  # each update re-sends the text: a few a second is live enough
            progress(t.progress, desc=t.stage)
            if last_update is None:  # the first update clears the previous run's results
                yield (
                    t.text,
                    info_markdown(t),
                    None,
                    None,
                    None,
                    None,
                    None,
                    "",
                    gr.update(value=None, visible=False),
                    None,
                )
            else:
                yield t.text, info_markdown(t), *[skip] * 8
            last_update = now
        show_warnings(t.warnings())
        paths = write_outputs(t, ctx.settings.new_output_dir("transcribe"), safe_stem(clip.name), opts.subtitles)
        md, spans = reference_comparison(reference, t.text)
        yield (
            t.text,
            info_markdown(t),
            language_scores(t),
            segment_rows(t),
            word_spans(t),
            downloadable(list(paths.values())),  # no empty file offered
            summary_rows(t),
            md,
            gr.update(value=spans, visible=bool(spans)),
            word_rows(t),
        )

    event = gr.on(
        [run.click],  # slow: only the button starts it, not a new recording (issue 13, class 2)
        run_transcribe,
        [audio, *option_inputs, reference, clean, *advanced_inputs, *subtitle_inputs],
        outputs,
        api_name="transcribe",
        concurrency_limit=2,
        show_progress_on=[info],
    )

    def show_player(audio_source, paths):
        """The transcribed audio in a player that shows the subtitles (the VTT) as it plays."""
        vtt = next((str(p) for p in paths or [] if str(p).endswith(".vtt")), None)
        if not audio_source or not vtt:
            return gr.update(visible=False)
        return gr.update(value=audio_source, subtitles=player_subtitles(vtt), visible=True)

    # Not cleared by .failure(): Gradio reports a Cancel as one, and after a Cancel the text decoded
    # so far stays (the message says so); a real error clears them in the handler (clears_before_error).
    clear_on_new_input(audio, outputs, api_name="transcribe_clear_stale")
    event.success(show_player, [audio, files], player, api_name=False, show_progress="hidden")
    audio.change(lambda: gr.update(visible=False), None, player, api_name=False, show_progress="hidden")
    cancel.click(
        lambda: "**Cancelled.** The text above is what was decoded before you pressed Cancel.",
        None,
        info,
        cancels=[event],
        api_name=False,
        show_progress="hidden",
    )

    @user_errors
    def compare_reference(reference: str, hypothesis: str = ""):
        check_comparison_request(reference, hypothesis)
        md, spans = reference_comparison(reference, hypothesis)
        return md, gr.update(value=spans, visible=True)

    gr.on(
        [reference.submit], compare_reference, [reference, text], [compare_md, alignment], api_name="compare_reference"
    )

    def task_choices(model_key):
        english_only = model_key != AUTO and is_english_only(model_key)
        if english_only:
            return gr.update(
                value="transcribe",
                interactive=False,
                info="This model only knows English; choose base or Automatic to translate.",
            )
        return gr.update(interactive=True, info=None)

    model.change(task_choices, model, task, api_name=False, show_progress="hidden")

    @user_errors
    def run_batch(
        file_list,
        model=DEFAULTS.model,
        language=DEFAULTS.language,
        task=DEFAULTS.task,
        beam_size=DEFAULTS.beam_size,
        temperature=DEFAULTS.temperature,
        vad_filter=DEFAULTS.vad_filter,
        word_timestamps=DEFAULTS.word_timestamps,
        initial_prompt=DEFAULTS.initial_prompt,
        condition_on_previous_text=DEFAULTS.condition_on_previous_text,
        hallucination_silence_threshold=DEFAULTS.hallucination_silence_threshold,
        no_repeat_ngram_size=DEFAULTS.no_repeat_ngram_size,
        repetition_penalty=DEFAULTS.repetition_penalty,
        compression_ratio_threshold=DEFAULTS.compression_ratio_threshold,
        log_prob_threshold=DEFAULTS.log_prob_threshold,
        no_speech_threshold=DEFAULTS.no_speech_threshold,
        fix_loops=DEFAULTS.fix_loops,
        max_line_chars=DEFAULTS.subtitles.max_line_chars,
        max_lines=DEFAULTS.subtitles.max_lines,
        progress=gr.Progress(),
    ):
        if not file_list:
            raise UserError("Choose one or more audio files first.")
        opts = options_from_form(
            model,
            language,
            task,
            beam_size,
            temperature,
            vad_filter,
            word_timestamps,
            initial_prompt,
            condition_on_previous_text,
        )
        opts = with_subtitles(with_advanced(opts, locals()), max_line_chars, max_lines)
        out_dir = ctx.settings.new_output_dir("transcribe-batch")
        rows, sets, used = [], {}, set()
        paths = [f if isinstance(f, str) else getattr(f, "name", f) for f in file_list]
        for i, path in enumerate(paths):
            progress(i / len(paths), desc=f"File {i + 1} of {len(paths)}")
            stem = safe_stem(str(path))
            while stem in used:  # two uploads with the same name keep both
                stem += "_"
            used.add(stem)
            try:
                clip = ctx.open_mono(path, SAMPLE_RATE)
                t = transcribe(clip.samples, opts, name=clip.name)
            except Exception as exc:  # one bad file must not lose the others' transcripts
                rows.append([stem, "-", "-", 0, f"not transcribed: {exc}"])
                continue
            sets[stem] = write_outputs(t, out_dir / stem, stem, opts.subtitles)
            note = t.text or " ".join(t.warnings())
            rows.append(
                [
                    clip.name,
                    language_name(t.language) if t.language else "-",
                    round(t.duration, 1),
                    len(t.text.split()),
                    note[:300],
                ]
            )
        if not sets:
            raise UserError(
                "None of the files could be transcribed: {reasons}".format(reasons="; ".join(r[4] for r in rows))
            )
        return rows, str(zip_outputs(sets, out_dir / "transcripts.zip"))

    batch_event = batch_run.click(
        run_batch,
        [batch_in, *option_inputs, *advanced_inputs, *subtitle_inputs],
        [batch_table, batch_zip],
        api_name="transcribe_batch",
        concurrency_limit=1,
    )
    clear_on_error(batch_event, [batch_table, batch_zip])  # issue 30, item 4: no old results beside an error
    clear_on_new_input(batch_in, [batch_table, batch_zip], api_name="transcribe_batch_clear_stale")

    def unload_models():
        dropped = [k for k in REGISTRY.loaded() if k.startswith("whisper")]
        for k in dropped:
            REGISTRY.unload(k)
        return f"Unloaded: {', '.join(dropped)}." if dropped else "No Whisper model was loaded."

    unload.click(unload_models, None, unload_md, api_name="unload_whisper")

    def refresh_models():
        models = offered_models()
        return models.dropdown_update(), models.note

    # the hub check finishes after start-up: refresh the choices on every visit
    ctx.on_page_load(
        refresh_models,
        None,
        [model, hub_md],
        api_name="transcribe_models",
        api_visibility="undocumented",
        show_progress="hidden",
    )


def offered_models():
    """The model choices, the hub sizes set apart while the hub cannot be reached (issue 13, class 3)."""
    return split_hub_choices(model_choices(), hub_model_keys())


# --- Evaluate on a set (seed 000): a self-contained section --------------------------------

EVAL_DEFAULTS = EvalOptions()
EVAL_HELP = """Upload several clips with what is said in each: **a zip** with a `.txt` beside each audio file
(`clip1.wav` + `clip1.txt`), or **a CSV** of `file,text` rows with the audio files in the same zip or uploaded
together. Each clip is transcribed with the model chosen here and compared with its reference; the table lists
the worst clips first, and the CSV holds every clip and the overall rates."""


def dataset_field_update():
    """The dataset field: usable when the hub is reachable, else greyed out with the reason."""
    ok, reason = dataset_availability()
    if ok:
        return gr.update(interactive=True, info="A dataset id on the model hub, read in streaming mode.")
    return gr.update(interactive=False, value="", info=f"Unavailable: {reason}.")


def eval_hub_line(models) -> str:
    """What the evaluation cannot use while the hub is unreachable (its why is the tab's hub note above)."""
    return set_apart_line(models, "a Hugging Face dataset")


def build_evaluation(ctx: TabContext) -> None:
    with gr.Accordion("Evaluate on a set (WER/CER per clip)", open=False, elem_id="transcribe-eval"):
        gr.Markdown(EVAL_HELP)
        eval_files = gr.File(
            label="Clips and references (zip, CSV, audio, .txt)",
            file_count="multiple",
            file_types=[".zip", ".csv", ".txt", "audio"],
            elem_id="transcribe-eval-in",
        )
        with gr.Row():
            eval_model = gr.Dropdown(
                offered_models().offered,
                value=DEFAULTS.model,
                label="Model",
                allow_custom_value=True,
                elem_id="transcribe-eval-model",
            )
            accept_set_apart(eval_model, model_choices())
            eval_language = gr.Dropdown(
                [("Detect automatically", AUTO)] + [(f"{n} ({c})", c) for c, n in LANGUAGES.items()],
                value=DEFAULTS.language,
                label="Language",
                allow_custom_value=True,
            )
        eval_hub = gr.Markdown(eval_hub_line(offered_models()), elem_id="transcribe-eval-hub")
        with (
            gr.Accordion(
                "Or from a Hugging Face dataset (streaming)",
                open=False,
                visible=False,
                elem_id="transcribe-eval-hub-set",
            ) as dataset_fold,
            gr.Row(),
        ):
            dataset = gr.Textbox("", label="Dataset id", placeholder="owner/name", elem_id="transcribe-eval-dataset")
            dataset_config = gr.Textbox("", label="Dataset configuration (optional)")
            dataset_split = gr.Textbox(EVAL_DEFAULTS.dataset_split, label="Split")
            dataset_items = gr.Number(
                EVAL_DEFAULTS.dataset_items,
                label="First N items",
                precision=0,
                minimum=1,
                maximum=EVAL_DEFAULTS.max_clips,
            )
            text_column = gr.Textbox(EVAL_DEFAULTS.text_column, label="Text column (blank: text, sentence, ...)")
        eval_run = gr.Button("Evaluate", variant="primary", elem_id="transcribe-eval-run")
        eval_md = gr.Markdown(elem_id="transcribe-eval-summary")
        eval_table = gr.Dataframe(
            headers=EVAL_HEADERS,
            label="Clips, worst first",
            interactive=False,
            wrap=True,
            elem_id="transcribe-eval-table",
        )
        eval_csv = gr.File(label="Table (CSV)", interactive=False, elem_id="transcribe-eval-csv")

    @user_errors
    def evaluate_transcription(
        files,
        model=DEFAULTS.model,
        language=DEFAULTS.language,
        dataset="",
        dataset_config="",
        dataset_split=EVAL_DEFAULTS.dataset_split,
        dataset_items=EVAL_DEFAULTS.dataset_items,
        text_column=EVAL_DEFAULTS.text_column,
        progress=gr.Progress(),
    ):
        """Word and character error rates of a model on a set of clips with reference texts, worst clips first.

        Args:
            files: a zip with a .txt beside each audio file, or a CSV of file,text with its audio files (or a zip).
            model: as for /transcribe: "auto", a Whisper size, "wav2vec2-hub-base-960h", or a local model folder.
            language: a language code such as "en", or "auto" to detect it.
            dataset: instead of files, a Hugging Face dataset id (needs the model hub), read in streaming mode.
            dataset_config: the dataset's configuration, if it has several.
            dataset_split: the split to read, e.g. "test".
            dataset_items: how many items of the dataset to read (the first N).
            text_column: the dataset column with the reference text (blank: text, sentence, transcription...).
        """
        opts = EvalOptions(
            dataset_items=int(dataset_items or EVAL_DEFAULTS.dataset_items),
            dataset_split=dataset_split or EVAL_DEFAULTS.dataset_split,
            text_column=text_column or "",
        )
        work = ctx.settings.new_output_dir("transcribe-eval")
        paths = [f if isinstance(f, str) else getattr(f, "name", f) for f in (files or [])]
        if (dataset or "").strip():
            if paths:
                raise UserError("Give either files or a dataset id, not both.")
            progress(0, desc="reading the dataset")
            pairs, how = pairs_from_dataset(dataset, opts, work, dataset_config or "")
            notes, first = [f"Read from {how}."], dataset
        else:
            pairs, notes = pairs_from_files(paths, work, ctx.settings.max_upload_mb * 1e6)
            first = str(paths[0])
        topts = options_from_form(
            model,
            language,
            DEFAULTS.task,
            DEFAULTS.beam_size,
            DEFAULTS.temperature,
            DEFAULTS.vad_filter,
            False,  # word timings are not needed for the rates
            DEFAULTS.initial_prompt,
            DEFAULTS.condition_on_previous_text,
        )

        def one(pair, seconds_left):
            clip = ctx.open_mono(pair.audio, SAMPLE_RATE, max_seconds=min(ctx.settings.max_seconds, seconds_left))
            t = transcribe(clip.samples, topts, name=pair.name)
            return t.text, t.duration, t.engine

        result = evaluate_pairs(
            pairs,
            one,
            options=opts,
            max_total_seconds=ctx.settings.max_seconds,
            on_clip=lambda i, n, name: progress(i / n, desc=f"Clip {i + 1} of {n}: {name}"),
            notes=notes,
        )
        show_warnings(result.warnings)
        return result.summary(), result.shown_rows(), str(result.write_csv(work / csv_name(first)))

    eval_event = eval_run.click(
        evaluate_transcription,
        [eval_files, eval_model, eval_language, dataset, dataset_config, dataset_split, dataset_items, text_column],
        [eval_md, eval_table, eval_csv],
        api_name="evaluate_transcription",
        concurrency_limit=1,
    )
    clear_on_error(eval_event, [eval_md, eval_table, eval_csv])
    clear_on_new_input(eval_files, [eval_md, eval_table, eval_csv], api_name="evaluate_clear_stale")

    def refresh_evaluation():
        models = offered_models()
        return (
            dataset_field_update(),
            gr.update(visible=models.reachable),
            models.dropdown_update(),
            eval_hub_line(models),
        )

    ctx.on_page_load(
        refresh_evaluation,
        None,
        [dataset, dataset_fold, eval_model, eval_hub],
        api_name="transcribe_eval_dataset",
        api_visibility="undocumented",
        show_progress="hidden",
    )
