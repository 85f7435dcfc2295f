"""The Visualize pipeline: audio in, facts + PNG figures + feature files out (no Gradio)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from pipelines.core.audio import AudioError, AudioInput, check_samples, load_audio, sample_stats
from pipelines.core.audio_stream import LONG_VALUES, open_sound
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem
from pipelines.core.memory import release_free_memory
from pipelines.dsp.features import (
    AudioFacts,
    Features,
    PhaseLesson,
    SpectralParams,
    audio_facts,
    compute_features,
    phase_lesson,
    to_db,
)
from pipelines.formats import plots

PANELS = ("waveform", "spectrum", "spectrogram", "phase", "mel", "mfcc", "chroma")
MAX_CHANNELS = 8  # up to 7.1; the waveform draws one row a channel
# Above this many samples (all channels; ~1 min 53 s of 44.1 kHz stereo) the recording is read and
# analysed block by block at display resolution (pipelines/dsp/features_stream.py): the full-resolution
# path needs ~200 MB a minute of 44.1 kHz stereo. LONG_VALUES is core.audio_stream's, shared by every tab.
LONG_NOTE = (
    "Recordings longer than about 2 minutes (stereo 44.1 kHz; 4 minutes mono) are analysed block by block "
    f"and their features exported at display resolution (at most {plots.MAX_COLUMNS} columns, each the "
    "maximum or mean of the frames it covers), so memory stays bounded."
)


@dataclass
class ViewOptions:
    """How the figures are drawn; the features' own settings are ``dsp.features.SpectralParams``."""

    cmap: str = "magma"
    freq_scale: str = "log"  # or "linear": the spectrogram's frequency axis


def _whole(value, name: str) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a whole number, got {value!r}.") from None


def params_from_form(n_fft, hop, window, n_mels, fmin, fmax, n_mfcc, cmvn, chroma) -> SpectralParams:
    """SpectralParams from a form's or an API call's values (dropdowns send text; fmax 0 = Nyquist)."""
    return SpectralParams(
        n_fft=_whole(n_fft, "n_fft"),
        hop_length=_whole(hop, "Hop length"),
        window=window,
        n_mels=int(n_mels),
        fmin=float(fmin or 0),
        fmax=float(fmax) if fmax else None,
        n_mfcc=int(n_mfcc),
        cmvn=bool(cmvn),
        chroma=chroma,
    )


@dataclass
class VisualizeResult:
    facts: AudioFacts | None  # None when rendered with with_facts=False (a settings redraw)
    features: Features
    figures: dict[str, Path]  # panel name -> PNG path, in PANELS order
    warnings: list[str]


def render(
    audio: AudioInput,
    out_dir: Path,
    params: SpectralParams | None = None,
    *,
    cmap: str = ViewOptions.cmap,
    freq_scale: str = ViewOptions.freq_scale,
    full_phase: bool = False,
    with_facts: bool = True,
) -> VisualizeResult:
    """Compute every feature at full resolution and draw every panel as a PNG in out_dir.

    The phase is kept at display resolution unless ``full_phase`` (needed to export it). The facts
    (loudness included) do not depend on the spectral settings: a redraw passes ``with_facts=False``
    to skip them, and gets ``facts=None``."""
    _check_options(cmap, freq_scale)
    _check_channels(audio.n_channels)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    feats = compute_features(audio.mono, audio.sr, params, phase_columns=None if full_phase else plots.MAX_COLUMNS)
    waveform = plots.plot_waveform(audio.channels, audio.sr)
    paths = _draw(feats, waveform, audio.duration, out_dir, cmap, freq_scale, stem=safe_stem(audio.name, "audio"))
    facts = audio_facts(audio) if with_facts else None
    return VisualizeResult(facts, feats, paths, list(audio.warnings))


def _check_options(cmap: str, freq_scale: str) -> None:
    if cmap not in plots.COLORMAPS:
        raise UserError(f"Unknown colour map '{cmap}'; choose one of {', '.join(plots.COLORMAPS)}.")
    if freq_scale not in ("linear", "log"):
        raise UserError("Frequency axis must be 'linear' or 'log'.")


def _check_channels(n: int) -> None:
    if n > MAX_CHANNELS:
        raise AudioError(
            f"The audio has {n} channels; Visualize shows up to {MAX_CHANNELS} (7.1). "
            "Mix it down or export fewer channels and try again."
        )


