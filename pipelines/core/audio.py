"""The one audio entry point: whatever a user sends becomes an ``AudioInput``.

Every tab calls :func:`load_audio`. It accepts a file path (WAV, FLAC, OGG, MP3 through
libsndfile; WebM, M4A and anything else through ffmpeg) or the ``(sample_rate, array)``
tuple that ``gr.Audio(type="numpy")`` produces, validates it once and returns the original
channels, a mono float32 signal and the sample rate. Problems a user can cause raise
:class:`AudioError` with a sentence meant for that user; harmless oddities (silence,
clipping) are returned as warnings. Models that read long recordings a block at a time
(Whisper) use ``audio_stream.open_mono`` instead: the same checks, without the whole
recording in memory.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from pipelines.core.config import format_seconds
from pipelines.core.errors import AudioError

SUPPORTED_FORMATS = "WAV, FLAC, OGG, MP3, WebM, M4A"
SILENCE_DBFS = -60.0  # peak below this: the recording is silent
CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped
CLIP_WARN_SHARE = 0.001  # warn when more than 0.1 % of samples are clipped
MIN_SAMPLE_RATE = 1000  # Hz; below this a file is not sound anyone recorded (a damaged header)
MAX_SAMPLE_RATE = 768_000  # Hz; the highest rate audio interfaces record at
# A float sample beyond +60 dB over full scale is not audio: spectra, loudness and models
# overflow or divide by zero on it (1e30 squared is infinite in float32).
MAX_PEAK = 1000.0


@dataclass
class AudioInput:
    channels: np.ndarray  # float32, shape (n_channels, n_samples), original channels
    sr: int
    sample_format: str  # e.g. "PCM_16", "FLOAT", "int16", "MPEG_LAYER_III"
    name: str = "audio"
    warnings: list[str] = field(default_factory=list)

    @functools.cached_property
    def mono(self) -> np.ndarray:
        """Mean of the channels, computed once (tabs ask for it several times)."""
        if self.channels.shape[0] == 1:
            return self.channels[0]
        return self.channels.mean(axis=0, dtype=np.float32)

    @property
    def n_channels(self) -> int:
        return int(self.channels.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.channels.shape[1])

    @property
    def duration(self) -> float:
        return self.n_samples / float(self.sr)


def load_audio(
    source,
    *,
    target_sr: int | None = None,
    min_seconds: float = 0.05,
    max_seconds: float | None = 1800.0,
) -> AudioInput:
    """Load, validate and optionally resample what a user sent.

    ``source`` is a path, a ``(sr, ndarray)`` tuple as ``gr.Audio`` gives, or a dict with a
    ``path`` (Gradio's FileData). Raises :class:`AudioError` for unusable input.
    """
    if source is None or (isinstance(source, str) and not source.strip()):
        raise AudioError("No audio was given: record with the microphone or upload a file.")
    if isinstance(source, dict) and source.get("path"):
        source = source["path"]
    if isinstance(source, tuple) and len(source) == 2:
        sr, data = source
        channels, sample_format = _from_array(np.asarray(data))
        audio = AudioInput(channels, int(sr), sample_format, name="recording")
    elif isinstance(source, (str, os.PathLike)):
        audio = _from_file(Path(source), max_seconds)
    else:
        raise AudioError(f"Unsupported audio input of type {type(source).__name__}.")

    _validate(audio, min_seconds, max_seconds)
    if target_sr and target_sr != audio.sr:
        audio = resample(audio, target_sr)
    return audio


def resample_array(y: np.ndarray, sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling with soxr (high quality) of (n,) or (n, channels) float32 samples.

    The project's one resampler: the entry point uses it for user audio, and pipelines use it
    for audio their engines make (TTS output to Whisper's 16 kHz, a melody to MusicGen's rate).
    """
    y = np.asarray(y, dtype=np.float32)
    if sr == target_sr:
        return y
    import soxr

    return np.asarray(soxr.resample(y, sr, target_sr, quality="HQ"), dtype=np.float32)


def resample_mono(audio: AudioInput, sr: int) -> np.ndarray:
    """The clip as one channel at ``sr`` (an engine's own rate)."""
    return resample_array(audio.mono, audio.sr, sr)


def resample(audio: AudioInput, target_sr: int) -> AudioInput:
    """An AudioInput at another sample rate, channels kept."""
    out = resample_array(audio.channels.T, audio.sr, target_sr).T
    return AudioInput(
        np.ascontiguousarray(out, dtype=np.float32), target_sr, audio.sample_format, audio.name, list(audio.warnings)
    )


# --- arrays -----------------------------------------------------------------------------


def _from_array(data: np.ndarray) -> tuple[np.ndarray, str]:
    """Gradio gives (n_samples,) or (n_samples, n_channels); integers are full-scale PCM."""
    sample_format = str(data.dtype)
    if data.size == 0:
        raise AudioError("The audio has no samples (zero length).")
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise AudioError(f"Audio arrays must be 1-D or 2-D, got shape {data.shape}.")
    if data.shape[0] < data.shape[1] and data.shape[0] <= 8:
        data = data.T  # (channels, samples) given: accept it too
    if data.dtype.kind == "i":
        scale = float(2 ** (8 * data.dtype.itemsize - 1))
        floats = data.astype(np.float32) / scale
    elif data.dtype.kind == "u":
        half = float(2 ** (8 * data.dtype.itemsize - 1))
        floats = (data.astype(np.float32) - half) / half
    elif data.dtype.kind == "f":
        floats = data.astype(np.float32, copy=False)
    else:
        raise AudioError(f"Audio samples of type {data.dtype} are not supported.")
    return np.ascontiguousarray(floats.T), sample_format


# --- files ------------------------------------------------------------------------------


def file_seconds(path: str | Path) -> float | None:
    """A file's length from its header, without decoding it; None when it cannot be told
    (not a file libsndfile reads: the loader gives the precise message later)."""
    try:
        info = probe_file(Path(path), None)
    except AudioError:
        return None
    return info.frames / info.samplerate if info is not None and info.samplerate else None


def refuse_longer_than(path: str | Path | None, seconds: float | None, limit_s: float, message: str) -> None:
    """Refuse, before any work, a recording over ``limit_s`` (a tab that cannot bound its memory past it):
    ``message`` is a template with ``{length}`` and ``{limit}``. The length is read from the file's
    header when ``seconds`` is not given; an unreadable header is left to the loader's own message."""
    if seconds is None and path is not None:
        seconds = file_seconds(path)
    if seconds is not None and seconds > limit_s + 0.5:
        raise AudioError(message.format(length=format_seconds(seconds), limit=format_seconds(limit_s)))


def probe_file(path: Path, max_seconds: float | None):
    """libsndfile's info on a file that exists, holds samples and is not too long; None when
    libsndfile cannot read it (WebM, M4A, or not audio at all: for ffmpeg to try)."""
    name = path.name
    if not path.exists():
        raise AudioError(f"The file '{name}' was not found on the server; upload it again.")
    if path.stat().st_size == 0:
        raise AudioError(f"The file '{name}' is empty (0 bytes).")
    try:
        info = sf.info(str(path))
    except Exception:
        return None
    if info.frames == 0 or info.samplerate <= 0:
        raise AudioError(f"The file '{name}' holds no audio samples (zero length).")
    check_rate(info.samplerate, name)
    check_length(info.frames / info.samplerate, max_seconds)
    return info


def _from_file(path: Path, max_seconds: float | None) -> AudioInput:
    name = path.name
    info = probe_file(path, max_seconds)
    if info is None:
        return _from_ffmpeg(path, max_seconds)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception:
        return _from_ffmpeg(path, max_seconds)
    if data.shape[0] == 0:
        raise AudioError(f"The file '{name}' holds no audio samples (zero length).")
    return AudioInput(np.ascontiguousarray(data.T), int(sr), info.subtype or info.format, name)


def ffmpeg_executable() -> str | None:
    """System ffmpeg, else the one the imageio-ffmpeg wheel ships."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        return None


_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_AUDIO_STREAM_RE = re.compile(r"Stream #\S+.*?: Audio: ([^,\n]+)")


def _from_ffmpeg(path: Path, max_seconds: float | None) -> AudioInput:
    with tempfile.TemporaryDirectory(prefix="audio-decode-") as tmp:
        wav, codec = ffmpeg_to_wav(path, Path(tmp), max_seconds)
        try:
            data, sr = sf.read(str(wav), dtype="float32", always_2d=True)
        except Exception as exc:
            raise not_audio_error(path.name) from exc
    if data.shape[0] == 0:
        raise AudioError(f"The file '{path.name}' holds no audio samples (zero length).")
    return AudioInput(np.ascontiguousarray(data.T), int(sr), codec, path.name)


def not_audio_error(name: str) -> AudioError:
    return AudioError(
        f"Could not read '{name}' as audio: it is not an audio file, or it is damaged. "
        f"Supported formats: {SUPPORTED_FORMATS}."
    )


def ffmpeg_to_wav(path: Path, folder: Path, max_seconds: float | None) -> tuple[Path, str]:
    """Decode what libsndfile cannot read into a float WAV in ``folder``: (its path, the codec).

    Channels and sample rate are kept. The length limit is checked before decoding.
    """
    name = path.name
    exe = ffmpeg_executable()
    if exe is None:
        raise AudioError(f"'{name}' is not WAV/FLAC/OGG/MP3 and ffmpeg is not installed to decode it.")
    probe = subprocess.run([exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=60)
    stream = _AUDIO_STREAM_RE.search(probe.stderr)
    if stream is None:
        raise not_audio_error(name)
    codec = stream.group(1).split(" ")[0].strip()
    duration = _DURATION_RE.search(probe.stderr)
    if duration:
        h, m, s = duration.groups()
        check_length(int(h) * 3600 + int(m) * 60 + float(s), max_seconds)
    wav = folder / "decoded.wav"
    run = subprocess.run(
        [exe, "-v", "error", "-nostdin", "-y", "-i", str(path), "-vn", "-acodec", "pcm_f32le", str(wav)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if run.returncode != 0 or not wav.exists():
        raise not_audio_error(name)
    return wav, codec


# --- validation -------------------------------------------------------------------------


def check_rate(sr: int, name: str = "audio") -> None:
    """Refuse a sample rate no recording has (a damaged or hand-made header)."""
    if not MIN_SAMPLE_RATE <= sr <= MAX_SAMPLE_RATE:
        raise AudioError(
            f"The sample rate of '{name}' is {sr} Hz; audio needs between {MIN_SAMPLE_RATE} Hz and "
            f"{MAX_SAMPLE_RATE} Hz (speech is usually 16000 Hz, music 44100 or 48000 Hz). "
            "The file is damaged or was not written as audio."
        )


def check_length(seconds: float, max_seconds: float | None) -> None:
    if max_seconds and seconds > max_seconds + 0.5:
        raise AudioError(
            f"The audio is {format_seconds(seconds)} long; the limit is {format_seconds(max_seconds)} "
            "(the server's --max-seconds setting). Trim it and try again."
        )


@dataclass
class SampleStats:
    non_finite: int = 0
    peak: float = 0.0
    clipped: int = 0

    def __add__(self, other: SampleStats) -> SampleStats:
        """Stats of two blocks together (long files are checked block by block)."""
        return SampleStats(self.non_finite + other.non_finite, max(self.peak, other.peak), self.clipped + other.clipped)


def sample_stats(x: np.ndarray, block: int = 1 << 20) -> SampleStats:
    """NaN/inf count, peak and clipped count in blocks of ~1 M samples.

    Whole-array ``np.abs(x)`` / ``np.isfinite(x)`` would each allocate a copy as large as the
    audio (600 MB for 30 minutes of 44.1 kHz stereo float32); blocks keep this at ~4 MB.
    """
    flat = x.reshape(-1)
    non_finite = clipped = 0
    peak = 0.0
    for start in range(0, flat.size, block):
        part = np.abs(flat[start : start + block])
        finite = np.isfinite(part)
        if not finite.all():
            non_finite += int(part.size - np.count_nonzero(finite))
            part = part[finite]
        if part.size:
            peak = max(peak, float(part.max()))
            clipped += int(np.count_nonzero(part >= CLIP_LEVEL))
    return SampleStats(non_finite, peak, clipped)


def _validate(audio: AudioInput, min_seconds: float, max_seconds: float | None) -> None:
    check_rate(audio.sr, audio.name)
    if audio.n_samples == 0:
        raise AudioError("The audio has no samples (zero length).")
    stats = sample_stats(audio.channels)
    audio.warnings += check_samples(stats, audio.channels.size, audio.n_samples, audio.sr, min_seconds, max_seconds)


def check_samples(
    stats: SampleStats, n_values: int, n_samples: int, sr: int, min_seconds: float, max_seconds: float | None
) -> list[str]:
    """Raise AudioError for unusable samples or length; return warnings (silence, clipping).

    ``n_values`` counts samples over all channels, ``n_samples`` per channel.
    """
    if stats.non_finite:
        raise AudioError(
            f"The audio contains {stats.non_finite} NaN or infinite samples out of {n_values}; "
            "it is damaged and cannot be analysed."
        )
    check_rate(sr)
    if stats.peak > MAX_PEAK:
        raise AudioError(
            f"The audio's samples reach {stats.peak:.3g}, far beyond full scale (1.0): it is not a "
            "recording (a damaged float file?). Save it again as 16-bit or float audio between -1 and 1."
        )
    duration = n_samples / float(sr)
    if duration < min_seconds:
        raise AudioError(
            f"The audio is only {duration * 1000:.0f} ms long ({n_samples} samples); "
            f"at least {min_seconds * 1000:.0f} ms is needed."
        )
    check_length(duration, max_seconds)
    warnings = []
    if stats.peak == 0 or 20 * np.log10(stats.peak) < SILENCE_DBFS:
        warnings.append(f"The audio is silent (peak below {SILENCE_DBFS:.0f} dBFS); results will be empty.")
    clipped = stats.clipped / n_values
    if clipped > CLIP_WARN_SHARE:
        warnings.append(f"{clipped:.1%} of the samples are clipped at full scale; the recording is distorted.")
    return warnings
