"""Classify: what is this sound, over the whole clip and moment by moment (seeds 001, 002).

Tasks, each answered by one engine:

- bundled: YAMNet (AudioSet sound events, per 0.48 s frame), BirdNET (bird species, per 3 s
  chunk), Whisper base's language detection (spoken language);
- hub: the seed documents' models through ``transformers.pipeline("audio-classification")``,
  plus any audio-classification model id, or a local model folder (tests use tiny random
  models this way; the code path is the same).

``classify(audio, task)`` returns a :class:`ClassifyResult`; the frame-level scores can be
drawn with :func:`plot_timeline` and written with :func:`write_frames_csv` (both at once, as the
tabs offer them: :func:`write_timeline`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.audio import AudioInput, resample_mono
from pipelines.core.errors import UserError
from pipelines.core.hub import hub_line
from pipelines.engines import birdnet, hf_audio, yamnet
from pipelines.engines.hf_audio import hf_input, resolve_model
from pipelines.engines.whisper import SAMPLE_RATE as WHISPER_SAMPLE_RATE
from pipelines.engines.whisper import get_whisper
from pipelines.formats.scores import FrameScores

LANGUAGE_MODEL_KEY = "whisper-base"
LANGUAGE_PREFIX = "Spoken language: "
LANGUAGE_SEARCH_SECONDS = 300.0  # look for that much speech in the first 5 minutes only
MAX_TOP_K = 20


@dataclass(frozen=True)
class Task:
    key: str
    title: str  # what users pick from
    kind: str  # "yamnet" | "birdnet" | "language" | "hf"
    hub_id: str | None = None
    about: str = ""
    model_key: str | None = None  # the registry key of a bundled engine (None for "hf": the model id decides)


TASKS: tuple[Task, ...] = (
    Task(
        "sound-events",
        "Sound events (AudioSet, 521 classes): YAMNet, bundled",
        "yamnet",
        about="Google's YAMNet, int8, per 0.48 s frame",
        model_key=yamnet.MODEL_KEY,
    ),
    Task(
        "birds",
        "Bird species (6,522): BirdNET, bundled, non-commercial licence",
        "birdnet",
        about="BirdNET 2.4, per 3 s chunk",  # its licence is said once, beside it (issue 13, class 7)
        model_key=birdnet.MODEL_KEY,
    ),
    Task(
        "language",
        "Spoken language (99): Whisper base, bundled",
        "language",
        about="Whisper base's language detection on the first 30 s of speech",
        model_key=LANGUAGE_MODEL_KEY,
    ),
    Task(
        "keywords", "Keyword spotting (Speech Commands): AST, model hub", "hf", "MIT/ast-finetuned-speech-commands-v2"
    ),
    Task("intent", "Banking intent (MINDS-14): XLS-R 300M, model hub", "hf", "anton-l/xtreme_s_xlsr_300m_minds14"),
    Task(
        "language-fleurs",
        "Language ID (FLEURS, 102): Whisper medium, model hub",
        "hf",
        "sanchit-gandhi/whisper-medium-fleurs-lang-id",
    ),
    Task(
        "emotion",
        "Speech emotion: wav2vec2 XLSR, model hub",
        "hf",
        "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition",
    ),
    Task(
        "audioset-ast",
        "Sound events (AudioSet, 527 classes): AST, model hub",
        "hf",
        "MIT/ast-finetuned-audioset-10-10-0.4593",
    ),
    Task(
        "music-genre",
        "Music genre (GTZAN): DistilHuBERT, model hub",
        "hf",
        "sanchit-gandhi/distilhubert-finetuned-gtzan",
    ),
    Task("custom", "Any audio-classification model (hub id or local folder)", "hf"),
)
TASK_BY_KEY = {t.key: t for t in TASKS}


def find_task(task: str) -> Task:
    """A task by key or by title (case-insensitive); ValueError listing the keys otherwise."""
    needle = (task or "").strip().lower()
    for t in TASKS:
        if needle in (t.key, t.title.lower()):
            return t
    raise UserError(f"Unknown task '{task}'. Choose one of: {', '.join(TASK_BY_KEY)}.")


# --- hub models (loaded by pipelines.engines.hf_audio) -------------------------------------


def hub_note() -> str:
    """One line on whether model-hub engines can be used now (shown in the tabs, refreshed on page load).

    Never waits: Gradio also calls it while building the app, which must start fast."""
    return hub_line()


# --- results -------------------------------------------------------------------------------


@dataclass
class ClassifyResult:
    labels: dict[str, float]  # top-k label -> confidence, best first
    engine: str  # which engine answered and why
    task: Task
    frames: FrameScores | None = None  # frame-level scores (YAMNet, BirdNET)
    notes: list[str] = field(default_factory=list)

    @property
    def top_label(self) -> str:
        return next(iter(self.labels), "")


@dataclass
class ClassifyOptions:
    """The Classify tab's defaults, written once (widgets and handler read them)."""

    task: str = "sound-events"
    model_id: str = ""  # blank: the task's default model
    top_k: int = 5


