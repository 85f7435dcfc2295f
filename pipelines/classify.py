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
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.audio import AudioInput, resample_array
from pipelines.core.errors import UserError
from pipelines.core.hub import hub_status
from pipelines.core.registry import REGISTRY, ModelSpec, ModelUnavailable, local_model_folder, register
from pipelines.engines import birdnet, yamnet
from pipelines.engines.whisper import get_whisper
from pipelines.formats.scores import FrameScores

LANGUAGE_MODEL_KEY = "whisper-base"
LANGUAGE_PREFIX = "Spoken language: "
LANGUAGE_SEARCH_SECONDS = 300.0  # look for that much speech in the first 5 minutes only
MAX_TOP_K = 20
MAX_LOADED_HUB_MODELS = 2
HF_MAX_SECONDS = 60.0  # transformers pipelines hold the whole clip in memory; most models look at 10-30 s
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(/[A-Za-z0-9][\w.\-]{0,95})?$")


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
        about="BirdNET 2.4, per 3 s chunk. " + birdnet.SPEC.note,
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


# --- hub and local models through transformers ------------------------------------------


_hf_lock = threading.Lock()
_hf_loaded: list[str] = []  # registry keys, oldest first


def resolve_model(model_id: str, hf_task: str) -> ModelSpec:
    """The registry entry for a hub model id or an allowed local model folder (registered on first use)."""
    model_id = (model_id or "").strip()
    if not model_id:
        raise UserError("Enter a model id from the model hub (for example MIT/ast-finetuned-speech-commands-v2).")
    if model_id.startswith(("/", ".", "~")) or model_id.count("/") > 1:  # a folder, not owner/name
        return _local_spec(Path(os.path.expanduser(model_id)), hf_task)
    if not _MODEL_ID_RE.match(model_id):
        raise UserError(
            f"'{model_id[:100]}' is not a model id: it looks like 'owner/name' (letters, digits, '-', '_' and '.')."
        )
    key = f"hf:{hf_task}:{model_id}"
    try:
        return REGISTRY.spec(key)
    except ModelUnavailable:
        return register(
            ModelSpec(
                key=key,
                task=hf_task,
                title=f"{model_id} (model hub)",
                engine="hub",
                licence="see the model card on the hub",
                loader=_hf_loader(model_id, hf_task),
                requires=("transformers", "torch"),
                hub_id=model_id,
            )
        )


def _local_spec(path: Path, hf_task: str) -> ModelSpec:
    path = local_model_folder(path, "config.json", "a model folder")
    key = f"local:{hf_task}:{path}"
    try:
        return REGISTRY.spec(key)
    except ModelUnavailable:
        # engine "local": needs no hub, and is not listed among the bundled engines
        return register(
            ModelSpec(
                key=key,
                task=hf_task,
                title=f"local model '{path.name}'",
                engine="local",  # type: ignore[arg-type]
                licence="as its folder says",
                loader=_hf_loader(str(path), hf_task),
                requires=("transformers", "torch"),
            )
        )


def _hf_loader(model: str, hf_task: str):
    def loader():
        from transformers import AutoConfig, pipeline

        try:  # the config is small: check the kind of model before fetching any weights
            config = AutoConfig.from_pretrained(model)
        except OSError as exc:  # not found, private, no network mid-download
            raise UserError(f"Could not load '{model}': {str(exc).splitlines()[0][:300]}") from exc
        except (ValueError, KeyError) as exc:
            raise UserError(f"'{model}' is not a model for {hf_task}: {str(exc).splitlines()[0][:200]}") from exc
        if not _supports(config.model_type, hf_task):
            raise UserError(
                f"'{model}' is a {config.model_type} model, not a model for {hf_task}: "
                "pick one tagged with that task on the model hub."
            )
        try:
            pipe = pipeline(hf_task, model=model, device="cpu")
        except OSError as exc:
            raise UserError(f"Could not load '{model}': {str(exc).splitlines()[0][:300]}") from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"'{model}' is not a model for {hf_task}: {str(exc).splitlines()[0][:300]}") from exc
        if getattr(pipe, "feature_extractor", None) is None or not getattr(
            pipe.feature_extractor, "sampling_rate", None
        ):
            raise UserError(f"'{model}' is not a model for {hf_task} (it has no audio feature extractor).")
        return pipe

    return loader


def _supports(model_type: str, hf_task: str) -> bool:
    if hf_task == "zero-shot-audio-classification":
        return model_type == "clap"  # the only audio-text model that pipeline supports
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    return model_type in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES


def load_hf_pipeline(spec: ModelSpec):
    """Load (or reuse) a transformers pipeline, keeping at most a couple loaded at once."""
    pipe = REGISTRY.get(spec.key)
    with _hf_lock:
        if spec.key in _hf_loaded:
            _hf_loaded.remove(spec.key)
        _hf_loaded.append(spec.key)
        while len(_hf_loaded) > MAX_LOADED_HUB_MODELS:
            REGISTRY.unload(_hf_loaded.pop(0))
    return pipe


