"""One recording through one task, with that task's own run and write functions.

Each runner reads the file, runs the task with its options dataclass and writes the task's usual
downloads into ``out_dir``, every one named after the input (``lecture01.txt``,
``lecture01-diarized.rttm``...). This is the one per-file step: the in-process loop and Ray Data's
actors both call :func:`run_file`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.batch.options import TASK_TITLES
from pipelines.core.errors import UserError
from pipelines.core.progress import Progress


@dataclass
class FileDone:
    duration: float  # seconds of audio
    engine: str  # which engine answered
    outputs: list[Path] = field(default_factory=list)
    note: str = ""  # a short line for the table (the transcript's start, the top label...)


def options_class(task: str):
    """The options dataclass of ``task`` (its defaults are the batch's defaults)."""
    if task == "transcribe":
        from pipelines.transcribe import TranscribeOptions

        return TranscribeOptions
    if task == "diarize":
        return DiarizeBatchOptions
    if task == "meeting_notes":
        from pipelines.meeting_notes import MeetingNotesOptions

        return MeetingNotesOptions
    if task == "denoise":
        from pipelines.clean_up import DenoiseOptions

        return DenoiseOptions
    if task == "classify":
        from pipelines.classify import ClassifyOptions

        return ClassifyOptions
    if task == "analyze":
        from pipelines.analyze import AnalyzeOptions

        return AnalyzeOptions
    raise UserError(f"Unknown batch task '{task}': choose one of {', '.join(TASK_TITLES)}.")


@dataclass
class DiarizeBatchOptions:
    """Diarize's choices in a batch: the tab's speaker counts and transcript switch (bundled engine)."""

    num_speakers: int = 0  # 0 = estimate between min_speakers and max_speakers
    min_speakers: int = 1
    max_speakers: int = 6
    transcribe: bool = True  # also write what each speaker said (English, bundled Whisper tiny.en)
    names: str = ""  # 'Alice, Bob'


def build_options(task: str, values: dict | None):
    """``values`` (field -> value, e.g. from JSON) over the task's defaults; an unknown field is a UserError."""
    cls = options_class(task)
    return _fill(cls, values or {}, task)


def _fill(cls, values: dict, where: str):
    if not isinstance(values, dict):
        raise UserError(f'The options of {where} must be a JSON object such as {{"language": "en"}}.')
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UserError(f"{where} has no option {', '.join(unknown)}; its options are: {', '.join(fields)}.")
    kwargs = {}
    for name, value in values.items():
        default = cls().__getattribute__(name)
        if dataclasses.is_dataclass(default):
            value = _fill(type(default), value, f"{where}.{name}")
        kwargs[name] = value
    return cls(**kwargs)


def defaults_of(task: str) -> dict:
    """The task's options with their defaults (shown on screen and in the API's help)."""
    return dataclasses.asdict(options_class(task)())


Runner = Callable[..., FileDone]


def run_file(
    task: str,
    path: Path,
    out_dir: Path,
    stem: str,
    options,
    *,
    max_seconds: float,
    offline: bool,
    progress: Progress | None = None,
) -> FileDone:
    """Run one recording through ``task``; its downloads land in ``out_dir`` named after ``stem``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    progress = progress or (lambda share, stage: None)
    runner = RUNNERS[task]
    done = runner(Path(path), out_dir, stem, options, max_seconds=max_seconds, offline=offline, progress=progress)
    done.outputs = [_named_after(p, stem) for p in done.outputs if p and Path(p).is_file()]
    done.engine = done.engine or "?"
    return done


def _named_after(path: Path, stem: str) -> Path:
    """``timeline-yamnet-x.png`` -> ``x-timeline-yamnet.png``: every download starts with its input's name."""
    path = Path(path)
    if path.name.startswith(stem):
        return path
    rest = path.stem.replace(f"-{stem}", "").strip("-_") or "out"
    target = path.with_name(f"{stem}-{rest}{path.suffix}")
    path.replace(target)
    return target


def _transcribe(path, out_dir, stem, o, *, max_seconds, offline, progress) -> FileDone:
    from pipelines.core.audio_stream import open_mono
    from pipelines.transcribe import SAMPLE_RATE, transcribe_stream, write_outputs

    clip = open_mono(str(path), SAMPLE_RATE, max_seconds=max_seconds)
    t = None
    for t in transcribe_stream(clip.samples, o, name=clip.name):
        progress(t.progress, t.stage)
    paths = write_outputs(t, out_dir, stem, o.subtitles)
    return FileDone(t.duration, t.engine, list(paths.values()), t.text[:200])


def _diarize(path, out_dir, stem, o: DiarizeBatchOptions, *, max_seconds, offline, progress) -> FileDone:
    import numpy as np

    from pipelines import diarize as dz
    from pipelines.core.audio_stream import open_mono

    num, lo, hi = dz.check_counts(o.num_speakers, o.min_speakers, o.max_speakers)
    clip = open_mono(str(path), dz.SAMPLE_RATE, max_seconds=max_seconds)
    out = dz.run(
        np.asarray(clip.samples),
        clip.sr,
        out_dir,
        stem=stem,
        options=dz.DiarizeOptions(num_speakers=num, min_speakers=lo, max_speakers=hi),
        offline=offline,
        transcribe=bool(o.transcribe),
        names=o.names,
        progress=progress,
    )
    f = out.files
    r = out.result
    return FileDone(r.duration, r.engine, [f.rttm, f.txt, f.srt, f.timeline], f"{len(r.speakers)} speakers")


def _meeting_notes(path, out_dir, stem, o, *, max_seconds, offline, progress) -> FileDone:
    import numpy as np

    from pipelines import meeting_notes as mn
    from pipelines.core.audio_stream import open_mono

    clip = open_mono(str(path), mn.SAMPLE_RATE, max_seconds=max_seconds)
    out = mn.run(np.asarray(clip.samples), clip.sr, out_dir, stem=stem, options=o, offline=offline, progress=progress)
    f, r = out.files, out.result
    return FileDone(r.duration, r.engines, [f.markdown, f.txt, f.json, f.srt], f"{len(r.speakers)} speakers")


def _denoise(path, out_dir, stem, o, *, max_seconds, offline, progress) -> FileDone:
    from pipelines.clean_up import DENOISE_RATE, denoise
    from pipelines.core.audio_stream import open_mono

    clip = open_mono(str(path), DENOISE_RATE, max_seconds=max_seconds)
    r = denoise(clip, o, out_dir, stem, progress=progress)
    return FileDone(
        clip.duration, r.engine, [r.wav_path, r.before_png, r.after_png], f"{r.removed_dbfs:.1f} dBFS removed"
    )


def _classify(path, out_dir, stem, o, *, max_seconds, offline, progress) -> FileDone:
    import json

    from pipelines.classify import classify, find_task, write_timeline
    from pipelines.core.audio_stream import load_bounded

    t = find_task(o.task)
    audio = load_bounded(str(path), 48000 if t.kind == "birdnet" else 16000, max_seconds=max_seconds)
    progress(0.2, "Classifying")
    r = classify(audio, t.key, model_id=o.model_id or None, top_k=o.top_k)
    labels = out_dir / f"{stem}-labels.json"
    labels.write_text(json.dumps({"engine": r.engine, "labels": r.labels}, indent=2, ensure_ascii=False), "utf-8")
    outputs = [labels]
    if r.frames is not None:
        outputs += list(
            write_timeline(r.frames, f"{t.title.split(':')[0]}: strongest classes over time", out_dir, stem, t.key)
        )
    top = ", ".join(f"{k} {v:.2f}" for k, v in list(r.labels.items())[:3])
    return FileDone(audio.duration, r.engine, outputs, top)


def _analyze(path, out_dir, stem, o, *, max_seconds, offline, progress) -> FileDone:
    from pipelines.analyze import analyze, check_analyze_length
    from pipelines.core.audio import load_audio

    check_analyze_length(str(path))
    clip = dataclasses.replace(load_audio(str(path), max_seconds=max_seconds), name=stem)  # downloads named after it
    r = analyze(clip, out_dir, o, progress=progress)
    outputs = [r.json_path, *r.figures.values(), r.click_path]
    return FileDone(clip.duration, "; ".join(r.engines), outputs, r.summary[:200])


RUNNERS: dict[str, Runner] = {
    "transcribe": _transcribe,
    "diarize": _diarize,
    "meeting_notes": _meeting_notes,
    "denoise": _denoise,
    "classify": _classify,
    "analyze": _analyze,
}
