"""A time as a person reads it on screen (``1:05``, ``00:05``, ``1:02:03``, ``1:05.3``).

Subtitle and karaoke files have their own exact formats (``formats.subtitles.timestamp``); this
is for transcripts, notes, meters and figure axes.
"""

from __future__ import annotations


def clock(seconds: float, *, pad: bool = False, rounded: bool = False, tenths: bool = False) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on).

    pad: two-digit minutes (``00:05``), as in a transcript's line times.
    rounded: to the nearest second instead of the second that has begun.
    tenths: ``m:ss.s``, for figure axes where seconds matter.
    """
    s = max(0.0, float(seconds))
    if tenths:
        return f"{int(s // 60)}:{s % 60:04.1f}"
    whole = int(round(s)) if rounded else int(s)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}" if pad else f"{minutes}:{secs:02d}"