def engine_line(spec: ModelSpec) -> str:
    if spec.engine == "local":
        return f"local: {spec.title} (a model folder on this server)"
    status = hub_status()
    return f"model hub: {spec.hub_id} ({status.reason})"


def hf_input(audio: AudioInput, sr: int, notes: list[str] | None = None) -> dict:
    """The first HF_MAX_SECONDS of the clip at the model's rate, as transformers pipelines take it."""
    if audio.duration > HF_MAX_SECONDS:
        audio = AudioInput(
            audio.channels[:, : int(HF_MAX_SECONDS * audio.sr)], audio.sr, audio.sample_format, audio.name
        )
        if notes is not None:
            notes.append(f"Hub models hear the first {HF_MAX_SECONDS:g} s of the clip.")
    y = resample_mono(audio, sr)
    return {"raw": np.ascontiguousarray(y, dtype=np.float32), "sampling_rate": sr}


def hub_note() -> str:
    """One line on whether model-hub engines can be used now (shown in the tabs, refreshed on page load).

    Waits at most 0.2 s: Gradio also calls it while building the app, which must start fast."""
    status = hub_status(wait=0.2)
    if status.reachable:
        return f"**Model hub:** reachable ({status.reason}); hub models download on first use."
    return f"**Model hub:** not reachable ({status.reason}): hub models are unavailable, bundled engines work."


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
            frames.top(top_k), "offline: bundled BirdNET 2.4 (6,522 species)", t, frames, notes=[birdnet.SPEC.note]
        )
    if t.kind == "language":
        labels, heard = spoken_language(resample_mono(audio, 16000), top_k)
        notes = [] if heard else ["No speech was found in this clip, so this language guess means little."]
        return ClassifyResult(
            labels, "offline: bundled Whisper base (99 languages), language detection", t, notes=notes
        )
    model = (model_id or "").strip() or t.hub_id
    spec = resolve_model(model or "", "audio-classification")
    pipe = load_hf_pipeline(spec)
    notes: list[str] = []
    out = pipe(hf_input(audio, int(pipe.feature_extractor.sampling_rate), notes), top_k=top_k)
    labels = {str(d["label"]): float(d["score"]) for d in out}
    return ClassifyResult(labels, engine_line(spec), t, notes=notes)


def resample_mono(audio: AudioInput, sr: int) -> np.ndarray:
    return resample_array(audio.mono, audio.sr, sr)


def spoken_language(y16k: np.ndarray, top_k: int = 5) -> tuple[dict[str, float], bool]:
    """Whisper base's language probabilities (keys 'Spoken language: English (en)'), and whether speech was heard."""
    from pipelines.transcribe import LANGUAGES, detect_language

    model = get_whisper(LANGUAGE_MODEL_KEY)
    probs, heard = detect_language(model, y16k, search_s=LANGUAGE_SEARCH_SECONDS)
    return {f"{LANGUAGE_PREFIX}{LANGUAGES.get(code, code)} ({code})": p for code, p in probs[:top_k]}, heard


# --- frame-level view -------------------------------------------------------------------


def strongest(frames: FrameScores, n: int = 8) -> np.ndarray:
    """Indices of the n classes with the highest peak score, strongest first."""
    return np.argsort(frames.scores.max(axis=0))[::-1][:n]


def plot_timeline(frames: FrameScores, title: str, n: int = 8):
    """Heatmap: the strongest classes (rows) over time, one column per frame/chunk."""
    from pipelines.formats.plots import new_figure

    idx = strongest(frames, n)[::-1]  # strongest on top
    fig, (ax,) = new_figure(height_in=max(2.6, 0.32 * len(idx) + 1.2))
    fig.subplots_adjust(left=0.27, right=0.93)
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
    ax.set_yticks(np.arange(len(idx)) + 0.5, [_short(frames.labels[i]) for i in idx])
    ax.set_xlabel(f"time (s); one column per {frames.hop_s:g} s")
    ax.set_title(title, loc="right", fontsize=10)  # right: the UI puts its own label top-left
    fig.colorbar(image, ax=ax, label="score", pad=0.01, fraction=0.04)
    return fig


def _short(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


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


def write_timeline(frames: FrameScores, title: str, out_dir: Path, stem: str, key: str) -> tuple[Path, Path]:
    """The timeline heatmap as PNG and the frame scores as CSV, side by side in out_dir.

    Files are ``timeline-{key}-{stem}.png`` and ``frames-{key}-{stem}.csv``."""
    from pipelines.formats.plots import save_png

    out_dir = Path(out_dir)
    png = save_png(plot_timeline(frames, title), out_dir / f"timeline-{key}-{stem}.png")
    return Path(png), write_frames_csv(frames, out_dir / f"frames-{key}-{stem}.csv")
