"""How a task reports progress: ``progress(fraction, stage)``, fraction from 0 to 1 and the stage
in words. Tasks take one as a keyword argument (None: report nothing); the UI passes Gradio's."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]
