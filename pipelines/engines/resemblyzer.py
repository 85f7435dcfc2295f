"""Voice embeddings: resemblyzer's ``VoiceEncoder`` (3-layer LSTM, ``pretrained.pt`` in the wheel), bundled.

Windows of speech (1.5 s every 0.25 s by default) become 256-wide unit vectors that are close for
one voice and apart for two; Diarize clusters them. The mel spectrogram is computed once for the
whole recording and sliced, not once per window, and windows go through the LSTM in batches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipelines.core.registry import REGISTRY, ModelSpec, register

MODEL_KEY = "resemblyzer"
SAMPLE_RATE = 16_000  # what the encoder takes (resemblyzer.hparams.sampling_rate)
FRAME_S = 0.01  # its mel hop: every window start here is in these frames
DIM = 256  # embedding width
EMBED_BATCH = 32  # windows per LSTM call: bounds memory (64 cost +30 MB for no speed)


def _load_encoder():
    from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False).eval()


SPEC = register(
    ModelSpec(
        key=MODEL_KEY,
        task="diarize",
        title="Resemblyzer voice encoder (bundled)",
        engine="bundled",
        licence="Apache-2.0 (resemblyzer 0.1.4, pretrained.pt in the wheel)",
        loader=_load_encoder,
        size_mb=17,
        requires=("resemblyzer", "torch", "webrtcvad"),
    )
)


def normalise_volume(y: np.ndarray, regions: np.ndarray, sr: int, target_dbfs: float = -20.0) -> np.ndarray:
    """Bring speech to one level, measured over speech only: the encoder's power mel input is
    not level-invariant. -20 dBFS measured better than resemblyzer's own -30 on sample.wav
    (DER 7.7 % against 12.5 %, two speakers given)."""
    # Region by region: a concatenated copy and its float64 squares of 30 minutes of speech
    # cost about 350 MB at once (issue 20).
    total, count = 0.0, 0
    for a, b in regions:
        part = y[int(a * sr) : int(b * sr)].astype(np.float64)
        total, count = total + float(np.dot(part, part)), count + len(part)
    rms = float(np.sqrt(total / count)) if count else 0.0
    if rms <= 1e-6:
        return y
    return (y * min(10 ** (target_dbfs / 20) / rms, 1000.0)).astype(np.float32)


MEL_BLOCK_FRAMES = 30_000  # 5 minutes of mel frames per STFT: the whole-file STFT of 30 min was ~250 MB


def mel_frames(y: np.ndarray) -> np.ndarray:
    """resemblyzer's ``wav_to_mel_spectrogram`` (frames, 40), computed block by block so the
    STFT of a long recording is never held whole; equal to the one-shot result (tested)."""
    import librosa
    from resemblyzer import hparams as hp

    n_fft = int(hp.sampling_rate * hp.mel_window_length / 1000)
    hop = int(hp.sampling_rate * hp.mel_window_step / 1000)
    half = n_fft // 2
    n_frames = 1 + len(y) // hop  # as librosa's centred STFT (zero padding) gives
    out = np.empty((n_frames, hp.mel_n_channels), dtype=np.float32)
    for f0 in range(0, n_frames, MEL_BLOCK_FRAMES):
        f1 = min(n_frames, f0 + MEL_BLOCK_FRAMES)
        a, b = f0 * hop - half, (f1 - 1) * hop + half  # frame f is centred on sample f * hop
        seg = np.zeros(b - a, dtype=np.float32)
        lo, hi = max(a, 0), min(b, len(y))
        seg[lo - a : hi - a] = y[lo:hi]
        mel = librosa.feature.melspectrogram(
            y=seg, sr=hp.sampling_rate, n_fft=n_fft, hop_length=hop, n_mels=hp.mel_n_channels, center=False
        )
        out[f0:f1] = mel.T
    return out


def window_starts(regions: np.ndarray, n_frames: int, window: int, step: int) -> np.ndarray:
    """Frame index where each embedding window starts: every ``step`` frames inside each
    speech region (the last one flush with its end); one centred window for short regions."""
    starts: list[int] = []
    for a, b in np.round(regions / FRAME_S).astype(int):
        if b - a <= window:
            starts.append((a + b) // 2 - window // 2)
        else:
            starts.extend(range(a, b - window + 1, step))
            if (b - window - a) % step:
                starts.append(b - window)
    return np.clip(np.array(starts, dtype=int), 0, max(0, n_frames - window))


def embed_windows(
    y: np.ndarray,
    regions: np.ndarray,
    window_s: float = 1.5,
    step_s: float = 0.25,
    level_dbfs: float = -20.0,
    progress: Callable[[float], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(window start frames, (n, DIM) unit-length voice embeddings) over the speech regions of
    a mono SAMPLE_RATE signal (regions in seconds)."""
    import torch

    encoder = REGISTRY.get(MODEL_KEY)
    window, step = int(round(window_s / FRAME_S)), int(round(step_s / FRAME_S))
    y = normalise_volume(y, regions, SAMPLE_RATE, level_dbfs)
    if len(y) < window * int(FRAME_S * SAMPLE_RATE):
        y = np.pad(y, (0, window * int(FRAME_S * SAMPLE_RATE) - len(y)))
    mel = mel_frames(y)  # (frames, 40), block by block
    starts = window_starts(regions, len(mel), window, step)
    out = np.empty((len(starts), DIM), dtype=np.float32)
    with torch.inference_mode():
        for i in range(0, len(starts), EMBED_BATCH):
            batch = np.stack([mel[s : s + window] for s in starts[i : i + EMBED_BATCH]])
            out[i : i + len(batch)] = encoder(torch.from_numpy(batch)).numpy()
            if progress:
                progress(min(1.0, (i + len(batch)) / len(starts)))
    return starts, out
