"""How a task reports progress: ``progress(fraction, stage)``, fraction from 0 to 1 and the stage
in words. Tasks take one as a keyword argument (default: report nothing); the UI passes Gradio's."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def no_progress(fraction: float, stage: str) -> None:
    """The default: nobody is watching."""
