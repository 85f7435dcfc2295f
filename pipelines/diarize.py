"""Who spoke when: speaker diarization, offline, plus a transcript that names its speakers.

Bundled engine (no model hub), as measured in DESIGN.md section 3:

1. voice activity: Silero VAD (``engines/silero_vad.py``);
2. speaker embeddings: resemblyzer's ``VoiceEncoder`` (``engines/resemblyzer.py``) over 1.5 s
   windows every 0.25 s inside speech;
3. clustering: Ward linkage on the unit-length embeddings, cut at a fixed number of speakers,
   then each window moved to its nearest centroid; under auto, the tree is split further
   only while every pair of clusters is separable (a Fisher ratio), so a one-speaker
   recording answers one speaker. (Cosine average linkage was measured much worse:
   DER 46.6 % against 8.5 %; silhouette picked 4-6 speakers on a two-speaker sample.)
4. clean-up: each 10 ms frame takes the speaker with most (Hann-weighted) window votes;
   turns of one speaker across short pauses merge; turns too short to be real join their
   neighbour or are dropped.

Default engine: pyannote.audio's own pipeline offline (``engines/pyannote_offline.py``:
segmentation-3.0 + CAM++ embeddings, weights from the package registry), which keeps overlapped
speech (two speakers at once are two turns); the bundled engine above is the light choice and the
fallback where it cannot load (the result's ``engine`` says which answered and why).

Hub engine: pyannote.audio's pipeline (``engines/pyannote.py``), only where a token is given, or
from an allowed local folder.

Then, with a transcript asked for: Whisper's words (through Transcribe) each go to the speaker
whose turn overlaps them most. Files: RTTM (``formats/rttm.py``), a speaker-named transcript and
SRT (``formats/subtitles.py``'s speaker cues), a timeline PNG. Everything here is numpy in,
dataclasses out; no Gradio. The SAMPLE_RATE here is Silero VAD's; resemblyzer and pyannote take
the same 16 kHz.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pipelines.core.errors import ModelUnavailable, UserError
from pipelines.core.files import safe_stem
from pipelines.core.progress import Progress
from pipelines.core.registry import REGISTRY
from pipelines.engines import pyannote
from pipelines.engines.pyannote import MODEL_ID as PYANNOTE_ID
from pipelines.engines.pyannote import MODEL_KEY as PYANNOTE_KEY
from pipelines.engines.pyannote import availability as pyannote_availability
from pipelines.engines.resemblyzer import FRAME_S, embed_windows
from pipelines.engines.resemblyzer import MODEL_KEY as ENCODER_KEY
from pipelines.engines.silero_vad import SAMPLE_RATE, VadOptions, speech_regions
from pipelines.formats.rttm import Turn, to_rttm
from pipelines.formats.subtitles import (
    MAX_SPEAKER_NAME_CHARS,
    SubtitleOptions,
    TimedText,
    joined_text,
    speaker_cues,
    speaker_names,
    speaker_runs,
    to_srt,
)

Word = TimedText  # a word with its time and, once attributed, its speaker (the one timed-text type)
MAX_SPEAKERS = 10
MIN_SPEECH_S = 1.0  # less speech than this cannot be diarized at all
MAX_TREE_WINDOWS = 3000  # windows in Ward's tree (12.5 min of speech at 0.25 s steps): ~36 MB of distances


__all__ = [  # names other modules build on (the tab, meeting notes, tests, benchmarks)
    "ENCODER_KEY",
    "MAX_SPEAKERS",
    "PYANNOTE_ID",
    "PYANNOTE_KEY",
    "SAMPLE_RATE",
    "DiarizationResult",
    "DiarizeFiles",
    "DiarizeOptions",
    "DiarizeOutcome",
    "Turn",
    "Word",
    "attribute_words",
    "check_counts",
    "clean_turns",
    "cluster",
    "diarize",
    "diarize_offline",
    "diarize_or_fall_back",
    "diarize_pyannote",
    "group_utterances",
    "parse_names",
    "plot_timeline",
    "pyannote_availability",
    "render",
    "run",
    "speaker_names",
    "talk_rows",
    "to_rttm",
    "transcribe_words",
    "transcript_text",
    "turns_rows",
    "utterances",
    "write_files",
]

# --- results ----------------------------------------------------------------------------


@dataclass
class DiarizeOptions:
    num_speakers: int = 0  # 0 = estimate between min_speakers and max_speakers
    min_speakers: int = 1
    max_speakers: int = 6
    window_s: float = 1.5
    step_s: float = 0.25
    min_separation: float = 2.0  # auto: clusters less separable than this are one voice ...
    same_voice_cos: float = 0.883  # ... and so are clusters whose centroids are more alike than this
    level_dbfs: float = -20.0  # speech is brought to this level before embedding
    merge_gap_s: float = 0.5  # one speaker's turns closer than this become one turn
    min_turn_s: float = 0.5  # shorter turns join the neighbouring speaker
    drop_turn_s: float = 0.2  # isolated turns shorter than this are dropped
    vad: VadOptions = field(default_factory=VadOptions)


@dataclass
class DiarizationResult:
    turns: list[Turn]
    duration: float
    speech_seconds: float
    engine: str  # what answered, in words
    how: str  # how the speaker count was decided, in words

    @property
    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.turns:
            seen.setdefault(t.speaker, None)
        return list(seen)

    def talk_time(self) -> dict[str, float]:
        out = {s: 0.0 for s in self.speakers}
        for t in self.turns:
            out[t.speaker] += t.duration
        return out


def check_counts(num_speakers: int, min_speakers: int, max_speakers: int) -> tuple[int, int, int]:
    """Validate the speaker counts a user typed; returns them as ints."""
    try:
        num, lo, hi = int(num_speakers or 0), int(min_speakers or 1), int(max_speakers or MAX_SPEAKERS)
    except (TypeError, ValueError):
        raise UserError("Speaker counts must be whole numbers.") from None
    if not 0 <= num <= MAX_SPEAKERS:
        raise UserError(f"Number of speakers must be 0 (auto) or between 1 and {MAX_SPEAKERS}; got {num}.")
    if not 1 <= lo <= MAX_SPEAKERS or not 1 <= hi <= MAX_SPEAKERS:
        raise UserError(f"Minimum and maximum speakers must be between 1 and {MAX_SPEAKERS}; got {lo} and {hi}.")
    if lo > hi:
        raise UserError(f"The minimum number of speakers ({lo}) is larger than the maximum ({hi}).")
    if num and not lo <= num <= hi:
        raise UserError(f"{num} speakers contradicts the range {lo} to {hi}: set 0 (auto) or widen the range.")
    return num, lo, hi


# --- the bundled engine -----------------------------------------------------------------


def diarize(
    y: np.ndarray, sr: int = SAMPLE_RATE, options: DiarizeOptions | None = None, progress: Progress | None = None
) -> DiarizationResult:
    """Who spoke when in a mono 16 kHz signal."""
    o = options or DiarizeOptions()
    num, lo, hi = check_counts(o.num_speakers, o.min_speakers, o.max_speakers)
    if sr != SAMPLE_RATE:
        raise ValueError(f"Diarization needs {SAMPLE_RATE} Hz audio, got {sr} Hz.")
    report = progress or (lambda f, d: None)
    duration = len(y) / sr

    report(0.05, "Finding speech (Silero VAD)")
    regions, speech_s = speech_check(y, sr, o)
    if num >= 2 and speech_s < num * o.window_s:
        raise UserError(
            f"Only {speech_s:.1f} s of speech was found: too little to split into {num} speakers "
            f"(needs at least {num * o.window_s:g} s)."
        )

    report(0.15, "Embedding voices (resemblyzer)")
    starts, emb = embed_windows(
        y,
        regions,
        o.window_s,
        o.step_s,
        o.level_dbfs,
        progress=lambda f: report(0.15 + 0.65 * f, "Embedding voices (resemblyzer)"),
    )
    report(0.85, "Clustering voices")
    labels, how = cluster(emb, num, lo, hi, o.min_separation, o.same_voice_cos, overlap=o.window_s / o.step_s)

    n_frames = int(np.ceil(duration / FRAME_S))
    frames = vote_frames(starts, labels, int(round(o.window_s / FRAME_S)), regions, n_frames)
    turns = clean_turns(frames_to_turns(frames), o)
    engine = "bundled Silero VAD + resemblyzer voice encoder + Ward clustering"
    if "doubtful" in how:
        how += _doubtful_names(emb, labels, turns)
    return DiarizationResult(_rename_by_appearance(turns), duration, speech_s, engine, how)


def _doubtful_names(emb: np.ndarray, labels: np.ndarray, turns: list[Turn]) -> str:
    """Which speakers (by the names the result shows) are the doubtful ones: the two most alike
    voices and the one with least speech."""
    order: dict[str, str] = {}
    for t in turns:  # the names _rename_by_appearance gives
        order.setdefault(t.speaker, f"SPEAKER_{len(order):02d}")
    ids, sizes = np.unique(labels, return_counts=True)
    c = np.stack([emb[labels == i].mean(axis=0) for i in ids])
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    sim = c @ c.T
    np.fill_diagonal(sim, -1.0)
    a, b = np.unravel_index(int(sim.argmax()), sim.shape)
    alike = [order.get(str(int(ids[k]))) for k in (a, b)]
    least = order.get(str(int(ids[sizes.argmin()])))
    if None in alike or least is None:  # a cluster left no turn of its own
        return ""
    alike.sort()
    return f" (most alike: {alike[0]} and {alike[1]}; least speech: {least})"


def _refine(emb: np.ndarray, labels: np.ndarray, rounds: int = 10) -> np.ndarray:
    """Move each window to its nearest centroid (cosine) until nothing moves: Ward's greedy
    merges leave windows on the wrong side; this cut DER on sample.wav from 9.2 % to 7.7 %."""
    for _ in range(rounds):
        ids = np.unique(labels)
        c = np.stack([emb[labels == i].mean(axis=0) for i in ids])
        c /= np.linalg.norm(c, axis=1, keepdims=True)
        new = ids[(emb @ c.T).argmax(axis=1)]
        if np.array_equal(new, labels):
            break
        labels = new
    return np.unique(labels, return_inverse=True)[1]


def separation(emb: np.ndarray, labels: np.ndarray, overlap: float) -> float:
    """The smallest Fisher ratio between two clusters: squared distance of their centroids over
    the pooled within-cluster spread times (1/n1 + 1/n2), with n counting independent windows
    (overlapping windows are not independent: n = windows / overlap). Measured on one voice
    split in two: 1.1-2.0; on two voices: 2.1-3.3."""
    ids = np.unique(labels)
    stats = []
    for i in ids:
        member = emb[labels == i]
        stats.append((member.mean(axis=0), float(member.var(axis=0).sum()), len(member) / overlap))
    best = np.inf
    for a in range(len(stats)):
        for b in range(a + 1, len(stats)):
            (m1, v1, n1), (m2, v2, n2) = stats[a], stats[b]
            pooled = (v1 * n1 + v2 * n2) / (n1 + n2)
            best = min(best, float(np.sum((m1 - m2) ** 2)) / (max(pooled, 1e-9) * (1 / n1 + 1 / n2)))
    return best


def centroid_cos(emb: np.ndarray, labels: np.ndarray) -> float:
    """Cosine similarity of the two most alike cluster centroids."""
    ids = np.unique(labels)
    c = np.stack([emb[labels == i].mean(axis=0) for i in ids])
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    sim = c @ c.T
    np.fill_diagonal(sim, -1.0)
    return float(sim.max())


MIN_SHARE = 0.1  # a forced speaker with less of the speech than this is called doubtful


def forced_doubt(
    emb: np.ndarray,
    labels: np.ndarray,
    min_separation: float,
    same_voice_cos: float,
    overlap: float,
    asked: str = "than asked",
) -> str:
    """For a speaker count the user fixed (or a minimum that set it): '' when every speaker is a
    distinct voice, else a plain sentence saying which split is doubtful and why (voices too
    alike, or too little speech)."""
    ids, sizes = np.unique(labels, return_counts=True)
    if len(ids) < 2:
        return ""
    reasons = []
    score = separation(emb, labels, overlap)
    cos = centroid_cos(emb, labels)
    if score < min_separation:
        reasons.append(
            f"two of them are hard to tell apart (difference score {score:.1f}; under {min_separation:g} "
            "is usually one voice split in two)"
        )
    share = float(sizes.min() / sizes.sum())
    return doubt_sentence(reasons, cos=cos, same_voice_cos=same_voice_cos, share=share, asked=asked)


def doubt_sentence(reasons: list[str], *, cos: float, same_voice_cos: float, share: float, asked: str) -> str:
    """'; doubtful: ...' for a split of voices: ``reasons`` found already, else two voices too alike
    (``cos`` above ``same_voice_cos``); and a speaker with under MIN_SHARE of the speech. '' when none."""
    if not reasons and cos > same_voice_cos:
        reasons.append(
            f"two of them sound alike (voice similarity {cos:.2f}; above {same_voice_cos:.2f} is usually one person)"
        )
    if share < MIN_SHARE:
        reasons.append(f"one of them has only {share:.0%} of the speech")
    if not reasons:
        return ""
    return "; doubtful: " + " and ".join(reasons) + f", so this recording may have fewer voices {asked}"


def cluster(
    emb: np.ndarray,
    num: int,
    lo: int,
    hi: int,
    min_separation: float = 2.0,
    same_voice_cos: float = 0.883,
    overlap: float = 6.0,
) -> tuple[np.ndarray, str]:
    """Labels 0..k-1 per window, and how k was chosen, in words.

    Fixed k: cut the Ward tree at k, then refine. Auto: split further down the Ward tree
    while every pair of the refined clusters is both separable (:func:`separation`, which
    guards short recordings, where noise makes halves of one voice look apart) and unlike
    (:func:`centroid_cos`, which guards long ones, where the Fisher ratio grows with the
    amount of speech). Never fewer than ``lo`` nor more than ``hi``. Measured here: true
    splits 0.57-0.88 cosine, splits of one voice 0.89-0.93 (sample.wav, LibriVox, mixes
    of both up to 3 minutes); the margin is thin, so a known count is always safer.
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(emb)
    if num == 1:
        return np.zeros(n, dtype=int), "1 speaker (fixed)"
    if n < 2:
        return np.zeros(n, dtype=int), "1 speaker (too little speech to split)"
    # Ward's tree needs n^2/2 distances: 30 minutes of speech (~7,000 windows) cost ~400 MB.
    # Past MAX_TREE_WINDOWS the tree is grown on evenly spaced windows, and every window then
    # goes to its nearest centroid (_refine), so memory stays bounded (issue 20).
    picked = np.linspace(0, n - 1, MAX_TREE_WINDOWS).round().astype(int) if n > MAX_TREE_WINDOWS else None
    tree_emb = emb if picked is None else emb[picked]
    tree = linkage(tree_emb, method="ward")

    def cut(k: int) -> np.ndarray:
        labels = fcluster(tree, k, criterion="maxclust") - 1
        if picked is not None:
            ids = np.unique(labels)
            c = np.stack([tree_emb[labels == i].mean(axis=0) for i in ids])
            labels = (emb @ (c / np.linalg.norm(c, axis=1, keepdims=True)).T).argmax(axis=1)
        return _refine(emb, labels)

    if num:
        labels = cut(num)
        return labels, f"{num} speakers (as asked)" + forced_doubt(emb, labels, min_separation, same_voice_cos, overlap)
    hi = min(hi, n)
    k, labels, score = 1, np.zeros(n, dtype=int), np.inf
    while k < hi:
        candidate = cut(k + 1)
        sizes = np.bincount(candidate)
        # A voice needs a few seconds of its own before auto counts it (~3 s: 2 x overlap windows).
        if len(sizes) < k + 1 or (k + 1 > lo and sizes.min() < 2 * overlap):
            break
        cand_score = separation(emb, candidate, overlap)
        if k + 1 > lo and (cand_score < min_separation or centroid_cos(emb, candidate) > same_voice_cos):
            break
        k, labels, score = k + 1, candidate, cand_score
    if k == 1:
        return labels, f"estimated 1 speaker (between {lo} and {hi}): no split sounds like two different voices"
    if k == lo:  # the minimum set the count: the splits up to it were made without asking whether they hold
        doubt = forced_doubt(emb, labels, min_separation, same_voice_cos, overlap, "than the minimum you set")
        if doubt:
            return labels, f"{k} speakers (the minimum you set, between {lo} and {hi})" + doubt
        return labels, (
            f"{k} speakers (the minimum you set, between {lo} and {hi}): their voices differ clearly enough "
            f"(difference score {score:.1f}, where under {min_separation:g} counts as one voice)"
        )
    return labels, (
        f"estimated {k} speakers (between {lo} and {hi}): their voices differ clearly enough "
        f"(difference score {score:.1f}, where under {min_separation:g} counts as one voice)"
    )


