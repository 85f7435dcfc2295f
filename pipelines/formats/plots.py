"""Figures for the Visualize tab, drawn at screen resolution from full-resolution data.

A 10-minute recording has ~26 M samples and ~50 k STFT frames; a browser shows ~1000
pixels. So the waveform is drawn as a per-pixel min/max envelope and matrices are reduced
to at most ``MAX_COLUMNS`` columns before ``imshow`` (far cheaper than ``pcolormesh`` /
``specshow`` over every frame). The numbers are still computed in full and can be
downloaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipelines.formats.timecode import clock

if TYPE_CHECKING:  # matplotlib loads on the first figure, not at start-up
    from matplotlib.figure import Figure

FIG_WIDTH_IN = 10.0
DPI = 100
MAX_COLUMNS = 1000  # ~ the figure's width in pixels
PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
COLORMAPS = ("magma", "viridis", "inferno", "plasma", "cividis", "gray_r", "coolwarm")
FREQ_TICKS = [20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]


def new_figure(height_in: float = 3.2, rows: int = 1, right: float = 0.975) -> tuple[Figure, list]:
    import matplotlib

    matplotlib.use("Agg")
    _use_cjk_font(matplotlib)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Fixed margins: constrained layout costs ~0.1 s a figure, a third of the render.
    fig = Figure(figsize=(FIG_WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    pad_in = 0.55
    fig.subplots_adjust(left=0.08, right=right, top=1 - 0.35 / height_in, bottom=pad_in / height_in, hspace=0.25 * rows)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    return fig, axes


def wrap_label(text: str, width: int = 28, max_lines: int = 3) -> str:
    """A long row label on up to ``max_lines`` lines, broken between words, never cut: a bird's
    "Red-winged Blackbird (Agelaius phoeniceus)" becomes its common name over its Latin one."""
    import textwrap

    if len(text) <= width:
        return text
    head, sep, tail = text.rpartition(" (")
    parts = [head, "(" + tail] if sep and tail.endswith(")") else [text]  # a bracket starts a line
    while True:
        lines = [
            line
            for part in parts
            for line in textwrap.wrap(part, width, break_long_words=False, break_on_hyphens=False)
        ]
        if len(lines) <= max_lines:
            return "\n".join(lines)
        width += 8  # wider lines rather than one more, still the whole text


def fit_left_margin(fig: Figure, ax, pad_in: float = 0.12, max_share: float = 0.45) -> None:
    """Move the axes' left edge so its y tick labels and y label fit inside the figure
    (fixed margins cut long labels; constrained layout costs ~0.1 s a figure)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width_in = fig.get_figwidth()
    texts = [t for t in ax.get_yticklabels() if t.get_text()]
    need = max((t.get_window_extent(renderer).width for t in texts), default=0.0) / fig.dpi
    if ax.yaxis.label.get_text():
        need += ax.yaxis.label.get_window_extent(renderer).width / fig.dpi + 0.08
    need += pad_in + ax.yaxis.get_tick_padding() / 72 + 0.1  # the ticks and their gap
    left = min(max(need / width_in, fig.subplotpars.left), max_share)
    fig.subplots_adjust(left=left)


