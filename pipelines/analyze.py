"""The Analyze pipeline: measure a recording (no Gradio).

Visualize draws features; Analyze measures: for music the tempo and beats (heard back as a click
track), metre, onsets, key with runners-up, chords and genre; for a voice the pitch contour and
range, voiced share, stability, speaking rate, pauses and filler words; for both, loudness over
time against delivery targets, a mood heuristic, a one-paragraph summary and every series as
CSV and JSON. The measurements live in ``pipelines.dsp`` (music, voice, loudness); this module
decides what to measure, runs the bundled models (YAMNet for music-or-speech and genre, Whisper
for words, Silero for speech regions) and writes the results.
"""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from pipelines.core.audio import SILENCE_DBFS, AudioInput, refuse_longer_than, resample_array
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem
from pipelines.core.registry import ModelUnavailable
from pipelines.dsp import loudness as loud
from pipelines.dsp import music, voice
from pipelines.formats import plots
from pipelines.formats.timecode import clock

KINDS = ("auto", "music", "speech", "both")
# Pitch (pYIN), beats, chords and words are measured on the whole recording at once: on 30 minutes
# of 44.1 kHz stereo the server grew by more than 1.2 GB and took over 10 minutes on 2 busy cores
# (benchmarks/bench_memory.py, bar 700 MB); 10 minutes is what benchmarks/bench_analyze.py measures.
ANALYZE_MAX_SECONDS = 600.0
ANALYZE_TOO_LONG = (
    "The audio is {length} long; Analyze measures the whole recording at once (pitch, beats, chords and words), "
    "so this server analyzes up to {limit}. Trim it or split it into parts and try again."
)
TARGET_NAMES = tuple(loud.TARGETS)
# Hub models shown beside the offline answers (the same presets as Classify's emotion and genre tasks).
EMOTION_HUB_MODEL = "ehcalabres/wav2vec2-lg-xlsr-en-speech-emotion-recognition"
GENRE_HUB_MODEL = "sanchit-gandhi/distilhubert-finetuned-gtzan"
HUB_TOP_K = 3


def fix_chain(target: str) -> str:
    """The Sound lab chain that brings a recording to a delivery target (the one-click loudness fix)."""
    if target not in loud.TARGETS:
        raise UserError(f"Unknown loudness target '{target}': choose one of {', '.join(TARGET_NAMES)}.")
    lufs, ceiling, _ = loud.TARGETS[target]
    return f"normalize_loudness(lufs={lufs:g}, true_peak_db={ceiling:g})"


FIGURES = ("loudness", "rhythm", "key", "pitch", "mood")
MAX_YAMNET_PATCHES = 120  # spread over the recording: enough to tell music from speech and name a genre
FILLERS = {"um", "umm", "uh", "uhh", "uhm", "er", "erm", "ah", "hmm", "hm", "mm", "mhm", "eh"}
# Whisper drops fillers from what it writes unless its prompt shows them (a known prompt trick).
FILLER_PROMPT = "Umm, let me think like, hmm... Okay, here's what I'm, uh, thinking."
GENRE_FIRST, GENRE_LAST = "Pop music", "Independent music"  # AudioSet's "Music genre" classes, in order
MUSIC_MOODS = ("Happy music", "Sad music", "Tender music", "Exciting music", "Angry music", "Scary music")
LOUDER_STEP_LU = 4.0  # a change in short-term loudness that the summary mentions
SILENCE_LUFS = -60.0
GENRE_FLOOR = 0.1  # a genre YAMNet scores lower than this is not worth a word in the summary


@dataclass
class AnalyzeOptions:
    kind: str = "auto"  # what to measure: auto (YAMNet decides), music, speech, both
    transcribe: bool = True  # Whisper for speaking rate and fillers (speech)
    language: str = "auto"  # Whisper language, or auto to detect
    keep_fillers: bool = True  # prompt Whisper to write um / uh
    target: str = "streaming"  # the delivery target the summary compares with
    click_gain: float = 0.5  # click track level over the music
    hub_models: bool = True  # also ask the hub's emotion and genre models (side by side with the offline ones)
    emotion_model: str = EMOTION_HUB_MODEL  # a hub id or an allowed local model folder
    genre_model: str = GENRE_HUB_MODEL