def vote_frames(starts: np.ndarray, labels: np.ndarray, window: int, regions: np.ndarray, n_frames: int) -> np.ndarray:
    """Speaker per 10 ms frame (-1 = no speech): Hann-weighted votes of the windows covering it."""
    k = int(labels.max()) + 1 if len(labels) else 1
    votes = np.zeros((n_frames + window, k))
    weight = np.hanning(window + 2)[1:-1]  # the window's centre is the surest part
    for s, lab in zip(starts, labels):
        votes[s : s + window, lab] += weight
    votes = votes[:n_frames]
    frames = votes.argmax(axis=1)
    speech = np.zeros(n_frames, dtype=bool)
    for a, b in np.round(regions / FRAME_S).astype(int):
        speech[a:b] = True
    frames[~speech] = -1
    # Speech frames no window reached (cannot happen with centred windows; kept safe).
    frames[speech & (votes.sum(axis=1) == 0)] = 0
    return frames


def frames_to_turns(frames: np.ndarray) -> list[Turn]:
    turns: list[Turn] = []
    change = np.flatnonzero(np.diff(frames)) + 1
    bounds = np.concatenate([[0], change, [len(frames)]])
    for a, b in zip(bounds[:-1], bounds[1:]):
        if frames[a] >= 0:
            turns.append(Turn(a * FRAME_S, b * FRAME_S, str(int(frames[a]))))
    return turns


