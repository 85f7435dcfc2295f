"""Diarization error rate, for evaluation only: the tests and benchmarks/eval_diarize.py score with it.

The app never imports this module, so ``pyannote.metrics`` (requirements-test.txt) is no
run-time requirement.
"""

from __future__ import annotations

from pipelines.formats.rttm import Turn


def diarization_error_rate(reference: list[Turn], hypothesis: list[Turn], collar: float = 0.25) -> float:
    """DER with pyannote.metrics (the standard implementation): missed + false alarm + confusion
    over reference speech, ignoring ``collar`` seconds around each reference boundary."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns: list[Turn]) -> Annotation:
        ann = Annotation()
        for i, t in enumerate(turns):
            ann[Segment(t.start, t.end), i] = t.speaker
        return ann

    return float(DiarizationErrorRate(collar=collar)(annotation(reference), annotation(hypothesis)))
