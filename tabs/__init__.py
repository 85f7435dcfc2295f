"""One module per tab: widgets and event wiring only; the work happens in ``pipelines``.

A tab module defines ``TITLE`` and ``build(ctx)``. ``TABS`` is the one list of tabs: their order
in the tab bar, each tab's main endpoint (the one whose defaults ``tests/test_defaults.py``
checks first) and the endpoints served as MCP tools with ``--mcp``. A new tab is one entry here.
A name with no module file yet is skipped, and a tab that fails to import or build is replaced
by a note saying why (the rest of the app still starts).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    module: str  # tabs/<module>.py
    main_endpoint: str = ""  # its main API name ('' = the module's name)
    mcp_tools: tuple[str, ...] | None = None  # API names an AI assistant sees (None = the main endpoint)

    @property
    def main(self) -> str:
        return self.main_endpoint or self.module

    @property
    def tools(self) -> tuple[str, ...]:
        return (self.main,) if self.mcp_tools is None else self.mcp_tools


TABS = (
    Tab("visualize"),
    Tab("analyze"),
    Tab("transcribe"),
    Tab("live_captions", "live_captions_redo", mcp_tools=()),  # needs a live microphone
    Tab("diarize"),
    Tab("clean_up", "denoise", mcp_tools=("denoise", "separate")),
    Tab("meeting_notes"),
    Tab("speakers", "verify_speakers", mcp_tools=()),  # known voices live in the browser
    Tab("classify"),
    Tab("zero_shot"),
    Tab("speak"),
    Tab("voice_chat", mcp_tools=()),  # a conversation, not one call
    Tab("compose"),
    Tab("sound_lab", "effects", mcp_tools=("effects", "synthesize")),
    Tab("batch"),
)
TAB_MODULES = [t.module for t in TABS]
# Each tab's main function, by its API name: with --mcp these are the tools an AI assistant sees,
# named like the endpoints (the tool name is otherwise the Python function's name).
MCP_TOOLS = tuple(tool for t in TABS for tool in t.tools)
