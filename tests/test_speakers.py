"""Speaker recognition and pyannote.audio offline, on the repository's real voices (no mocks).

Voices: the LibriVox reader, and Diane and Sheila of pyannote's sample (tests/conversation_audio.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

import conversation_audio as ca
from conftest import DATA
from pipelines import diarize as dz
from pipelines import speakers as sp
from pipelines.core.errors import UserError
from pipelines.dsp.fbank import fbank
from pipelines.formats.der import diarization_error_rate
from pipelines.formats.rttm import read_rttm

SAMPLE = DATA / "pyannote" / "sample.wav"


def test_fbank_matches_torchaudio_kaldi():
    """Our numpy fbank against torchaudio.compliance.kaldi.fbank (pure Python; Kaldi's recipe). float32
    log energies of about 10 in magnitude: agreement within 1e-2 (measured 4e-4)."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    y = sf.read(str(SAMPLE), dtype="float32")[0][: 16000 * 5]
    ref = kaldi.fbank(torch.from_numpy(y[None]), num_mel_bins=80, sample_frequency=16000, dither=0.0).numpy()
    ours = fbank(y, 16000, mean_norm=False)
    assert ours.shape == ref.shape == (498, 80)
    assert np.abs(ours - ref).max() < 1e-2
    assert fbank(y[:100]).shape == (0, 80)  # shorter than a frame


def test_torchaudio_keeps_its_python_parts_only():
    from pipelines.engines import pyannote_offline as po

    assert po.torchaudio_state() == "pure"
    assert po.availability() == (True, "ready")


def test_same_speaker_scores_above_the_threshold_and_different_below():
    o = sp.SpeakersOptions()
    reader_a, reader_b = ca.clip("reader-0870"), ca.clip("reader-0920")
    sheila = ca.clip("sheila-b")
    same = sp.verify(reader_a, reader_b)
    diff = sp.verify(reader_a, sheila)
    assert same.same and same.score > o.threshold + 0.1, same
    assert not diff.same and diff.score < o.threshold - 0.1, diff
    assert same.threshold == o.threshold and same.speech_a > 5


def test_silence_noise_and_music_are_refused():
    silence = np.zeros(16000 * 4, np.float32)
    noise = (np.random.default_rng(0).standard_normal(16000 * 4) * 0.01).astype(np.float32)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000 * 4) / 16000)).astype(np.float32)
    for y in (silence, noise, tone):
        with pytest.raises(UserError, match="no voice was heard"):
            sp.verify(y, ca.clip("reader-0870"))


def test_enrolment_needs_three_seconds_and_says_how_much_more():
    short = ca.clip("reader-0870")[: int(16000 * 1.8)]
    with pytest.raises(UserError, match=r"s of speech; 3 s are needed: record about \d+ s more"):
        sp.enroll(sp.KnownVoices(), "Reader", short)


def test_enroll_identify_rename_remove_and_the_file_round_trip(tmp_path):
    known, vp = sp.enroll(sp.KnownVoices(), "Reader", ca.clip("reader-0920"))
    known, _ = sp.enroll(known, "reader", ca.clip("reader-0930"))  # same name, any case: one more clip
    known, _ = sp.enroll(known, "Sheila", ca.clip("sheila-b"))
    assert known.rows()[0][:2] == ["Reader", 2] and known.names == ["Reader", "Sheila"]
    assert sp.identify(ca.clip("reader-0870"), known).name == "Reader"
    assert sp.identify(ca.clip("sheila-a"), known).name == "Sheila"
    # a voice not enrolled is nobody (Diane against the reader only: Diane and Sheila score 0.53-0.65
    # with CAM++, near the threshold, see README's Speakers figures)
    stranger = sp.identify(ca.clip("diane-b"), sp.remove(known, "Sheila"))
    assert stranger.name is None and stranger.score < sp.SpeakersOptions().threshold
    # the file: JSON of numbers only, read back alike
    path = sp.write(known, tmp_path)
    data = json.loads(path.read_text())
    assert data["format"] == sp.FORMAT and data["checksum"].startswith("sha256:")
    clip = data["voices"][0]["clips"][0]
    assert set(clip) == {"seconds", "print"} and len(clip["print"]) == 192  # numbers, never audio
    back = sp.read(path)
    assert back.names == known.names
    np.testing.assert_allclose(back.voices[0].prints[0], known.voices[0].prints[0], atol=1e-5)  # 6 decimals kept
    renamed = sp.rename(back, "Sheila", "Sheila B")
    assert sp.remove(renamed, "Reader").names == ["Sheila B"]
    with pytest.raises(UserError, match="already a known voice"):
        sp.rename(back, "Sheila", "READER")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["voices"][0]["clips"][0]["print"].__setitem__(0, 0.5), "edited or damaged"),
        (lambda d: d.__setitem__("format", "something else"), "not a known-voices file"),
        (lambda d: d.__setitem__("version", 99), "another version"),
    ],
)
def test_edited_or_foreign_files_are_refused(tmp_path, edit, message):
    known = sp.KnownVoices([sp.Voice("A", [sp.unit(np.arange(192, dtype=np.float32) + 1)], [4.0])])
    data = json.loads(sp.dumps(known))
    edit(data)
    with pytest.raises(UserError, match=message):
        sp.loads(json.dumps(data))
    with pytest.raises(UserError, match="not JSON"):
        sp.loads(b"\x80PK\x03\x04 pickle? no")


