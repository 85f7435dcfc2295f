"""Speech to text with Whisper (faster-whisper, CTranslate2 int8 on the CPU).

``transcribe_stream(audio, options)`` yields a growing :class:`Transcript` as segments are
decoded (the UI shows them live and can cancel); ``transcribe`` returns the final one.
Every field of :class:`TranscribeOptions` is passed to the model (see ``decode_kwargs``), and
the model's own record of the options it used is kept in ``Transcript.options_used``.

The task's parts, each in its own module:
- ``options``: ``TranscribeOptions`` (the one place of every default) and form/API values;
- ``result``: ``Transcript`` and the notes it shows;
- ``run``: model choice and loading, language detection, decoding (``transcribe_stream``);
- ``repairs``: passages skipped or repeated, decoded again;
- ``files``: SRT, VTT, TXT, JSON, TSV, karaoke, zip;
- ``display``: what the Transcribe tab offers and shows.

Whisper itself (languages, model choice, detection, segments) is ``pipelines.engines.whisper``;
its names are re-exported here so scripts written against ``pipelines.transcribe`` keep working.
"""

from pipelines.engines.whisper.choice import (
    check_model_fits,
    choose_model,
    engine_text,
    is_english_only,
    resolve_model_key,
)
from pipelines.engines.whisper.detect import VAD_SEARCH_SECONDS, as_whisper_input, detect_language
from pipelines.engines.whisper.languages import AUTO, LANGUAGES, language_name, parse_language
from pipelines.engines.whisper.model import SAMPLE_RATE
from pipelines.engines.whisper.segments import SegmentInfo
from pipelines.transcribe.display import (
    check_comparison_request,
    hub_model_keys,
    hub_note,
    info_markdown,
    language_scores,
    model_choices,
    reference_comparison,
    segment_rows,
    summary_rows,
    word_rows,
    word_spans,
)
from pipelines.transcribe.files import subtitle_cues, write_outputs, zip_outputs
from pipelines.transcribe.options import (
    ADVANCED,
    TASKS,
    TranscribeOptions,
    bounded_by_length,
    options_from_form,
    with_advanced,
    with_subtitles,
)
from pipelines.transcribe.repairs import GAP_RECHECK_S, Loop, find_loops, loop_words
from pipelines.transcribe.result import Transcript
from pipelines.transcribe.run import transcribe, transcribe_stream

__all__ = [
    "ADVANCED",
    "AUTO",
    "GAP_RECHECK_S",
    "LANGUAGES",
    "SAMPLE_RATE",
    "TASKS",
    "VAD_SEARCH_SECONDS",
    "Loop",
    "SegmentInfo",
    "TranscribeOptions",
    "Transcript",
    "as_whisper_input",
    "bounded_by_length",
    "check_comparison_request",
    "check_model_fits",
    "choose_model",
    "detect_language",
    "engine_text",
    "find_loops",
    "hub_model_keys",
    "hub_note",
    "info_markdown",
    "is_english_only",
    "language_name",
    "language_scores",
    "loop_words",
    "model_choices",
    "options_from_form",
    "parse_language",
    "reference_comparison",
    "resolve_model_key",
    "segment_rows",
    "subtitle_cues",
    "summary_rows",
    "transcribe",
    "transcribe_stream",
    "with_advanced",
    "with_subtitles",
    "word_rows",
    "word_spans",
    "write_outputs",
    "zip_outputs",
]
