"""A batch's recordings: uploaded files, zips unpacked safely into the job's folder, or a server folder.

A zip member whose path climbs out of its folder (``../x.wav``, ``/etc/x.wav``), a link, a nested
zip, a non-audio file, or a member that unpacks to far more than it packs (a zip bomb) is skipped
with its reason; a zip whose members together pass the size limit is refused. Nothing is written
outside ``<job>/inputs``.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipelines.batch.options import AUDIO_EXTENSIONS, BatchLimits
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem

CHUNK = 1 << 20


@dataclass(frozen=True)
class BatchInput:
    name: str  # as the user knows it: the upload's name, or 'archive.zip/folder/x.wav'
    path: Path  # readable file on this machine
    stem: str  # its outputs are named after it (unique within the batch)
    size: int  # bytes, with the name: how a resumed batch knows a file it already did


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def is_audio_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in AUDIO_EXTENSIONS


def safe_member_path(name: str) -> PurePosixPath | None:
    """The member's path inside its folder, or None when it would climb out (absolute, '..', a drive)."""
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if not name or p.is_absolute() or ".." in p.parts or ":" in p.parts[0]:
        return None
    return p


def _member_problem(info: zipfile.ZipInfo, limits: BatchLimits) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "a link inside the zip is not followed"
    if safe_member_path(info.filename) is None:
        return "its path climbs out of the zip's folder; refused"
    if info.filename.lower().endswith(".zip"):
        return "a zip inside a zip is not unpacked"
    if not is_audio_name(info.filename):
        suffix = PurePosixPath(info.filename).suffix or "no extension"
        return f"not an audio file ({suffix})"
    if info.file_size > limits.max_zip_ratio * max(info.compress_size, 1) and info.file_size > CHUNK:
        ratio = info.file_size / max(info.compress_size, 1)
        return f"unpacks to {ratio:.0f} times its packed size (a zip bomb?); refused"
    return None


def _copy_bounded(src, dst: Path, limit: int) -> int:
    """Copy at most ``limit`` bytes; more (a header that lied about the size) raises UserError."""
    written = 0
    with open(dst, "wb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > limit:
                raise UserError("a member unpacks to more than its header says (a zip bomb?); refused")
            out.write(chunk)
    return written


def unpack_zip(path: Path, dest: Path, limits: BatchLimits, label: str) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """Unpack the audio members of ``path`` under ``dest``: ([(name, file)], skipped)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise UserError(f"'{label}' is not a readable zip file.") from None
    found, skipped = [], []
    with zf:
        members = [i for i in zf.infolist() if not i.is_dir()]
        audio = []
        for info in members:
            why = _member_problem(info, limits)
            if why:
                skipped.append(Skipped(f"{label}/{info.filename}", why))
            else:
                audio.append(info)
        total = sum(i.file_size for i in audio)
        if total > limits.max_unzipped_mb * 1e6:
            raise UserError(
                f"'{label}' unpacks to {total / 1e6:.0f} MB, more than a batch takes "
                f"({limits.max_unzipped_mb:.0f} MB); split it into smaller zips."
            )
        dest.mkdir(parents=True, exist_ok=True)
        for n, info in enumerate(audio):
            rel = safe_member_path(info.filename)
            target = dest / f"{n:04d}" / f"{safe_stem(rel.name, 'audio')}{rel.suffix.lower()}"  # its own name kept
            target.parent.mkdir()
            try:
                with zf.open(info) as src:
                    _copy_bounded(src, target, info.file_size)
            except UserError as exc:
                target.unlink(missing_ok=True)
                skipped.append(Skipped(f"{label}/{info.filename}", str(exc)))
                continue
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:  # corrupt or encrypted member
                target.unlink(missing_ok=True)
                skipped.append(Skipped(f"{label}/{info.filename}", f"could not be unpacked ({exc})"))
                continue
            found.append((f"{label}/{info.filename}", target))
    return found, skipped


def folder_files(folder: Path) -> tuple[list[tuple[str, Path]], list[Skipped]]:
    """A server folder's recordings (the operator's command line only), sorted; links are not followed."""
    found, skipped = [], []
    for p in sorted(folder.rglob("*")):
        if p.is_symlink() or not p.is_file():
            continue
        name = str(p.relative_to(folder))
        if is_audio_name(p.name):
            found.append((name, p))
        elif p.suffix.lower() == ".zip":
            skipped.append(Skipped(name, "a zip inside a folder is not unpacked"))
    return found, skipped


def gather(
    sources, job_dir: Path, limits: BatchLimits, *, allow_folders: bool = False
) -> tuple[list[BatchInput], list[Skipped]]:
    """Every recording of a batch, with unique output stems, and what was skipped with why."""
    named: list[tuple[str, Path]] = []
    skipped: list[Skipped] = []
    for n, source in enumerate(sources or []):
        path = Path(source if isinstance(source, (str, Path)) else getattr(source, "name", source))
        label = _upload_name(path)
        if path.is_dir():
            if not allow_folders:
                raise UserError("A folder on the server can only be given on the command line.")
            found, why = folder_files(path)
        elif path.suffix.lower() == ".zip":
            found, why = unpack_zip(path, job_dir / "inputs" / f"{n:03d}-{safe_stem(label, 'zip')}", limits, label)
        elif not path.is_file():
            raise UserError(f"'{label}' does not exist.")
        else:
            found, why = [(label, path)], []
        named += found
        skipped += why
    if not named:
        reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped[:5]) or "none given"
        raise UserError(f"No recordings to process. Skipped: {reasons}.")
    if len(named) > limits.max_files:
        raise UserError(f"{len(named)} recordings is more than a batch takes ({limits.max_files}); split it.")
    used: set[str] = set()
    inputs = []
    for name, path in named:
        stem = base = safe_stem(PurePosixPath(name).name, "audio")
        k = 2
        while stem.lower() in used:  # two files of one name keep both: lecture, lecture_2
            stem, k = f"{base}_{k}", k + 1
        used.add(stem.lower())
        inputs.append(BatchInput(name, path, stem, path.stat().st_size))
    return inputs, skipped


def _upload_name(path: Path) -> str:
    """Gradio keeps an upload's own name as the file's name inside a random folder."""
    return path.name