def test_at_most_the_allowed_number_of_voices():
    o = sp.SpeakersOptions(max_voices=2)
    v = sp.unit(np.ones(192, np.float32))
    known = sp.KnownVoices([sp.Voice("A", [v], [3.0]), sp.Voice("B", [v], [3.0])])
    with pytest.raises(UserError, match="2 known voices, the most allowed"):
        sp.enroll(known, "C", ca.clip("reader-0920"), options=o)
    assert known.names == ["A", "B"]  # nothing lost
    with pytest.raises(UserError, match="at most 2"):
        sp.loads(sp.dumps(sp.KnownVoices([*known.voices, sp.Voice("C", [v], [3.0])])), o)


def test_pyannote_offline_on_the_sample_keeps_overlap_and_beats_the_bundled_engine():
    y = sf.read(str(SAMPLE), dtype="float32")[0]
    ref = read_rttm((DATA / "pyannote" / "sample.rttm").read_text())
    result = dz.diarize_offline(y, 16000)
    assert "pyannote.audio offline" in result.engine and len(result.speakers) == 2
    assert dz.overlap_seconds(result.turns) > 0.5  # the sample has 1.5 s of overlap; both speakers are kept
    offline = diarization_error_rate(ref, result.turns)
    bundled = diarization_error_rate(ref, dz.diarize(y, 16000).turns)
    assert offline < 0.05 and offline <= bundled, (offline, bundled)  # measured 1.3 % against 7.7 %


def test_overlapping_conversation_shows_both_speakers_where_they_overlap(tmp_path):
    conv = ca.build()
    result = dz.diarize_offline(conv.audio, conv.sr, dz.DiarizeOptions(num_speakers=3))
    assert len(result.speakers) == 3 and "as asked" in result.how
    assert dz.overlap_seconds(result.turns) > 1.0  # reference: 3.6 s; measured 3.0 s
    der = diarization_error_rate(conv.reference, result.turns)
    assert der < 0.3, der  # measured 15.5 % (auto); two of the voices are close for CAM++
    # the transcript marks an utterance overlapped by another speaker
    words = [dz.Word(0.9, 7.0, "reading", result.turns[0].speaker)]
    utts = dz.utterances(words, result.turns)
    files = dz.write_files(result, tmp_path, "conv", words)
    rttm = read_rttm(files.rttm.read_text())
    assert dz.overlap_seconds(rttm) == pytest.approx(dz.overlap_seconds(result.turns), abs=0.05)
    assert utts[0].also and "[at the same time: " in files.txt.read_text()


def test_known_voices_name_diarized_speakers_and_the_rest_unknown(tmp_path):
    conv = ca.build(ca.KNOWN_TEST)
    known = sp.KnownVoices()
    for speaker, clips in ca.ENROLL.items():
        for clip in clips:
            known, _ = sp.enroll(known, speaker.title(), ca.clip(clip))
    three = dz.DiarizeOptions(num_speakers=3)  # under auto, CAM++ hears Diane and Sheila as one voice here
    outcome = dz.run(conv.audio, conv.sr, tmp_path, stem="known", options=three, transcribe=False, known_voices=known)
    assert sorted(outcome.names.values()) == ["Reader", "Sheila", "unknown 1"], outcome.names
    rttm_names = {t.speaker for t in read_rttm(outcome.files.rttm.read_text())}
    assert rttm_names == {"Reader", "Sheila", "unknown_1"}  # RTTM names have no spaces
    # each reference voice's speech is mostly under its name
    for ref_speaker, expected in [(ca.READER, "Reader"), (ca.SHEILA, "Sheila"), (ca.DIANE, "unknown 1")]:
        spoken = [r for r in conv.reference if r.speaker == ref_speaker]
        right = sum(
            max(0.0, min(r.end, t.end) - max(r.start, t.start))
            for r in spoken
            for t in outcome.result.turns
            if outcome.names[t.speaker] == expected
        )
        assert right > 0.7 * sum(r.duration for r in spoken), (ref_speaker, right)
