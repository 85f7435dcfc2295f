"""Where the app keeps files: the model cache folder and safe names for downloads."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    root = os.environ.get("AUDIO_STUDIO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "audio-ai-studio"
    )
    return Path(root)


def safe_stem(name: str, default: str = "transcript") -> str:
    """A file-name stem without the extension or characters file systems dislike."""
    stem = Path(name or default).stem
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip("._")
    return keep[:80] or default
