"""An ordered inbox for a live microphone: pieces that arrive late, twice, out of order or in bursts
come out once, in order, with nothing dropped (the transport of Live captions and hands-free Voice chat).

The sender (the page's microphone relay) numbers its pieces (``seq`` 0, 1, 2, ...) and says where
each starts in its own sample count (``offset``). The inbox:

- keeps every piece until the consumer takes it (no "latest piece wins": a busy server falls
  behind, it does not lose audio);
- ignores a piece it already has (a sender that retries after a timeout);
- holds a piece that came before the one it follows, until the gap is filled;
- counts, in seconds of the recording, any span the sender says it could not send
  (``offset`` beyond what came before) or that never arrived before ``close``: ``gaps``.
  A gap is filled with silence, so the times of everything after it stay true.

Thread-safe: the web server pushes from its threads, a decoding thread takes.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class AudioInbox:
    """Ordered, gap-aware queue of mono float32 pieces at one rate (see the module doc)."""

    def __init__(self, rate: int = 0) -> None:
        self.rate = int(rate)  # 0: set by the first piece
        self._lock = threading.Lock()
        self._ready: list[np.ndarray] = []  # in order, not yet taken
        self._ready_samples = 0
        self._held: dict[int, tuple[int | None, np.ndarray]] = {}  # seq -> (offset, samples): arrived early
        self._next_seq = 0
        self._next_offset = 0  # samples accepted in order so far (silence for gaps included)
        self.gaps: list[tuple[float, float]] = []  # (start s, end s) of the recording that never arrived
        self.received_samples = 0  # real samples received (duplicates not counted)
        self.sent_samples = 0  # what the sender says it captured (its latest report)
        self.taken_samples = 0
        self.closed = False
        self.created = self.last_push = time.monotonic()
        self._arrived = threading.Event()

    # -- the sender's side ---------------------------------------------------------------

    def push(self, seq: int, samples, rate: int, *, offset: int | None = None, sent: int | None = None) -> int:
        """Add piece number ``seq``; returns the next ``seq`` the inbox waits for (the sender's ack).

        ``offset``: where the piece starts in the sender's count (default: right after the last
        piece). ``sent``: how many samples the sender has captured so far (for the lag shown).
        """
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        rate = int(rate)
        with self._lock:
            self.last_push = time.monotonic()
            if sent is not None:
                self.sent_samples = max(self.sent_samples, int(sent))
            if self.closed:
                return self._next_seq
            if not self.rate:
                self.rate = rate
            elif rate != self.rate:
                raise ValueError(f"a piece at {rate} Hz in a stream at {self.rate} Hz")
            seq = int(seq)
            if seq < self._next_seq or seq in self._held:
                return self._next_seq  # a duplicate (the sender retried): already here
            self._held[seq] = (self._next_offset if offset is None and seq == self._next_seq else offset, x)
            self.received_samples += len(x)
            self._release()
            self.sent_samples = max(self.sent_samples, self._next_offset)
            return self._next_seq

    def _release(self) -> None:
        """Move held pieces that now follow in order to the ready list (lock held)."""
        while self._next_seq in self._held:
            offset, x = self._held.pop(self._next_seq)
            self._accept(offset, x)
            self._next_seq += 1
        if self._ready_samples:
            self._arrived.set()

    def _accept(self, offset: int | None, x: np.ndarray) -> None:
        if offset is not None and offset > self._next_offset:  # the sender skipped these samples
            missing = offset - self._next_offset
            self.gaps.append((self._next_offset / self.rate, offset / self.rate))
            self._ready.append(np.zeros(missing, np.float32))
            self._ready_samples += missing
            self._next_offset = offset
        elif offset is not None and offset < self._next_offset:  # overlaps what is here: keep only the new part
            x = x[self._next_offset - offset :]
        self._ready.append(x)
        self._ready_samples += len(x)
        self._next_offset += len(x)

    def close(self) -> None:
        """No more pieces: those still waiting for an earlier one are taken in order, the holes counted."""
        with self._lock:
            if self.closed:
                return
            last_seq = max(self._held, default=self._next_seq - 1)
            for seq in sorted(self._held):
                offset, x = self._held.pop(seq)
                if offset is None:  # no offset and its predecessor never came: after what is here
                    offset = self._next_offset
                self._accept(offset, x)
            self._next_seq = max(self._next_seq, last_seq + 1)
            if self.sent_samples > self._next_offset and self.rate:  # captured but never arrived
                self.gaps.append((self._next_offset / self.rate, self.sent_samples / self.rate))
            self.closed = True
            self._arrived.set()

    # -- the consumer's side -------------------------------------------------------------

    def take(self, max_samples: int | None = None) -> np.ndarray:
        """Up to ``max_samples`` (all by default) of the audio ready, in order; empty when none."""
        with self._lock:
            if not self._ready_samples:
                self._arrived.clear()
                return np.zeros(0, np.float32)
            out = np.concatenate(self._ready)
            if max_samples is not None and len(out) > max_samples:
                self._ready = [out[max_samples:]]
                out = out[:max_samples]
            else:
                self._ready = []
            self._ready_samples -= len(out)
            self.taken_samples += len(out)
            if not self._ready_samples:
                self._arrived.clear()
            return out

    def wait(self, timeout: float) -> bool:
        """Wait until audio is ready (or the inbox closed); True when it is."""
        return self._arrived.wait(timeout)

    @property
    def pending_seconds(self) -> float:
        """Audio received but not yet taken."""
        with self._lock:
            return self._ready_samples / self.rate if self.rate else 0.0

    @property
    def drained(self) -> bool:
        """Closed, and everything taken."""
        with self._lock:
            return self.closed and not self._ready_samples

    @property
    def missed_seconds(self) -> float:
        return float(sum(b - a for a, b in self.gaps))

    def unsent_seconds(self) -> float:
        """What the sender has captured beyond what arrived in order (its backlog, as last reported)."""
        with self._lock:
            return max(0, self.sent_samples - self._next_offset) / self.rate if self.rate else 0.0


def gaps_text(gaps: list[tuple[float, float]]) -> str:
    """ "0:12.3-0:13.1, 0:40.0-0:41.0": the spans of a recording that never arrived."""

    def at(t: float) -> str:
        m, s = divmod(t, 60)
        return f"{int(m)}:{s:04.1f}"

    return ", ".join(f"{at(a)}-{at(b)}" for a, b in gaps)