def render_source(
    source,
    out_dir: Path,
    params: SpectralParams | None = None,
    *,
    min_seconds: float = 0.05,
    max_seconds: float | None = 1800.0,
    cmap: str = "magma",
    freq_scale: str = "log",
    full_phase: bool = False,
    with_facts: bool = True,
) -> VisualizeResult:
    """What a user sent (path, FileData or microphone tuple), rendered: short recordings through
    ``render`` at full resolution, long ones block by block at display resolution."""
    _check_options(cmap, freq_scale)
    opts = dict(cmap=cmap, freq_scale=freq_scale, with_facts=with_facts)
    try:
        snd = open_sound(source, max_seconds)
        if snd is None or snd.frames * snd.channels <= LONG_VALUES:
            if snd is not None:
                with snd:  # closed (and ffmpeg's decoded copy removed) also when the audio is refused
                    audio = load_audio(snd.path, min_seconds=min_seconds, max_seconds=max_seconds)
                    audio.name, audio.sample_format = snd.name, snd.sample_format
            else:
                audio = load_audio(source, min_seconds=min_seconds, max_seconds=max_seconds)
            return render(audio, out_dir, params, full_phase=full_phase, **opts)
        with snd:
            return _render_long(snd, Path(out_dir), params, min_seconds, max_seconds, **opts)
    finally:
        release_free_memory()


def load_head(
    source, seconds: float, *, min_seconds: float = 0.05, max_seconds: float | None = 1800.0
) -> tuple[np.ndarray, int]:
    """The first ``seconds`` of what a user sent as mono, and its rate (the phase lesson): a long
    file is not read past them."""
    snd = open_sound(source, max_seconds)
    if snd is None or snd.frames * snd.channels <= LONG_VALUES:
        if snd is not None:
            snd.close()
        audio = load_audio(source, min_seconds=min_seconds, max_seconds=max_seconds)
        return audio.mono, audio.sr
    with snd:
        y = snd.head(seconds)
        check_samples(sample_stats(y), len(y), len(y), snd.sr, min(min_seconds, len(y) / snd.sr), None)
        return y, snd.sr


def _render_long(snd, out_dir: Path, params, min_seconds, max_seconds, *, cmap, freq_scale, with_facts):
    from pipelines.dsp.features_stream import StreamAnalyzer

    _check_channels(snd.channels)
    out_dir.mkdir(parents=True, exist_ok=True)
    analyzer = StreamAnalyzer(snd.sr, snd.channels, snd.frames, params, head=snd.head(60.0))
    for block in snd.blocks():
        analyzer.feed(block)
    feats, f = analyzer.finish()
    del analyzer
    n = f["n_samples"]
    if n == 0:
        raise AudioError(f"The file '{snd.name}' holds no audio samples (zero length).")
    warnings = check_samples(f["stats"], n * snd.channels, n, snd.sr, min_seconds, max_seconds)
    centres, lo, hi = f["envelope"]
    waveform = plots.plot_envelope(centres, lo, hi, snd.sr, n)
    duration = n / snd.sr
    paths = _draw(
        feats, waveform, duration, out_dir, cmap, freq_scale, spectrum_title=_welch_title(), stem=safe_stem(snd.name)
    )
    facts = None
    if with_facts:
        facts = AudioFacts(
            sample_rate=snd.sr,
            channels=snd.channels,
            duration_s=duration,
            samples=n,
            sample_format=snd.sample_format,
            peak_dbfs=float(to_db(f["stats"].peak)),
            rms_dbfs=float(to_db(f["rms"])),
            loudness_lufs=f["loudness"],
            clipped_share=f["clipped_share"],
            silence_share=f["silence_share"],
            loudness_note=f["loudness_note"],
        )
    return VisualizeResult(facts, feats, paths, warnings)


def _welch_title() -> str:
    from pipelines.dsp.features_stream import WELCH_FFT

    return f"Spectrum (mean of {WELCH_FFT}-point Hann FFTs: a long recording)"


def _draw(
    feats,
    waveform,
    dur,
    out_dir: Path,
    cmap: str,
    freq_scale: str,
    spectrum_title: str | None = None,
    stem: str = "audio",
):
    """Every panel as ``<stem>-<panel>.png`` (``chord-waveform.png``, never a bare ``waveform.png``)."""
    p = feats.params
    spectrum_kw = {"title": spectrum_title} if spectrum_title else {}
    figs = {
        "waveform": waveform,
        "spectrum": plots.plot_spectrum(feats.spectrum_freqs, feats.spectrum_db, **spectrum_kw),
        "spectrogram": plots.plot_heatmap(
            feats.stft_db,
            dur,
            title=f"STFT spectrogram (n_fft={p.n_fft}, hop={p.hop_length}, {p.window})",
            cmap=cmap,
            y_axis=freq_scale,
            y_values=feats.frequencies,
            vmin=-100,
            vmax=0,
        ),
        "phase": plots.plot_heatmap(
            feats.phase,
            dur,
            title="STFT phase",
            cmap="twilight",
            colorbar="radians",
            y_axis=freq_scale,
            y_values=feats.frequencies,
            pool="pick",
            vmin=-np.pi,
            vmax=np.pi,
        ),
        "mel": plots.plot_heatmap(
            feats.mel_db,
            dur,
            title=f"Mel spectrogram ({p.n_mels} bands, {p.fmin:.0f}-{p.fmax:.0f} Hz)",
            cmap=cmap,
            y_axis="mel",
            y_values=feats.mel_frequencies,
            vmin=-100,
            vmax=0,
        ),
        "mfcc": plots.plot_heatmap(
            plots.scale_blocks(feats.mfcc, 3),
            dur,
            cmap="coolwarm",
            colorbar="relative value (each block scaled)",
            pool="mean",
            vmin=-1,
            vmax=1,
            title=f"MFCC + delta + delta-delta ({3 * p.n_mfcc} dims){', CMVN' if p.cmvn else ''}",
        ),
        "chroma": plots.plot_heatmap(
            feats.chroma,
            dur,
            title=f"Chroma ({p.chroma.upper()})",
            cmap=cmap,
            colorbar="energy",
            y_axis="chroma",
            pool="mean",
            vmin=0,
            vmax=1 if p.chroma != "cens" else None,
        ),
    }
    mfcc_ax = figs["mfcc"].axes[0]
    for k in (1, 2):  # separate static / delta / delta-delta blocks
        mfcc_ax.axhline(k * p.n_mfcc, color="black", lw=0.8)
    return {name: plots.save_png(fig, out_dir / f"{stem}-{name}.png") for name, fig in figs.items()}


