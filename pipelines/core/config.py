"""Application settings: one dataclass, filled from the command line or the environment.

Spaces users configure apps through environment variables, so every flag has one
(``AUDIO_STUDIO_<NAME>``); Gradio's own ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``
are honoured too because Spaces sets them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.core.environment import ENV_PREFIX, EngineSettings  # noqa: F401  (ENV_PREFIX: for callers)
from pipelines.core.environment import env as _env
from pipelines.core.environment import env_bool as _env_bool
from pipelines.core.errors import UserError
from pipelines.core.files import claim_folder


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    auth: str | None = None  # "user:password"
    max_upload_mb: float = 200.0
    max_seconds: float = 1800.0  # longest audio accepted by any tab
    min_seconds: float = 0.05  # shorter than this is not worth analysing
    offline: bool = False  # never touch the model hub
    share_url: str | None = None  # set after launch when --share made a link
    mcp: bool = False  # also serve each tab's main function as a Model Context Protocol tool
    # Results and uploads older than this are deleted (a download in progress keeps its open file).
    keep_files_minutes: float = 60.0
    # When results and uploads together pass this size, the oldest are deleted first.
    max_files_mb: float = 2000.0
    # This server instance's own folder for results (never shared with another instance).
    output_dir: Path = field(default_factory=lambda: instance_folder() / "results")
    # The operator's own OpenAI-compatible language-model server (Ollama, llama.cpp, vLLM, LM Studio).
    # Set only here (flags / environment): visitors choose among these models, never an address.
    llm_url: str | None = None  # e.g. http://127.0.0.1:11434/v1
    llm_models: tuple[str, ...] = ()  # model names on that server, e.g. ("llama3.2:3b",)
    llm_key: str | None = None  # sent as "Authorization: Bearer ..."; never shown
    llm_timeout_s: float = 20.0  # longest wait for the server's next piece of text
    # Engine tuning (threads, limits, cache and model folders): AUDIO_STUDIO_* variables only.
    engines: EngineSettings = field(default_factory=EngineSettings.from_env)
    # The Batch tab's limits; None = the batch's own defaults (pipelines.batch.options.BatchLimits).
    batch_max_files: int | None = None
    batch_max_hours: float | None = None
    # Ray (optional, requirements/ray.txt): 'auto' starts a local Ray, HOST:PORT joins a cluster; None = off.
    ray: str | None = None
    ray_required: bool = False  # refuse to start when Ray cannot be reached (else: in-process, with a warning)

    @classmethod
    def from_env(cls) -> Settings:
        """Defaults overridden by environment variables (the CLI then overrides these)."""
        s = cls()
        s.host = _env("HOST") or os.environ.get("GRADIO_SERVER_NAME") or s.host
        s.port = int(_env("PORT") or os.environ.get("GRADIO_SERVER_PORT") or s.port)
        s.share = _env_bool("SHARE", s.share)
        s.auth = _env("AUTH") or s.auth
        s.max_upload_mb = float(_env("MAX_UPLOAD_MB") or s.max_upload_mb)
        s.max_seconds = float(_env("MAX_SECONDS") or s.max_seconds)
        s.mcp = _env_bool("MCP", s.mcp)
        s.keep_files_minutes = float(_env("KEEP_FILES_MINUTES") or s.keep_files_minutes)
        s.max_files_mb = float(_env("MAX_FILES_MB") or s.max_files_mb)
        s.offline = _env_bool("OFFLINE", s.offline) or os.environ.get("HF_HUB_OFFLINE", "") in {"1", "true", "True"}
        s.llm_url = _env("LLM_URL") or s.llm_url
        s.llm_models = split_models(_env("LLM_MODEL")) or s.llm_models
        s.llm_key = _env("LLM_KEY") or s.llm_key
        s.llm_timeout_s = float(_env("LLM_TIMEOUT") or s.llm_timeout_s)
        s.batch_max_files = int(_env("BATCH_MAX_FILES") or 0) or s.batch_max_files
        s.batch_max_hours = float(_env("BATCH_MAX_HOURS") or 0) or s.batch_max_hours
        s.ray = _env("RAY") or os.environ.get("RAY_ADDRESS") or s.ray
        s.ray_required = _env_bool("RAY_REQUIRED", s.ray_required)
        if output_dir := _env("OUTPUT_DIR"):
            s.output_dir = Path(output_dir)
        return s

    def auth_pair(self) -> tuple[str, str] | None:
        if not self.auth:
            return None
        user, sep, password = self.auth.partition(":")
        if not sep or not user or not password:
            raise UserError("--auth must look like USER:PASSWORD")
        return user, password

    def new_output_dir(self, prefix: str) -> Path:
        """A fresh folder for one request's downloadable results."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=prefix + "-", dir=self.output_dir))
        claim_folder(folder)  # the clean-up leaves it alone while the job that made it runs
        return folder


def split_models(value: str | None) -> tuple[str, ...]:
    """'a, b' -> ('a', 'b'): the model names an operator listed for their server."""
    return tuple(m.strip() for m in (value or "").split(",") if m.strip())


def instance_folder() -> Path:
    """This process's folder for uploads and results: ``$GRADIO_TEMP_DIR`` when set (app.py sets it
    to a fresh folder per server instance before Gradio is imported), else a fresh one under /tmp."""
    global _instance_folder
    if _instance_folder is None:
        root = os.environ.get("GRADIO_TEMP_DIR")
        if root:
            _instance_folder = Path(root)
        else:
            _instance_folder = Path(tempfile.mkdtemp(prefix=f"audio-ai-studio-{os.getpid()}-"))
    return _instance_folder


_instance_folder: Path | None = None


def format_seconds(seconds: float) -> str:
    """Human duration: '45.0 s', '12.5 min', '1.5 h'."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
