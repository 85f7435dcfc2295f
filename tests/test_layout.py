"""Issue 13, class 7 (labels that fit), in the figures: a timeline's row names are whole and inside
the picture, however long (BirdNET's "common name (Latin name)", a renamed speaker)."""

from __future__ import annotations

import numpy as np

from pipelines import classify
from pipelines import diarize as dz
from pipelines.formats.plots import wrap_label
from pipelines.formats.rttm import Turn
from pipelines.formats.scores import FrameScores

BIRDS = (
    "Red-winged Blackbird (Agelaius phoeniceus)",
    "Black-throated Blue Warbler (Setophaga caerulescens)",
    "Speech",
    "Ruffed Grouse (Bonasa umbellus)",
)


def _inside_figure(fig, texts) -> None:
    """Every text is drawn wholly inside the figure (a cut label would start left of 0)."""
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (t.get_text(), box)


def test_timeline_row_names_are_whole_and_inside_the_figure():
    scores = np.linspace(0.1, 0.9, 3 * len(BIRDS), dtype=np.float32).reshape(3, len(BIRDS))
    frames = FrameScores(np.array([0.0, 3.0, 6.0]), 3.0, 3.0, BIRDS, scores, pool="max")
    fig = classify.plot_timeline(frames, "Bird species: strongest classes over time")
    fig.canvas.draw()
    ticks = fig.axes[0].get_yticklabels()
    shown = [t.get_text() for t in ticks]
    assert "…" not in "".join(shown) and "..." not in "".join(shown)
    # the whole name, broken between words only (its common name over its Latin one)
    assert sorted(s.replace("\n", " ") for s in shown) == sorted(BIRDS)
    assert "Red-winged Blackbird\n(Agelaius phoeniceus)" in shown
    _inside_figure(fig, ticks)
    # the labels do not run into the heat map either: they end left of the axes
    renderer = fig.canvas.get_renderer()
    axes_left = fig.axes[0].get_window_extent(renderer).x0
    assert max(t.get_window_extent(renderer).x1 for t in ticks) <= axes_left


def test_wrap_label_keeps_every_word_on_at_most_three_lines():
    assert wrap_label("Speech") == "Speech"
    long = "Any audio-classification model from a hub id or a local folder of your own making"
    wrapped = wrap_label(long)
    assert wrapped.replace("\n", " ") == long and wrapped.count("\n") <= 2


def test_diarize_timeline_shows_a_long_speaker_name_whole():
    turns = [Turn(0.0, 2.0, "SPEAKER_00"), Turn(2.0, 4.0, "SPEAKER_01")]
    result = dz.DiarizationResult(turns, 4.0, 4.0, "test", "given")
    name = "Professor Margaret Okonkwo-Villanueva (chair)"
    fig = dz.plot_timeline(result, {"SPEAKER_00": name})
    fig.canvas.draw()
    ticks = fig.axes[0].get_yticklabels()
    assert [t.get_text().replace("\n", " ") for t in ticks][0] == name
    _inside_figure(fig, ticks)
