"""Clean up: remove noise from speech, or pull the voice out of music.

- :func:`denoise_stream` / :func:`denoise`: DeepFilterNet3 (default) or RNNoise on 48 kHz mono,
  read and written block by block (a recording of any allowed length uses a few MB), with
  progress after each block; closing the generator cancels at the next block. It reports the
  level of what was removed, and warns when nearly everything was (an all-noise recording).
- :func:`separate`: Spleeter 2 stems (voice / accompaniment), or the no-model methods of
  ``dsp.separation`` (REPET-SIM foreground / background, HPSS harmonic / percussive), in blocks;
  every stem as a WAV and all of them in one zip.
- :func:`clean_for_speech`: what Transcribe and Diarize call when their "clean first" option is on.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.audio import AudioInput, refuse_longer_than, resample_array
from pipelines.core.audio_stream import MonoAudio
from pipelines.core.config import format_seconds
from pipelines.core.errors import UserError
from pipelines.core.progress import Progress
from pipelines.core.registry import REGISTRY
from pipelines.engines import deepfilter, demucs, librosa_separation, rnnoise, spleeter
from pipelines.formats import plots

DENOISE_RATE = 48_000
BLOCK_FRAMES = 1000  # 480-sample frames per block: 10 s at 48 kHz
ALL_NOISE_DB = -20.0  # cleaned audio this far below the input: warn that it was all noise
SPEECH_SHARE_MIN = 0.02  # ... or the engine heard speech in fewer frames than this
SEPARATE_MAX_SECONDS = 600.0  # the whole recording is held once (44.1 kHz stereo: 21 MB a minute)
STRENGTH_MAX_DB = 100.0  # DeepFilterNet's "no limit"
SPEECH_STRENGTH_DB = 12.0  # "clean first" before Whisper / the diarizer: full strength cost Whisper more words
# (benchmarks/bench_clean_up.py: WER at 5 dB SNR 15.5% -> 28.2% at 100 dB, -> 19.7% at 12 dB)

DENOISERS: dict[str, type] = {deepfilter.KEY: deepfilter.DeepFilterStream, rnnoise.KEY: rnnoise.RNNoiseStream}
SEPARATOR_STEMS: dict[str, tuple[str, ...]] = {
    spleeter.KEY: spleeter.STEMS,
    librosa_separation.REPET_KEY: ("foreground", "background"),
    librosa_separation.HPSS_KEY: ("harmonic", "percussive"),
    **demucs.STEMS,
}
VOICE_STEM = {
    spleeter.KEY: "vocals",
    librosa_separation.REPET_KEY: "foreground",
    **dict.fromkeys(demucs.STEMS, "vocals"),
}
# What each stem is, in a visitor's words (the players' labels; the files keep the stem's name).
STEM_LABELS = {
    "vocals": "Voice",
    "accompaniment": "Music (accompaniment)",
    "foreground": "Voice (foreground)",
    "background": "Music (repeating background)",
    "harmonic": "Tones (harmonic)",
    "percussive": "Beats (percussive)",
    "drums": "Drums",
    "bass": "Bass",
    "other": "Other instruments",
    "guitar": "Guitar",
    "piano": "Piano",
}


def stem_label(name: str) -> str:
    """The label of a stem's player: 'Voice' for 'vocals', 'Music (accompaniment)' ..."""
    return STEM_LABELS.get(name, name.capitalize())


MAX_STEMS = max(len(s) for s in SEPARATOR_STEMS.values())
CLEAN_MODES = ("off", "denoise", "voice only")
CLEAN_DEFAULT = "off"  # Transcribe / Diarize "clean the audio first": off unless asked (see the measured help)


@dataclass
class DenoiseOptions:
    engine: str = deepfilter.KEY
    strength_db: float = STRENGTH_MAX_DB  # attenuation limit: at most this many dB of noise removed


@dataclass
class SeparateOptions:
    engine: str = spleeter.KEY
    stems: str = "all"  # "all" or one stem's name


