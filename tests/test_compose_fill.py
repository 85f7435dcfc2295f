"""Issue 13, class 5: the composer fills the duration asked for with music, and what it says it
wrote (tempo, key) is what is heard back. Real renders through the bundled SoundFont, measured
with librosa; short pieces where the point allows."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.compose import check_words, normalize_loudness
from pipelines.dsp import music as music_check
from pipelines.engines.rule_composer import BEATS_PER_BAR, bars_for, compose_piece
from pipelines.engines.soundfont import FADE_SECONDS, add_reverb, render_piece


def _render(prompt: str, seconds: float, seed: int):
    piece = compose_piece(prompt, seconds, seed)
    audio, sr = render_piece(piece)
    audio, _ = normalize_loudness(add_reverb(audio, sr, piece.plan.style.reverb), sr)
    return piece, audio, sr


def _rms_db_per_second(audio: np.ndarray, sr: int) -> np.ndarray:
    mono = audio.mean(axis=0)
    n = len(mono) // sr
    return np.array([10 * np.log10(np.mean(mono[i * sr : (i + 1) * sr] ** 2) + 1e-12) for i in range(n)])


@pytest.mark.parametrize(
    ("prompt", "seconds"),
    [("jazz in E major 70 bpm", 30), ("calm lo-fi piano", 10), ("rock guitar 140 bpm", 60), ("sad strings", 30)],
)
def test_music_fills_the_duration_with_only_a_short_fade(prompt, seconds):
    """'A 30 s piece of 8 bars and a long fade is not what a user asked for': every second up to
    the final fade carries music about as loud as the rest, and the bars are duration x tempo / 4."""
    piece, audio, sr = _render(prompt, seconds, 1)
    assert audio.shape[1] == int(round(seconds * sr))
    assert FADE_SECONDS <= 2.0
    expected_bars = seconds * piece.plan.bpm / 60 / BEATS_PER_BAR
    assert piece.bars == bars_for(seconds, piece.plan.bpm) and abs(piece.bars - expected_bars) <= 0.5, (
        piece.bars,
        expected_bars,
    )
    # the notes reach the end: the last one sounds until the asked length
    end_beat = max(n.start + n.length for p in piece.parts if not p.is_drums for n in p.notes)
    assert end_beat * piece.beat_seconds >= seconds - 0.01
    rms = _rms_db_per_second(audio, sr)
    body = rms[: int(seconds - FADE_SECONDS)]  # every whole second before the fade
    assert body.min() > np.median(body) - 15, np.round(rms, 0)  # no near-silent stretch (the old ending: -60 dB)
    # the final chord is held to the fade, not left to die away over several seconds
    assert rms[int(seconds - FADE_SECONDS) - 1] > np.median(body) - 8, np.round(rms, 0)


def test_a_long_piece_repeats_and_varies_its_sections():
    piece = compose_piece("rock guitar 140 bpm", 60, 1)
    names = [s.name for s in piece.sections]
    assert names[0] == "intro" and names[-1] == "ending" and names.count("ending") == 1
    assert piece.sections[-1].bars == 1
    assert {"A", "B", "A'"} <= set(names)  # the AABA form comes back varied
    melody = next(p for p in piece.parts if p.name == "melody")
    first_a = next(s for s in piece.sections if s.name == "A")
    varied_a = next(s for s in piece.sections if s.name == "A'")

    def line(sec):
        lo, hi = sec.start_bar * BEATS_PER_BAR, (sec.start_bar + sec.bars) * BEATS_PER_BAR
        return [(round(n.start - lo, 3), n.pitch) for n in melody.notes if lo <= n.start < hi]

    a, a2 = line(first_a), line(varied_a)
    assert [t for t, _ in a] == [t for t, _ in a2]  # same rhythm: recognisably the same phrase
    assert [p for _, p in a] != [p for _, p in a2]  # other notes: a variation, not a copy


# styles x keys x tempi: slow, the style's own and fast; the tempo read back is the one written (or
# its double/half, worded so), the key is the one written or a neighbour named as such, never "differs".
GRID = [
    ("jazz in E major", 3),
    ("jazz in E major 70 bpm", 1),
    ("rock in C minor", 2),
    ("rock guitar 140 bpm", 2),
    ("ballad in Bb major 70 bpm", 1),
    ("upbeat synth pop in A major", 1),
    ("orchestral in D minor", 1),
]


@pytest.mark.parametrize(("prompt", "seed"), GRID)
def test_what_is_heard_agrees_with_what_was_written(prompt, seed):
    piece, audio, sr = _render(prompt, 12, seed)
    heard = music_check.listen(audio, sr)
    plan = piece.plan
    facts = dict(
        heard_bpm=round(heard.bpm, 1), heard_key=heard.key_name, heard_tonic=heard.tonic, heard_mode=heard.mode
    )
    line = check_words(plan.bpm, plan.tonic, plan.mode, facts)
    assert music_check.tempo_matches(heard.bpm, plan.bpm), (prompt, heard.bpm, plan.bpm)
    assert "does not match" not in line and "differs" not in line, (prompt, plan.key_name, line)


def test_the_same_home_note_in_the_other_mode_is_worded_as_such():
    line = check_words(
        140, 10, "minor", dict(heard_bpm=139.7, heard_key="Bb major", heard_tonic=10, heard_mode="major")
    )
    assert "home note written" in line and "differs" not in line
    other = check_words(140, 10, "minor", dict(heard_bpm=139.7, heard_key="E major", heard_tonic=4, heard_mode="major"))
    assert "differs" in other


def test_a_key_sharing_six_notes_is_a_near_miss():
    # A major heard as C# minor (six of seven notes shared), Bb major as D minor
    for tonic, mode, heard, h_tonic, h_mode in (
        (9, "major", "C# minor", 1, "minor"),
        (10, "major", "D minor", 2, "minor"),
    ):
        line = check_words(
            120, tonic, mode, dict(heard_bpm=120.0, heard_key=heard, heard_tonic=h_tonic, heard_mode=h_mode)
        )
        assert "six of its seven notes" in line and "differs" not in line, line


def test_a_key_that_differs_says_whether_the_notes_written_are_in_the_key():
    """'Eb minor' beside 'heard Bb major' (calm lo-fi piano, seed 918209810): every note written was
    in Eb minor; the line says so, and otherwise how many notes lie outside the key."""
    from pipelines.compose import share_outside_key

    piece, _audio, _sr = _render("calm lo-fi piano", 12, 918209810)
    plan = piece.plan
    assert share_outside_key(piece, plan.tonic, plan.mode) < 0.05  # the composer keeps to its key
    assert share_outside_key(piece, (plan.tonic + 6) % 12, plan.mode) > 0.3  # a tritone away: most notes outside
    facts = dict(heard_bpm=plan.bpm, heard_key="E major", heard_tonic=(plan.tonic + 1) % 12, heard_mode="major")
    in_key = check_words(plan.bpm, plan.tonic, plan.mode, facts, share_outside_key(piece, plan.tonic, plan.mode))
    assert "every note written is in that key" in in_key
    outside = check_words(plan.bpm, plan.tonic, plan.mode, facts, 0.2)
    assert "20% of the notes written lie outside" in outside
