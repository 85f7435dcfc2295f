"""wav2vec2 CTC speech recognition (seed 004) through ``transformers.pipeline("automatic-speech-recognition")``.

Hub: ``facebook/wav2vec2-base-960h`` (English, trained on LibriSpeech 960 h; Apache-2.0),
registered under ``wav2vec2-hub-base-960h``, offered only when the model hub is reachable.
Local: an allowed model folder (``registry.local_model_folder``) holding a CTC model's
``config.json`` and tokenizer, registered on first use (tests use a tiny random one).

CTC models see the whole input at once (memory grows with its length), so a recording is
decoded ``BLOCK_SECONDS`` at a time; each block is one segment. ``decode`` yields
``(start, end, text, words)`` per block, ``words`` as ``(start, end, word)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.registry import REGISTRY, ModelSpec, local_model_folder, register

SAMPLE_RATE = 16_000  # what wav2vec2 models take
BLOCK_SECONDS = 30.0
PREFIX = "wav2vec2-"
LOCAL_PREFIX = "wav2vec2-local:"
HUB_MODELS = {"wav2vec2-hub-base-960h": "facebook/wav2vec2-base-960h"}


def _loader(model: str):
    def loader():
        from transformers import AutoConfig, pipeline
        from transformers.models.auto.modeling_auto import MODEL_FOR_CTC_MAPPING_NAMES

        try:
            config = AutoConfig.from_pretrained(model)
        except OSError as exc:
            raise ModelUnavailable(f"Could not load '{model}': {(str(exc).splitlines() or [''])[0][:300]}") from exc
        if config.model_type not in MODEL_FOR_CTC_MAPPING_NAMES:
            raise UserError(f"'{model}' is a {config.model_type} model, not a CTC speech-recognition model.")
        try:
            return pipeline("automatic-speech-recognition", model=model, device="cpu")
        except OSError as exc:  # tokenizer or weights missing, download failed
            raise ModelUnavailable(f"Could not load '{model}': {(str(exc).splitlines() or [''])[0][:300]}") from exc

    return loader


for _key, _repo in HUB_MODELS.items():
    register(
        ModelSpec(
            key=_key,
            task="transcribe",
            title=f"wav2vec2 {_repo.split('/')[-1].removeprefix('wav2vec2-')} (model hub, English, CTC)",
            engine="hub",
            licence="Apache-2.0 (Facebook AI wav2vec 2.0)",
            loader=_loader(_repo),
            requires=("transformers", "torch"),
            size_mb=360,
            hub_id=_repo,
        )
    )


def is_wav2vec2(key: str) -> bool:
    return key.startswith(PREFIX)


def hub_keys() -> list[str]:
    return list(HUB_MODELS)


def register_local(path) -> str:
    """Register an allowed local CTC model folder (one with config.json) and return its key."""
    folder = local_model_folder(path, "config.json", "a transformers CTC model folder")
    key = LOCAL_PREFIX + str(folder)
    REGISTRY.ensure(
        key,
        lambda: ModelSpec(
            key=key,
            task="transcribe",
            title=f"wav2vec2 from {folder.name} (local folder, CTC)",
            engine="local",
            licence="as its owner states",
            loader=_loader(str(folder)),
            requires=("transformers", "torch"),
        ),
    )
    return key


def decode(
    pipe, x, block_s: float = BLOCK_SECONDS
) -> Iterator[tuple[float, float, str, list[tuple[float, float, str]]]]:
    """Text of mono 16-kHz ``x`` (an ndarray or a SampleFile) a block at a time, with word times."""
    n, step = len(x), int(block_s * SAMPLE_RATE)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        part = np.ascontiguousarray(np.asarray(x[lo:hi], dtype=np.float32))
        if hi - lo < SAMPLE_RATE // 10:  # too short for the convolutional front end
            continue
        out = pipe({"raw": part, "sampling_rate": SAMPLE_RATE}, return_timestamps="word")
        t0 = lo / SAMPLE_RATE
        words = []
        for c in out.get("chunks") or []:
            a, b = c.get("timestamp") or (None, None)
            if a is None:
                continue
            words.append((t0 + float(a), t0 + float(b if b is not None else a), str(c.get("text", "")).strip()))
        text = " ".join(str(out.get("text", "")).split())
        yield t0, hi / SAMPLE_RATE, text, words