def clean_turns(turns: list[Turn], o: DiarizeOptions) -> list[Turn]:
    """Give short turns to a touching neighbour, drop isolated crumbs, merge one speaker's turns."""
    turns = [Turn(t.start, t.end, t.speaker) for t in turns]
    changed = True
    while changed:  # shortest first, so a crumb joins the surroundings, not another crumb
        changed = False
        for i in sorted(range(len(turns)), key=lambda j: turns[j].duration):
            t = turns[i]
            if t.duration >= o.min_turn_s:
                break
            near = [
                n
                for n in (turns[i - 1] if i else None, turns[i + 1] if i + 1 < len(turns) else None)
                if n is not None
                and n.speaker != t.speaker
                and min(abs(n.end - t.start), abs(t.end - n.start)) < o.merge_gap_s
            ]
            if near:
                t.speaker = max(near, key=lambda n: n.duration).speaker
                turns = _merge(turns, o.merge_gap_s)
                changed = True
                break
    return [t for t in _merge(turns, o.merge_gap_s) if t.duration >= o.drop_turn_s]


def _merge(turns: list[Turn], gap: float) -> list[Turn]:
    out: list[Turn] = []
    for t in turns:
        if out and out[-1].speaker == t.speaker and t.start - out[-1].end < gap:
            out[-1].end = max(out[-1].end, t.end)
        else:
            out.append(Turn(t.start, t.end, t.speaker))
    return out


