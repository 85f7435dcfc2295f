"""Ray Serve deployments of the heavy engines. Imported only when Ray is on (it imports ray.serve)."""

from __future__ import annotations

import os

import ray
from ray import serve

from pipelines.core.ray_cluster import worker_env

_END = object()


@serve.deployment
class Whisper:
    """Whisper transcription: models load once per replica (the registry's cache) and stay loaded.

    Every decoding step runs on one thread of the replica: Serve answers each request on a thread
    of its own, and CTranslate2 on a new thread beside the last one's idle OpenMP workers ran 10x
    slower (a 30-s clip: 3.8 s on the first request, 37 s on the second).
    """

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")

    def whoami(self) -> dict:
        return {"pid": os.getpid(), "node": ray.get_runtime_context().get_node_id()}

    def transcribe_stream(self, samples, options, name: str):
        from pipelines.transcribe import transcribe_stream

        steps = transcribe_stream(samples, options, name=name)
        try:
            while (item := self.pool.submit(next, steps, _END).result()) is not _END:
                yield item
        finally:
            self.pool.submit(steps.close).result()  # a cancelled request stops decoding on that thread


CLASSES = {"whisper": Whisper}


def _options(s) -> dict:
    actor = {"num_cpus": s.num_cpus, "num_gpus": s.num_gpus, "runtime_env": worker_env()}
    if s.memory_mb:
        actor["memory"] = s.memory_mb * 1024 * 1024
    opts = {"ray_actor_options": actor, "max_ongoing_requests": s.max_ongoing_requests}
    if s.max_replicas:
        opts["autoscaling_config"] = {"min_replicas": s.min_replicas, "max_replicas": s.max_replicas}
    else:
        opts["num_replicas"] = s.num_replicas
    return opts


def start_all(settings: dict, prefix: str):
    from pipelines.serving import ServeState

    state = ServeState()
    serve.start(proxy_location="Disabled")  # no HTTP: the front ends call through handles
    running = {name for name, app in serve.status().applications.items() if str(app.status).endswith("RUNNING")}
    for name, s in settings.items():
        app = prefix + name
        if app in running:
            state.found.append(name)
        else:
            serve.run(CLASSES[name].options(**_options(s)).bind(), name=app, route_prefix=None)
            state.started.append(name)
        state.handles[name] = serve.get_app_handle(app)
    return state
