"""Keep the server's resident memory close to what it really uses (glibc malloc settings).

Long jobs (a 30-minute transcription) allocate and free large buffers block after block, from
several threads. With glibc's defaults each thread gets its own heap arena and the mmap
threshold rises as big buffers are freed, so freed memory stays resident and the peak grows
with the recording's length. Measured on 8 minutes of speech with Whisper base
(a probe run in one process, alternating settings): peak 592 MB by default, 467 MB with two arenas
and a fixed 4 MB mmap threshold, at the same speed (a 1 MB threshold saved more but ran 60 %
slower). ``release_free_memory`` hands freed heap pages back after each block of work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


@functools.lru_cache(maxsize=1)
def _libc():
    try:
        name = ctypes.util.find_library("c") or "libc.so.6"
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 (glibc only)
        libc.malloc_trim  # noqa: B018
        return libc
    except (OSError, AttributeError):
        return None  # not glibc (macOS, musl): nothing to tune


def tune_malloc(arenas: int = 2, mmap_threshold_mb: int = 4) -> bool:
    """Fewer heap arenas and a fixed mmap threshold; True when applied."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold_mb << 20))


def release_free_memory() -> None:
    """Return freed heap memory to the system (cheap; call between blocks of long work)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
