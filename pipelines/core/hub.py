"""Is the model hub reachable? Answered once, quickly, and never by hanging.

``--offline`` (or ``HF_HUB_OFFLINE=1``) means never touch the network. Otherwise one TCP
connection to the hub with a short timeout decides, in a background thread started at
launch, so start-up never waits for it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

HUB_HOST = "huggingface.co"
CONNECT_TIMEOUT_S = 2.0
PROBE_WAIT_S = CONNECT_TIMEOUT_S + 0.5  # the longest a caller waits for the answer (probe_host's own bound)


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    reason: str  # plain words, shown to users (never an exception's class name)
    kind: str = ""  # "reachable", "offline", "unreachable" or "checking"; hub_reason() words it
    detail: str = ""  # the technical cause, for the server log only


# The one wording of why a hub model cannot be used, shown wherever a hub option is offered
# (tabs group hub options under it). Keep these whole sentences: they are translated whole.
HUB_UNREACHABLE = "needs the model hub on the internet, which this server cannot reach"
HUB_OFFLINE = "needs the model hub on the internet, which this server is set not to use (offline mode)"
HUB_CHECKING = "needs the model hub on the internet; the check whether this server can reach it is still running"
HUB_READY = "downloads from the model hub on the internet the first time it is used"

_OFFLINE = HubStatus(False, "this server is set to work offline", "offline", "--offline or HF_HUB_OFFLINE=1")
_CHECKING = HubStatus(False, "the hub check is still running; treated as offline for now", "checking")


def hub_reason(status: HubStatus | None = None) -> str:
    """Why a hub model can or cannot be used now, as one plain phrase ("needs the model hub on the
    internet, which this server cannot reach"). The only place this wording is made: every tab and
    pipeline that mentions the hub uses it. Never waits for the probe."""
    status = status or hub_status(block=False)
    if status.reachable:
        return HUB_READY
    return {"offline": HUB_OFFLINE, "checking": HUB_CHECKING}.get(status.kind, HUB_UNREACHABLE)


def hub_line(status: HubStatus | None = None) -> str:
    """One sentence (Markdown) for a tab's or the footer's note on the hub."""
    status = status or hub_status(block=False)
    if status.reachable:
        return "**Model hub:** reachable, so hub models download the first time they are used."
    if status.kind == "offline":
        return "**Model hub:** not used, because this server is set to work offline; the bundled models work."
    if status.kind == "checking":
        return "**Model hub:** still being checked; until then only the bundled models are offered."
    return "**Model hub:** this server cannot reach it, so only the bundled models work."


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
            _status = _OFFLINE
    # Downloads that do start must not hang the UI forever.
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "20")
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")


def _probe() -> HubStatus:
    if os.environ.get("HF_HUB_OFFLINE", "") in {"1", "true", "True"}:
        return _OFFLINE
    ok, detail = probe_host_detail(HUB_HOST, 443, CONNECT_TIMEOUT_S)
    if ok:
        return HubStatus(True, "the model hub answers", "reachable", detail)
    log.info("Model hub not reachable: %s", detail)
    return HubStatus(False, "this server cannot reach the model hub on the internet", "unreachable", detail)


def probe_host(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """(reachable, reason in plain words) from one TCP connect; the technical cause goes to the log."""
    ok, detail = probe_host_detail(host, port, timeout)
    if not ok:
        log.info("%s", detail)
    return ok, (f"{host} answers" if ok else f"this server cannot reach {host} on the internet")


def probe_host_detail(host: str, port: int, timeout: float) -> tuple[bool, str]:
    """(reachable, technical detail) from one TCP connect (DNS included), never waiting much past
    ``timeout``.

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
        return _status or _CHECKING