def _rename_by_appearance(turns: list[Turn]) -> list[Turn]:
    order: dict[str, str] = {}
    for t in turns:
        order.setdefault(t.speaker, f"SPEAKER_{len(order):02d}")
    return [Turn(round(t.start, 3), round(t.end, 3), order[t.speaker]) for t in turns]


def speech_check(y: np.ndarray, sr: int, o: DiarizeOptions) -> tuple[np.ndarray, float]:
    """Speech regions and their seconds (Silero VAD); UserError when there is none or too little."""
    regions = speech_regions(y, sr, o.vad)
    speech_s = float(np.sum(regions[:, 1] - regions[:, 0])) if len(regions) else 0.0
    if speech_s == 0.0:
        raise UserError("No speech was found in this recording (voice activity detection heard none).")
    if speech_s < MIN_SPEECH_S:
        raise UserError(
            f"Only {speech_s:.1f} s of speech was found; diarization needs at least "
            f"{MIN_SPEECH_S:g} s to tell voices apart."
        )
    return regions, speech_s


def diarize_offline(
    y: np.ndarray, sr: int = SAMPLE_RATE, options: DiarizeOptions | None = None, progress: Progress | None = None
) -> DiarizationResult:
    """Who spoke when, answered by pyannote.audio offline; overlapped speech stays (turns may overlap).
    ModelUnavailable where it cannot load here (the caller falls back to the bundled engine)."""
    from pipelines.engines import pyannote_offline

    o = options or DiarizeOptions()
    num, lo, hi = check_counts(o.num_speakers, o.min_speakers, o.max_speakers)
    ok, reason = pyannote_offline.availability()
    if not ok:
        raise ModelUnavailable(f"pyannote offline is not available: {reason}.")
    report = progress or (lambda f, d: None)
    report(0.05, "Finding speech (Silero VAD)")
    speech_check(y, sr, o)
    report(0.15, "pyannote: segmentation-3.0 and CAM++ voices")
    turns, centroids, labels = pyannote_offline.diarize(y, sr, num_speakers=num, min_speakers=lo, max_speakers=hi)
    if not turns:
        raise UserError("No speech was found in this recording (pyannote's segmentation heard none).")
    n = len({t.speaker for t in turns})
    if num:
        how = f"{n} speakers (as asked)" + offline_doubt(turns, centroids, labels, "than asked")
    elif lo > 1 and n == lo:  # the minimum set the count: say whether the split holds
        doubt = offline_doubt(turns, centroids, labels, "than the minimum you set")
        how = f"{n} speakers (the minimum you set, between {lo} and {hi})" + (
            doubt or ": their voices differ clearly enough"
        )
    else:
        how = f"{n} speaker{'s' if n != 1 else ''} (pyannote clustering, {lo}-{hi})"
    overlap = overlap_seconds(turns)
    if overlap > 0:
        how += f"; {overlap:.1f} s of overlapping speech"
    speech = union_seconds(turns)
    return DiarizationResult(_rename_by_appearance(turns), len(y) / sr, speech, pyannote_offline.SPEC.title, how)


