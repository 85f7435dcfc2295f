"""Audio AI Studio: see, hear, understand and make sound with AI, in the browser.

``python app.py`` serves on http://127.0.0.1:7860. ``build_app(settings)`` returns the
``gr.Blocks`` without launching it (tests, notebooks, other servers). No model is loaded
at start-up: each loads on first use through ``pipelines.core.registry``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry, no version check
# One folder per server instance for uploads and results, set before Gradio reads it: a shared
# /tmp/gradio would mix instances (and tests) and could not be cleaned without hurting the others.
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix=f"audio-ai-studio-{os.getpid()}-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402

import gradio as gr  # noqa: E402

from pipelines.core import hub  # noqa: E402
from pipelines.core.config import Settings, instance_folder, split_models  # noqa: E402
from pipelines.core.files import FolderJanitor, add_served_root, file_paths  # noqa: E402
from pipelines.core.memory import tune_malloc  # noqa: E402
from pipelines.core.registry import REGISTRY  # noqa: E402
from tabs import MCP_TOOLS, TAB_MODULES, i18n, playable  # noqa: E402
from tabs.common import (  # noqa: E402
    TabContext,
    guard_numeric_inputs,
    one_progress_indicator,
    plain_input_errors,
    restore_settings,
)

log = logging.getLogger("audio_ai_studio")

TITLE = "Audio AI Studio"
INTRO = """# Audio AI Studio
See, hear, understand and make sound with AI, right in your browser: no code needed.
Pick a tab, **record with your microphone or upload a file** (or click an example), press the
button, and download what comes out. Everything runs on this server; models that ship with the
app work with no internet, and bigger ones are used when the model hub is reachable."""


def _load_tab_modules() -> list[tuple[str, object | None, str | None]]:
    """(name, module or None, error) for every tab; a broken tab never stops start-up."""
    loaded = []
    for name in TAB_MODULES:
        if importlib.util.find_spec(f"tabs.{name}") is None:
            continue  # not written yet
        try:
            loaded.append((name, importlib.import_module(f"tabs.{name}"), None))
        except Exception as exc:  # missing optional dependency, broken install...
            log.warning("Tab %s unavailable: %s", name, exc)
            loaded.append((name, None, f"{exc.__class__.__name__}: {exc}"))
    return loaded


def engines_status_markdown(settings: Settings | None = None) -> str:
    """Footer: which engines run offline here, whether the model hub is reachable, the share link."""
    status = hub.hub_status()
    by_task: dict[str, list[str]] = {"visualize": ["librosa + numpy"]}
    for spec in REGISTRY.specs():
        if spec.engine != "bundled":
            continue
        ok, reason = spec.availability(check_hub=False)
        name = spec.title.split(" (")[0]
        state = " (loaded)" if REGISTRY.is_loaded(spec.key) else "" if ok else f" (unavailable: {reason})"
        by_task.setdefault(spec.task, []).append(name + state)
    lines = [
        "**Offline engines on this server:** "
        + " · ".join(f"*{task}*: {', '.join(names)}" for task, names in by_task.items())
    ]
    n_hub = sum(1 for s in REGISTRY.specs() if s.engine == "hub")
    hub_line = (
        f"**Model hub:** reachable; {n_hub} hub models can be used." if status.reachable else hub.hub_line(status)
    )
    text = " ".join(lines) + "  \n" + hub_line
    if ray := ray_line():
        text += "  \n" + ray
    if settings is not None and settings.share:
        text += "  \n**Public link:** " + (
            settings.share_url or "could not be created (no connection to Gradio's share server); local only."
        )
    return text


def start_ray(settings: Settings) -> None:
    """--ray: join (or start) Ray and start or find the Serve deployments; on failure, in-process with a warning."""
    from pipelines import serving
    from pipelines.core import ray_cluster

    state = ray_cluster.connect(settings.ray, required=settings.ray_required)
    if state.connected:
        served = serving.start()
        state.deployments = served.started + served.found
        log.info(
            "Ray Serve deployments: started %s; connected to %s",
            ", ".join(served.started) or "none",
            ", ".join(served.found) or "none",
        )


def ray_line() -> str:
    """The footer's line about Ray ('' when it was not asked for)."""
    from pipelines.core import ray_cluster

    s = ray_cluster.STATE
    if not s.requested:
        return ""
    if s.connected:
        return f"**Engines on Ray:** {s.message}; Serve deployments: {', '.join(s.deployments) or 'none'}."
    return f"**Ray:** {s.message}"


