"""Long recordings for models that take mono audio at one rate, without holding them in memory.

``load_audio`` (pipelines/audio.py) returns every channel at the file's rate as one array:
30 minutes of 44.1 kHz stereo is 635 MB of float32 before any model runs. Speech models need
only mono at 16 kHz, and read it a block at a time. :func:`open_mono` makes that from a file in
blocks of a few seconds (mix the channels, resample with a soxr stream, check the samples) and
writes it to a temporary float WAV; the :class:`SampleFile` it returns reads the slices asked
for from disk. The checks and messages are those of ``load_audio``.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from pipelines.core.audio import (
    AudioError,
    SampleStats,
    check_samples,
    ffmpeg_to_wav,
    load_audio,
    not_audio_error,
    probe_file,
    sample_stats,
)
from pipelines.core.errors import UserError

READ_BLOCK_SECONDS = 10.0  # decoded at a time: ~3.5 MB of 44.1 kHz stereo float32


class SampleFile:
    """A read-only 1-D float32 signal in a mono sound file: ``len`` and slices, read from disk.

    Enough of an array for block-wise work (``x[lo:hi]`` returns an ndarray; ``np.asarray``
    reads it all). A file made for it (``owned``) is deleted when the object is garbage collected.
    """

    def __init__(self, path: str | os.PathLike, owned: bool = False):
        self.path = str(path)
        info = sf.info(self.path)
        if info.channels != 1:
            raise UserError(f"SampleFile reads mono files; {self.path} has {info.channels} channels.")
        self.sr = int(info.samplerate)
        self._n = int(info.frames)
        if owned:
            weakref.finalize(self, _unlink, self.path)

    def __len__(self) -> int:
        return self._n

    @property
    def shape(self) -> tuple[int]:
        return (self._n,)

    def __getitem__(self, key) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("SampleFile supports slices only, e.g. x[start:stop].")
        start, stop, step = key.indices(self._n)
        if step != 1:
            raise TypeError("SampleFile slices take no step.")
        if stop <= start:
            return np.zeros(0, np.float32)
        with sf.SoundFile(self.path) as f:
            f.seek(start)
            return f.read(stop - start, dtype="float32")

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[:]  # all of it in memory: for short signals
        return whole if dtype is None else whole.astype(dtype)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@dataclass
class MonoAudio:
    """Mono float32 samples at ``sr``: an ndarray (short input) or a :class:`SampleFile`."""

    samples: np.ndarray | SampleFile
    sr: int
    name: str = "audio"
    sample_format: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sr)


def open_mono(
    source,
    target_sr: int,
    *,
    min_seconds: float = 0.05,
    max_seconds: float | None = 1800.0,
    read_block_s: float = READ_BLOCK_SECONDS,
) -> MonoAudio:
    """What a user sent, as mono at ``target_sr``, read from disk as needed.

    Files are converted block by block; arrays (a microphone tuple) are already in memory and go
    through ``load_audio``. Raises :class:`AudioError` for what ``load_audio`` rejects.
    """
    if isinstance(source, dict) and source.get("path"):
        source = source["path"]
    if not isinstance(source, (str, os.PathLike)) or not str(source).strip():
        audio = load_audio(source, target_sr=target_sr, min_seconds=min_seconds, max_seconds=max_seconds)
        return MonoAudio(audio.mono, audio.sr, audio.name, audio.sample_format, audio.warnings)
    path = Path(source)
    info = probe_file(path, max_seconds)
    if info is None:
        return _through_ffmpeg(path, target_sr, min_seconds, max_seconds, read_block_s)
    try:
        return _convert(path, path.name, info.subtype or info.format, target_sr, min_seconds, max_seconds, read_block_s)
    except AudioError:
        raise
    except Exception:  # libsndfile opened it but cannot decode it: let ffmpeg try
        return _through_ffmpeg(path, target_sr, min_seconds, max_seconds, read_block_s)


def _through_ffmpeg(
    path: Path, target_sr: int, min_seconds: float, max_seconds: float | None, read_block_s: float
) -> MonoAudio:
    with tempfile.TemporaryDirectory(prefix="audio-decode-") as tmp:
        wav, codec = ffmpeg_to_wav(path, Path(tmp), max_seconds)
        try:
            return _convert(wav, path.name, codec, target_sr, min_seconds, max_seconds, read_block_s)
        except AudioError:
            raise
        except Exception as exc:
            raise not_audio_error(path.name) from exc


def _convert(
    path: Path,
    name: str,
    sample_format: str,
    target_sr: int,
    min_seconds: float,
    max_seconds: float | None,
    read_block_s: float,
) -> MonoAudio:
    """Stream ``path`` into a temporary mono float WAV at ``target_sr``, checking every block."""
    import soxr

    fd, out_path = tempfile.mkstemp(prefix="audio-studio-mono-", suffix=".wav")
    os.close(fd)
    try:
        stats, n_in, n_values = SampleStats(), 0, 0
        with (
            sf.SoundFile(str(path)) as src,
            sf.SoundFile(out_path, "w", samplerate=target_sr, channels=1, subtype="FLOAT", format="WAV") as dst,
        ):
            sr = int(src.samplerate)
            stream = soxr.ResampleStream(sr, target_sr, 1, dtype="float32", quality="HQ") if sr != target_sr else None
            block = max(1, int(read_block_s * sr))
            while True:
                data = src.read(block, dtype="float32", always_2d=True)
                last = len(data) < block
                stats += sample_stats(data)
                n_in += len(data)
                n_values += data.size
                mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
                if stream is not None:
                    mono = stream.resample_chunk(np.ascontiguousarray(mono), last=last)
                if len(mono):
                    dst.write(mono)
                if last:
                    break
        if n_in == 0:
            raise AudioError(f"The file '{name}' holds no audio samples (zero length).")
        warnings = check_samples(stats, n_values, n_in, sr, min_seconds, max_seconds)
        samples = SampleFile(out_path, owned=True)
    except BaseException:
        _unlink(out_path)
        raise
    return MonoAudio(samples, target_sr, name, sample_format, warnings)


class SoundSource:
    """A sound file opened for reading in blocks, every channel at its own rate (Visualize).

    ``open_sound`` gives one; libsndfile reads WAV/FLAC/OGG/MP3 in place, other formats are
    decoded by ffmpeg into a temporary float WAV first, deleted on ``close``.
    """

    def __init__(self, file: sf.SoundFile, name: str, sample_format: str, tmp: tempfile.TemporaryDirectory | None):
        self.file, self.name, self.sample_format, self._tmp = file, name, sample_format, tmp
        self.sr = int(file.samplerate)
        self.channels = int(file.channels)
        self.frames = int(file.frames)  # libsndfile's count (for MP3 an estimate from the headers)

    @property
    def path(self) -> str:
        return str(self.file.name)

    def blocks(self, seconds: float = READ_BLOCK_SECONDS):
        """(frames, channels) float32 blocks from the start to the end."""
        self.file.seek(0)
        block = max(1, int(seconds * self.sr))
        while True:
            data = self.file.read(block, dtype="float32", always_2d=True)
            if len(data):
                yield data
            if len(data) < block:
                return

    def head(self, seconds: float) -> np.ndarray:
        """The first ``seconds`` as mono float32."""
        self.file.seek(0)
        data = self.file.read(int(seconds * self.sr), dtype="float32", always_2d=True)
        return data[:, 0].copy() if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)

    def close(self) -> None:
        self.file.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> SoundSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_sound(source, max_seconds: float | None = 1800.0) -> SoundSource | None:
    """A user's upload (path or FileData dict) for block reading; None for in-memory input (a
    microphone tuple), which ``load_audio`` takes. Raises AudioError as ``load_audio`` does."""
    if isinstance(source, dict) and source.get("path"):
        source = source["path"]
    if not isinstance(source, (str, os.PathLike)) or not str(source).strip():
        return None
    path = Path(source)
    info = probe_file(path, max_seconds)
    if info is not None:
        try:
            return SoundSource(sf.SoundFile(str(path)), path.name, info.subtype or info.format, None)
        except Exception:
            pass  # libsndfile knew the header but cannot decode: let ffmpeg try
    tmp = tempfile.TemporaryDirectory(prefix="audio-decode-")
    try:
        wav, codec = ffmpeg_to_wav(path, Path(tmp.name), max_seconds)
        return SoundSource(sf.SoundFile(str(wav)), path.name, codec, tmp)
    except AudioError:
        tmp.cleanup()
        raise
    except Exception as exc:
        tmp.cleanup()
        raise not_audio_error(path.name) from exc


LONG_VALUES = 10_000_000  # samples over all channels (~1 min 53 s of 44.1 kHz stereo) held at most whole


def load_bounded(source, target_sr: int, *, min_seconds: float = 0.05, max_seconds: float | None = 1800.0):
    """An AudioInput for a model that takes mono at ``target_sr``: short input as ``load_audio``
    gives it (every channel, so short results do not change), a long file as mono at ``target_sr``
    converted block by block (``open_mono``): 30 minutes of 44.1 kHz stereo is then 115 MB at
    16 kHz instead of 635 MB of channels plus their mix."""
    from pipelines.core.audio import AudioInput

    path = source.get("path") if isinstance(source, dict) else source
    if isinstance(path, (str, os.PathLike)) and str(path).strip():
        info = probe_file(Path(path), max_seconds)
        if info is None or info.frames * info.channels > LONG_VALUES:
            mono = open_mono(path, target_sr, min_seconds=min_seconds, max_seconds=max_seconds)
            y = np.asarray(mono.samples, dtype=np.float32)
            return AudioInput(y[None, :], mono.sr, mono.sample_format, mono.name, mono.warnings)
    return load_audio(source, min_seconds=min_seconds, max_seconds=max_seconds)
