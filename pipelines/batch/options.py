"""The Batch task's settings: which task, its options, and the limits of one batch (written once here)."""

from __future__ import annotations

from dataclasses import dataclass, field

# The tasks a batch can run, in the order the tab offers them: key -> title.
TASK_TITLES = {
    "transcribe": "Transcribe",
    "diarize": "Diarize (who spoke when)",
    "meeting_notes": "Meeting notes",
    "denoise": "Clean up (denoise)",
    "classify": "Classify",
    "analyze": "Analyze",
}

# Members of a zip (and files of a server folder) taken as recordings; anything else is skipped, with its reason.
AUDIO_EXTENSIONS = frozenset(
    ".wav .flac .ogg .oga .opus .mp3 .m4a .aac .webm .aif .aiff .wma .mp4 .mka .caf .au".split()
)


@dataclass
class BatchLimits:
    """Limits of one batch; the tab shows them under the upload."""

    max_files: int = 200  # recordings in one batch (after unzipping)
    max_total_hours: float = 10.0  # audio in one batch; files past it are skipped with the reason
    max_file_minutes: float = 30.0  # one recording; a longer one fails with the reason, the others go on
    max_unzipped_mb: float = 2000.0  # a zip's members together, uncompressed (against zip bombs)
    max_zip_ratio: float = 200.0  # a member that unpacks to more than this times its packed size is refused


@dataclass
class BatchOptions:
    task: str = "transcribe"  # a key of TASK_TITLES
    task_options: dict = field(default_factory=dict)  # fields of that task's options dataclass (others: defaults)
    limits: BatchLimits = field(default_factory=BatchLimits)
    offline: bool = False  # never ask the model hub (the server's setting)


def limits_from(max_files: int | None = None, max_hours: float | None = None) -> BatchLimits:
    """The server's limits: its settings where given, else the defaults above."""
    d = BatchLimits()
    return BatchLimits(
        max_files=int(max_files or d.max_files),
        max_total_hours=float(max_hours or d.max_total_hours),
        max_file_minutes=d.max_file_minutes,
        max_unzipped_mb=d.max_unzipped_mb,
        max_zip_ratio=d.max_zip_ratio,
    )


def limits_line(limits: BatchLimits) -> str:
    """The limits as the tab and the command line say them."""
    return (
        f"Limits: up to {limits.max_files} recordings and {limits.max_total_hours:g} hours of audio in one batch, "
        f"{limits.max_file_minutes:g} minutes each; a zip unpacks to at most {limits.max_unzipped_mb:g} MB."
    )