def build_app(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or Settings.from_env()
    tune_malloc()  # before any heavy work: see pipelines/memory.py
    hub.set_offline(settings.offline)
    if settings.ray:
        start_ray(settings)
    hub.start_probe()
    playable.install()  # examples and results without an ffprobe per file (tabs/playable.py)
    ctx = TabContext(settings)
    # No Gradio delete_cache: it would delete the uploads of jobs still waiting in the queue. The
    # instance folder holds Gradio's cache too, and the janitor started in launch() spares those.
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(INTRO, elem_id="intro")
        # 13 tabs: every name stays in view (wrapped onto more lines), never hidden behind a "..." menu
        with gr.Tabs(overflow_behavior="wrap", elem_id="main-tabs") as ctx.tabs:
            for name, module, error in _load_tab_modules():
                title = getattr(module, "TITLE", name.replace("_", " ").title())
                ctx.tab_id, ctx.tab_title = name, title
                with gr.Tab(title, id=name):
                    if module is None:
                        gr.Markdown(f"**This tab is not available on this server.** {error}")
                        continue
                    try:
                        module.build(ctx)
                    except Exception:
                        log.error("Tab %s failed to build:\n%s", name, traceback.format_exc())
                        gr.Markdown(
                            "**This tab is not available on this server.** It could not be set up; "
                            "the server log says why."
                        )
        ctx.wire_sends()  # a tab sends sounds to tabs built after it too
        for event in ctx.page_load_events:
            demo.load(**event)
        footer = gr.Markdown("Checking which engines are available...", elem_id="engines-footer")
        demo.load(lambda: engines_status_markdown(settings), None, footer, api_name="status", show_progress="hidden")
        restore_settings(demo, ctx)
    _name_mcp_tools(demo)
    guard_numeric_inputs(demo)
    one_progress_indicator(demo)
    i18n.translate_interface(demo)  # after every tab: each static text becomes a gr.I18n key
    i18n.translate_events(demo)  # run-time messages in the visitor's language
    plain_input_errors(demo)  # a path string where a file is expected: say a file must be uploaded
    demo.settings = settings  # type: ignore[attr-defined]
    return demo


def _name_mcp_tools(demo: gr.Blocks) -> None:
    for block_fn in demo.fns.values():
        if block_fn.api_name in MCP_TOOLS and block_fn.fn is not None:
            block_fn.fn.__name__ = block_fn.api_name


# Long recordings give thousands of coloured words: scroll them in place, not the whole page.
APP_CSS = """#transcribe-words, #transcribe-alignment { max-height: 28rem; overflow-y: auto; }
/* The detected language's headline starts below its label badge (on a phone the badge covered it). */
#transcribe-languages h2 { margin-top: 2rem; }
/* The tab bar shows where the visitor is: the open tab is filled, the others are outlined. */
#main-tabs > .tab-wrapper button[role=tab] { border: 1px solid var(--border-color-primary); border-radius: 999px;
  margin: 2px; }
#main-tabs > .tab-wrapper button[role=tab][aria-selected=true] { background: var(--color-accent);
  color: white; font-weight: 600; border-color: var(--color-accent); }
#main-tabs > .tab-wrapper button[role=tab][aria-selected=true]::after { display: none; }
@media (max-width: 640px) {
  #main-tabs > .tab-wrapper button[role=tab] { padding: 2px 9px; font-size: 13px; min-height: 28px; }
  #intro h1 { font-size: 1.5rem; }
}
#reset-settings { max-width: 16rem; }
/* a download's whole name shows (wrapped), never cut to "tw....rttm" (issue 13, class 6) */
.file-preview .filename { overflow: visible; }
.file-preview .filename .stem { white-space: normal; overflow-wrap: anywhere; text-overflow: clip; }
/* Labels that fit (issue 13, class 7). A dropdown's text stops before its arrow, cut with "...";
   the whole choice shows in the open list and as the box's tooltip. */
.secondary-wrap:has(> .icon-wrap) > input[role=combobox] { padding-right: calc(var(--size-5) * 2);
  text-overflow: ellipsis; }
/* A table header wraps between words, never inside one ("durat ion"): a column is at least as
   wide as its header's longest word, and the table scrolls sideways when they do not all fit. */
th.header-cell { min-width: min-content !important; max-width: none !important; }
th.header-cell .header-content, th.header-cell .header-content .header { min-width: min-content !important; }
th.header-cell .header-content .header { word-break: normal !important; overflow-wrap: normal !important; }
/* A figure starts below its label badge and its buttons, which no longer cover its top axis. */
.block:has(> label[data-testid=block-label].float) > .image-container { padding-top: 2.4rem; }
/* In a narrow download box the size goes under the name, and the name breaks as little as it can
   (Diarize's three boxes broke "two_speakers_pyannote.rttm" into five pieces). */
.file-preview tr.file { display: flex; flex-wrap: wrap; align-items: center; }
/* (flex, not inline-block: the space between Gradio's name and extension spans stays unseen) */
.file-preview tr.file > td.filename { display: flex; flex-wrap: wrap; flex: 1 1 10rem; }
.file-preview tr.file > td.filename .stem { max-width: 100%; }
.file-preview tr.file > td.download { margin-left: auto; }"""

# After a main (primary) button is pressed, or an example clicked in a tab that runs by itself,
# bring the tab's first output being computed into view when it is off screen (on a phone it is
# often far below). After an example only outputs below the examples count: loading the example
# into the input above also shows a status tracker.
SCROLL_JS = """
() => {
  document.addEventListener('click', (ev) => {
    const trigger = ev.target.closest('button.primary, [role=tabpanel] .gallery-item, [role=tabpanel] tr.tr-body');
    const panel = trigger && trigger.closest('[role=tabpanel]');
    if (!panel) return;
    const example = !trigger.matches('button.primary');
    const below = trigger.getBoundingClientRect().bottom + window.scrollY;
    let tries = 0;
    const look = () => {
      // Gradio draws a status tracker (time, progress) over each output being computed
      const out = [...panel.querySelectorAll('[data-testid=status-tracker] .progress-text, [data-testid=status-tracker] .eta-bar')]
        .map((el) => el.closest('.block'))
        .find((el) => el && el.offsetParent !== null && !el.contains(trigger)
          && (!example || el.getBoundingClientRect().top + window.scrollY >= below - 1));
      if (out) {
        const r = out.getBoundingClientRect();
        if (r.top < 0 || r.top > window.innerHeight - 80) out.scrollIntoView({ behavior: 'smooth', block: 'start' });
        return;
      }
      if (++tries < 100) setTimeout(look, 40);
    };
    setTimeout(look, 10);
  }, true);
}
"""
# A dropdown's text may be cut with "..." (APP_CSS): pointing at it shows the whole choice.
TOOLTIP_JS = """
() => {
  document.addEventListener('mouseover', (ev) => {
    const box = ev.target.closest && ev.target.closest('input[role=combobox]');
    if (box) box.title = box.value;
  });
}
"""
APP_JS = "() => { (" + i18n.page_js().strip() + ")(); (" + SCROLL_JS.strip() + ")(); (" + TOOLTIP_JS.strip() + ")(); }"


def launch(demo: gr.Blocks, settings: Settings, **overrides):
    """Launch with the settings' host, port, share, auth and upload limit."""
    kwargs = dict(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,
        auth=settings.auth_pair(),
        max_file_size=int(settings.max_upload_mb * 1024 * 1024),
        theme=gr.themes.Soft(),
        css=APP_CSS,
        js=APP_JS,
        i18n=getattr(demo, "i18n", None),
        footer_links=["api", "settings"],
        allowed_paths=[str(settings.output_dir)],
        mcp_server=settings.mcp,
    )
    kwargs.update(overrides)
    demo.queue(default_concurrency_limit=2)
    result = demo.launch(**kwargs)
    # Results are written once, inside this instance's folder, which Gradio serves without a copy;
    # the janitor keeps uploads and results within the age and size limits (docs in README, Flags).
    keep_s = settings.keep_files_minutes * 60
    add_served_root(instance_folder())
    add_served_root(settings.output_dir)
    demo.janitor = FolderJanitor(  # type: ignore[attr-defined]
        instance_folder(),
        max_age_s=keep_s,
        max_bytes=int(settings.max_files_mb * 1e6),
        interval_s=max(10.0, min(300.0, keep_s / 4)),
        min_age_s=min(120.0, keep_s / 2),
        in_use=lambda: queued_files(demo),
        on_removed=lambda: forget_removed_files(demo),
        after_pass=lambda: tidy_memory_when_idle(demo),
    ).start()
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    return result


def queued_files(demo: gr.Blocks) -> list[str]:
    """The files of every job waiting in the queue or running: its uploads and earlier results.
    The janitor never deletes them, however old, so a job that waited its turn still finds them."""
    queue = getattr(demo, "_queue", None)
    if queue is None:
        return []
    events = list(queue.event_ids_to_events.values())
    events += [e for job in list(queue.active_jobs) if job for e in job]
    for q in list(queue.event_queue_per_concurrency_id.values()):
        events += list(q.queue)
    paths = []
    for event in events:
        body = getattr(event, "data", None)
        paths += file_paths(getattr(body, "data", None) or [])
    return paths


def tidy_memory_when_idle(demo: gr.Blocks) -> None:
    """With no job queued or running, collect what requests left behind and give freed heap back
    to the system (after a busy spell of many visitors the server returns near its idle size)."""
    queue = getattr(demo, "_queue", None)
    if queue is None or queue.event_ids_to_events or any(queue.active_jobs):
        return
    import gc

    from pipelines.core.memory import release_free_memory

    gc.collect()
    release_free_memory()


def forget_removed_files(demo: gr.Blocks) -> None:
    """Drop deleted files from Gradio's own lists of the files it made (they would only grow)."""
    for file_set in getattr(demo, "temp_file_sets", []):
        file_set.difference_update({f for f in list(file_set) if not os.path.exists(f)})


def _warm_up() -> None:
    """Draw one small figure so matplotlib's fonts are ready before the first user (+8 MB).

    librosa's numba kernels are deliberately not warmed: that costs ~185 MB of resident
    memory that a user who only transcribes or speaks never needs (measured in this process:
    178 MB idle -> 363 MB), against ~1 s on the first Visualize render.
    """
    try:
        import numpy as np

        from pipelines.formats.plots import plot_heatmap

        plot_heatmap(np.zeros((8, 8), dtype=np.float32), 1.0, title="warm-up").canvas.draw()
        import gc

        from pipelines.core.memory import release_free_memory

        gc.collect()  # what building the tabs and the figure left behind, given back to the system
        release_free_memory()
    except Exception:  # warm-up is an optimisation only
        log.debug("warm-up failed", exc_info=True)


def parse_args(argv: list[str] | None = None) -> Settings:
    s = Settings.from_env()
    p = argparse.ArgumentParser(description="Audio AI Studio web app. Each flag also reads AUDIO_STUDIO_<FLAG>.")
    p.add_argument("--host", default=s.host, help=f"interface to listen on (default {s.host}; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=s.port, help=f"port (default {s.port})")
    p.add_argument(
        "--share",
        action=argparse.BooleanOptionalAction,
        default=s.share,
        help="create a temporary public link (needs internet)",
    )
    p.add_argument(
        "--auth", default=s.auth, metavar="USER:PASSWORD", help="ask for this login (protects a shared link)"
    )
    p.add_argument(
        "--max-upload-mb", type=float, default=s.max_upload_mb, help=f"largest upload (default {s.max_upload_mb:g})"
    )
    p.add_argument(
        "--max-seconds",
        type=float,
        default=s.max_seconds,
        help=f"longest audio accepted, in seconds (default {s.max_seconds:g})",
    )
    p.add_argument(
        "--offline",
        action=argparse.BooleanOptionalAction,
        default=s.offline,
        help="never touch the model hub; use bundled engines only",
    )
    p.add_argument(
        "--llm-url",
        default=s.llm_url,
        metavar="URL",
        help="your OpenAI-compatible language-model server, e.g. http://127.0.0.1:11434/v1 (Ollama)",
    )
    p.add_argument(
        "--llm-model",
        default=",".join(s.llm_models),
        metavar="NAME[,NAME]",
        help="model name(s) on that server that visitors may choose",
    )
    p.add_argument(
        "--llm-key", default=s.llm_key, metavar="KEY", help="API key for that server (or AUDIO_STUDIO_LLM_KEY)"
    )
    p.add_argument(
        "--llm-timeout",
        type=float,
        default=s.llm_timeout_s,
        help=f"seconds to wait for the language-model server (default {s.llm_timeout_s:g})",
    )
    p.add_argument(
        "--mcp",
        action=argparse.BooleanOptionalAction,
        default=s.mcp,
        help="also serve each tab's main function as an MCP tool at /gradio_api/mcp/",
    )
    p.add_argument(
        "--keep-files-minutes",
        type=float,
        default=s.keep_files_minutes,
        help=f"delete uploads and results older than this (default {s.keep_files_minutes:g})",
    )
    p.add_argument(
        "--max-files-mb",
        type=float,
        default=s.max_files_mb,
        help=f"keep uploads and results under this size, oldest deleted first (default {s.max_files_mb:g})",
    )
    p.add_argument(
        "--ray",
        default=s.ray,
        metavar="auto|ADDRESS",
        help="run the heavy engines on Ray Serve and batches on Ray Data: 'auto' starts a local Ray, "
        "HOST:PORT joins a cluster (also AUDIO_STUDIO_RAY or RAY_ADDRESS; needs requirements/ray.txt)",
    )
    p.add_argument(
        "--ray-required",
        action=argparse.BooleanOptionalAction,
        default=s.ray_required,
        help="do not start when Ray cannot be reached (default: run the engines in-process, with a warning)",
    )
    a = p.parse_args(argv)
    s.ray, s.ray_required = a.ray or None, a.ray_required
    s.llm_url, s.llm_models, s.llm_key = a.llm_url or None, split_models(a.llm_model), a.llm_key or None
    s.llm_timeout_s = a.llm_timeout
    if s.llm_url and not s.llm_models:
        p.error("--llm-url needs --llm-model (the model name(s) on that server)")
    s.host, s.port, s.share, s.auth = a.host, a.port, a.share, a.auth
    s.max_upload_mb, s.max_seconds, s.offline = a.max_upload_mb, a.max_seconds, a.offline
    s.mcp, s.keep_files_minutes, s.max_files_mb = a.mcp, a.keep_files_minutes, a.max_files_mb
    if s.auth:
        try:
            s.auth_pair()
        except ValueError as exc:
            p.error(str(exc))
    return s


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["batch"]:  # `audio-ai-studio batch ...`: a batch on the command line, no web server
        from pipelines.batch.cli import main as batch_main

        sys.exit(batch_main(args[1:]))
    settings = parse_args(argv)
    # `docker stop` and process managers send SIGTERM: exit normally so the instance folder is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    demo = build_app(settings)
    launch(demo, settings, prevent_thread_lock=True)
    print(f"Audio AI Studio is running at {demo.local_url}", flush=True)
    if settings.share:
        settings.share_url = getattr(demo, "share_url", None)
        if settings.share_url:
            print(f"Public share link (temporary): {demo.share_url}", flush=True)
        else:
            print(
                "Could not create a public share link (is this machine offline?). "
                f"The app is served locally only, at {demo.local_url}",
                flush=True,
            )
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()


if __name__ == "__main__":
    main()
