"""The Visualize pipeline: audio in, facts + PNG figures + feature files out (no Gradio)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from pipelines.core.audio import AudioInput
from pipelines.core.errors import UserError
from pipelines.dsp.features import (
    AudioFacts,
    Features,
    PhaseLesson,
    SpectralParams,
    audio_facts,
    compute_features,
    phase_lesson,
)
from pipelines.formats import plots

PANELS = ("waveform", "spectrum", "spectrogram", "phase", "mel", "mfcc", "chroma")


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
    if cmap not in plots.COLORMAPS:
        raise UserError(f"Unknown colour map '{cmap}'; choose one of {', '.join(plots.COLORMAPS)}.")
    if freq_scale not in ("linear", "log"):
        raise UserError("Frequency axis must be 'linear' or 'log'.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    feats = compute_features(audio.mono, audio.sr, params, phase_columns=None if full_phase else plots.MAX_COLUMNS)
    p = feats.params
    dur = audio.duration
    figs = {
        "waveform": plots.plot_waveform(audio.channels, audio.sr),
        "spectrum": plots.plot_spectrum(feats.spectrum_freqs, feats.spectrum_db),
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
    paths = {name: plots.save_png(fig, out_dir / f"{name}.png") for name, fig in figs.items()}
    facts = audio_facts(audio) if with_facts else None
    return VisualizeResult(facts, feats, paths, list(audio.warnings))


def export_features(result: VisualizeResult, out_dir: Path, stem: str = "features") -> Path:
    """Every feature matrix as .npy and .csv, the facts as JSON and the figures, in one zip."""
    out_dir = Path(out_dir)
    feats = result.features
    if feats.phase_step != 1:
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


def write_phase_lesson(lesson: PhaseLesson, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    a = out_dir / "rebuilt_magnitude_only_griffinlim.wav"
    b = out_dir / "rebuilt_magnitude_and_phase_istft.wav"
    sf.write(a, np.clip(lesson.magnitude_only, -1, 1), lesson.sr, subtype="PCM_16")
    sf.write(b, np.clip(lesson.magnitude_and_phase, -1, 1), lesson.sr, subtype="PCM_16")
    return a, b


__all__ = ["PANELS", "VisualizeResult", "render", "export_features", "phase_lesson", "write_phase_lesson"]
