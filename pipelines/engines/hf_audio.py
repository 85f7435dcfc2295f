"""Audio models of the Hugging Face hub through ``transformers.pipeline``: hub ids and local folders.

Used by Classify (``audio-classification``) and Zero-shot (``zero-shot-audio-classification``,
CLAP). A model id or an allowed local model folder (``registry.local_model_folder``) is
registered on first use; every pipeline is loaded through the model registry in the
``hf-audio`` group, of which at most :data:`MAX_LOADED` stay loaded (the least recently used
one is unloaded). Tests use tiny random models through the same code path.

What is the user's to fix becomes a :class:`UserError`: an id that is not a model, a model the
hub or the folder cannot give, a model of another kind. Anything else (a library bug) propagates.
"""

from __future__ import annotations

import re

import numpy as np

from pipelines.core.audio import AudioInput, resample_mono
from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.hub import hub_reason, hub_status
from pipelines.core.registry import REGISTRY, ModelSpec, is_folder_name, local_model_folder

GROUP = "hf-audio"
MAX_LOADED = 2  # transformers pipelines loaded at once; using a third unloads the oldest
HF_MAX_SECONDS = 60.0  # transformers pipelines hold the whole clip in memory; most models look at 10-30 s
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-]{0,95}(/[A-Za-z0-9][\w.\-]{0,95})?$")

REGISTRY.set_group_cap(GROUP, MAX_LOADED)


def resolve_model(model_id: str, hf_task: str) -> ModelSpec:
    """The registry entry for a hub model id or an allowed local model folder (registered on first use)."""
    model_id = (model_id or "").strip()
    if not model_id:
        raise UserError("Enter a model id from the model hub (for example MIT/ast-finetuned-speech-commands-v2).")
    if is_folder_name(model_id):
        return _local_spec(model_id, hf_task)
    if not _MODEL_ID_RE.match(model_id):
        raise UserError(
            f"'{model_id[:100]}' is not a model id: it looks like 'owner/name' (letters, digits, '-', '_' and '.')."
        )
    return _registered(
        f"hf:{hf_task}:{model_id}",
        hf_task,
        title=f"{model_id} (model hub)",
        engine="hub",
        licence="see the model card on the hub",
        model=model_id,
        hub_id=model_id,
    )


def _local_spec(value: str, hf_task: str) -> ModelSpec:
    path = local_model_folder(value, "config.json", "a model folder")
    # engine "local": needs no hub, and is not listed among the bundled engines
    return _registered(
        f"local:{hf_task}:{path}",
        hf_task,
        title=f"local model '{path.name}'",
        engine="local",
        licence="as its folder says",
        model=str(path),
    )


def _registered(key: str, hf_task: str, *, model: str, **fields) -> ModelSpec:
    """The spec under ``key``, registered on first use."""
    return REGISTRY.ensure(
        key,
        lambda: ModelSpec(
            key=key,
            task=hf_task,
            loader=_loader(model, hf_task),
            requires=("transformers", "torch"),
            group=GROUP,
            **fields,
        ),
    )


_WEIGHTS_NOT_LOADED = "Could not load model "  # transformers.pipelines.base.load_model's message


def _cause(exc: BaseException) -> str:
    """The last line of the errors transformers lists (the reason the files did not load)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[-1] if lines else exc.__class__.__name__)[:300]


def _first_line(exc: BaseException, limit: int = 300) -> str:
    return (str(exc).splitlines() or [exc.__class__.__name__])[0][:limit]


def _loader(model: str, hf_task: str):
    def loader():
        from transformers import AutoConfig, pipeline

        # The config is small: check the kind of model before fetching any weights.
        try:
            config = AutoConfig.from_pretrained(model)
        except OSError as exc:  # no such model, private, no network mid-download, no config in the folder
            raise ModelUnavailable(f"Could not load '{model}': {_first_line(exc)}") from exc
        except ValueError as exc:  # transformers' word for a config of a model type it does not know
            raise UserError(f"'{model}' is not a model for {hf_task}: {_first_line(exc, 200)}") from exc
        if not supports(config.model_type, hf_task):
            raise UserError(
                f"'{model}' is a {config.model_type} model, not a model for {hf_task}: "
                "pick one tagged with that task on the model hub."
            )
        try:
            pipe = pipeline(hf_task, model=model, device="cpu")
        except OSError as exc:  # preprocessor files missing, or the download failed
            raise ModelUnavailable(f"Could not load '{model}': {_first_line(exc)}") from exc
        except ValueError as exc:
            # transformers' own wrapper when none of the model classes could load the files (weights
            # missing or unreadable): the model's to fix. Any other ValueError is not the user's.
            if not str(exc).startswith(_WEIGHTS_NOT_LOADED):
                raise
            raise ModelUnavailable(f"Could not load '{model}': its weights could not be read ({_cause(exc)}).") from exc
        if getattr(pipe, "feature_extractor", None) is None or not getattr(
            pipe.feature_extractor, "sampling_rate", None
        ):
            raise UserError(f"'{model}' is not a model for {hf_task} (it has no audio feature extractor).")
        return pipe

    return loader


def supports(model_type: str, hf_task: str) -> bool:
    """Whether transformers' pipeline for ``hf_task`` takes models of ``model_type``."""
    if hf_task == "zero-shot-audio-classification":
        return model_type == "clap"  # the only audio-text model that pipeline supports
    from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

    return model_type in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES


def load_pipeline(spec: ModelSpec):
    """The loaded transformers pipeline (through the registry; at most MAX_LOADED stay loaded)."""
    return REGISTRY.get(spec.key)


def sample_rate(pipe) -> int:
    """The rate the model's feature extractor takes (each hub model names its own)."""
    return int(pipe.feature_extractor.sampling_rate)


def engine_line(spec: ModelSpec) -> str:
    if spec.engine == "local":
        return f"local: {spec.title} (a model folder on this server)"
    status = hub_status()
    return f"model hub: {spec.hub_id} ({hub_reason(status)})"


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
