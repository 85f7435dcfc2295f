"""The no-model separation methods (``dsp.separation``) registered as engines, so users see and pick
them beside Spleeter with their real names: they are signal processing, not trained models."""

from __future__ import annotations

from pipelines.core.registry import ModelSpec, register

HPSS_KEY = "hpss"
REPET_KEY = "repet-sim"


def _load_hpss():
    from pipelines.dsp.separation import hpss

    return hpss


def _load_repet():
    from pipelines.dsp.separation import repet_sim

    return repet_sim


HPSS = register(
    ModelSpec(
        key=HPSS_KEY,
        task="separate",
        title="Harmonic / percussive split (librosa HPSS, no model)",
        engine="bundled",
        licence="ISC (librosa)",
        loader=_load_hpss,
        requires=("librosa",),
        note="signal processing: steady tones vs. hits; it does not know what a voice is",
    )
)
REPET = register(
    ModelSpec(
        key=REPET_KEY,
        task="separate",
        title="Repeating-pattern vocal separation (librosa REPET-SIM, no model)",
        engine="bundled",
        licence="ISC (librosa)",
        loader=_load_repet,
        requires=("librosa",),
        note="signal processing: what does not repeat is taken as the voice; works on looped music only",
    )
)
