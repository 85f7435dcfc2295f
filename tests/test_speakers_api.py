"""The Speakers endpoints and known voices in /diarize, through gradio_client against the running app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from gradio_client import handle_file
from gradio_client.exceptions import AppError

import conversation_audio as ca
from pipelines.formats.rttm import read_rttm


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("voices")
    out = {}
    for name in ("reader-0870", "reader-0920", "reader-0930", "sheila-b", "diane-b"):
        out[name] = folder / f"{name}.wav"
        sf.write(out[name], ca.clip(name), ca.SR)
    out["short"] = folder / "short.wav"
    sf.write(out["short"], ca.clip("reader-0870")[: int(1.5 * ca.SR)], ca.SR)
    out["silence"] = folder / "silence.wav"
    sf.write(out["silence"], np.zeros(ca.SR * 4, np.float32), ca.SR)
    conv = ca.build(ca.KNOWN_TEST)
    out["conversation"] = folder / "conversation.wav"
    sf.write(out["conversation"], conv.audio, ca.SR)
    return out


def test_verify_speakers_same_and_different(client, clips):
    same, text = client.predict(
        handle_file(str(clips["reader-0870"])), handle_file(str(clips["reader-0920"])), api_name="/verify_speakers"
    )
    assert same["same"] is True and same["score"] > same["threshold"] and "Same person" in text
    diff, text = client.predict(
        handle_file(str(clips["reader-0870"])), handle_file(str(clips["sheila-b"])), api_name="/verify_speakers"
    )
    assert diff["same"] is False and diff["score"] < diff["threshold"] and "Different people" in text
    assert {"far", "frr", "threshold"} <= set(diff)
    with pytest.raises(AppError, match="no voice was heard"):
        client.predict(
            handle_file(str(clips["silence"])), handle_file(str(clips["reader-0920"])), api_name="/verify_speakers"
        )


def test_enroll_identify_and_diarize_with_known_voices(client, clips, tmp_path):
    known, *_ = client.predict(handle_file(str(clips["reader-0920"])), "Reader", None, api_name="/enroll_voice")
    known, *_ = client.predict(
        handle_file(str(clips["reader-0930"])), "Reader", handle_file(known), api_name="/enroll_voice"
    )
    known, table, _choices, message, *_ = client.predict(
        handle_file(str(clips["sheila-b"])), "Sheila", handle_file(known), api_name="/enroll_voice"
    )
    data = json.loads(Path(known).read_text())
    assert [v["name"] for v in data["voices"]] == ["Reader", "Sheila"] and len(data["voices"][0]["clips"]) == 2
    assert "Sheila" in message
    # a clip too short: says how much more; the known voices given are untouched
    with pytest.raises(AppError, match="3 s are needed: record about"):
        client.predict(handle_file(str(clips["short"])), "Bob", handle_file(known), api_name="/enroll_voice")
    who, text = client.predict(handle_file(str(clips["reader-0870"])), handle_file(known), api_name="/identify_speaker")
    assert who["name"] == "Reader" and who["score"] > who["threshold"] and "Reader" in text
    # an edited file is refused, and the server keeps serving
    edited = tmp_path / "edited.json"
    data["voices"][0]["name"] = "Mallory"
    edited.write_text(json.dumps(data))
    with pytest.raises(AppError, match="edited or damaged"):
        client.predict(handle_file(str(clips["reader-0870"])), handle_file(str(edited)), api_name="/identify_speaker")
    # Diarize names the enrolled voices and calls the third "unknown 1" in the RTTM, TXT and SRT
    out = client.predict(
        handle_file(str(clips["conversation"])),
        num_speakers=3,
        known_voices=handle_file(known),
        api_name="/diarize",
    )
    info, _timeline, _talk, _turns, transcript, rttm, txt, srt, _names = out
    assert {t.speaker for t in read_rttm(Path(rttm).read_text())} == {"Reader", "Sheila", "unknown_1"}
    srt_text = Path(srt).read_text()
    assert "Reader: " in srt_text and "Sheila: " in srt_text
    speakers_in_text = {line.split(":")[0] for line in Path(txt).read_text().splitlines() if line}
    assert speakers_in_text <= {"Reader", "Sheila", "unknown 1"} and {"Reader", "Sheila"} <= speakers_in_text
    assert "pyannote.audio offline" in info


def test_meeting_notes_name_the_known_voices(client, clips):
    known, *_ = client.predict(handle_file(str(clips["reader-0920"])), "Reader", None, api_name="/enroll_voice")
    info, _notes, transcript, *_ = client.predict(
        handle_file(str(clips["conversation"])),
        num_speakers=3,
        known_voices=handle_file(known),
        api_name="/meeting_notes",
    )
    speakers = {m.group(1) for m in re.finditer(r"^\[[\d:]+\] ([^:]+):", transcript, re.M)}
    assert "Reader" in speakers and "unknown 1" in speakers, transcript  # Diane and Sheila not enrolled here
    assert "SPEAKER_00" not in transcript