@dataclass
class AnalyzeResult:
    name: str
    kind: str  # "music", "speech" or "both": what was measured
    kind_reason: str
    summary: str  # one paragraph, plain language
    facts: list[list[str]]  # (measure, value) rows
    figures: dict[str, Path]
    click_path: Path | None
    json_path: Path
    zip_path: Path
    engines: list[str]
    data: dict  # everything in the JSON
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def check_options(o: AnalyzeOptions) -> AnalyzeOptions:
    if o.kind not in KINDS:
        raise UserError(f"Unknown kind '{o.kind}': choose one of {', '.join(KINDS)}.")
    if o.target not in TARGET_NAMES:
        raise UserError(f"Unknown loudness target '{o.target}': choose one of {', '.join(TARGET_NAMES)}.")
    try:
        gain = float(o.click_gain)
    except (TypeError, ValueError):
        raise UserError(f"Click level must be a number between 0 and 1, not {o.click_gain!r}.") from None
    if not 0.0 <= gain <= 1.0:
        raise UserError(f"Click level must be between 0 and 1 (got {gain:g}).")
    o.click_gain = gain
    return o


# --- the bundled models ------------------------------------------------------------------------


def yamnet_view(y16: np.ndarray) -> dict:
    """Music / speech probabilities, genres and YAMNet's music-mood classes, from up to
    MAX_YAMNET_PATCHES patches spread evenly over the recording."""
    from pipelines.core.registry import REGISTRY
    from pipelines.engines import yamnet

    model = REGISTRY.get(yamnet.MODEL_KEY)
    patches = yamnet.log_mel_patches(_at_listening_level(y16))
    if len(patches) > MAX_YAMNET_PATCHES:
        patches = patches[np.linspace(0, len(patches) - 1, MAX_YAMNET_PATCHES).round().astype(int)]
    mean = yamnet.sigmoid(model.logits(patches)).mean(axis=0)
    names = list(model.names)
    genres = names[names.index(GENRE_FIRST) : names.index(GENRE_LAST) + 1]
    score = {n: float(mean[names.index(n)]) for n in names}
    return dict(
        music=score.get("Music", 0.0),
        speech=score.get("Speech", 0.0),
        singing=score.get("Singing", 0.0),
        genres=sorted(((g, score[g]) for g in genres), key=lambda gs: gs[1], reverse=True)[:5],
        moods=sorted(((m, score[m]) for m in MUSIC_MOODS if m in score), key=lambda ms: ms[1], reverse=True),
        patches=len(patches),
    )


HEARD_FLOOR = 0.1  # below this YAMNet hears neither music nor speech
QUIET_PEAK = 0.1  # a recording peaking below -20 dBFS is heard at LISTENING_PEAK by YAMNet
LISTENING_PEAK = 0.5


def _at_listening_level(y: np.ndarray) -> np.ndarray:
    """A quiet recording raised to a normal level: what it holds, not how loud it was recorded,
    decides music or speech (a click track peaking at -57 dBFS is music, not silence)."""
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    if 0.0 < peak < QUIET_PEAK:
        return (y * (LISTENING_PEAK / peak)).astype(np.float32)
    return y


def _decide_kind(kind: str, view: dict | None) -> tuple[str, str]:
    if kind != "auto":
        return kind, "chosen"
    if view is None:
        return "both", "YAMNet not available: measuring both"
    m, s = view["music"], view["speech"]
    if max(m, s) < HEARD_FLOOR:  # a click track, a quiet or unusual sound: not silence, so measure both
        return "both", f"YAMNet hears neither clearly (music {m:.0%}, speech {s:.0%}): measuring both"
    if m >= 0.2 and s >= 0.2 and min(m, s) >= 0.5 * max(m, s):
        return "both", f"YAMNet hears music {m:.0%} and speech {s:.0%}"
    return ("music" if m > s else "speech"), f"YAMNet hears music {m:.0%}, speech {s:.0%}"


def words_of(y16: np.ndarray, options: AnalyzeOptions, name: str):
    """Whisper's words (with times) through the Transcribe task's public function."""
    from pipelines.transcribe import TranscribeOptions, transcribe

    t = transcribe(
        y16,
        TranscribeOptions(language=options.language, initial_prompt=FILLER_PROMPT if options.keep_fillers else ""),
        name=name,
    )
    return t