@dataclass
class DenoiseResult:
    wav_path: Path
    before_png: Path
    after_png: Path
    engine: str  # what users read: "offline: bundled DeepFilterNet3"
    seconds: float
    compute_seconds: float
    input_dbfs: float  # RMS level of the input
    output_dbfs: float
    removed_dbfs: float  # RMS level of what was taken out (input minus output, aligned)
    snr_estimate_db: float  # output level over removed level: the input's SNR as the engine saw it
    speech_share: float  # frames the engine judged to hold speech
    warnings: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0  # process CPU time of the cleaning (the figure that holds on a busy machine)

    @property
    def rtf(self) -> float:
        return self.compute_seconds / max(self.seconds, 1e-9)

    def summary(self) -> str:
        return (
            f"**Engine:** {self.engine}  \n"
            f"**Noise removed:** {self.removed_dbfs:.1f} dBFS RMS "
            f"({self.input_dbfs - self.output_dbfs:+.1f} dB quieter overall; input {self.input_dbfs:.1f} dBFS, "
            f"cleaned {self.output_dbfs:.1f} dBFS)  \n"
            f"**Estimated SNR of the input:** {self.snr_estimate_db:.1f} dB; speech heard in "
            f"{self.speech_share:.0%} of frames  \n"
            f"**Time:** {self.compute_seconds:.1f} s for {format_seconds(self.seconds)} "
            f"(real-time factor {self.rtf:.2f})"
        )


@dataclass
class DenoiseProgress:
    share: float
    stage: str
    result: DenoiseResult | None = None


@dataclass
class SeparateResult:
    stems: dict[str, Path]
    zip_path: Path
    figure_path: Path
    engine: str
    seconds: float
    compute_seconds: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        names = ", ".join(self.stems)
        return (
            f"**Engine:** {self.engine}  \n**Stems:** {names}  \n"
            f"**Time:** {self.compute_seconds:.1f} s for {format_seconds(self.seconds)} "
            f"(real-time factor {self.compute_seconds / max(self.seconds, 1e-9):.2f})"
        )


# --- helpers ----------------------------------------------------------------------------


def _dbfs(energy: float, n: int) -> float:
    return float(10 * np.log10(max(energy / max(n, 1), 1e-12)))


def engine_line(key: str) -> str:
    spec = REGISTRY.spec(key)
    return f"offline: {spec.title}" + (f" ({spec.note})" if spec.note else "")


def engine_choices(task: str) -> list[tuple[str, str]]:
    """(title, key) of the engines for "denoise" or "separate", usable ones first."""
    specs = REGISTRY.specs(task)
    return [(s.title if s.availability()[0] else f"{s.title}: {s.availability()[1]}", s.key) for s in specs]


def _check_engine(key: str, task: str) -> str:
    keys = [s.key for s in REGISTRY.specs(task)]
    if key not in keys:
        raise UserError(f"Unknown {task} engine '{key}'. Choose one of: {', '.join(keys)}.")
    ok, reason = REGISTRY.spec(key).availability()
    if not ok:
        raise UserError(f"{REGISTRY.spec(key).title} is not available on this server: {reason}.")
    return key


