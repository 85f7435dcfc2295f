"""The "clean the audio first" option Transcribe and Diarize share (not a tab: no TITLE)."""

from __future__ import annotations

import gradio as gr

from pipelines.clean_up import CLEAN_DEFAULT, DENOISE_RATE, clean_for_speech
from pipelines.core.files import safe_stem

from .common import TabContext

CLEAN_CHOICES = [
    ("Off", "off"),
    ("Remove noise (DeepFilterNet3)", "denoise"),
    ("Voice only (Spleeter: music behind speech)", "voice only"),
]
# What benchmarks/bench_clean_up.py measured (bundled Whisper tiny.en, LibriVox clips).
CLEAN_HELP = (
    "Measured here: 'Voice only' helps most when music plays behind speech (Whisper word errors 39% -> 30%, "
    "diarization errors 56% -> 9%). 'Remove noise' helps when the noise is as loud as the voice (word errors "
    "52% -> 41%) but cost words at moderate noise (16% -> 20% at 5 dB SNR) and changes nothing on clean "
    "speech: leave it off unless the noise is loud."
)


def clean_dropdown(elem_id: str) -> gr.Dropdown:
    return gr.Dropdown(
        CLEAN_CHOICES, value=CLEAN_DEFAULT, label="Clean the audio first", info=CLEAN_HELP, elem_id=elem_id
    )


def clean_first(ctx: TabContext, source, mode: str | None):
    """``source`` itself when ``mode`` is off, else the path of a cleaned copy (and a notice saying so)."""
    if not mode or mode == "off":
        return source
    clip = ctx.open_mono(source, DENOISE_RATE)
    path, note = clean_for_speech(clip, mode, ctx.settings.new_output_dir("clean"), safe_stem(clip.name, "audio"))
    gr.Info(note)
    return str(path)