def is_filler(word: str) -> bool:
    return word.strip(" ,.!?;:-…\"'").lower() in FILLERS


def speaking_rate(n_words: int, speech_seconds: float) -> float:
    """Words a minute of speech (pauses between speech regions excluded)."""
    return 60.0 * n_words / speech_seconds if speech_seconds > 0 else 0.0


# --- descriptions ------------------------------------------------------------------------------


def loudness_change(times: np.ndarray, short_term: np.ndarray, min_side_s: float = 5.0) -> tuple[float, float] | None:
    """(time, LU change) of the largest step in loudness between a before and an after of at least
    min_side_s seconds each, or None if it is smaller than LOUDER_STEP_LU. Silence (below -60 LUFS)
    is left out: music starting after a silent lead-in does not 'get louder'."""
    if len(times) < 4:
        return None
    step = max(1, len(times) // 400)  # ~400 candidate split points
    s = np.asarray(short_term[::step], dtype=np.float64)
    t = times[::step]
    ok = np.isfinite(s) & (s > SILENCE_LUFS)
    c = np.concatenate([[0.0], np.cumsum(np.where(ok, s, 0.0))])
    k = np.concatenate([[0], np.cumsum(ok)])
    n = len(s)
    best = None
    for i in range(1, n):
        if t[i] < min_side_s or t[-1] - t[i] < min_side_s or k[i] < 10 or k[n] - k[i] < 10:
            continue
        diff = (c[n] - c[i]) / (k[n] - k[i]) - c[i] / k[i]
        if best is None or abs(diff) > abs(best[1]):
            best = (float(t[i]), float(diff))
    return best if best and abs(best[1]) >= LOUDER_STEP_LU else None


def _confidence_word(x: float) -> str:
    return "clear" if x >= 0.5 else "some" if x >= 0.3 else "weak"


def _summary(d: dict, target: str) -> str:
    bits = []
    m, v, L = d.get("music"), d.get("voice"), d["loudness"]
    if m:
        r = m["rhythm"]
        metre = f"{r['meter']}/4 likely" if r["meter_confidence"] >= 0.2 else "metre unclear"
        bits.append(f"about {r['bpm']:.0f} BPM ({_confidence_word(r['confidence'])} beat, {metre})")
        k = m["key"]
        runner = k["ranking"][1][0]
        if k["score"] >= 0.5:
            bits.append(f"{k['name']} (runner-up {runner})")
        else:
            bits.append(f"no clear key (best guess {k['name']})")
        if m.get("genres") and m["genres"][0][1] >= GENRE_FLOOR:
            bits.append(f"sounds like {m['genres'][0][0].lower()}")
    if v:
        if v.get("words_per_minute"):
            bits.append(f"{v['words_per_minute']:.0f} words a minute")
        p = v["pauses"]
        if p["count"]:
            bits.append(f"{p['count']} pause{'s' if p['count'] != 1 else ''} (longest {p['longest_s']:.1f} s)")
        if v.get("pitch"):
            bits.append(
                f"voice around {v['pitch']['median_note']} ({v['pitch']['low_note']}-{v['pitch']['high_note']})"
            )
        if v.get("fillers") is not None:
            bits.append(f"{v['fillers']} filler word{'s' if v['fillers'] != 1 else ''}")
    if np.isfinite(L["integrated_lufs"]):
        t = L["targets"][target]
        g = t["gain_db"]
        where = "on" if abs(g) <= 1 else f"{abs(g):.1f} dB {'under' if g > 0 else 'over'}"
        bits.append(f"{L['integrated_lufs']:.1f} LUFS ({where} the {target} target of {t['target_lufs']:g})")
    elif np.isfinite(L.get("sample_peak_dbfs", -np.inf)) and L["sample_peak_dbfs"] > SILENCE_DBFS:
        bits.append(f"very quiet (below the -70 LUFS gate, peak {L['sample_peak_dbfs']:.0f} dBFS)")
    else:
        bits.append("silent")
    if L.get("change"):
        at, diff = L["change"]
        bits.append(f"gets {'louder' if diff > 0 else 'quieter'} after {clock(at, rounded=True)} ({diff:+.0f} LU)")
    text = " · ".join(bits)  # whole facts, each translated on its own (tabs/i18n.py)
    return text[0].upper() + text[1:] + "."


# --- the analysis ------------------------------------------------------------------------------


def check_analyze_length(path: str | Path | None, seconds: float | None = None) -> None:
    """Refuse, before any work, a recording longer than Analyze can measure in bounded memory."""
    refuse_longer_than(path, seconds, ANALYZE_MAX_SECONDS, ANALYZE_TOO_LONG)


def analyze(audio: AudioInput, out_dir: Path, options: AnalyzeOptions | None = None, progress=None) -> AnalyzeResult:
    check_analyze_length(None, audio.duration)
    o = check_options(options or AnalyzeOptions())
    progress = progress or (lambda share, desc: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = safe_stem(audio.name, "audio")
    timings: dict[str, float] = {}
    warnings = list(audio.warnings)
    engines: list[str] = []

    def timed(key, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t0
        return out

    progress(0.05, "Measuring loudness (EBU R128)")
    L = timed("loudness", loud.measure, audio.channels, audio.sr)
    y16 = timed("resample", resample_array, audio.mono, audio.sr, voice.SR)
    view = None
    progress(0.15, "Listening for music and speech (YAMNet)")
    try:
        view = timed("yamnet", yamnet_view, y16)
        engines.append(f"offline: YAMNet int8 (music / speech, genre, {view['patches']} patches)")
    except ModelUnavailable as exc:
        warnings.append(f"YAMNet is not available ({exc}); genre is left out.")
    kind, reason = _decide_kind(o.kind, view)
    data: dict = dict(name=audio.name, duration_s=round(audio.duration, 3), sample_rate=audio.sr, kind=kind)
    data["kind_reason"] = reason
    series: dict[str, tuple[list[str], list]] = {}

    change = loudness_change(L.times, L.short_term)
    data["loudness"] = dict(
        integrated_lufs=L.integrated,
        loudness_range_lu=round(L.loudness_range, 2),
        true_peak_dbtp=round(L.true_peak_dbtp, 2),
        sample_peak_dbfs=round(L.sample_peak_dbfs, 2),
        max_momentary_lufs=float(np.max(L.momentary)) if len(L.momentary) else None,
        max_short_term_lufs=float(np.max(L.short_term)) if len(L.short_term) else None,
        targets=L.targets,
        change=change,
    )
    series["loudness"] = (["time_s", "momentary_lufs", "short_term_lufs"], [L.times, L.momentary, L.short_term])

    click_path = None
    figures: dict[str, Path] = {}
    mood_inputs: dict = dict(
        loudness_lufs=L.integrated if np.isfinite(L.integrated) else -70.0,
        loudness_spread_lu=L.loudness_range,
    )

    if kind in ("music", "both"):
        progress(0.3, "Tempo, beats and key")
        y22 = timed("resample", resample_array, audio.mono, audio.sr, music.SR)
        logmel = timed("music", music.log_mel, y22)
        r = timed("music", music.rhythm, y22, logmel)
        chroma = timed("music", music.chroma, y22)
        k = timed("music", music.key, chroma)
        ch = timed("music", music.chords, chroma, r.beat_times, len(y22) / music.SR)
        import librosa

        power = np.mean(librosa.db_to_power(logmel), axis=1)
        freqs = librosa.mel_frequencies(music.N_MELS, fmax=music.SR / 2)
        brightness = float((power * freqs).sum() / max(power.sum(), 1e-12))
        mix = music.with_clicks(y22, music.SR, r.beat_times, r.downbeat_times, o.click_gain)
        click_path = out_dir / f"{stem}-with-clicks.wav"
        sf.write(click_path, mix, music.SR, subtype="PCM_16")
        del y22, logmel, mix
        data["music"] = dict(
            rhythm=dict(
                bpm=round(r.bpm, 2),
                confidence=round(r.confidence, 3),
                candidates=[(round(b, 2), round(s, 3)) for b, s in r.candidates],
                meter=r.meter,
                meter_confidence=round(r.meter_confidence, 3),
                beats=len(r.beat_times),
                onsets=len(r.onset_times),
            ),
            key=dict(
                name=k.name,
                score=round(k.score, 3),
                ranking=[(n, round(s, 3)) for n, s in k.ranking],
                chroma_mean=[round(float(x), 4) for x in k.chroma_mean],
            ),
            chords=[
                dict(start=round(float(a), 3), end=round(float(b), 3), chord=c)
                for a, b, c in zip(ch.times, ch.ends, ch.labels)
            ],
            brightness_hz=round(brightness, 1),
            genres=[(g, round(s, 3)) for g, s in view["genres"]] if view else [],
            yamnet_music_moods=[(g, round(s, 3)) for g, s in view["moods"]] if view else [],
        )
        downs = np.isin(np.round(r.beat_times, 4), np.round(r.downbeat_times, 4)).astype(int)
        series["beats"] = (["time_s", "first_of_bar"], [r.beat_times, downs])
        series["onsets"] = (["time_s"], [r.onset_times])
        series["onset_strength"] = (["time_s", "strength"], [np.arange(len(r.envelope)) * r.hop_s, r.envelope])
        series["chords"] = (["start_s", "end_s", "chord"], [ch.times, ch.ends, ch.labels])
        series["key_scores"] = (["key", "correlation"], [[n for n, _ in k.ranking], [s for _, s in k.ranking]])
        mood_inputs.update(rate=r.bpm, rate_range=(60.0, 160.0), major=k.mode == "major", brightness_hz=brightness)
        figures["rhythm"] = plots.plot_rhythm(
            r.hop_s,
            r.envelope,
            r.beat_times,
            r.downbeat_times,
            r.onset_times,
            f"Beats: about {r.bpm:.0f} BPM, {_confidence_word(r.confidence)} ({r.confidence:.2f}); "
            f"{r.meter}/4 guessed ({r.meter_confidence:.2f})",
        )
        figures["key"] = plots.plot_key_chords(
            k.ranking, ch.times, ch.ends, ch.labels, f"Key: {k.name} (match {k.score:.2f}); runners-up to the right"
        )
        engines += ["librosa: onset strength, tempogram, beat tracker", "Krumhansl-Kessler key profiles"]

    if kind in ("speech", "both"):
        progress(0.5, "Pitch contour (pYIN)")
        track = timed("voice", voice.pitch_track, y16)
        ps = voice.summarize_pitch(track)
        from pipelines.engines.silero_vad import speech_regions

        regions = timed("vad", speech_regions, y16)
        pz = voice.pauses(regions)
        speech_s = float((regions[:, 1] - regions[:, 0]).sum()) if len(regions) else 0.0
        v: dict = dict(
            speech_seconds=round(speech_s, 2),
            speech_regions=len(regions),
            pauses=dict(count=pz.count, total_s=round(pz.total, 2), longest_s=round(pz.longest, 2)),
            pitch=None
            if ps is None
            else {k_: (round(x, 3) if isinstance(x, float) else x) for k_, x in ps.__dict__.items()},
        )
        engines += ["librosa pYIN (pitch)", "offline: Silero VAD (speech regions, pauses)"]
        series["pitch"] = (
            ["time_s", "f0_hz", "note", "voiced_probability"],
            [track.times, track.f0, [voice.note_name(f) for f in track.f0], track.voiced_prob],
        )
        series["pauses"] = (["start_s", "end_s", "duration_s"], [pz.starts, pz.ends, pz.durations])
        rate = None
        if o.transcribe and speech_s > 0:
            progress(0.65, "Words and their times (Whisper)")
            t = timed("whisper", words_of, y16, o, audio.name)
            words = [w for w in t.words if w.word.strip()]
            fillers = [w for w in words if is_filler(w.word)]
            rate = speaking_rate(len(words), speech_s)
            v.update(
                words=len(words),
                words_per_minute=round(rate, 1),
                words_per_minute_overall=round(60.0 * len(words) / audio.duration, 1),
                fillers=len(fillers),
                filler_words=sorted({w.word.strip(" ,.!?").lower() for w in fillers}),
                transcript=t.text,
                language=t.language,
            )
            engines.append(t.engine)
            series["words"] = (
                ["start_s", "end_s", "word", "probability", "filler"],
                [
                    [w.start for w in words],
                    [w.end for w in words],
                    [w.word.strip() for w in words],
                    [w.probability for w in words],
                    [int(is_filler(w.word)) for w in words],
                ],
            )
        data["voice"] = v
        if kind == "speech":
            mood_inputs.update(rate=rate)
        if ps is not None:
            mood_inputs.update(pitch_variability_semitones=ps.variability_semitones, pitch_median_hz=ps.median_hz)
        figures["pitch"] = plots.plot_pitch(
            track.times,
            track.f0,
            list(zip(pz.starts, pz.ends)),
            ps.low_hz if ps else None,
            ps.high_hz if ps else None,
            "Pitch: no voice heard"
            if ps is None
            else f"Pitch: median {ps.median_note} ({ps.median_hz:.0f} Hz), range {ps.low_note}-{ps.high_note} "
            f"({ps.range_semitones:.0f} semitones), voiced {ps.voiced_share:.0%}",
        )

    mood = voice.mood_heuristic(**mood_inputs)
    data["mood"] = mood
    if o.hub_models:
        progress(0.85, "Asking the hub's emotion and genre models")
        wanted = (("emotion", o.emotion_model, kind in ("speech", "both")), ("genre", o.genre_model, kind != "speech"))
        data["hub"] = {key: timed(f"hub_{key}", hub_labels, audio, model) for key, model, use in wanted if use}
        engines += [h["engine"] for h in data["hub"].values() if h.get("engine")]
    if view:
        data["yamnet"] = dict(
            music=round(view["music"], 3), speech=round(view["speech"], 3), singing=round(view["singing"], 3)
        )
    lt = {name: val[0] for name, val in loud.TARGETS.items()}
    figures["loudness"] = plots.plot_loudness(
        L.times,
        L.momentary,
        L.short_term,
        L.integrated,
        lt,
        f"Loudness: integrated {L.integrated:.1f} LUFS, range {L.loudness_range:.1f} LU, true peak "
        f"{L.true_peak_dbtp:.1f} dBTP"
        if np.isfinite(L.integrated)
        else "Loudness: silent",
    )
    figures["mood"] = plots.plot_mood(mood["arousal"], mood["valence"], mood["words"])
    summary = _summary(data, o.target)
    data["summary"] = summary
    data["engines"] = engines
    data["timings_s"] = {k_: round(t_, 3) for k_, t_ in timings.items()}

    progress(0.9, "Writing figures, CSV and JSON")
    paths = {name: plots.save_png(fig, out_dir / f"{stem}-{name}.png") for name, fig in figures.items()}
    json_path = out_dir / f"{stem}-analysis.json"
    json_path.write_text(json.dumps(_jsonable(data), indent=2))
    zip_path = out_dir / f"{stem}-analysis.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.write(json_path, "analysis.json")
        for name, (header, cols) in series.items():
            zf.writestr(f"{name}.csv", _csv(header, cols))
        for name, p in paths.items():
            zf.write(p, f"figures/{name}.png")
    progress(1.0, "Done")
    return AnalyzeResult(
        audio.name,
        kind,
        reason,
        summary,
        facts_rows(data, o.target),
        paths,
        click_path,
        json_path,
        zip_path,
        engines,
        data,
        timings,
        warnings,
    )


def hub_labels(audio: AudioInput, model: str, top_k: int = HUB_TOP_K) -> dict:
    """An audio-classification model's top labels, or why it is unavailable (hub unreachable, no such model)."""
    from pipelines.engines import hf_audio

    try:
        spec = hf_audio.resolve_model(model, "audio-classification")
        pipe = hf_audio.load_pipeline(spec)
        out = pipe(hf_audio.hf_input(audio, hf_audio.sample_rate(pipe)), top_k=top_k)
    except UserError as exc:  # ModelUnavailable too: the reason, said plainly, beside the offline answer
        return dict(model=model, unavailable=str(exc))
    return dict(
        model=model,
        engine=hf_audio.engine_line(spec),
        labels=[(str(d["label"]), round(float(d["score"]), 3)) for d in out],
    )


def _hub_row(title: str, h: dict) -> list[str]:
    if "labels" in h:
        return [title.format(model=h["model"]), ", ".join(f"{g} {s:.2f}" for g, s in h["labels"])]
    return [title.format(model=h["model"]), "unavailable: {reason}".format(reason=h["unavailable"])]


def _csv(header: list[str], cols: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in zip(*cols):
        w.writerow([_cell(x) for x in row])
    return buf.getvalue()


def _cell(x):
    if isinstance(x, (float, np.floating)):
        return "" if not np.isfinite(x) else f"{float(x):.4f}"
    if isinstance(x, np.integer):
        return int(x)
    return x


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def facts_rows(d: dict, target: str) -> list[list[str]]:
    rows = [["Measured as", f"{d['kind']} ({d['kind_reason']})"]]
    L = d["loudness"]
    integ = L["integrated_lufs"]
    rows.append(["Integrated loudness", f"{integ:.1f} LUFS" if integ is not None and np.isfinite(integ) else "silent"])
    rows.append(["Loudness range", f"{L['loudness_range_lu']:.1f} LU"])
    rows.append(["True peak", f"{L['true_peak_dbtp']:.1f} dBTP"])
    for name, t in L["targets"].items():
        rows.append([f"vs {name} ({t['target_lufs']:g} LUFS)", t["verdict"]])
    m = d.get("music")
    if m:
        r, k = m["rhythm"], m["key"]
        alt = ", ".join(f"{b:.0f}" for b, _ in r["candidates"][1:])
        rows.append(
            [
                "Tempo",
                f"{r['bpm']:.1f} BPM, confidence {r['confidence']:.2f}" + (f" (other peaks: {alt})" if alt else ""),
            ]
        )
        rows.append(["Time signature (guess)", f"{r['meter']}/4, confidence {r['meter_confidence']:.2f}"])
        rows.append(["Beats / onsets", f"{r['beats']} / {r['onsets']}"])
        rows.append(["Key", f"{k['name']} ({k['score']:.2f})"])
        rows.append(["Runners-up", ", ".join(f"{n} ({s:.2f})" for n, s in k["ranking"][1:4])])
        chords = [c["chord"] for c in m["chords"] if c["chord"] != "N"]
        if chords:
            rows.append(["Chords (first ones)", " ".join(chords[:12])])
        if m["genres"]:
            rows.append(["Genre (YAMNet)", ", ".join(f"{g} {s:.2f}" for g, s in m["genres"][:3])])
    if "genre" in d.get("hub", {}):
        rows.append(_hub_row("Genre (hub model {model})", d["hub"]["genre"]))
    if m:
        if m["yamnet_music_moods"]:
            rows.append(
                ["Music mood (YAMNet classes)", ", ".join(f"{g} {s:.2f}" for g, s in m["yamnet_music_moods"][:2])]
            )
    v = d.get("voice")
    if v:
        p = v.get("pitch")
        if p:
            rows.append(["Pitch (median)", f"{p['median_note']} ({p['median_hz']:.0f} Hz)"])
            rows.append(
                ["Range (5-95 %)", f"{p['low_note']} - {p['high_note']} ({p['range_semitones']:.1f} semitones)"]
            )
            rows.append(["Voiced share", f"{p['voiced_share']:.0%}"])
            rows.append(
                ["Pitch stability (jitter-like)", f"{p['stability_percent']:.2f} % mean change between 20 ms frames"]
            )
        rows.append(["Speech time", f"{v['speech_seconds']:.1f} s in {v['speech_regions']} regions"])
        pz = v["pauses"]
        rows.append(
            ["Pauses (>= 0.25 s)", f"{pz['count']}, {pz['total_s']:.1f} s in all, longest {pz['longest_s']:.1f} s"]
        )
        if "words_per_minute" in v:
            rows.append(["Speaking rate", f"{v['words_per_minute']:.0f} words/min of speech ({v['words']} words)"])
            rows.append(
                [
                    "Filler words",
                    f"{v['fillers']}" + (f" ({', '.join(v['filler_words'])})" if v["filler_words"] else ""),
                ]
            )
    mood = d["mood"]
    rows.append(
        ["Mood (heuristic)", f"{mood['words']}: arousal {mood['arousal']:+.2f}, valence {mood['valence']:+.2f}"]
    )
    if "emotion" in d.get("hub", {}):
        rows.append(_hub_row("Emotion (hub model {model})", d["hub"]["emotion"]))
    return rows


__all__ = [
    "AnalyzeOptions",
    "AnalyzeResult",
    "KINDS",
    "TARGET_NAMES",
    "FIGURES",
    "analyze",
    "fix_chain",
    "speaking_rate",
]
