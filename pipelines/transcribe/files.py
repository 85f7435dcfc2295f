"""A transcript as files: SRT and VTT cut to line limits, TXT, JSON, TSV, karaoke ASS and LRC; a zip."""

from __future__ import annotations

import zipfile
from dataclasses import asdict
from pathlib import Path

from pipelines.core.files import safe_stem
from pipelines.formats.subtitles import (
    Cue,
    SubtitleOptions,
    cut_cues,
    estimate_words,
    to_ass_karaoke,
    to_lrc_enhanced,
    write_subtitles,
)
from pipelines.transcribe.result import Transcript


def subtitle_cues(t: Transcript, options: SubtitleOptions | None = None) -> list[Cue]:
    """The cues of the SRT, VTT and karaoke files: each segment's words cut to the line limits
    (times estimated from the text's width where there are no word timestamps)."""
    cues: list[Cue] = []
    for s in t.segments:
        cues += cut_cues(s.words or estimate_words(s.start, s.end, s.text), options)
    return cues


def write_outputs(
    t: Transcript, out_dir: Path, stem: str | None = None, subtitles: SubtitleOptions | None = None
) -> dict[str, Path]:
    """SRT and VTT (cues cut to ``subtitles``' line limits), TXT, JSON (with words and scores) and
    TSV for one transcript, and word-by-word karaoke (ASS, enhanced LRC) when it has word times."""
    subtitles = (subtitles or SubtitleOptions()).checked()
    stem = stem or safe_stem(t.name)
    metadata = {
        "file": t.name,
        "model": t.model_key,
        "engine": t.engine,
        "task": t.task,
        "language": t.language,
        "language_probability": round(t.language_probability, 4),
        "top_languages": [[c, round(p, 4)] for c, p in t.top_languages],
        "duration": round(t.duration, 3),
        "processing_seconds": round(t.processing_seconds, 3),
        "options": t.options_used,
        "subtitles": asdict(subtitles),
    }
    extra = [
        {
            "avg_logprob": round(s.avg_logprob, 4),
            "no_speech_prob": round(s.no_speech_prob, 4),
            "words": [
                {
                    "start": round(w.start, 3),
                    "end": round(w.end, 3),
                    "word": w.text,
                    "probability": None if w.probability is None else round(w.probability, 4),
                }
                for w in s.words
            ],
        }
        for s in t.segments
    ]
    cues = subtitle_cues(t, subtitles)
    paths = write_subtitles([c.segment for c in cues], out_dir, stem, ("srt", "vtt"))
    paths.update(write_subtitles(t.timed_text(), out_dir, stem, ("txt", "json", "tsv"), metadata, extra))
    if t.words:  # karaoke needs the words' own times
        paths["ass"] = Path(out_dir) / f"{stem}.ass"
        paths["ass"].write_text(to_ass_karaoke(cues, t.name), encoding="utf-8")
        paths["lrc"] = Path(out_dir) / f"{stem}.lrc"
        paths["lrc"].write_text(to_lrc_enhanced(cues, t.name, t.duration), encoding="utf-8")
    return paths


def zip_outputs(files: dict[str, dict[str, Path]], zip_path: Path) -> Path:
    """One zip holding each file's transcript set in a folder named after the file."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for folder, paths in files.items():
            for path in paths.values():
                zf.write(path, f"{folder}/{path.name}")
    return zip_path
