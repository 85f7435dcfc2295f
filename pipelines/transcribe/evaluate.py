"""Evaluate a transcription model on a set of clips with their reference texts (seed 000).

A set comes as uploaded files: a zip with a ``.txt`` beside each audio file (``clip.wav`` +
``clip.txt``), or a CSV of ``file,text`` rows with the audio files in the same zip or uploaded
together. Or, with the model hub reachable, a Hugging Face dataset id read in streaming mode for
its first N items (an allowed local dataset folder, ``registry.local_model_folder``, is read the
same way through ``datasets``' ``audiofolder`` builder). Each clip is transcribed by
``pipelines.transcribe`` and compared with ``formats.text_metrics.compare`` (the shared
normalisation); the table lists the worst clips first, with the pooled WER and CER of the set.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.files import safe_stem
from pipelines.core.registry import is_folder_name, local_model_folder, module_installed
from pipelines.formats.text_metrics import compare, normalize_text

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".webm", ".aif", ".aiff", ".wma", ".mp4"}
FILE_COLUMNS = ("file", "file_name", "filename", "path", "audio", "clip")
TEXT_COLUMNS = ("text", "transcript", "transcription", "sentence", "reference", "normalized_text", "raw_text")
MAX_ZIP_MEMBERS = 2000
HEADERS = [
    "clip",
    "WER",
    "CER",
    "reference words",
    "substituted",
    "deleted",
    "inserted",
    "duration (s)",
    "reference",
    "transcript",
]

SHOWN_COLUMNS = (0, 1, 2, 3, 8, 9)  # clip, WER, CER, reference words, reference, transcript
SHOWN_HEADERS = [HEADERS[i] for i in SHOWN_COLUMNS]


@dataclass
class EvalOptions:
    max_clips: int = 100  # clips in one set
    dataset_items: int = 10  # first N items of a dataset
    dataset_split: str = "test"
    text_column: str = ""  # blank: the first of TEXT_COLUMNS the dataset has


@dataclass
class Pair:
    name: str  # as the user named it (path inside the zip, or the file name)
    audio: Path
    reference: str


@dataclass
class ClipResult:
    name: str
    wer: float
    cer: float
    reference_words: int
    substitutions: int
    deletions: int
    insertions: int
    duration: float
    reference: str
    transcript: str


@dataclass
class EvalResult:
    clips: list[ClipResult]  # worst first
    wer: float  # pooled over the set: errors summed / reference words summed
    cer: float
    engine: str
    seconds_audio: float
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[list]:
        return [
            [
                c.name,
                round(c.wer, 4),
                round(c.cer, 4),
                c.reference_words,
                c.substitutions,
                c.deletions,
                c.insertions,
                round(c.duration, 2),
                c.reference,
                c.transcript,
            ]
            for c in self.clips
        ]

    def shown_rows(self) -> list[list]:
        """The on-screen table (SHOWN_HEADERS): the CSV keeps every column."""
        return [[r[i] for i in SHOWN_COLUMNS] for r in self.rows()]

    def summary(self) -> str:
        return (
            f"**Overall WER {self.wer:.1%}**, **CER {self.cer:.1%}** on {len(self.clips)} clips "
            f"({self.seconds_audio:.1f} s of audio, {sum(c.reference_words for c in self.clips)} reference words; "
            f"case, punctuation and numbers normalised). Worst clips first. **Engine:** {self.engine}."
        )

    def write_csv(self, path: Path) -> Path:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(HEADERS)
            w.writerows(self.rows())
            words = sum(c.reference_words for c in self.clips)
            total = [sum(getattr(c, k) for c in self.clips) for k in ("substitutions", "deletions", "insertions")]
            w.writerow(["OVERALL", round(self.wer, 4), round(self.cer, 4), words, *total, round(self.seconds_audio, 2)])
        return path


# --- a set from uploaded files ----------------------------------------------------------------


def _kind(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    return {".txt": "text", ".csv": "csv", ".zip": "zip"}.get(suffix, "other")


def _ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def gather_files(paths: list[str | Path], work_dir: Path, max_bytes: float) -> list[tuple[str, Path]]:
    """(name, path on disk) of every file given, zips unpacked into ``work_dir`` (members written
    under numbered names, so no member can land outside it; at most ``max_bytes`` unpacked)."""
    out: list[tuple[str, Path]] = []
    unpacked = 0
    for p in paths:
        p = Path(p)
        if _kind(p.name) != "zip":
            out.append((p.name, p))
            continue
        try:
            zf = zipfile.ZipFile(p)
        except zipfile.BadZipFile:
            raise UserError(f"'{p.name}' is not a readable zip file.") from None
        with zf:
            members = [m for m in zf.infolist() if not m.is_dir() and not _ignored(m.filename)]
            if len(members) > MAX_ZIP_MEMBERS:
                raise UserError(f"'{p.name}' holds {len(members)} files; at most {MAX_ZIP_MEMBERS} are read.")
            for m in members:
                unpacked += m.file_size
                if unpacked > max_bytes:
                    raise UserError(
                        f"'{p.name}' unpacks to more than {max_bytes / 1e6:.0f} MB, the server's upload limit."
                    )
                if _kind(m.filename) == "zip":
                    raise UserError(f"'{m.filename}' is a zip inside a zip: put all the clips in one zip.")
                dest = work_dir / f"{len(out):05d}{PurePosixPath(m.filename).suffix.lower()}"
                with zf.open(m) as src, open(dest, "wb") as fh:
                    fh.write(src.read())
                out.append((m.filename, dest))
    return out


def _read_text(path: Path, name: str) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"'{name}' is not UTF-8 text.") from None


def _csv_rows(path: Path, name: str) -> list[tuple[str, str]]:
    rows = [r for r in csv.reader(io.StringIO(_read_text(path, name))) if any(c.strip() for c in r)]
    if not rows:
        raise UserError(f"'{name}' is empty: it needs one row per clip, 'file,text'.")
    head = [c.strip().lower() for c in rows[0]]
    fi = next((head.index(c) for c in FILE_COLUMNS if c in head), None)
    ti = next((head.index(c) for c in TEXT_COLUMNS if c in head), None)
    header = fi is not None and ti is not None
    if header:
        rows = rows[1:]
    if fi is None or ti is None:
        fi, ti = 0, 1
    out = []
    for k, r in enumerate(rows, start=2 if header else 1):
        if len(r) <= max(fi, ti):
            raise UserError(f"'{name}' line {k} has no text column: each row must be 'file,text'.")
        out.append((r[fi].strip(), r[ti].strip()))
    return out


def pairs_from_files(paths: list[str | Path], work_dir: Path, max_bytes: float) -> tuple[list[Pair], list[str]]:
    """The (audio, reference) pairs of an upload, and notes on files left out."""
    if not paths:
        raise UserError("Upload the clips with their reference texts: a zip, or a CSV with its audio files.")
    files = gather_files(paths, work_dir, max_bytes)
    others = [n for n, _ in files if _kind(n) == "other"]
    if others:
        raise UserError(
            f"'{others[0]}' is not an audio file, a .txt reference, a CSV or a zip. "
            f"Audio files end in {', '.join(sorted(AUDIO_SUFFIXES))}."
        )
    audio = {n: p for n, p in files if _kind(n) == "audio"}
    if not audio:
        raise UserError("No audio file was found in what was uploaded (WAV, FLAC, MP3, OGG, ...).")
    csvs = [(n, p) for n, p in files if _kind(n) == "csv"]
    notes: list[str] = []
    if csvs:
        by_base: dict[str, list[str]] = {}
        for n in audio:
            by_base.setdefault(PurePosixPath(n).name.lower(), []).append(n)
        pairs, missing = [], []
        for cname, cpath in csvs:
            for fname, text in _csv_rows(cpath, cname):
                hit = fname if fname in audio else None
                if hit is None:
                    found = by_base.get(PurePosixPath(fname.replace("\\", "/")).name.lower(), [])
                    hit = found[0] if len(found) == 1 else None
                if hit is None:
                    missing.append(fname)
                elif _kind(hit) != "audio":
                    raise UserError(f"'{fname}' named in '{cname}' is not an audio file.")
                else:
                    pairs.append(Pair(hit, audio[hit], text))
        if missing:
            shown = ", ".join(f"'{m}'" for m in missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            raise UserError(
                f"The CSV names {len(missing)} file(s) that were not uploaded: {shown}. Upload them together "
                "with the CSV, or put the CSV and the clips in one zip."
            )
        used = {p.name for p in pairs}
        unused = [n for n in audio if n not in used]
        if unused:
            notes.append(f"{len(unused)} audio file(s) not named in the CSV were left out: {', '.join(unused[:5])}.")
    else:
        texts = {str(PurePosixPath(n).with_suffix("")).lower(): p for n, p in files if _kind(n) == "text"}
        pairs, unpaired = [], []
        for n, p in audio.items():
            t = texts.get(str(PurePosixPath(n).with_suffix("")).lower())
            if t is None:
                unpaired.append(n)
            else:
                pairs.append(Pair(n, p, _read_text(t, n).strip()))
        if not pairs:
            raise UserError(
                "No clip has a reference text: put a .txt with the same name beside each audio file "
                "(clip1.wav and clip1.txt), or add a CSV of file,text."
            )
        if unpaired:
            notes.append(
                f"{len(unpaired)} audio file(s) without a .txt beside them were left out: {', '.join(unpaired[:5])}."
            )
    return pairs, notes


# --- a set from a dataset (streaming) ------------------------------------------------------------


def dataset_availability() -> tuple[bool, str]:
    """(usable, reason in plain words) for reading a dataset from the model hub."""
    from pipelines.core.hub import hub_status

    if not module_installed("datasets"):
        return False, "it needs the Python package datasets, which is not installed on this server"
    status = hub_status(block=False)
    if not status.reachable:
        return False, f"the model hub is not reachable ({status.reason})"
    return True, "the model hub is reachable"


def _audio_column(ds) -> str:
    features = getattr(ds, "features", None) or {}
    for name, feat in features.items():
        if type(feat).__name__ == "Audio":
            return name
    raise UserError(f"The dataset has no audio column (its columns: {', '.join(features) or 'unknown'}).")


def _undecoded(ds, column: str):
    """The dataset with its audio column as stored (bytes and path, or a path): the app decodes it
    as it decodes uploads (``datasets``' own audio feature needs torchcodec, which is not installed)."""
    import datasets

    stored = ({"bytes": datasets.Value("binary"), "path": datasets.Value("string")}, datasets.Value("string"))
    for feature in stored:  # hub datasets store a struct; the audiofolder builder a path
        cast = ds.cast_column(column, feature)
        try:
            next(iter(cast.take(1)), None)
        except (AttributeError, TypeError, ValueError):
            continue
        return cast
    raise UserError(f"The dataset's audio column '{column}' could not be read.")


def pairs_from_dataset(dataset: str, options: EvalOptions, work_dir: Path, config: str = "") -> tuple[list[Pair], str]:
    """The first ``options.dataset_items`` (audio, text) items of a dataset read in streaming mode,
    each audio written to ``work_dir`` as its own file; and how it was read, in words."""
    name = (dataset or "").strip()
    n = int(options.dataset_items)
    if not 1 <= n <= options.max_clips:
        raise UserError(f"Items to read must be between 1 and {options.max_clips} (got {options.dataset_items}).")
    if not module_installed("datasets"):
        raise ModelUnavailable("Reading a dataset needs the Python package datasets, which is not installed here.")
    import datasets

    split = (options.dataset_split or "test").strip()
    if is_folder_name(name):  # the same rule as local model folders: only inside AUDIO_STUDIO_MODEL_DIRS
        folder = local_model_folder(name, "metadata.csv", "an audio dataset folder (audio files with a metadata.csv)")
        ds = datasets.load_dataset("audiofolder", data_dir=str(folder), split=split, streaming=True)
        how = f"local dataset folder '{folder.name}', split {split}, streaming"
    else:
        ok, reason = dataset_availability()
        if not ok:
            raise ModelUnavailable(f"A dataset from the model hub cannot be read: {reason}. Upload the clips instead.")
        try:
            ds = datasets.load_dataset(name, config or None, split=split, streaming=True)
        except Exception as exc:  # no such dataset, no such split, gated, network
            raise ModelUnavailable(
                f"Could not read the dataset '{name[:100]}': {str(exc).splitlines()[0][:200]}"
            ) from exc
        how = f"model hub dataset {name}, split {split}, streaming"
    audio_col = _audio_column(ds)
    ds = _undecoded(ds, audio_col)
    first = next(iter(ds.take(1)), None)
    if first is None:
        raise UserError(f"The dataset split '{split}' has no items.")
    text_col = (options.text_column or "").strip() or next((c for c in TEXT_COLUMNS if c in first), "")
    if text_col not in first:
        raise UserError(
            f"The dataset has no text column{f' named {text_col!r}' if text_col else ''} (its columns: "
            f"{', '.join(first)}): name the column that holds the reference text."
        )
    pairs = []
    for k, item in enumerate(ds.take(n)):
        audio = item[audio_col]
        audio = {"path": audio, "bytes": None} if isinstance(audio, str) else audio
        source = PurePosixPath(str(audio.get("path") or f"item-{k}.wav")).name
        dest = work_dir / f"{k:05d}-{safe_stem(source, 'item')}{PurePosixPath(source).suffix.lower() or '.wav'}"
        if audio.get("bytes"):
            dest.write_bytes(audio["bytes"])
        elif audio.get("path") and Path(audio["path"]).is_file():
            dest.write_bytes(Path(audio["path"]).read_bytes())
        else:
            raise UserError(f"Item {k} of the dataset has no audio data.")
        pairs.append(Pair(f"{k}: {source}", dest, str(item[text_col] or "").strip()))
    return pairs, how


# --- evaluation --------------------------------------------------------------------------------


def evaluate_pairs(
    pairs: list[Pair],
    transcribe_clip: Callable[[Pair, float], tuple[str, float, str]],
    *,
    options: EvalOptions | None = None,
    max_total_seconds: float = 1800.0,
    on_clip: Callable[[int, int, str], None] | None = None,
    notes: list[str] | None = None,
) -> EvalResult:
    """Transcribe each pair with ``transcribe_clip(pair, seconds_left) -> (text, duration, engine)``
    (which refuses a clip longer than the seconds left) and compare it with its reference."""
    opts = options or EvalOptions()
    if len(pairs) > opts.max_clips:
        raise UserError(f"The set has {len(pairs)} clips; at most {opts.max_clips} are evaluated at once.")
    for p in pairs:
        if not normalize_text(p.reference):
            raise UserError(f"The reference text of '{p.name}' is empty: give the words that are said in it.")
    clips, total, engine = [], 0.0, ""
    for i, p in enumerate(pairs):
        if on_clip:
            on_clip(i, len(pairs), p.name)
        left = max_total_seconds - total
        if left <= 0:
            raise UserError(
                f"The set is longer than the server's limit of {max_total_seconds / 60:g} minutes of audio in all."
            )
        try:
            text, duration, engine = transcribe_clip(p, left)
        except UserError as exc:
            raise UserError(f"'{p.name}': {exc}") from exc
        total += duration
        c = compare(p.reference, text)
        clips.append(
            ClipResult(
                p.name,
                c.wer,
                c.cer,
                c.reference_words,
                c.substitutions,
                c.deletions,
                c.insertions,
                duration,
                p.reference,
                text,
            )
        )
    pooled = compare(
        " ".join(normalize_text(p.reference) for p in pairs), " ".join(normalize_text(c.transcript) for c in clips)
    )
    clips.sort(key=lambda c: (-c.wer, -c.cer, c.name))
    return EvalResult(clips, pooled.wer, pooled.cer, engine, total, list(notes or []))


def csv_name(first_input: str) -> str:
    return f"{safe_stem(first_input, 'set')}-wer.csv"
