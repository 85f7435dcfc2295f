"""Batch task: safe unzipping, the manifest, resuming, a failing file among good ones (real models)."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from conftest import LIBRIVOX
from pipelines.batch import (
    DONE,
    FAILED,
    SKIPPED,
    BatchLimits,
    BatchOptions,
    batch_stream,
    build_options,
    gather,
    in_process,
    run_batch,
    unpack_zip,
)
from pipelines.core.errors import UserError

CLIPS = sorted(LIBRIVOX.glob("*.wav"))


def _zip_with(path: Path, members: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


def test_zip_members_that_climb_out_bombs_and_non_audio_are_skipped_with_reasons(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("x.wav", b"RIFF")
    z = _zip_with(
        tmp_path / "upload.zip",
        {
            "talks/lecture01.wav": CLIPS[0].read_bytes(),
            "../../evil.wav": b"climb",
            "/tmp/abs.wav": b"absolute",
            "C:/win.wav": b"drive",
            "notes.txt": b"hello",
            "nested.zip": inner.getvalue(),
            "bomb.wav": bytes(30_000_000),  # 30 MB of zeros pack to ~30 kB: a ratio of ~1000
        },
        links=("link.wav",),
    )
    job = tmp_path / "job"
    found, skipped = unpack_zip(z, job / "inputs", BatchLimits(), "upload.zip")
    assert [name for name, _ in found] == ["upload.zip/talks/lecture01.wav"]
    assert found[0][1].name == "lecture01.wav" and found[0][1].read_bytes() == CLIPS[0].read_bytes()
    reasons = {s.name.split("/", 1)[1]: s.reason for s in skipped}
    assert "climbs out" in reasons["../../evil.wav"] and "climbs out" in reasons["/tmp/abs.wav"]
    assert "climbs out" in reasons["C:/win.wav"]
    assert "not an audio file (.txt)" == reasons["notes.txt"]
    assert "zip inside a zip" in reasons["nested.zip"]
    assert "zip bomb" in reasons["bomb.wav"]
    assert "link" in reasons["link.wav"]
    # nothing outside the job's folder: only the zip and the job folder exist here, and /tmp/abs.wav was not made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job", "upload.zip"]
    assert all(job in p.parents for p in job.rglob("*"))
    assert not Path("/tmp/abs.wav").exists()


def test_a_zip_over_the_size_limit_is_refused_whole(tmp_path):
    z = _zip_with(tmp_path / "big.zip", {f"{i}.wav": CLIPS[0].read_bytes() for i in range(3)})
    with pytest.raises(UserError, match="unpacks to .* MB, more than a batch takes"):
        unpack_zip(z, tmp_path / "out", BatchLimits(max_unzipped_mb=0.5), "big.zip")
    assert not (tmp_path / "out").exists()


def test_inputs_get_unique_stems_and_the_file_limit_is_checked(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for d in (a, b):
        (d / "lecture.wav").write_bytes(CLIPS[0].read_bytes())
    inputs, skipped = gather([a / "lecture.wav", b / "lecture.wav"], tmp_path / "job", BatchLimits())
    assert [i.stem for i in inputs] == ["lecture", "lecture_2"] and not skipped
    with pytest.raises(UserError, match="more than a batch takes"):
        gather([a / "lecture.wav", b / "lecture.wav"], tmp_path / "job", BatchLimits(max_files=1))
    with pytest.raises(UserError, match="command line"):
        gather([a], tmp_path / "job", BatchLimits())


def test_unknown_task_options_are_refused_with_the_known_ones():
    with pytest.raises(UserError, match="no option colour.*beam_size"):
        build_options("transcribe", {"colour": "red"})
    o = build_options("transcribe", {"beam_size": 1, "subtitles": {"max_lines": 1}})
    assert o.beam_size == 1 and o.subtitles.max_lines == 1 and o.language == "auto"
    with pytest.raises(UserError, match="Unknown batch task"):
        run_batch([CLIPS[0]], Path("/nonexistent-never-made"), BatchOptions(task="paint"))


def test_a_failing_file_is_listed_with_its_reason_and_the_others_finish(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_text("this is not a recording")
    z = _zip_with(tmp_path / "more.zip", {"clip2.wav": CLIPS[1].read_bytes(), "readme.md": b"#"})
    result = run_batch([CLIPS[0], broken, z], tmp_path / "job", BatchOptions(task="classify"))
    by_file = {r.file: r for r in result.rows}
    assert by_file[CLIPS[0].name].status == DONE and by_file["more.zip/clip2.wav"].status == DONE
    assert by_file["broken.wav"].status == FAILED and "broken.wav" in by_file["broken.wav"].reason
    assert by_file["more.zip/readme.md"].status == SKIPPED
    stem0 = CLIPS[0].stem
    assert by_file[CLIPS[0].name].outputs[0] == f"{stem0}-labels.json"
    assert all(o.startswith("clip2") for o in by_file["more.zip/clip2.wav"].outputs)
    assert "YAMNet" in by_file[CLIPS[0].name].engine
    assert abs(by_file[CLIPS[0].name].duration - 227244 / 2 / 16000) < 0.1  # 16-bit mono 16 kHz WAV
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        data = json.loads(zf.read("manifest.json"))
    assert {"manifest.csv", "manifest.json", f"{stem0}-labels.json"} <= names
    assert any(n.startswith(f"{stem0}-timeline") and n.endswith(".png") for n in names)
    assert [r["status"] for r in rows] == [DONE, FAILED, DONE, SKIPPED]
    assert {"file", "status", "duration", "engine", "seconds", "outputs"} <= set(rows[0])
    assert data["task"] == "classify" and data["options"]["top_k"] == 5 and len(data["files"]) == 4
    assert float(rows[0]["seconds"]) > 0


def test_an_interrupted_batch_resumes_without_redoing_finished_files(tmp_path):
    job = tmp_path / "job"
    options = BatchOptions(task="classify")
    calls = []

    def stop_after_first():
        calls.append(1)
        return len(calls) > 1

    first = run_batch(CLIPS[:3], job, options, executor=in_process(stop_after_first))
    assert first.cancelled and [r.status for r in first.rows] == [DONE]
    done_file = job / "files" / first.rows[0].outputs[0]
    stamp = done_file.stat().st_mtime_ns
    seen = []
    again = None
    for update in batch_stream(CLIPS[:3], job, options):
        seen.append(update.finished)
        again = update.result or again
    assert seen[0] == 1  # the first file counts as finished before any work
    assert not again.cancelled and again.resumed == 1
    assert [r.status for r in again.rows] == [DONE, DONE, DONE]
    assert again.rows[0].seconds == first.rows[0].seconds  # its row kept, not measured again
    assert done_file.stat().st_mtime_ns == stamp  # its output not written again
    with zipfile.ZipFile(again.zip_path) as zf:
        assert sum(n.endswith("-labels.json") for n in zf.namelist()) == 3


def test_a_transcription_batch_names_each_output_after_its_input(tmp_path):
    options = BatchOptions(task="transcribe", task_options={"model": "whisper-tiny.en", "language": "en"})
    result = run_batch(CLIPS[1:2], tmp_path / "job", options)
    (row,) = result.rows
    stem = CLIPS[1].stem
    assert row.status == DONE and "tiny.en" in row.engine
    assert {f"{stem}.txt", f"{stem}.srt", f"{stem}.vtt", f"{stem}.json"} <= set(row.outputs)
    with zipfile.ZipFile(result.zip_path) as zf:
        text = zf.read(f"{stem}.txt").decode().lower()
    reference = CLIPS[1].with_suffix(".txt").read_text().lower()
    assert sum(w in text for w in reference.split()) >= len(reference.split()) // 2


def test_the_command_line_takes_a_server_folder_and_resumes(tmp_path, capsys):
    from app import main

    folder = tmp_path / "recordings"
    folder.mkdir()
    for clip in CLIPS[:2]:
        (folder / clip.name).write_bytes(clip.read_bytes())
    (folder / "notes.txt").write_text("not audio")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as ended:
        main(["batch", str(folder), "--task", "classify", "--out", str(out)])
    assert ended.value.code == 0
    first = capsys.readouterr().out
    assert "2 done, 0 failed, 0 skipped (0 from an earlier run); in-process" in first
    assert "Limits: up to 200 recordings" in first and (out / "batch-results.zip").is_file()
    with pytest.raises(SystemExit):
        main(["batch", str(folder), "--task", "classify", "--out", str(out)])
    assert "(2 from an earlier run)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("task", "options", "suffixes"),
    [
        ("diarize", {}, ["-diarized.rttm", "-speakers.txt", "-speakers.srt"]),
        ("denoise", {}, ["-clean.wav"]),
        ("analyze", {"hub_models": False}, ["-analysis.json"]),
        ("meeting_notes", {"language": "en"}, ["-notes.md", "-notes.json"]),
    ],
)
def test_every_task_writes_its_outputs_named_after_the_input(tmp_path, task, options, suffixes):
    result = run_batch([CLIPS[0]], tmp_path / "job", BatchOptions(task=task, task_options=options, offline=True))
    (row,) = result.rows
    assert row.status == DONE, row.reason
    assert all(o.startswith(CLIPS[0].stem) for o in row.outputs)
    assert {CLIPS[0].stem + s for s in suffixes} <= set(row.outputs)
    assert row.engine and row.duration == pytest.approx(227244 / 2 / 16000, abs=0.1)
