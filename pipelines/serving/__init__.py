"""Engines served by Ray Serve (``--ray``): the Gradio front end stays a plain Gradio server and
calls the deployments through Serve's handles; without Ray everything runs in this process.

Whisper transcription is served (``deployments.Whisper``): a replica keeps its models loaded and
streams the growing transcript back, so the Transcribe tab shows text as it is decoded, as it
does in-process. Live captions stay in the front end (a stream is stateful and its lag would add
a network round trip per 0.1 s chunk). A replica lost mid-request is a clear, retryable message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipelines.core.errors import UserError

log = logging.getLogger(__name__)
APP_PREFIX = "audio-studio-"
LOST = "The transcription server was lost while working on this (a Ray worker stopped). Please try again."


@dataclass
class DeploymentSettings:
    """One deployment's size: replicas (or an autoscaling range) and each replica's needs."""

    num_replicas: int = 1
    min_replicas: int = 0  # > 0 with max_replicas: autoscale between them instead of num_replicas
    max_replicas: int = 0
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory_mb: int = 0  # 0 = no reservation
    max_ongoing_requests: int = 2


@dataclass
class ServeState:
    handles: dict = field(default_factory=dict)  # deployment name -> DeploymentHandle
    started: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)


STATE = ServeState()
DEPLOYMENTS = {"whisper": DeploymentSettings()}


def active(name: str = "whisper") -> bool:
    return name in STATE.handles


def start(settings: dict[str, DeploymentSettings] | None = None) -> ServeState:
    """Start the deployments (or connect to those another front end started); Ray must be connected."""
    from pipelines.serving import deployments

    global STATE
    STATE = deployments.start_all(settings or DEPLOYMENTS, APP_PREFIX)
    for name in STATE.started:
        log.info("Ray Serve: started deployment %s", name)
    for name in STATE.found:
        log.info("Ray Serve: connected to running deployment %s", name)
    return STATE


def stop() -> None:
    global STATE
    STATE = ServeState()


def whoami(name: str = "whisper") -> dict:
    """The pid and node of the replica that answers (tests check it is not this process). Asked from a
    thread of its own: Serve refuses a blocking call from a thread where an asyncio loop runs (a
    notebook's, or a browser driver's in the same process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: STATE.handles[name].whoami.remote().result(timeout_s=60)).result()


def transcribe_stream(samples, options, *, name: str = "audio") -> Iterator:
    """``pipelines.transcribe.transcribe_stream`` on a Serve replica when Ray is on, else here."""
    from pipelines.transcribe import transcribe_stream as local

    if not active("whisper"):
        yield from local(samples, options, name=name)
        return
    import numpy as np

    handle = STATE.handles["whisper"].options(stream=True)
    audio = np.asarray(samples, dtype=np.float32)  # the samples travel, not a path on this machine
    try:
        yield from handle.transcribe_stream.remote(audio, options, name)
    except UserError:
        raise
    except Exception as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, UserError):  # the user's mistake, said by the replica
            raise UserError(str(cause)) from None
        log.warning("Serve request failed: %s: %s", type(exc).__name__, exc)
        raise UserError(LOST) from exc