# CAM++ centroids of two speakers this alike are usually one voice split in two. Measured on
# pyannote's sample.wav: its two speakers 0.63; one of them split in two (3 speakers forced) 0.87.
OFFLINE_SAME_VOICE_COS = 0.75


def offline_doubt(turns: list[Turn], centroids: np.ndarray, labels: list[str], asked: str) -> str:
    """For a count the user set (pyannote offline): '' when every speaker sounds distinct and has
    some of the speech, else the sentence saying which split is doubtful and why (as ``forced_doubt``)."""
    if len(labels) < 2 or len(centroids) != len(labels):
        return ""
    c = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    sim = c @ c.T
    np.fill_diagonal(sim, -1.0)
    cos = float(sim.max())
    seconds = np.array([sum(t.end - t.start for t in turns if t.speaker == lab) for lab in labels])
    share = float(seconds.min() / max(seconds.sum(), 1e-9))
    return doubt_sentence([], cos=cos, same_voice_cos=OFFLINE_SAME_VOICE_COS, share=share, asked=asked)


def union_seconds(turns: list[Turn]) -> float:
    """Seconds covered by at least one turn."""
    total, end = 0.0, -1.0
    for t in sorted(turns, key=lambda t: t.start):
        if t.end > end:
            total += t.end - max(t.start, end)
            end = t.end
    return total


def overlap_seconds(turns: list[Turn]) -> float:
    """Seconds during which two or more speakers talk at once."""
    return float(sum(t.duration for t in turns)) - union_seconds(turns)


def diarize_pyannote(
    y: np.ndarray, sr: int, options: DiarizeOptions, token: str | None, model: str = PYANNOTE_ID, offline: bool = False
) -> DiarizationResult:
    """Who spoke when, answered by pyannote.audio (hub id or an allowed local pipeline folder)."""
    num, lo, hi = check_counts(options.num_speakers, options.min_speakers, options.max_speakers)
    turns = pyannote.diarize(
        y, sr, num_speakers=num, min_speakers=lo, max_speakers=hi, token=token, model=model, offline=offline
    )
    speech = float(sum(t.duration for t in turns))
    return DiarizationResult(
        _rename_by_appearance(turns),
        len(y) / sr,
        speech,
        f"hub: pyannote ({model})",
        f"{len({t.speaker for t in turns})} speakers (pyannote)",
    )


OFFLINE_ENGINE = "pyannote-offline"


