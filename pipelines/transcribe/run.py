"""Running a transcription: the model chosen and loaded (with download progress), the language
detected once, the whole recording decoded in one faster-whisper call, then the repairs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, replace

import numpy as np

from pipelines.core.audio_stream import SampleFile
from pipelines.core.errors import UserError
from pipelines.core.memory import release_free_memory
from pipelines.core.registry import REGISTRY, ModelUnavailable
from pipelines.engines import wav2vec2 as w2v
from pipelines.engines.whisper import model as wm
from pipelines.engines.whisper.choice import check_model_fits, choose_model, engine_text
from pipelines.engines.whisper.detect import ONE_WINDOW_S, as_whisper_input, detect_language, detect_while_decoding
from pipelines.engines.whisper.languages import language_name, parse_language
from pipelines.engines.whisper.model import SAMPLE_RATE
from pipelines.engines.whisper.segments import SegmentInfo, not_speech, segment_from
from pipelines.formats.subtitles import TimedText
from pipelines.transcribe.options import TranscribeOptions, bounded_by_length
from pipelines.transcribe.repairs import fill_skipped_gaps, fix_loops
from pipelines.transcribe.result import Transcript


def transcribe_stream(
    audio: np.ndarray | SampleFile,
    options: TranscribeOptions | None = None,
    *,
    sr: int = SAMPLE_RATE,
    name: str = "audio",
) -> Iterator[Transcript]:
    """Yield the transcript as it grows; the last one has ``done=True``.

    Stop iterating (close the generator) to cancel: decoding stops at the next segment.
    ``audio`` may be a :class:`SampleFile` (``audio_stream.open_mono``): then it is read from
    disk a block at a time, and only its log-mel features (2 MB a minute) stay in memory.
    """
    opts = options or TranscribeOptions()
    x = as_whisper_input(audio, sr)
    started = time.perf_counter()
    language = parse_language(opts.language)
    opts.decode_kwargs(language)  # every option checked before any model loads
    key, why = choose_model(opts.model, language, opts.task)  # auto: tiny.en for English, base otherwise
    out = Transcript(name=name, model_key=key, engine="", task=opts.task, duration=len(x) / SAMPLE_RATE)
    if w2v.is_wav2vec2(key):
        yield from _ctc_stream(key, x, opts, language, out, started)
        return
    yield from _load_model_with_progress(key, out)
    model = wm.get_whisper(key)
    if not model.model.is_multilingual:  # local folders: known only once loaded
        check_model_fits(key, language, opts.task, english_only=True)
        language = language or "en"
    early = None  # a short recording's decoding, begun by the detection
    if language is None:  # one detection for the whole recording
        out.stage = "detecting the language"
        yield _snapshot(out)
        if out.duration < ONE_WINDOW_S:
            early, top, heard = detect_while_decoding(
                model, x, bounded_by_length(opts.decode_kwargs(None), out.duration)
            )
        else:
            top, heard = detect_language(model, x, vad_filter=opts.vad_filter)
        language, prob = (top[0][0], top[0][1]) if heard else ("en", 0.0)
        out.language, out.language_probability, out.top_languages = language, prob, _top3(top) if heard else []
        why = why or f"{language_name(language)} detected, {prob:.0%}"
    else:
        # Chosen by hand: nothing was detected, so no "100 %" is shown as if it had been.
        out.language, out.language_probability, out.top_languages = language, 1.0, []
    out.engine = engine_text(key, why)
    kwargs = bounded_by_length(opts.decode_kwargs(language), out.duration)
    out.stage = "transcribing"
    yield _snapshot(out)
    release_free_memory()  # what language detection and loading left (pipelines/core/memory.py)
    # The whole recording in one faster-whisper call (prompts carried across its 30-s windows, as
    # on a whole file), its VAD and features computed a block at a time (engines/whisper/model.py).
    segments, info = early or wm.transcribe_whole(model, x, **kwargs)
    out.options_used = _options_record(info, kwargs)
    out.duration_after_vad = float(info.duration_after_vad)
    for seg in segments:  # decoding happens as this generator is consumed
        item = segment_from(seg)
        (out.dropped if not_speech(item) else out.segments).append(item)
        out.processing_seconds = time.perf_counter() - started - out.load_seconds
        yield _snapshot(out)
    for _ in fill_skipped_gaps(model, x, out, kwargs):
        out.stage = "decoding a skipped passage again"
        yield _snapshot(out)
    if opts.fix_loops:
        for _ in fix_loops(model, x, out, kwargs):
            out.stage = "decoding a repeating passage again"
            yield _snapshot(out)
    out.processing_seconds = time.perf_counter() - started - out.load_seconds
    out.stage, out.done = "done", True
    if not out.segments and not out.dropped and not out.duration_after_vad:  # detected in silence: means nothing
        out.language, out.language_probability, out.top_languages = None, 0.0, []
    yield _snapshot(out)


def transcribe(
    audio: np.ndarray | SampleFile,
    options: TranscribeOptions | None = None,
    *,
    sr: int = SAMPLE_RATE,
    name: str = "audio",
) -> Transcript:
    """The finished transcript (see :func:`transcribe_stream`)."""
    result = None
    for partial in transcribe_stream(audio, options, sr=sr, name=name):
        result = partial
    assert result is not None and result.done
    return result


def _ctc_stream(key: str, x, opts: TranscribeOptions, language: str | None, out: Transcript, started: float):
    """A wav2vec2 CTC model (engines/wav2vec2.py) decoding a block at a time. Such models write
    upper-case letters without punctuation and give no confidences (words show as unscored);
    the hub model knows English only and cannot translate."""
    spec = REGISTRY.spec(key)
    if opts.task == "translate":
        raise UserError(f"{spec.title} cannot translate. Choose Whisper base (bundled) or model 'auto' to translate.")
    if spec.engine == "hub" and language not in (None, "en"):
        raise UserError(f"{spec.title} only knows English, not {language_name(language)}. Choose Whisper base.")
    yield from _load_model_with_progress(key, out)
    pipe = REGISTRY.get(key)
    language = language or ("en" if spec.engine == "hub" else None)
    out.language, out.language_probability = language, 1.0 if language else 0.0
    out.top_languages = [(language, 1.0)] if language else []
    out.engine = engine_text(key, "chosen")
    out.options_used = dict(engine="wav2vec2 CTC", block_seconds=w2v.BLOCK_SECONDS, language=language, task=opts.task)
    out.stage = "transcribing"
    yield _snapshot(out)
    for start, end, text, words in w2v.decode(pipe, x):
        text = text.lower()
        if text:
            timed = [TimedText(a, b, " " + w.lower()) for a, b, w in words] if opts.word_timestamps else []
            out.segments.append(SegmentInfo(start, end, text[:1].upper() + text[1:], 0.0, 0.0, timed))
        out.processing_seconds = time.perf_counter() - started - out.load_seconds
        yield _snapshot(out)
    out.processing_seconds = time.perf_counter() - started - out.load_seconds
    out.stage, out.done = "done", True
    yield _snapshot(out)


def _load_model_with_progress(key: str, out: Transcript) -> Iterator[Transcript]:
    """Load a model, yielding progress while a hub download runs in the background."""
    spec = REGISTRY.spec(key)
    if REGISTRY.is_loaded(key):
        return
    t0 = time.perf_counter()
    try:
        yield from _load_model(spec, out)
    finally:
        out.load_seconds += time.perf_counter() - t0


def _load_model(spec, out: Transcript) -> Iterator[Transcript]:
    key = spec.key
    ok, reason = spec.availability()
    if not ok:
        hint = " Use a bundled model (Whisper tiny.en or base) instead." if spec.engine == "hub" else ""
        raise ModelUnavailable(f"{spec.title} is not available: {reason}.{hint}")
    out.stage = f"loading {spec.title}"
    yield _snapshot(out)
    if spec.engine != "hub":
        REGISTRY.get(key)
        return
    size = key.removeprefix("whisper-hub-")
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", _try(REGISTRY.get, key)), daemon=True)
    worker.start()
    expected = (spec.size_mb or 100) * 1e6
    while worker.is_alive():
        worker.join(0.5)
        got = wm.hub_download_bytes(size)
        out.stage = f"downloading {spec.title}: {got / 1e6:.0f} of about {expected / 1e6:.0f} MB"
        yield _snapshot(out)
    result = box.get("r")
    if isinstance(result, BaseException):
        raise result


def _snapshot(t: Transcript) -> Transcript:
    """A copy that later segments do not change (shallow: segments themselves are not mutated)."""
    return replace(
        t,
        segments=list(t.segments),
        dropped=list(t.dropped),
        top_languages=list(t.top_languages),
        options_used=dict(t.options_used),
        loops_fixed=list(t.loops_fixed),
    )


def _try(fn, *args):
    try:
        return fn(*args)
    except BaseException as exc:  # handed back to the generator's thread
        return exc


def _top3(probs) -> list[tuple[str, float]]:
    return [(code, float(p)) for code, p in (probs or [])[:3]]


def _options_record(info, kwargs: dict) -> dict:
    """What the model says it used (faster-whisper's TranscriptionInfo), plus the VAD switch."""
    used = asdict(info.transcription_options) if info.transcription_options is not None else {}
    keep = (
        "beam_size",
        "best_of",
        "temperatures",
        "initial_prompt",
        "condition_on_previous_text",
        "word_timestamps",
        "no_speech_threshold",
        "hallucination_silence_threshold",
        "no_repeat_ngram_size",
        "repetition_penalty",
        "compression_ratio_threshold",
        "log_prob_threshold",
    )
    record = {k: used.get(k) for k in keep}
    record.update(language=info.language, task=kwargs["task"], vad_filter=kwargs["vad_filter"])
    return record