class _Spectrogram:
    """A coarse power spectrogram built block by block (bounded memory for any length)."""

    N_FFT = 1024

    def __init__(self, total: int, sr: int, max_cols: int = 1000) -> None:
        self.sr = sr
        self.seg = max(1, int(np.ceil(total / max_cols / self.N_FFT))) * self.N_FFT
        self.window = np.hanning(self.N_FFT).astype(np.float32)
        self.cols: list[np.ndarray] = []
        self.rest = np.zeros(0, np.float32)

    def add(self, x: np.ndarray, final: bool = False) -> None:
        buf = np.concatenate([self.rest, x])
        n = len(buf) // self.seg * self.seg
        if n:
            frames = buf[:n].reshape(-1, self.seg // self.N_FFT, self.N_FFT) * self.window
            self.cols.extend(list((np.abs(np.fft.rfft(frames, axis=2)) ** 2).mean(axis=1)))
        self.rest = buf[n:]
        if final and len(self.rest) >= self.N_FFT:
            k = len(self.rest) // self.N_FFT * self.N_FFT
            frames = self.rest[:k].reshape(-1, self.N_FFT) * self.window
            self.cols.append((np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0))
            self.rest = self.rest[k:]

    def db(self) -> np.ndarray:
        if not self.cols:
            return np.full((self.N_FFT // 2 + 1, 1), -120.0, np.float32)
        return (10 * np.log10(np.stack(self.cols, axis=1) + 1e-12)).astype(np.float32)

    def freqs(self) -> np.ndarray:
        return np.fft.rfftfreq(self.N_FFT, 1.0 / self.sr)


def _draw_pair(
    before: _Spectrogram, after: _Spectrogram, seconds: float, out_dir: Path, stem: str
) -> tuple[Path, Path]:
    db_before, db_after = before.db(), after.db()
    vmax = float(np.percentile(db_before, 99.5))
    vmin = vmax - 80.0
    paths = []
    for name, db, title in (("before", db_before, "Before: spectrogram"), ("after", db_after, "After: spectrogram")):
        fig = plots.plot_heatmap(
            db, seconds, title=title, y_axis="log", y_values=before.freqs(), vmin=vmin, vmax=vmax, height_in=3.0
        )
        paths.append(plots.save_png(fig, out_dir / f"{stem}-{name}.png"))
    return paths[0], paths[1]


# --- noise suppression ------------------------------------------------------------------


def denoise_stream(
    clip: MonoAudio, options: DenoiseOptions | None = None, out_dir: Path | str = ".", stem: str = "audio"
) -> Iterator[DenoiseProgress]:
    """Clean ``clip`` (mono at 48 kHz) block by block; the last item carries the result.

    Stop iterating to cancel: the state is freed and no result is written beyond that block.
    """
    import soundfile as sf

    o = options or DenoiseOptions()
    key = _check_engine(o.engine, "denoise")
    if clip.sr != DENOISE_RATE:
        raise UserError(f"Noise suppression needs {DENOISE_RATE} Hz audio, got {clip.sr} Hz.")
    strength = float(o.strength_db)
    if not 0 < strength <= STRENGTH_MAX_DB:
        raise UserError(f"Strength must be between 1 and {STRENGTH_MAX_DB:g} dB, got {o.strength_db!r}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = clip.samples
    total = len(samples)
    if not REGISTRY.is_loaded(key):
        yield DenoiseProgress(0.0, f"Loading {REGISTRY.spec(key).title}")
    start, cpu_start = time.perf_counter(), time.process_time()
    stream = DENOISERS[key](strength)
    frame, delay = stream.frame, stream.delay
    block = BLOCK_FRAMES * frame
    before, after = _Spectrogram(total, DENOISE_RATE), _Spectrogram(total, DENOISE_RATE)
    e_in = e_out = e_removed = 0.0
    skip = delay
    fifo = np.zeros(0, np.float32)
    wav_path = out_dir / f"{stem}-clean.wav"
    try:
        with sf.SoundFile(str(wav_path), "w", DENOISE_RATE, 1, "PCM_16") as out_file:

            def emit(y: np.ndarray) -> None:
                nonlocal skip, fifo, e_in, e_out, e_removed
                if skip:
                    drop = min(skip, len(y))
                    y, skip = y[drop:], skip - drop
                n = min(len(y), len(fifo))
                x, y = fifo[:n], y[:n]
                fifo = fifo[n:]
                e_in += float(np.dot(x, x))
                e_out += float(np.dot(y, y))
                removed = x - y
                e_removed += float(np.dot(removed, removed))
                after.add(y)
                out_file.write(np.clip(y, -1.0, 1.0))

            for lo in range(0, total, block):
                x = np.asarray(samples[lo : lo + block], dtype=np.float32)
                before.add(x, final=lo + block >= total)
                fifo = np.concatenate([fifo, x])
                padded = np.pad(x, (0, -len(x) % frame))
                emit(stream.process(padded))
                yield DenoiseProgress(min(lo + block, total) / total, "Removing noise")
            tail = int(np.ceil((delay + frame) / frame)) * frame
            emit(stream.process(np.zeros(tail, np.float32)))
            after.add(np.zeros(0, np.float32), final=True)
            speech_share = stream.speech_frames / max(stream.frames, 1)
    finally:
        stream.close()
    compute, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    yield DenoiseProgress(0.99, "Drawing spectrograms")
    before_png, after_png = _draw_pair(before, after, total / DENOISE_RATE, out_dir, stem)
    input_db, output_db, removed_db = _dbfs(e_in, total), _dbfs(e_out, total), _dbfs(e_removed, total)
    warnings = list(clip.warnings)
    if input_db > -90 and (output_db - input_db < ALL_NOISE_DB or speech_share < SPEECH_SHARE_MIN):
        warnings.append(
            f"This recording seems to be all noise: the engine heard speech in {speech_share:.0%} of it and the "
            f"cleaned version is {input_db - output_db:.0f} dB quieter, close to silence. "
            "Nothing was kept because nothing sounded like a voice; try a lower strength to keep more."
        )
    result = DenoiseResult(
        wav_path,
        before_png,
        after_png,
        engine_line(key) + (f", strength {strength:g} dB" if strength < STRENGTH_MAX_DB else ""),
        total / DENOISE_RATE,
        compute,
        input_db,
        output_db,
        removed_db,
        output_db - removed_db,
        speech_share,
        warnings,
        cpu,
    )
    yield DenoiseProgress(1.0, "Done", result)


def denoise(
    clip: MonoAudio,
    options: DenoiseOptions | None = None,
    out_dir: Path | str = ".",
    stem: str = "audio",
    progress: Progress | None = None,
) -> DenoiseResult:
    item = None
    for item in denoise_stream(clip, options, out_dir, stem):
        if progress:
            progress(item.share, item.stage)
    return item.result


# --- separation -------------------------------------------------------------------------


SEPARATE_TOO_LONG = (
    "The audio is {length} long; separation holds the whole recording and every stem "
    "in memory (about 21 MB a minute each at 44.1 kHz stereo), so this server separates up to "
    "{limit}. Trim it or split it into parts and try again."
)


def check_separate_length(path: str | Path | None, seconds: float | None = None) -> None:
    """Refuse, before any work, a recording longer than separation holds in memory."""
    refuse_longer_than(path, seconds, SEPARATE_MAX_SECONDS, SEPARATE_TOO_LONG)


def stem_names(key: str, stems: str) -> tuple[str, ...]:
    names = SEPARATOR_STEMS[key]
    if stems in (None, "", "all"):
        return names
    if stems == "voice" and key in VOICE_STEM:
        return (VOICE_STEM[key],)
    if stems not in names:
        raise UserError(
            f"{REGISTRY.spec(key).title} makes the stems {', '.join(names)}; '{stems}' is not one of them "
            "(or ask for 'all')."
        )
    return (stems,)


def _crossfaded_blocks(n: int, block: int, overlap: int) -> Iterator[tuple[int, int]]:
    lo = 0
    while lo < n:
        hi = min(n, lo + block)
        yield lo, hi
        if hi == n:
            return
        lo = hi - overlap


def _stereo(audio: AudioInput, sr: int) -> np.ndarray:
    """(2, n) at ``sr``: what the music models take (mono is doubled, extra channels dropped)."""
    x = audio.channels if audio.sr == sr else resample_array(audio.channels.T, audio.sr, sr).T
    return np.repeat(x, 2, axis=0) if x.shape[0] == 1 else np.ascontiguousarray(x[:2])


def separate(
    audio: AudioInput,
    options: SeparateOptions | None = None,
    out_dir: Path | str = ".",
    stem: str = "audio",
    progress: Progress | None = None,
) -> SeparateResult:
    """Split ``audio`` into stems; writes one WAV per stem, a zip of them and a figure."""
    import soundfile as sf

    o = options or SeparateOptions()
    key = _check_engine(o.engine, "separate")
    names = stem_names(key, o.stems)
    check_separate_length(None, audio.duration)
    progress = progress or (lambda share, desc: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not REGISTRY.is_loaded(key):
        progress(0.0, f"Loading {REGISTRY.spec(key).title}")
    start = time.perf_counter()
    if key == spleeter.KEY:
        sr = spleeter.SAMPLE_RATE
        x = _stereo(audio, sr)
        run, block, overlap = spleeter.separate_block, spleeter.BLOCK_SAMPLES, sr
    elif key in demucs.STEMS:
        sr = demucs.SAMPLE_RATE
        x = _stereo(audio, sr)
        run = lambda b: demucs.separate_block(key, b)  # noqa: E731
        block, overlap = demucs.BLOCK_SAMPLES, sr
    else:
        sr = audio.sr
        x = audio.mono[None, :]
        method = REGISTRY.get(key)
        if key == librosa_separation.REPET_KEY:
            run = lambda b: {k: v[None, :] for k, v in method(b[0], sr).items()}  # noqa: E731
        else:
            run = lambda b: {k: v[None, :] for k, v in method(b[0]).items()}  # noqa: E731
        block, overlap = 60 * sr, sr
    n = x.shape[1]
    paths = {name: out_dir / f"{stem}-{name}.wav" for name in names}
    files = {name: sf.SoundFile(str(p), "w", sr, x.shape[0], "PCM_16") for name, p in paths.items()}
    energies = dict.fromkeys(names, 0.0)
    try:
        pending: dict[str, np.ndarray] = {}
        written = 0
        for lo, hi in _crossfaded_blocks(n, block, overlap):
            parts = run(x[:, lo:hi])
            fade = min(overlap, hi - lo) if pending else 0
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32) if fade else None
            for name in names:
                part = parts[name]
                if fade:
                    part[:, :fade] = part[:, :fade] * ramp + pending[name] * (1 - ramp)
                keep = part if hi == n else part[:, : part.shape[1] - overlap]
                files[name].write(np.clip(keep.T, -1.0, 1.0))
                energies[name] += float(np.sum(keep**2))
                pending[name] = part[:, part.shape[1] - overlap :] if hi < n else None
            written = hi
            progress(
                0.05 + 0.85 * written / n, f"Separating ({format_seconds(written / sr)} of {format_seconds(n / sr)})"
            )
    finally:
        for f in files.values():
            f.close()
    compute = time.perf_counter() - start
    progress(0.92, "Packing the stems")
    zip_path = out_dir / f"{stem}-stems.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in paths.values():
            zf.write(p, p.name)
    figure = _draw_stems(paths, out_dir / f"{stem}-stems.png")
    warnings = list(audio.warnings)
    total_energy = float(np.sum(x.astype(np.float64) ** 2)) + 1e-12
    for name, e in energies.items():
        if e < total_energy * 1e-3:
            warnings.append(
                f"The {name} stem is nearly silent ({10 * np.log10(e / total_energy + 1e-12):.0f} dB): "
                f"the engine found almost no {name} in this recording."
            )
    progress(1.0, "Done")
    return SeparateResult(paths, zip_path, figure, engine_line(key), n / sr, compute, warnings)


def _draw_stems(paths: dict[str, Path], path: Path) -> Path:
    import soundfile as sf

    fig, axes = plots.new_figure(1.4 * len(paths) + 0.6, rows=len(paths))
    for ax, (name, p) in zip(axes, paths.items(), strict=True):
        info = sf.info(str(p))
        step = max(1, info.frames // 4000)
        y = sf.read(str(p), dtype="float32", always_2d=True)[0][::step].mean(axis=1)
        t = np.arange(len(y)) * step / info.samplerate
        ax.plot(t, y, linewidth=0.5)
        ax.set_ylabel(name)
        ax.set_ylim(-1, 1)
    axes[-1].set_xlabel("time (s)")
    axes[0].set_title("Stems")
    return plots.save_png(fig, path)


# --- cleaner input for other tasks --------------------------------------------------------


def clean_for_speech(
    clip: MonoAudio, mode: str, out_dir: Path | str, stem: str = "audio", strength_db: float = SPEECH_STRENGTH_DB
) -> tuple[Path, str]:
    """A cleaned WAV of ``clip`` (mono at 48 kHz) for Transcribe / Diarize, and a line saying what was done.

    ``mode`` is "denoise" (DeepFilterNet3, at ``strength_db``) or "voice only" (the Spleeter vocals stem).
    """
    if mode == "denoise":
        result = denoise(clip, DenoiseOptions(strength_db=strength_db), out_dir, stem)
        return result.wav_path, f"Cleaned first: {result.engine}"
    if mode == "voice only":
        check_separate_length(None, clip.duration)
        y = np.asarray(clip.samples, dtype=np.float32)
        audio = AudioInput(y[None, :], clip.sr, clip.sample_format, clip.name)
        result = separate(audio, SeparateOptions(spleeter.KEY, "vocals"), out_dir, stem)
        return result.stems["vocals"], f"Cleaned first: voice only, {result.engine}"
    raise UserError(f"Unknown cleaning '{mode}'. Choose one of: {', '.join(CLEAN_MODES)}.")