def diarize_or_fall_back(
    y: np.ndarray, sr: int, options: DiarizeOptions, progress: Progress | None = None
) -> DiarizationResult:
    """pyannote offline; where it cannot load here, the bundled engine, saying why in ``engine``."""
    try:
        return diarize_offline(y, sr, options, progress)
    except ModelUnavailable as exc:
        result = diarize(y, sr, options, progress)
        result.engine += f" (pyannote offline could not be used: {exc})"
        return result


# --- names -------------------------------------------------------------------------------


MAX_NAMES_TEXT = MAX_SPEAKERS * (MAX_SPEAKER_NAME_CHARS + 20)  # every speaker named "SPEAKER_00=..."


def check_names_text(text: str | None) -> None:
    """Refuse, before any work, a names text longer than every speaker's name could be."""
    if text and len(text) > MAX_NAMES_TEXT:
        raise UserError(
            f"The speaker names are {len(text)} characters long; at most {MAX_SPEAKERS} names of up to "
            f"{MAX_SPEAKER_NAME_CHARS} characters each are used ({MAX_NAMES_TEXT} characters in all)."
        )


def known_names(y: np.ndarray, sr: int, result: DiarizationResult, known_voices, names: dict[str, str] | None):
    """Names from the known voices (``speakers.KnownVoices``; none: ``names`` as given), overridden by
    the names the user gave."""
    if known_voices is None or not known_voices.voices:
        return names
    from pipelines.speakers import name_speakers

    return {**name_speakers(y, sr, result.turns, known_voices), **(names or {})}


def parse_names(text: str | None, speakers: list[str]) -> dict[str, str]:
    """'Alice, Bob' (in speaker order) or 'SPEAKER_01=Bob; SPEAKER_00=Alice' -> {label: name}."""
    out: dict[str, str] = {}
    if not text or not text.strip():
        return out
    check_names_text(text)
    parts = [p.strip() for p in text.replace(";", ",").replace("\n", ",").split(",") if p.strip()]
    for i, part in enumerate(parts):
        label, sep, name = part.partition("=")
        if sep:
            if label.strip() not in speakers:
                raise UserError(f"Unknown speaker '{label.strip()}' in the names; speakers are {', '.join(speakers)}.")
            out[label.strip()] = name.strip()
        elif i < len(speakers):
            out[speakers[i]] = part
    return out


# --- the speaker-attributed transcript --------------------------------------------------


OVERLAP_MARK_S = 0.25  # another speaker's turn overlapping an utterance this long is named beside it


def mark_overlaps(utts: list[TimedText], turns: list[Turn], min_s: float = OVERLAP_MARK_S) -> list[TimedText]:
    """Each utterance names the other speakers whose turns overlap it by ``min_s`` or more."""
    for u in utts:
        others = [
            t.speaker for t in turns if t.speaker != u.speaker and min(u.end, t.end) - max(u.start, t.start) >= min_s
        ]
        u.also = tuple(dict.fromkeys(others))
    return utts


def utterances(words: list[Word], turns: list[Turn]) -> list[TimedText]:
    """The transcript's utterances, with the speakers heard at the same time marked."""
    return mark_overlaps(group_utterances(words), turns)


