"""MusicGen through ``transformers`` (the hub engine of the Compose tab).

``audiocraft`` pins an old torch, so the same models run through
``MusicgenForConditionalGeneration`` / ``MusicgenMelodyForConditionalGeneration``.
Hub models are registered as ``musicgen-small`` ... ``musicgen-melody`` and load on first
use. A local model folder (``save_pretrained`` output, e.g. a tiny random model built by a
test) runs through exactly the same code: :func:`model_key` registers it on the fly.

The melody model's own feature extractor needs ``torchaudio`` (not installable beside our
torch), so :func:`melody_chroma` computes its conditioning here with ``torch.stft``: the
same chroma filter bank, then the one-hot of the strongest pitch class per frame.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.errors import UserError
from pipelines.core.registry import REGISTRY, ModelSpec, ModelUnavailable, is_folder_name, local_model_folder, register

HUB_MODELS = {  # key -> (hub id, title, download size in MB)
    "musicgen-small": ("facebook/musicgen-small", "MusicGen small (300M)", 2400),
    "musicgen-medium": ("facebook/musicgen-medium", "MusicGen medium (1.5B)", 8000),
    "musicgen-large": ("facebook/musicgen-large", "MusicGen large (3.3B)", 13000),
    "musicgen-melody": ("facebook/musicgen-melody", "MusicGen melody (1.5B, follows a tune)", 6200),
}
MAX_SECONDS = 30.0  # MusicGen was trained on 30 s clips
LICENCE = "CC-BY-NC-4.0 (weights, non-commercial); code MIT"
_generate_lock = threading.Lock()  # torch's global seed and the CPU are shared: one generation at a time


@dataclass
class LoadedMusicGen:
    model: object
    tokenizer: object
    is_melody: bool
    sampling_rate: int
    frame_rate: int
    chroma_filters: np.ndarray | None  # melody models only: (12, n_fft // 2 + 1)
    n_fft: int = 16384
    hop_length: int = 4096
    chunk_seconds: int = 30
    name: str = ""


@dataclass
class SamplingOptions:
    """MusicGen's sampling settings, written once: ``compose.ComposeOptions`` extends this class."""

    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0  # 0 = off
    guidance_scale: float = 3.0
    seed: int = 0


def _load(source: str) -> LoadedMusicGen:
    import torch
    from transformers import (
        AutoConfig,
        AutoTokenizer,
        MusicgenForConditionalGeneration,
        MusicgenMelodyForConditionalGeneration,
    )

    torch.set_num_threads(max(1, torch.get_num_threads()))
    config = AutoConfig.from_pretrained(source)
    is_melody = config.model_type == "musicgen_melody"
    if config.model_type not in ("musicgen", "musicgen_melody"):
        raise ModelUnavailable(f"{source} is a '{config.model_type}' model, not MusicGen.")
    cls = MusicgenMelodyForConditionalGeneration if is_melody else MusicgenForConditionalGeneration
    model = cls.from_pretrained(source)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(source)
    audio_cfg = config.audio_encoder
    filters = None
    n_fft, hop, chunk = 16384, 4096, 30
    if is_melody:
        from transformers.audio_utils import chroma_filter_bank

        fe = _melody_feature_config(source)
        n_fft, hop, chunk = fe.get("n_fft", n_fft), fe.get("hop_length", hop), fe.get("chunk_length", chunk)
        filters = chroma_filter_bank(
            sampling_rate=audio_cfg.sampling_rate,
            num_frequency_bins=n_fft,
            tuning=0,
            num_chroma=config.num_chroma if hasattr(config, "num_chroma") else 12,
        )
    return LoadedMusicGen(
        model,
        tokenizer,
        is_melody,
        int(audio_cfg.sampling_rate),
        int(audio_cfg.frame_rate),
        filters,
        n_fft,
        hop,
        chunk,
        name=str(source),
    )


def _melody_feature_config(source: str) -> dict:
    """The melody feature extractor's settings, read as JSON (its class needs torchaudio)."""
    path = Path(source) / "preprocessor_config.json"
    if not path.exists():
        try:
            from huggingface_hub import hf_hub_download

            path = Path(hf_hub_download(source, "preprocessor_config.json"))
        except Exception:
            return {}
    return json.loads(path.read_text())


for _key, (_hub_id, _title, _size) in HUB_MODELS.items():
    register(
        ModelSpec(
            key=_key,
            task="compose",
            title=f"{_title} (hub)",
            engine="hub",
            licence=LICENCE,
            loader=(lambda hub_id=_hub_id: _load(hub_id)),
            size_mb=_size,
            requires=("torch", "transformers"),
            hub_id=_hub_id,
            note="weights licensed CC-BY-NC 4.0: non-commercial use only",
        )
    )