def classify(
    audio: AudioInput,
    task: str = ClassifyOptions.task,
    model_id: str | None = None,
    top_k: int = ClassifyOptions.top_k,
) -> ClassifyResult:
    t = find_task(task)
    top_k = int(top_k)
    if not 1 <= top_k <= MAX_TOP_K:
        raise UserError(f"Top-k must be between 1 and {MAX_TOP_K}, got {top_k}.")
    if t.kind == "yamnet":
        frames = yamnet.frame_scores(resample_mono(audio, yamnet.SAMPLE_RATE))
        return ClassifyResult(frames.top(top_k), "offline: bundled YAMNet int8 (AudioSet, 521 classes)", t, frames)
    if t.kind == "birdnet":
        frames = birdnet.frame_scores(resample_mono(audio, birdnet.SAMPLE_RATE))
        return ClassifyResult(
            frames.top(top_k), "offline: bundled BirdNET 2.4 (6,522 species; non-commercial licence)", t, frames
        )
    if t.kind == "language":
        labels, heard = spoken_language(resample_mono(audio, WHISPER_SAMPLE_RATE), top_k)
        notes = [] if heard else ["No speech was found in this clip, so this language guess means little."]
        return ClassifyResult(
            labels, "offline: bundled Whisper base (99 languages), language detection", t, notes=notes
        )
    model = (model_id or "").strip() or t.hub_id
    spec = resolve_model(model or "", "audio-classification")
    pipe = hf_audio.load_pipeline(spec)
    notes: list[str] = []
    out = pipe(hf_input(audio, hf_audio.sample_rate(pipe), notes), top_k=top_k)
    labels = {str(d["label"]): float(d["score"]) for d in out}
    return ClassifyResult(labels, hf_audio.engine_line(spec), t, notes=notes)


def spoken_language(y16k: np.ndarray, top_k: int = 5) -> tuple[dict[str, float], bool]:
    """Whisper base's language probabilities (keys 'Spoken language: English (en)'), and whether speech was heard."""
    from pipelines.engines.whisper.detect import detect_language
    from pipelines.engines.whisper.languages import LANGUAGES

    model = get_whisper(LANGUAGE_MODEL_KEY)
    probs, heard = detect_language(model, y16k, search_s=LANGUAGE_SEARCH_SECONDS)
    return {f"{LANGUAGE_PREFIX}{LANGUAGES.get(code, code)} ({code})": p for code, p in probs[:top_k]}, heard


# --- frame-level view -------------------------------------------------------------------


def strongest(frames: FrameScores, n: int = 8) -> np.ndarray:
    """Indices of the n classes with the highest peak score, strongest first."""
    return np.argsort(frames.scores.max(axis=0))[::-1][:n]


def plot_timeline(frames: FrameScores, title: str, n: int = 8):
    """Heatmap: the strongest classes (rows) over time, one column per frame/chunk."""
    from pipelines.formats.plots import fit_left_margin, keep_as_is, new_figure, wrap_label

    idx = strongest(frames, n)[::-1]  # strongest on top
    names = [wrap_label(frames.labels[i]) for i in idx]  # whole names, on two lines when long
    lines = max((name.count("\n") + 1 for name in names), default=1)
    fig, (ax,) = new_figure(height_in=max(2.6, (0.2 + 0.14 * lines) * len(idx) + 1.2))
    fig.subplots_adjust(right=0.93)
    end = float(frames.starts[-1] + frames.hop_s) if len(frames.starts) else frames.window_s
    image = ax.imshow(
        frames.scores[:, idx].T,
        origin="lower",
        aspect="auto",
        cmap="viridis",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(0, end, 0, len(idx)),
    )
    ax.set_yticks(np.arange(len(idx)) + 0.5, names, fontsize=9 if lines > 1 else None)
    keep_as_is(ax.yaxis)  # the model's class names, as the results list them
    ax.set_xlabel(f"time (s); one column per {frames.hop_s:g} s")
    ax.set_title(title, loc="right", fontsize=10)  # right: the UI puts its own label top-left
    fit_left_margin(fig, ax)  # before the colour bar takes its share of the width
    fig.colorbar(image, ax=ax, label="score", pad=0.01, fraction=0.04)
    return fig


def write_frames_csv(frames: FrameScores, path: Path, max_columns: int = 600) -> Path:
    """One row per frame: start, end, then a score per class (the strongest max_columns classes)."""
    idx = strongest(frames, max_columns) if frames.scores.shape[1] > max_columns else np.arange(frames.scores.shape[1])
    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["start_s", "end_s", *[frames.labels[i] for i in idx]])
        for t, row in zip(frames.starts, frames.scores[:, idx]):
            w.writerow([f"{t:.2f}", f"{t + frames.window_s:.2f}", *[f"{v:.4f}" for v in row]])
    return path


def write_timeline(
    frames: FrameScores, title: str, out_dir: Path, stem: str, key: str, *, rows: int = 8
) -> tuple[Path, Path]:
    """The timeline heatmap (the ``rows`` strongest classes; Zero-shot asks for every label) as PNG
    and the frame scores as CSV, side by side in out_dir.

    Files are ``timeline-{key}-{stem}.png`` and ``frames-{key}-{stem}.csv``."""
    from pipelines.formats.plots import save_png

    out_dir = Path(out_dir)
    png = save_png(plot_timeline(frames, title, rows), out_dir / f"timeline-{key}-{stem}.png")
    return Path(png), write_frames_csv(frames, out_dir / f"frames-{key}-{stem}.csv")