def transcribe_words(
    y: np.ndarray, sr: int = SAMPLE_RATE, model_key: str = "whisper-tiny.en", progress: Progress | None = None
) -> list[Word]:
    """Whisper's words with their times, through the Transcribe tab's pipeline: ~2-minute blocks
    (a long meeting stays within memory), segments judged not speech left out."""
    from pipelines.engines.whisper.model import ENGLISH_ONLY
    from pipelines.transcribe import TranscribeOptions, transcribe_stream

    options = TranscribeOptions(
        model=model_key,
        language="en" if model_key in ENGLISH_ONLY else None,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    t = None
    for t in transcribe_stream(y, options, sr=sr):
        if progress and t.segments:
            progress(t.progress, "Transcribing (Whisper)")
    return [Word(w.start, w.end, w.text) for w in t.words] if t is not None else []


def attribute_words(words: list[Word], turns: list[Turn]) -> list[Word]:
    """Each word to the speaker whose turn overlaps it most; in a gap, to the nearest turn
    by the word's midpoint (so no word is lost)."""
    out = []
    for w in words:
        best, best_overlap = "", 0.0
        for t in turns:
            overlap = min(w.end, t.end) - max(w.start, t.start)
            if overlap > best_overlap:
                best, best_overlap = t.speaker, overlap
        if not best and turns:
            best = min(turns, key=lambda t: max(t.start - w.mid, w.mid - t.end, 0.0)).speaker
        out.append(Word(w.start, w.end, w.text, best or "SPEAKER_00"))
    return out


UTTERANCE_PAUSE_S = 2.0  # a pause this long starts a new line of the speaker-attributed transcript


def group_utterances(words: list[Word], max_gap_s: float = UTTERANCE_PAUSE_S) -> list[TimedText]:
    """Consecutive words of one speaker become one utterance (a long pause starts another)."""
    return [TimedText(r[0].start, r[-1].end, joined_text(r), r[0].speaker) for r in speaker_runs(words, max_gap_s)]


def transcript_text(utts: list[TimedText], names: dict[str, str] | None = None) -> str:
    """'SPEAKER_00: ...' lines (or the given names); an utterance overlapped by another speaker ends
    with '[at the same time: SPEAKER_01]'."""
    shown = speaker_names(sorted({u.speaker for u in utts} | {a for u in utts for a in u.also}), names)
    return "\n".join(
        f"{shown[u.speaker]}: {u.text}"
        + (f" [at the same time: {', '.join(shown[a] for a in u.also)}]" if u.also else "")
        for u in utts
    )


# --- tables and files -------------------------------------------------------------------


def turns_rows(result: DiarizationResult, names: dict[str, str] | None = None) -> list[list]:
    shown = speaker_names(result.speakers, names)
    return [[round(t.start, 2), round(t.end, 2), round(t.duration, 2), shown[t.speaker]] for t in result.turns]


def talk_rows(result: DiarizationResult, names: dict[str, str] | None = None) -> list[list]:
    shown = speaker_names(result.speakers, names)
    total = sum(result.talk_time().values()) or 1.0
    counts = {s: sum(t.speaker == s for t in result.turns) for s in result.speakers}
    return [
        [s, shown[s], round(sec, 1), f"{100 * sec / total:.0f}%", counts[s]]
        for s, sec in sorted(result.talk_time().items(), key=lambda kv: -kv[1])
    ]


@dataclass
class DiarizeFiles:
    rttm: Path
    txt: Path | None = None
    srt: Path | None = None
    timeline: Path | None = None


def write_files(
    result: DiarizationResult,
    out_dir: Path,
    stem: str = "audio",
    words: list[Word] | None = None,
    names: dict[str, str] | None = None,
    subtitles: SubtitleOptions | None = None,
) -> DiarizeFiles:
    """The turns (RTTM) and, with words, the transcript (TXT) and subtitles (SRT, speakers marked
    in ``subtitles``' style: 'Name: ' or '- ' at a change of speaker)."""
    out_dir = Path(out_dir)
    stem = safe_stem(stem, "audio")
    files = DiarizeFiles(out_dir / f"{stem}-diarized.rttm")  # after the input and the result (issue 13, class 6)
    files.rttm.write_text(to_rttm(result.turns, stem, names))
    if words is not None:
        files.txt = out_dir / f"{stem}-speakers.txt"
        files.txt.write_text(transcript_text(utterances(words, result.turns), names) + "\n", encoding="utf-8")
        files.srt = out_dir / f"{stem}-speakers.srt"
        files.srt.write_text(to_srt(speaker_cues(words, names, subtitles)), encoding="utf-8")
    return files


def plot_timeline(result: DiarizationResult, names: dict[str, str] | None = None, path: Path | None = None):
    """One row and one colour per speaker; returns the Figure (saved as PNG when path is given)."""
    from matplotlib import colormaps

    from pipelines.formats import plots

    speakers = result.speakers
    shown = speaker_names(speakers, names)
    labels = [plots.wrap_label(shown[s]) for s in speakers]  # a long name whole, on two lines
    fig, (ax,) = plots.new_figure(height_in=1.3 + 0.45 * max(1, len(speakers)))
    fig.subplots_adjust(left=0.14)
    colours = colormaps["tab10"].colors
    for row, spk in enumerate(speakers):
        bars = [(t.start, t.duration) for t in result.turns if t.speaker == spk]
        ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=colours[row % len(colours)])
    ax.set_yticks(range(len(speakers)), labels)
    plots.keep_as_is(ax.yaxis)  # speaker labels and the names a user gave
    plots.fit_left_margin(fig, ax)
    ax.set_ylim(len(speakers) - 0.5, -0.5)
    ax.set_xlim(0, max(result.duration, 0.1))
    ax.set_xlabel("time (s)")
    ax.set_title(f"Who spoke when: {len(speakers)} speaker{'s' if len(speakers) != 1 else ''}")
    ax.grid(axis="x", alpha=0.3)
    if path is not None:
        plots.save_png(fig, path)
    return fig


# --- one call for the tab and the API ---------------------------------------------------


@dataclass
class DiarizeOutcome:
    result: DiarizationResult
    words: list[Word] | None  # speaker-attributed, when a transcript was asked for
    files: DiarizeFiles
    names: dict[str, str]
    seconds: float  # diarization alone (not the transcript)
    transcript_engine: str = ""
    loaded_now: bool = False  # the voice encoder was loaded by this call (its time is in seconds)
    subtitles: SubtitleOptions = field(default_factory=SubtitleOptions)  # how the SRT marks speakers


def render(
    result: DiarizationResult,
    words: list[Word] | None,
    out_dir: Path,
    stem: str,
    names: dict[str, str] | None = None,
    subtitles: SubtitleOptions | None = None,
) -> tuple[DiarizeFiles, dict[str, str]]:
    """Write the downloads and the timeline with the speakers' display names."""
    shown = speaker_names(result.speakers, names)
    files = write_files(result, out_dir, stem, words, shown, subtitles)
    files.timeline = files.rttm.with_name(f"{files.rttm.stem}-timeline.png")
    plot_timeline(result, shown, files.timeline)
    return files, shown


