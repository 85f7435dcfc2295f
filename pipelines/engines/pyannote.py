"""pyannote.audio's speaker-diarization pipeline: from the model hub (gated: a token), or a local folder.

Loaded through the model registry like every other model, so it can be unloaded: the default
pipeline with the server's token is ``pyannote-hub``; another hub id or a user's token gets its
own entry (the token only as a hash in the key), and a local pipeline folder (``config.yaml``) is
accepted only where ``registry.local_model_folder`` allows. At most :data:`MAX_LOADED` stay loaded.

pyannote.audio is not installed by this app (it needs a torchaudio build matching torch).
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

from pipelines.core.errors import ModelUnavailable
from pipelines.core.registry import (
    REGISTRY,
    ModelSpec,
    is_folder_name,
    local_model_folder,
    module_installed,
    register,
)
from pipelines.formats.rttm import Turn

MODEL_KEY = "pyannote-hub"
MODEL_ID = "pyannote/speaker-diarization-community-1"
SAMPLE_RATE = 16_000  # what its segmentation and embedding models take
GROUP = "pyannote"
MAX_LOADED = 2
LOCAL_MARKER = "config.yaml"

REGISTRY.set_group_cap(GROUP, MAX_LOADED)


def token_or_env(token: str | None) -> str | None:
    """The token the user gave, else the server's (HF_TOKEN or HUGGINGFACE_TOKEN)."""
    return (token or "").strip() or os.environ.get("HF_TOKEN") or os.environ.get("HUGGINGFACE_TOKEN") or None


def _loader(model: str, token: str | None = None, from_env: bool = False):
    def loader():
        try:
            from pyannote.audio import Pipeline
        except Exception as exc:  # installed but broken, typically torchaudio against torch
            raise ModelUnavailable(f"pyannote.audio is installed but does not import here ({exc}).") from exc
        tok = token_or_env(None) if from_env else token
        try:
            pipeline = Pipeline.from_pretrained(model, token=tok)
        except TypeError:  # pyannote.audio 3.x spelled it use_auth_token
            pipeline = Pipeline.from_pretrained(model, use_auth_token=tok)
        if pipeline is None:
            raise ModelUnavailable(
                f"pyannote could not load '{model}': accept its terms on the hub and check the token."
            )
        return pipeline

    return loader


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="diarize",
        title="pyannote speaker diarization (model hub)",
        engine="hub",
        licence="MIT code (pyannote.audio); model terms on the hub page (gated: accept them, use a token)",
        loader=_loader(MODEL_ID, from_env=True),
        requires=("pyannote.audio",),
        hub_id=MODEL_ID,
        note="needs pyannote.audio (with a torchaudio matching torch), the model hub and a Hugging Face token",
        group=GROUP,
    )
)


def model_spec(model: str = MODEL_ID, token: str | None = None) -> ModelSpec:
    """The registry entry for a hub id (with the user's token, if any) or an allowed local folder."""
    model = (model or MODEL_ID).strip()
    if is_folder_name(model):
        path = local_model_folder(model, LOCAL_MARKER, "a pyannote pipeline folder")
        key, fields = f"pyannote-local:{path}", dict(title=f"pyannote from {path.name} (local folder)", engine="local")
        loader = _loader(str(path))
    else:
        given = (token or "").strip()
        if model == MODEL_ID and not given:
            return SPEC
        tok = token_or_env(given)
        digest = hashlib.sha256((tok or "").encode()).hexdigest()[:12]
        key, fields = f"pyannote-hub:{model}:{digest}", dict(title=f"pyannote {model} (model hub)", engine="hub")
        fields["hub_id"] = model
        loader = _loader(model, tok)
    return REGISTRY.ensure(
        key,
        lambda: ModelSpec(
            key=key, task="diarize", licence=SPEC.licence, loader=loader, requires=SPEC.requires, group=GROUP, **fields
        ),
    )


def availability(token: str | None, offline: bool = False) -> tuple[bool, str]:
    """Can pyannote.audio answer from the hub here? (ok, reason in words) without loading anything."""
    if not module_installed("pyannote.audio"):
        return False, (
            "pyannote.audio is not installed (it needs a torchaudio build matching torch, which this "
            "app does not install)"
        )
    if offline:
        return False, "the app runs offline (--offline), and pyannote's pipeline comes from the model hub"
    ok, reason = SPEC.availability()
    if not ok:
        return False, reason
    if not token_or_env(token):
        return False, "pyannote's pipeline is gated on the hub: give a Hugging Face token that accepted its terms"
    return True, "ready"


def diarize(
    y: np.ndarray,
    sr: int,
    *,
    num_speakers: int = 0,
    min_speakers: int = 1,
    max_speakers: int = 6,
    token: str | None = None,
    model: str = MODEL_ID,
    offline: bool = False,
) -> list[Turn]:
    """pyannote's turns (its own speaker labels), sorted by start; a fixed count when num_speakers > 0."""
    spec = model_spec(model, token)  # a folder is checked against the allowed roots before anything else
    if spec.engine != "local":
        ok, reason = availability(token, offline)
        if not ok:
            raise ModelUnavailable(f"pyannote is not available: {reason}. Use the bundled engine.")
    import torch

    pipeline = REGISTRY.get(spec.key)
    kwargs = (
        {"num_speakers": num_speakers} if num_speakers else {"min_speakers": min_speakers, "max_speakers": max_speakers}
    )
    output = pipeline({"waveform": torch.from_numpy(y[None].astype(np.float32)), "sample_rate": sr}, **kwargs)
    annotation = getattr(output, "speaker_diarization", output)  # 4.x wraps it, 3.x returns it
    turns = [Turn(seg.start, seg.end, str(label)) for seg, _, label in annotation.itertracks(yield_label=True)]
    return sorted(turns, key=lambda t: t.start)
