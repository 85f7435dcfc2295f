"""Noise suppression with RNNoise (Xiph), the library the ``pyrnnoise`` wheel compiles in.

``pyrnnoise``'s Python wrapper imports ``audiolab`` (an FFmpeg binding) for file I/O, which
this app does not need, so the shared library in the package folder is opened directly with
ctypes: ``rnnoise_create``, ``rnnoise_process_frame(state, out, in)`` on 480-sample frames of
48 kHz mono in 16-bit scale, which returns the frame's voice probability. RNNoise has no
attenuation limit of its own; :class:`RNNoiseStream` mixes the delayed input back in to get one.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

KEY = "rnnoise"
SAMPLE_RATE = 48_000
FRAME = 480
DELAY = 960  # samples the output lags the input (two frames, measured)
SCALE = 32768.0

_FLOAT_P = ctypes.POINTER(ctypes.c_float)


def _load() -> ctypes.CDLL:
    spec = importlib.util.find_spec("pyrnnoise")
    folder = list(spec.submodule_search_locations)[0]
    lib = ctypes.CDLL(os.path.join(folder, "librnnoise.so"))
    lib.rnnoise_create.argtypes = [ctypes.c_void_p]
    lib.rnnoise_create.restype = ctypes.c_void_p
    lib.rnnoise_destroy.argtypes = [ctypes.c_void_p]
    lib.rnnoise_destroy.restype = None
    lib.rnnoise_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
    lib.rnnoise_process_frame.restype = ctypes.c_float
    lib.rnnoise_get_frame_size.restype = ctypes.c_int
    if lib.rnnoise_get_frame_size() != FRAME:
        raise RuntimeError(f"RNNoise frame size is {lib.rnnoise_get_frame_size()}, expected {FRAME}.")
    return lib


SPEC = register(
    ModelSpec(
        key=KEY,
        task="denoise",
        title="RNNoise (bundled, light)",
        engine="bundled",
        licence="BSD-3-Clause (RNNoise, Xiph.Org / Jean-Marc Valin); Apache-2.0 (pyrnnoise wheel)",
        loader=_load,
        size_mb=0.1,
        requires=("pyrnnoise",),
    )
)


class RNNoiseStream:
    """One recording's RNNoise state: feed whole frames, get the same number of samples back."""

    sr = SAMPLE_RATE
    frame = FRAME
    delay = DELAY

    def __init__(self, atten_lim_db: float = 100.0) -> None:
        self._lib = REGISTRY.get(KEY)
        self._state = self._lib.rnnoise_create(None)
        # Mix this much of the (delayed) input back in: at most atten_lim_db of noise is removed.
        self._keep = 0.0 if atten_lim_db >= 100 else float(10 ** (-atten_lim_db / 20))
        self._history = np.zeros(DELAY, np.float32)
        self.speech_frames = 0
        self.frames = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) % FRAME:
            raise ValueError(f"RNNoiseStream takes whole frames of {FRAME} samples, got {len(x)}.")
        scaled = x * SCALE
        out = np.empty_like(scaled)
        process = self._lib.rnnoise_process_frame
        state = self._state
        base_in, base_out, step = scaled.ctypes.data, out.ctypes.data, FRAME * 4
        speech = 0
        for i in range(len(x) // FRAME):
            prob = process(state, ctypes.cast(base_out + i * step, _FLOAT_P), ctypes.cast(base_in + i * step, _FLOAT_P))
            speech += prob > 0.5
        self.speech_frames += int(speech)
        self.frames += len(x) // FRAME
        out /= SCALE
        if self._keep:
            delayed = np.concatenate([self._history, x])
            out += self._keep * delayed[: len(x)]
            self._history = delayed[len(x) :]
        return out

    def close(self) -> None:
        if self._state:
            self._lib.rnnoise_destroy(self._state)
            self._state = None

    def __del__(self) -> None:
        self.close()