def is_model_dir(path: str) -> bool:
    p = Path(path)
    if not (p.is_dir() and (p / "config.json").exists()):
        return False
    try:
        return json.loads((p / "config.json").read_text()).get("model_type") in ("musicgen", "musicgen_melody")
    except (OSError, ValueError):
        return False


def model_key(engine: str) -> str:
    """Registry key for a hub key or a local MusicGen folder (registered on first sight)."""
    if engine in HUB_MODELS:
        return engine
    if not is_folder_name(engine):
        raise UserError(
            f"'{engine}' is neither a MusicGen model name ({', '.join(HUB_MODELS)}) "
            "nor a folder holding a saved MusicGen model."
        )
    path = str(local_model_folder(engine, "config.json", "a saved MusicGen model folder"))
    if not is_model_dir(path):
        raise UserError(f"'{Path(path).name}' holds a model that is not MusicGen.")
    key = f"musicgen-local:{path}"
    try:
        REGISTRY.spec(key)
    except ModelUnavailable:
        register(
            ModelSpec(
                key=key,
                task="compose",
                title=f"MusicGen from local folder {Path(path).name}",
                engine="local",
                licence="as the folder's model",
                loader=lambda: _load(path),
                requires=("torch", "transformers"),
                note="a local model folder: no model hub needed",
            )
        )
    return key


def melody_chroma(m: LoadedMusicGen, y: np.ndarray, sr: int):
    """(1, frames, 12) one-hot chroma of a melody, as MusicgenMelodyFeatureExtractor computes it."""
    import torch

    from pipelines.core.audio import resample_array

    y = resample_array(y, sr, m.sampling_rate)
    n = m.chunk_seconds * m.sampling_rate
    y = np.pad(y[:n], (0, max(0, n - len(y)))).astype(np.float32)  # pad/cut to 30 s like the extractor
    wav = torch.from_numpy(y)
    window = torch.hann_window(m.n_fft)
    spec = torch.stft(wav, m.n_fft, hop_length=m.hop_length, window=window, center=True, return_complex=True)
    power = spec.abs() ** 2  # any constant scale is irrelevant: each frame is max-normalised below
    chroma = torch.einsum("cf,ft->ct", torch.from_numpy(m.chroma_filters).float(), power)
    chroma = torch.nn.functional.normalize(chroma, p=float("inf"), dim=0, eps=1e-6).T
    one_hot = torch.zeros_like(chroma)
    one_hot.scatter_(1, chroma.argmax(1, keepdim=True), 1.0)
    return one_hot[None]


class _SecondsCounter:
    """Counts generation steps and reports the seconds of music made so far.

    Used as a logits processor (called once a step): transformers 5's MusicGen drops a
    ``streamer`` argument, a logits processor always runs.
    """

    def __init__(self, total_steps: int, seconds: float, progress: Callable[[float, str], None] | None):
        self.total, self.seconds, self.progress = max(1, total_steps), seconds, progress
        self.steps = 0

    def __call__(self, input_ids, scores):
        self.steps += 1
        if self.progress and (self.steps % 10 == 0 or self.steps == self.total):
            share = min(self.steps, self.total) / self.total
            self.progress(share, f"MusicGen: {share * self.seconds:.1f} s of {self.seconds:.1f} s generated")
        return scores


def generate(
    key: str,
    prompt: str,
    seconds: float,
    params: SamplingOptions,
    melody: tuple[np.ndarray, int] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[np.ndarray, int]:
    """(audio (channels, N) float32, sample rate) from the MusicGen model ``key``."""
    import torch

    m: LoadedMusicGen = REGISTRY.get(key)
    if melody is not None and not m.is_melody:
        raise UserError("Only the MusicGen melody model follows a melody: choose it, or remove the melody.")
    # Codebook k is delayed by k steps (MusicGen's delay pattern): that many extra steps.
    steps = max(1, int(round(seconds * m.frame_rate))) + int(m.model.config.decoder.num_codebooks) - 1
    inputs = m.tokenizer([prompt], padding=True, return_tensors="pt")
    kwargs = dict(
        do_sample=True,
        temperature=float(params.temperature),
        top_k=int(params.top_k),
        guidance_scale=float(params.guidance_scale),
        max_new_tokens=steps,
    )
    if params.top_p and 0 < params.top_p < 1:
        kwargs["top_p"] = float(params.top_p)
    if m.is_melody and melody is not None:
        kwargs["input_features"] = melody_chroma(m, *melody)
    from transformers import LogitsProcessorList

    counter = _SecondsCounter(steps, seconds, progress)
    with _generate_lock, torch.inference_mode():
        torch.manual_seed(int(params.seed))
        audio = m.model.generate(**inputs, **kwargs, logits_processor=LogitsProcessorList([counter]))
    out = audio[0].float().cpu().numpy()  # (channels, samples)
    out = np.nan_to_num(out[:, : int(round(seconds * m.sampling_rate))]).astype(np.float32)
    return out, m.sampling_rate