def run(
    y: np.ndarray,
    sr: int,
    out_dir: Path,
    *,
    stem: str = "audio",
    options: DiarizeOptions | None = None,
    engine: str = "bundled",
    hub_token: str | None = None,
    offline: bool = False,
    transcribe: bool = True,
    whisper_key: str = "whisper-tiny.en",
    names: dict[str, str] | str | None = None,
    progress: Progress | None = None,
    subtitles: SubtitleOptions | None = None,
    known_voices=None,
) -> DiarizeOutcome:
    """Diarize (pyannote offline, bundled or pyannote hub), optionally transcribe and attribute words,
    write files (the SRT's speakers marked in ``subtitles``' style). ``known_voices``
    (``speakers.KnownVoices``) names the speakers it recognises, the others "unknown 1", "unknown 2"."""
    import time

    report = progress or (lambda f, d: None)
    o = options or DiarizeOptions()
    subtitles = (subtitles or SubtitleOptions()).checked()  # refused before any work
    check_names_text(names if isinstance(names, str) else None)
    model_key = "pyannote-offline" if engine == OFFLINE_ENGINE else ENCODER_KEY
    loaded_before = REGISTRY.is_loaded(model_key)
    start = time.perf_counter()
    scaled = lambda f, d: report(0.7 * f if transcribe else f, d)  # noqa: E731
    if engine == "pyannote":
        report(0.1, "pyannote (model hub)")
        result = diarize_pyannote(y, sr, o, hub_token, offline=offline)
    elif engine == OFFLINE_ENGINE:
        result = diarize_or_fall_back(y, sr, o, scaled)
    elif engine == "bundled":
        result = diarize(y, sr, o, progress=scaled)
    else:
        raise UserError(f"Unknown engine '{engine}': choose 'pyannote-offline', 'bundled' or 'pyannote'.")
    seconds = time.perf_counter() - start
    words, asr = None, ""
    if transcribe:
        report(0.72, "Transcribing (Whisper)")
        words = attribute_words(
            transcribe_words(y, sr, whisper_key, progress=lambda f, d: report(0.72 + 0.25 * f, d)), result.turns
        )
        asr = REGISTRY.spec(whisper_key).title  # registered by transcribe_words' import
    if isinstance(names, str):
        names = parse_names(names, result.speakers)
    names = known_names(y, sr, result, known_voices, names)
    files, shown = render(result, words, out_dir, stem, names, subtitles)
    return DiarizeOutcome(
        result,
        words,
        files,
        shown,
        seconds,
        asr,
        loaded_now=engine != "pyannote" and not loaded_before and REGISTRY.is_loaded(model_key),
        subtitles=subtitles,
    )


# --- what the Diarize tab asks and keeps (defaults written once; tabs stay wiring only) -----

DEFAULT_ENGINE = OFFLINE_ENGINE  # pyannote.audio offline; "bundled" (light) or "pyannote" (model hub)
DEFAULT_TRANSCRIBE = True  # a transcript with speakers (bundled Whisper tiny.en)
SUBTITLE_DEFAULTS = SubtitleOptions()  # the SRT: speakers as 'Name: ' (or "dash"), two lines of 42


def outcome_state(outcome: DiarizeOutcome, stem: str) -> dict:
    """What renaming needs, as plain data (deep-copyable, so it can sit in the UI's state)."""
    r = outcome.result
    return {
        "stem": stem,
        "duration": r.duration,
        "speech": r.speech_seconds,
        "engine": r.engine,
        "how": r.how,
        "turns": [(t.start, t.end, t.speaker) for t in r.turns],
        "words": None if outcome.words is None else [(w.start, w.end, w.text, w.speaker) for w in outcome.words],
        "subtitles": asdict(outcome.subtitles),
    }


def subtitles_from_state(state: dict) -> SubtitleOptions:
    """The subtitle options the result was first written with (renaming keeps its style)."""
    return SubtitleOptions(**state.get("subtitles", {}))


def result_from_state(state: dict | None) -> tuple[DiarizationResult, list[Word] | None]:
    """The result and words back from :func:`outcome_state`; UserError when nothing was diarized yet."""
    if not state:
        raise UserError("Find the speakers first, then rename them.")
    turns = [Turn(*t) for t in state["turns"]]
    result = DiarizationResult(turns, state["duration"], state["speech"], state["engine"], state["how"])
    words = None if state["words"] is None else [Word(*w) for w in state["words"]]
    return result, words


def names_from_rows(rows) -> dict[str, str]:
    """{speaker: name} from the rename table's rows ([speaker, name], a DataFrame or a list)."""
    rows = rows.values.tolist() if hasattr(rows, "values") else (rows or [])
    return {str(r[0]): str(r[1]) for r in rows if len(r) >= 2 and r[1] is not None}


def name_rows(result: DiarizationResult, shown: dict[str, str]) -> list[list[str]]:
    """The rename table: each speaker with the name given to it ('' when it has none)."""
    return [[s, shown[s] if shown[s] != s else ""] for s in result.speakers]
