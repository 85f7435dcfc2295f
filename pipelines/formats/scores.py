"""Scores over time: the frame-level result every classifier engine returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class FrameScores:
    """Scores over time: one row per frame/chunk (seed 002's frame-level classification)."""

    starts: np.ndarray  # (T,) seconds
    window_s: float  # each row covers [start, start + window_s)
    hop_s: float
    labels: tuple[str, ...]  # (C,)
    scores: np.ndarray  # (T, C) in [0, 1]
    pool: str = "mean"  # whole-clip score: "mean" (YAMNet's way) or "max" (a bird heard once counts)

    def clip_scores(self) -> np.ndarray:
        return self.scores.max(axis=0) if self.pool == "max" else self.scores.mean(axis=0)

    def top(self, k: int = 5) -> dict[str, float]:
        clip = self.clip_scores()
        order = np.argsort(clip)[::-1][:k]
        return {self.labels[i]: float(clip[i]) for i in order}

    def column(self, label: str) -> np.ndarray:
        return self.scores[:, self.labels.index(label)]
