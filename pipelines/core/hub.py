"""Is the model hub reachable? Answered once, quickly, and never by hanging.

``--offline`` (or ``HF_HUB_OFFLINE=1``) means never touch the network. Otherwise one TCP
connection to the hub with a short timeout decides, in a background thread started at
launch, so start-up never waits for it.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

HUB_HOST = "huggingface.co"
CONNECT_TIMEOUT_S = 2.0
PROBE_WAIT_S = CONNECT_TIMEOUT_S + 0.5  # the longest a caller waits for the answer (probe_host's own bound)


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    reason: str  # plain words, shown to users


_lock = threading.Lock()
_status: HubStatus | None = None
_thread: threading.Thread | None = None


def set_offline(offline: bool) -> None:
    """Offline mode: tell every Hugging Face library not to try the network."""
    global _status
    if offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        with _lock:
            _status = HubStatus(False, "offline mode (--offline or HF_HUB_OFFLINE=1)")
    # Downloads that do start must not hang the UI forever.
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "20")
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")


def _probe() -> HubStatus:
    if os.environ.get("HF_HUB_OFFLINE", "") in {"1", "true", "True"}:
        return HubStatus(False, "offline mode (--offline or HF_HUB_OFFLINE=1)")
    return HubStatus(*probe_host(HUB_HOST, 443, CONNECT_TIMEOUT_S))


def probe_host(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """(reachable, reason) from one TCP connect (DNS included), never waiting much past ``timeout``.

    The connect runs in a daemon thread, so even a DNS lookup that ignores the socket timeout
    cannot hang the caller. Shared by the model-hub check and the online voices (tts_engines).
    """
    result: list[tuple[bool, str]] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append((True, f"{host} reachable"))
        except OSError as exc:
            result.append((False, f"{host} not reachable ({exc.__class__.__name__})"))

    thread = threading.Thread(target=attempt, name=f"probe-{host}", daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0] if result else (False, f"{host} did not answer within {timeout:g} s")


def start_probe() -> None:
    """Begin the reachability check in the background (idempotent)."""
    global _thread
    with _lock:
        if _status is not None or _thread is not None:
            return
        _thread = threading.Thread(target=_run_probe, name="hub-probe", daemon=True)
        _thread.start()


def _run_probe() -> None:
    global _status
    result = _probe()
    with _lock:
        if _status is None:
            _status = result


def hub_status(block: bool = True) -> HubStatus:
    """The one way to ask whether the hub is reachable.

    ``block=True`` (about to use the hub): wait for a probe under way, at most PROBE_WAIT_S.
    ``block=False`` (a line shown in the UI, or a choice greyed out): what is known now, never
    waiting; while the first probe runs that is "still running; treated as offline", and the UI
    asks again when the page loads."""
    start_probe()
    thread = _thread
    if block and thread is not None:
        thread.join(timeout=PROBE_WAIT_S)
    with _lock:
        return _status or HubStatus(False, "hub check still running; treated as offline")
