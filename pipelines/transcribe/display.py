"""What the Transcribe tab offers and shows (the tab stays wiring only): model choices, the status
and engine lines, tables, highlighted words, and the comparison with a reference."""

from __future__ import annotations

from pipelines.core.errors import UserError
from pipelines.core.registry import REGISTRY
from pipelines.engines import wav2vec2 as w2v
from pipelines.engines.whisper import model as wm
from pipelines.engines.whisper.languages import AUTO, language_name
from pipelines.transcribe.result import Transcript


def summary_rows(t: Transcript) -> list[list]:
    lang = f"{language_name(t.language)} ({t.language_probability:.0%})" if t.language else "-"
    return [
        ["Engine", t.engine],
        ["Language", lang],
        ["Task", t.task],
        ["Duration", f"{t.duration:.1f} s"],
        ["Speech after voice filter", "-" if t.duration_after_vad is None else f"{t.duration_after_vad:.1f} s"],
        ["Processing time", f"{t.processing_seconds:.2f} s"],
        ["Real-time factor", f"{t.rtf:.3f}"],
        ["Segments", str(len(t.segments))],
        ["Words", str(len(t.text.split()))],
    ]


def model_choices() -> list[tuple[str, str]]:
    """(label, key) for every model: bundled ones first. A hub size is listed by its plain title;
    whether it can be used now is the tab's to show (``hub_model_keys``, tabs/hub_choices.py).
    A model missing something else (a package) says so in its label."""
    choices = [("Automatic: tiny.en when English is chosen, base otherwise (bundled)", AUTO)]
    for key in wm.whisper_keys() + w2v.hub_keys():
        spec = REGISTRY.spec(key)
        ok, reason = spec.availability(check_hub=False)
        choices.append((spec.title if ok else f"{spec.title}: unavailable, {reason}", key))
    return choices


def hub_model_keys() -> set[str]:
    """The keys of the models that download from the model hub (usable only when it is reachable)."""
    return {k for k in wm.whisper_keys() + w2v.hub_keys() if REGISTRY.spec(k).engine == "hub"}


def hub_note() -> str:
    from pipelines.core.hub import hub_line

    return hub_line()


def info_markdown(t: Transcript) -> str:
    """The live status line while decoding, then the engine, language, timing and notes."""
    if not t.done:
        return f"**Working:** {t.stage}... ({t.progress:.0%} of {t.duration:.1f} s)"
    lines = [f"**Engine:** {t.engine}."]
    if t.language:
        lines.append(f"**Language:** {language_name(t.language)} ({t.language_probability:.0%}).")
    lines.append(
        f"**Audio:** {t.duration:.1f} s; processed in {t.processing_seconds:.2f} s "
        f"(real-time factor {t.rtf:.3f}){f'; models loaded in {t.load_seconds:.1f} s' if t.load_seconds > 0.05 else ''}."
    )
    lines += [f"**Note:** {w}" for w in t.warnings()]
    return "  \n".join(lines)


def reference_comparison(reference: str, hypothesis: str):
    """(markdown, alignment spans) against a pasted reference; ('', None) when none is given."""
    from pipelines.formats.text_metrics import alignment_spans, compare

    if not (reference or "").strip():
        return "", None
    c = compare(reference, hypothesis)
    md = (
        f"**WER {c.wer:.1%}**, **CER {c.cer:.1%}** against {c.reference_words} reference words: "
        f"{c.substitutions} substituted, {c.deletions} deleted, {c.insertions} inserted, {c.hits} right "
        "(case, punctuation and numbers normalised)."
    )
    return md, alignment_spans(c.alignment)


def check_comparison_request(reference: str | None, hypothesis: str | None) -> None:
    if not (reference or "").strip():
        raise UserError("Paste the reference text (what was really said) first.")
    if not (hypothesis or "").strip():
        raise UserError("There is no transcript yet: transcribe the audio first.")


def segment_rows(t: Transcript) -> list[list]:
    return [
        [round(s.start, 2), round(s.end, 2), s.text, round(s.avg_logprob, 3), round(s.no_speech_prob, 3)]
        for s in t.segments
    ]


def word_spans(t: Transcript) -> list[tuple[str, str]]:
    """(word, confidence level) for a highlighted text."""
    return [(w.word, w.confidence) for w in t.words]


def language_scores(t: Transcript) -> dict[str, float] | None:
    """The detected languages' probabilities by name, or None when the language was given."""
    return {f"{language_name(c)} ({c})": p for c, p in t.top_languages} or None


def word_rows(t: Transcript) -> list[list]:
    return [
        [
            round(w.start, 2),
            round(w.end, 2),
            w.word.strip(),
            "-" if w.probability is None else round(w.probability, 3),
            w.confidence,
        ]
        for w in t.words
    ]