def export_features(result: VisualizeResult, out_dir: Path, stem: str = "features") -> Path:
    """Every feature matrix as .npy and .csv, the facts as JSON and the figures, in one zip."""
    out_dir = Path(out_dir)
    feats = result.features
    if feats.phase_step != feats.frame_step:
        raise ValueError("This result holds the phase at display resolution only; render with full_phase=True.")
    if result.facts is None:
        raise ValueError("This result holds no facts; render with with_facts=True.")
    zip_path = out_dir / f"{stem}.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("facts.json", json.dumps(asdict(result.facts), indent=2))
        zf.writestr("params.json", json.dumps(asdict(feats.params), indent=2))
        for name, png in result.figures.items():
            zf.write(png, f"figures/{name}.png")
        times = feats.times()
        row_labels = {
            "stft_db": ("hz", feats.frequencies),
            "phase": ("hz", feats.frequencies),
            "mel_db": ("mel_band_hz", feats.mel_frequencies),
            "mfcc_delta_delta2": ("coefficient", _mfcc_row_names(feats.params.n_mfcc)),
        }
        for name, m in feats.matrices().items():
            npy = out_dir / f"{name}.npy"
            np.save(npy, m)
            zf.write(npy, f"npy/{name}.npy")
            label, rows = row_labels.get(name, ("pitch_class", plots.PITCH_CLASSES))
            with zf.open(f"csv/{name}.csv", "w") as fh:
                _write_matrix_csv(fh, m, label, rows, times)
        spectrum_rows = np.column_stack([feats.spectrum_freqs, feats.spectrum_db])
        with zf.open("csv/spectrum.csv", "w") as fh:
            fh.write(b"hz,db\n")
            np.savetxt(fh, spectrum_rows, fmt="%.3f", delimiter=",")
    return zip_path


def _mfcc_row_names(n: int) -> list[str]:
    return [f"mfcc{i}" for i in range(n)] + [f"delta{i}" for i in range(n)] + [f"delta2_{i}" for i in range(n)]


def _write_matrix_csv(fh, m: np.ndarray, label: str, rows, times: np.ndarray) -> None:
    """Rows are bins/coefficients, columns are frames; the header row holds frame times (s)."""
    header = [label] + [f"{t:.3f}" for t in times[: m.shape[1]]]
    fh.write((",".join(header) + "\n").encode())
    if all(isinstance(r, (float, np.floating)) for r in rows):
        np.savetxt(fh, np.column_stack([np.asarray(rows, dtype=np.float64), m]), fmt="%.3f", delimiter=",")
        return
    for name, row in zip(rows, m):  # text row labels (MFCC names, pitch classes): small matrices
        fh.write((str(name) + "," + ",".join(f"{v:.4f}" for v in row) + "\n").encode())


def write_phase_lesson(lesson: PhaseLesson, out_dir: Path, stem: str = "audio") -> tuple[Path, Path]:
    """The two rebuilt sounds, named after the input: ``<stem>-magnitude-only-griffinlim.wav``..."""
    out_dir = Path(out_dir)
    a = out_dir / f"{stem}-magnitude-only-griffinlim.wav"
    b = out_dir / f"{stem}-magnitude-and-phase-istft.wav"
    sf.write(a, np.clip(lesson.magnitude_only, -1, 1), lesson.sr, subtype="PCM_16")
    sf.write(b, np.clip(lesson.magnitude_and_phase, -1, 1), lesson.sr, subtype="PCM_16")
    return a, b


__all__ = [
    "PANELS",
    "VisualizeResult",
    "render",
    "render_source",
    "export_features",
    "phase_lesson",
    "write_phase_lesson",
]