# Korean (and other CJK) text in titles and labels: Debian's fonts-noto-cjk, when installed.
CJK_FONTS = ("Noto Sans CJK KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "NanumGothic")
_cjk_checked = False


def _use_cjk_font(matplotlib) -> None:
    """Put a CJK-capable font after the usual one (DejaVu Sans), so Latin text looks the same and
    Hangul has glyphs (a name typed in Korean, a Korean visitor's figures)."""
    global _cjk_checked
    if _cjk_checked:
        return
    _cjk_checked = True
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(f in names for f in CJK_FONTS):  # a font cache written before the fonts were installed
        for path in font_manager.findSystemFonts():
            if any(key in Path(path).name for key in ("NotoSansCJK", "NanumGothic")):
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    have = [f for f in CJK_FONTS if f in names]
    if have:  # matplotlib falls back glyph by glyph across font.family, not within the sans-serif list
        matplotlib.rcParams["font.family"] = ["sans-serif", have[0]]


# --- the figure's words in the visitor's language -----------------------------------------
# The interface registers its translator here (tabs/i18n.py, at app building); scripts, tests and
# the pipelines themselves keep English: the default is none. Figures are drawn in English and
# translated as they are saved, so every figure maker stays plain English literals.
DATA = "data"  # gid of a text (or an axis, for its tick labels) that is data: a class or speaker name
_translator: Callable[[str], str] | None = None
_WORDS = re.compile(r"[A-Za-z]{2}")


def set_translator(fn: Callable[[str], str] | None) -> Callable[[str], str] | None:
    """Translate every figure's texts through ``fn`` as it is saved (None: leave them in English);
    returns the translator it replaces."""
    global _translator
    old, _translator = _translator, fn
    return old


def keep_as_is(*artists) -> None:
    """Mark texts, or axes (for their tick labels), as data never translated: names a model gave
    (classes, chords) or a user typed (speakers)."""
    for artist in artists:
        artist.set_gid(DATA)


def _translated(text: str, fn: Callable[[str], str]) -> str:
    if not _WORDS.search(text):
        return text
    new = fn(text)
    if new == text and "\n" in text:  # a label wrap_label broke over lines: look it up whole
        whole = " ".join(text.split("\n"))
        new_whole = fn(whole)
        if new_whole != whole:
            new = wrap_label(new_whole, width=16)  # a Hangul syllable is about two Latin letters wide
    return new


def _translated_label(label: Callable, fn: Callable[[str], str], x, pos=None) -> str:
    return _translated(str(label(x, pos)), fn)


def translate_figure(fig: Figure) -> int:
    """Every title, axis label, legend entry, colour-bar label, annotation and fixed tick label
    of ``fig`` through the registered translator; returns how many changed (0 with none)."""
    fn = _translator
    if fn is None:
        return 0
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    keep: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_gid() == DATA:
                keep.update(id(t) for t in axis.get_ticklabels(which="both"))
                continue
            for formatter in (axis.get_major_formatter(), axis.get_minor_formatter()):
                # tick labels given as strings are drawn again from the formatter at each draw
                if isinstance(formatter, FixedFormatter):
                    formatter.seq = [_translated(str(s), fn) for s in formatter.seq]
                elif isinstance(formatter, FuncFormatter):  # what set_ticks(ticks, labels) makes
                    formatter.func = functools.partial(_translated_label, formatter.func, fn)
    changed = 0
    for text in fig.findobj(Text):
        if text.get_gid() == DATA or id(text) in keep:
            continue
        old = text.get_text()
        new = _translated(old, fn)
        if new != old:
            text.set_text(new)
            changed += 1
    return changed


def save_png(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    translate_figure(fig)
    fig.savefig(path, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    _forget_thread_fonts()
    return path


def _forget_thread_fonts() -> None:
    """matplotlib keeps font files open in two caches keyed by drawing thread: its fonts (64
    entries) and its parsed math text (50 entries; log-axis ticks such as 10^3 are math text).
    Each of the server's worker threads kept two or three .ttf files open that way (the soak's +21
    descriptors). A figure being drawn elsewhere keeps its own font objects; the next figure opens
    its fonts again (no measurable cost next to the drawing)."""
    from matplotlib import font_manager, mathtext

    for cached in (getattr(font_manager, "_get_font", None), getattr(mathtext.MathTextParser, "_parse_cached", None)):
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:  # private caches: if a later matplotlib drops one, nothing to do
            clear()


def reduce_columns(m: np.ndarray, max_cols: int = MAX_COLUMNS, how: str = "max") -> np.ndarray:
    """Shrink the time axis to at most max_cols columns (max-pooling keeps short events visible)."""
    n = m.shape[1]
    if n <= max_cols:
        return m
    step = int(np.ceil(n / max_cols))
    if how == "pick":  # for phase: averaging angles is meaningless
        return m[:, ::step]
    full = (n // step) * step
    pooled = m[:, :full].reshape(m.shape[0], -1, step)
    pooled = pooled.max(axis=2) if how == "max" else pooled.mean(axis=2)
    if full < n:
        tail = m[:, full:]
        tail = tail.max(axis=1, keepdims=True) if how == "max" else tail.mean(axis=1, keepdims=True)
        pooled = np.concatenate([pooled, tail], axis=1)
    return pooled


def envelope(y: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bin centres as sample indices, min, max) over n_bins equal slices of y."""
    n = len(y)
    if n <= 2 * n_bins:
        idx = np.arange(n)
        return idx, y, y
    step = n // n_bins
    full = step * n_bins
    blocks = y[:full].reshape(n_bins, step)
    centres = np.arange(n_bins) * step + step / 2
    return centres, blocks.min(axis=1), blocks.max(axis=1)


def plot_waveform(channels: np.ndarray, sr: int, title: str = "Waveform") -> Figure:
    n_ch = channels.shape[0]
    fig, axes = new_figure(1.0 + 1.6 * n_ch, rows=n_ch)
    names = ["left", "right"] if n_ch == 2 else [f"channel {i + 1}" for i in range(n_ch)]
    for ax, ch, name in zip(axes, channels, names):
        x, lo, hi = envelope(ch, MAX_COLUMNS * 2)
        t = x / sr
        if lo is hi:
            ax.plot(t, ch, lw=0.8, color="#1f77b4")
        else:
            ax.fill_between(t, lo, hi, color="#1f77b4", lw=0, step="mid")
        peak = max(1.0, float(np.max(np.abs(ch))) if len(ch) else 1.0)
        _waveform_axis(ax, len(ch) / sr, peak, name if n_ch > 1 else "amplitude")
    axes[0].set_title(title)
    axes[-1].set_xlabel("time (s)")
    return fig


def plot_envelope(
    centres: np.ndarray, lo: np.ndarray, hi: np.ndarray, sr: int, n_samples: int, title: str = "Waveform"
) -> Figure:
    """The waveform of a long recording from its min/max envelope: (bins,) centres in samples,
    (channels, bins) lo and hi, as ``envelope`` gives per channel."""
    n_ch = lo.shape[0]
    fig, axes = new_figure(1.0 + 1.6 * n_ch, rows=n_ch)
    names = ["left", "right"] if n_ch == 2 else [f"channel {i + 1}" for i in range(n_ch)]
    for ax, l_ch, h_ch, name in zip(axes, lo, hi, names):
        ax.fill_between(centres / sr, l_ch, h_ch, color="#1f77b4", lw=0, step="mid")
        peak = max(1.0, float(max(np.max(np.abs(l_ch)), np.max(np.abs(h_ch)))) if len(l_ch) else 1.0)
        _waveform_axis(ax, n_samples / sr, peak, name if n_ch > 1 else "amplitude")
    axes[0].set_title(title)
    axes[-1].set_xlabel("time (s)")
    return fig


def _waveform_axis(ax, duration: float, peak: float, label: str) -> None:
    ax.set_xlim(0, duration)
    ax.set_ylim(-peak, peak)
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)


def plot_spectrum(freqs: np.ndarray, db: np.ndarray, title: str = "Spectrum (Hann-windowed FFT)") -> Figure:
    fig, (ax,) = new_figure()
    keep = freqs > 0
    f, d = freqs[keep], db[keep]
    # Log x-axis: pool into log-spaced bins so a 26 M-point FFT draws as ~2000 points.
    if len(f) > 4 * MAX_COLUMNS:
        edges = np.geomspace(f[0], f[-1], 2 * MAX_COLUMNS + 1)
        idx = np.searchsorted(f, edges)
        idx = np.unique(np.clip(idx, 0, len(f)))
        d = np.maximum.reduceat(d, idx[:-1])
        f = f[idx[:-1]]
    ax.plot(f, d, lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(max(f[0], 10.0) if len(f) else 10.0, f[-1] if len(f) else 1.0)
    ax.set_ylim(max(float(np.min(d)), -120) - 5 if len(d) else -120, 5)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("magnitude (dB re max)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    return fig


def plot_heatmap(
    m: np.ndarray,
    duration: float,
    *,
    title: str,
    cmap: str = "magma",
    colorbar: str = "dB",
    y_axis: str = "index",  # "linear", "log", "mel", "chroma", "index"
    y_values: np.ndarray | None = None,  # frequency of each row, for linear/log/mel axes
    pool: str = "max",
    vmin: float | None = None,
    vmax: float | None = None,
    height_in: float = 3.4,
) -> Figure:
    fig, (ax,) = new_figure(height_in, right=0.94)  # room for the colourbar's tick labels
    shown = reduce_columns(m, how=pool)
    extent_y: tuple[float, float] = (0, m.shape[0])
    if y_axis == "log" and y_values is not None:
        shown, extent_y = _rows_to_log(shown, y_values)
    image = ax.imshow(
        shown,
        origin="lower",
        aspect="auto",
        cmap=cmap,
        interpolation="nearest",
        extent=(0, duration, extent_y[0], extent_y[1]),
        vmin=vmin,
        vmax=vmax,
    )
    _label_y(ax, y_axis, y_values, m.shape[0], extent_y)
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label=colorbar, pad=0.01, fraction=0.05)
    return fig


def _rows_to_log(m: np.ndarray, freqs: np.ndarray, n_rows: int = 512) -> tuple[np.ndarray, tuple[float, float]]:
    """Resample rows onto a log-frequency grid so imshow can draw a log axis."""
    lo = max(freqs[1] if len(freqs) > 1 else 1.0, 20.0)
    hi = freqs[-1]
    grid = np.geomspace(lo, hi, n_rows)
    rows = np.clip(np.searchsorted(freqs, grid), 0, len(freqs) - 1)
    return m[rows], (np.log10(lo), np.log10(hi))


def _label_y(ax, y_axis: str, y_values, n_rows: int, extent_y) -> None:
    if y_axis == "log":
        ticks = [f for f in FREQ_TICKS if extent_y[0] <= np.log10(f) <= extent_y[1]]
        ax.set_yticks(np.log10(ticks), [_hz(f) for f in ticks])
        ax.set_ylabel("frequency (Hz, log)")
    elif y_axis == "linear" and y_values is not None:
        ax.set_ylim(0, n_rows)
        top = y_values[-1]
        step = _nice_step(top / 6)
        hz_ticks = np.arange(0, top + 1, step)
        ax.set_yticks(hz_ticks / max(top, 1e-9) * (n_rows - 1) + 0.5, [_hz(f) for f in hz_ticks])
        ax.set_ylabel("frequency (Hz)")
    elif y_axis == "mel" and y_values is not None:
        idx = np.linspace(0, n_rows - 1, 6).astype(int)
        ax.set_yticks(idx + 0.5, [_hz(y_values[i]) for i in idx])
        ax.set_ylabel("frequency (Hz, mel scale)")
    elif y_axis == "chroma":
        ax.set_yticks(np.arange(12) + 0.5, PITCH_CLASSES)
        ax.set_ylabel("pitch class")
    else:
        ax.set_ylabel("coefficient")


def _hz(f: float) -> str:
    if f >= 1000:
        return f"{round(f / 1000, 1):g}k"
    return f"{round(f):g}"


def scale_blocks(m: np.ndarray, n_blocks: int, percentile: float = 98.0) -> np.ndarray:
    """For display only: scale each block of rows (MFCC, delta, delta-delta) to about [-1, 1].

    Deltas are ~10x smaller than the coefficients and c0 is ~10x larger than the rest, so
    one colour scale would show only c0. Each block is divided by its robust maximum
    (c0 excluded from the first block's), and c0 is allowed to saturate.
    """
    out = np.empty_like(m, dtype=np.float32)
    for block in np.array_split(np.arange(m.shape[0]), n_blocks):
        rows = m[block]
        ref_rows = rows[1:] if block[0] == 0 and len(block) > 1 else rows
        v = float(np.percentile(np.abs(ref_rows), percentile)) if ref_rows.size else 1.0
        out[block] = rows / (v or 1.0)
    return out


def _nice_step(x: float) -> float:
    exp = 10 ** np.floor(np.log10(max(x, 1e-9)))
    for m in (1, 2, 5, 10):
        if m * exp >= x:
            return m * exp
    return 10 * exp


# --- Analyze: figures read at a glance ---------------------------------------------------------


def _mmss(seconds: float) -> str:
    return clock(seconds, tenths=True) if seconds < 600 else clock(seconds)


def plot_loudness(
    times: np.ndarray,
    momentary: np.ndarray,
    short_term: np.ndarray,
    integrated: float,
    targets: dict[str, float],
    title: str,
) -> Figure:
    """Momentary and short-term loudness over time, the integrated value and the delivery targets."""
    fig, (ax,) = new_figure(3.0)
    floor = -60.0
    step = max(1, int(np.ceil(len(times) / (MAX_COLUMNS * 2))))
    m = np.maximum(np.nan_to_num(momentary[::step], neginf=floor), floor)
    s = np.maximum(np.nan_to_num(short_term[::step], neginf=floor), floor)
    t = times[::step]
    ax.plot(t, m, color="#9ecae1", lw=0.7, label="momentary (0.4 s)")
    ax.plot(t, s, color="#08519c", lw=1.6, label="short-term (3 s)")
    if np.isfinite(integrated):
        ax.axhline(integrated, color="black", lw=1.2, ls="-", label=f"integrated {integrated:.1f} LUFS")
    colours = ["#2ca02c", "#ff7f0e", "#d62728", "#9467bd"]
    for (name, value), c in zip(targets.items(), colours):
        ax.axhline(value, color=c, lw=1.0, ls="--", label=f"{name} target {value:g}")
    top = max(-5.0, float(np.max(m)) + 3 if len(m) else -5.0)
    ax.set_ylim(floor, top)
    ax.set_xlim(0, float(times[-1]) if len(times) else 1.0)
    ax.set_ylabel("LUFS")
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, ncol=3, framealpha=0.9)
    return fig


def plot_rhythm(
    env_hop_s: float,
    envelope_values: np.ndarray,
    beat_times: np.ndarray,
    downbeat_times: np.ndarray,
    onset_times: np.ndarray,
    title: str,
    window_s: float = 12.0,
) -> Figure:
    """The onset strength of the first seconds with the beats found (bars bold): is the grid on the hits?"""
    fig, (ax,) = new_figure(2.8)
    n = min(len(envelope_values), int(window_s / env_hop_s) + 1)
    t = np.arange(n) * env_hop_s
    env = envelope_values[:n]
    peak = float(env.max()) if n and env.max() > 0 else 1.0
    ax.fill_between(t, 0, env / peak, color="#bdbdbd", lw=0, label="onset strength")
    end = t[-1] if n else window_s
    on = onset_times[onset_times <= end]
    ax.plot(on, np.full(len(on), 1.04), "v", color="#636363", ms=4, label="onsets")
    for i, b in enumerate(beat_times[beat_times <= end]):
        ax.axvline(b, color="#d62728", lw=0.9, alpha=0.8, label="beats" if i == 0 else None)
    for i, b in enumerate(downbeat_times[downbeat_times <= end]):
        ax.axvline(b, color="#67000d", lw=2.4, label="first beat of a bar" if i == 0 else None)
    ax.set_xlim(0, end)
    ax.set_ylim(0, 1.1)
    ax.set_yticks([])
    ax.set_xlabel(f"time (s), first {end:.0f} s")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, ncol=4, framealpha=0.9)
    return fig


def plot_key_chords(
    ranking: list[tuple[str, float]],
    chord_starts: np.ndarray,
    chord_ends: np.ndarray,
    chord_labels: list[str],
    title: str,
) -> Figure:
    """The best keys as bars, and the chords over time as labelled blocks."""
    import matplotlib

    matplotlib.use("Agg")
    _use_cjk_font(matplotlib)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIG_WIDTH_IN, 3.6), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.08, right=0.975, top=0.9, bottom=0.14, hspace=0.7)
    ax_k = fig.add_subplot(2, 1, 1)
    ax_c = fig.add_subplot(2, 1, 2)
    top = ranking[:8]
    names = [k for k, _ in top]
    scores = [s for _, s in top]
    colours = ["#08519c"] + ["#9ecae1"] * (len(top) - 1)
    ax_k.bar(range(len(top)), scores, color=colours)
    ax_k.set_xticks(range(len(top)), names, fontsize=9)
    ax_k.set_ylim(min(0.0, min(scores) if scores else 0.0), 1.0)
    ax_k.set_ylabel("match")
    ax_k.set_title(title)
    ax_k.grid(alpha=0.3, axis="y")
    palette = matplotlib.colormaps["tab20"]
    roots: dict[str, int] = {}
    for a, b, lab in zip(chord_starts, chord_ends, chord_labels):
        colour = "#f0f0f0" if lab == "N" else palette(roots.setdefault(lab, len(roots)) % 20)
        ax_c.barh(0, b - a, left=a, color=colour, edgecolor="white", height=0.8)
        if b - a >= (chord_ends[-1] if len(chord_ends) else 1) / 60:
            keep_as_is(ax_c.text((a + b) / 2, 0, lab, ha="center", va="center", fontsize=8))  # a chord symbol
    ax_c.set_yticks([])
    ax_c.set_xlim(0, float(chord_ends[-1]) if len(chord_ends) else 1.0)
    ax_c.set_xlabel("time (s)")
    ax_c.set_title("Chords over time (triads, one per beat)", fontsize=10)
    return fig


def plot_pitch(
    times: np.ndarray,
    f0: np.ndarray,
    pauses: list[tuple[float, float]],
    low_hz: float | None,
    high_hz: float | None,
    title: str,
) -> Figure:
    """The pitch contour on a note-name axis, the speaker's range shaded, pauses marked."""
    import librosa
    from matplotlib.ticker import NullLocator

    fig, (ax,) = new_figure(3.0)
    for i, (a, b) in enumerate(pauses):
        ax.axvspan(a, b, color="#fdd0a2", alpha=0.7, lw=0, label="pause" if i == 0 else None)
    if low_hz and high_hz:
        ax.axhspan(low_hz, high_hz, color="#deebf7", alpha=0.6, lw=0, label="range (5-95 %)")
    ax.plot(times, f0, color="#08519c", lw=1.2, label="pitch (pYIN)")
    ax.set_yscale("log")
    voiced = f0[np.isfinite(f0)]
    lo = float(np.min(voiced)) / 1.15 if len(voiced) else 60.0
    hi = float(np.max(voiced)) * 1.15 if len(voiced) else 500.0
    ax.set_ylim(lo, hi)
    ticks = [librosa.note_to_hz(f"{n}{o}") for o in range(1, 8) for n in ("C", "E", "G")]
    ticks = [t for t in ticks if lo <= t <= hi]
    ax.set_yticks(ticks, [f"{librosa.hz_to_note(t, unicode=False)} {t:.0f} Hz" for t in ticks], fontsize=8)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0, float(times[-1]) if len(times) else 1.0)
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8, ncol=3)
    return fig


def plot_mood(arousal: float, valence: float, words: str) -> Figure:
    """Where the heuristic puts the clip on the arousal / valence plane."""
    import matplotlib

    matplotlib.use("Agg")
    _use_cjk_font(matplotlib)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 3.4), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.17, right=0.97, top=0.9, bottom=0.15)
    ax = fig.add_subplot(1, 1, 1)
    ax.axhline(0, color="#969696", lw=0.8)
    ax.axvline(0, color="#969696", lw=0.8)
    for (x, y), label in {
        (0.5, 0.5): "excited / happy",
        (-0.5, 0.5): "tense / angry",
        (0.5, -0.5): "calm / content",
        (-0.5, -0.5): "sad / tired",
    }.items():
        ax.text(x, y, label, ha="center", va="center", color="#737373", fontsize=9)
    ax.plot([valence], [arousal], "o", color="#d62728", ms=12)
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_xticks([-0.8, 0, 0.8], ["negative", "0", "positive"])
    ax.set_yticks([-0.8, 0, 0.8], ["calm", "0", "energetic"])
    ax.set_xlabel("valence")
    ax.set_ylabel("arousal")
    ax.set_title(f"Mood heuristic: {words}", fontsize=10)
    return fig
