"""Ray, optional: connect this process to a Ray cluster (``--ray auto|ADDRESS``) or say why not.

Ray is not part of the default install (requirements/ray.txt). ``auto`` starts a local Ray on this
machine; an address (``HOST:PORT`` of a head node, or ``ray://HOST:10001``) joins that cluster. An
address that cannot be reached gives a clear message; unless Ray is required, the app then runs
every engine in-process (a warning in the log and on the page).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.core.errors import UserError

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # the project: Ray's workers import pipelines from here
CONNECT_TIMEOUT_S = 3.0


@dataclass
class RayState:
    requested: str | None = None  # what the operator asked for ('auto', an address, or None)
    connected: bool = False
    address: str = ""  # the cluster's GCS address once connected
    message: str = ""  # what the log and the page's footer say
    deployments: list[str] = field(default_factory=list)  # Serve deployments started or found


STATE = RayState()


def installed() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # blocked or half installed
        return False


def worker_env() -> dict:
    """The runtime environment Ray's workers get: this project on their import path (same machine
    or an image with the app at the same path), and the app's offline switch."""
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    for name in ("HF_HUB_OFFLINE", "AUDIO_STUDIO_OFFLINE", "AUDIO_STUDIO_MODEL_DIRS", "GRADIO_ANALYTICS_ENABLED"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return {"env_vars": env}


def _reachable(address: str) -> str | None:
    """None when HOST:PORT answers a TCP connection, else why not (never waits long)."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        return f"'{address}' is not a Ray address (HOST:PORT, e.g. 127.0.0.1:6379)"
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"nothing answers at {hostport} ({exc.strerror or exc})"


def _loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rpartition(":")[0]
    return host in {"127.0.0.1", "localhost", "::1", "[::1]"}


def connect(requested: str | None, *, required: bool = False, num_cpus: int | None = None) -> RayState:
    """Join (or, for 'auto', start) Ray; on failure a clear message, and in-process engines unless required."""
    global STATE
    STATE = RayState(requested=requested)
    if not requested:
        return STATE
    why = None
    if not installed():
        why = "Ray is not installed (pip install -r requirements/ray.txt)"
    elif requested != "auto":
        why = _reachable(requested)
    if why is None:
        if requested == "auto" or _loopback(requested):
            # Ray swaps a loopback address for this machine's network address; a cluster on 127.0.0.1
            # (tests, one machine) listens on loopback only, so keep it there.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray

        try:
            if ray.is_initialized():
                pass
            elif requested == "auto":
                ray.init(  # a local Ray on this machine, on loopback
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    runtime_env=worker_env(),
                    log_to_driver=False,
                    _node_ip_address="127.0.0.1",
                )
            else:
                node_ip = "127.0.0.1" if _loopback(requested) else None  # Ray's default otherwise
                ray.init(address=requested, runtime_env=worker_env(), log_to_driver=False, _node_ip_address=node_ip)
            STATE.connected = True
            STATE.address = ray.get_runtime_context().gcs_address
            nodes = [n for n in ray.nodes() if n.get("Alive")]
            STATE.message = f"Ray cluster at {STATE.address}: {len(nodes)} node(s)"
            log.info("%s", STATE.message)
            return STATE
        except Exception as exc:  # a wrong port, another Ray version...
            why = f"could not join Ray at {requested}: {exc}"
    if required:
        raise UserError(f"Ray is off: {why}. Ray was required (--ray-required), so the app does not start.")
    STATE.message = f"Ray is off: {why}. The engines run in this process."
    log.warning("%s", STATE.message)
    return STATE


def shutdown() -> None:
    global STATE
    if STATE.connected:
        import ray

        ray.shutdown()
    STATE = RayState()
