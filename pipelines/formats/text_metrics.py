"""Comparing a transcript with a reference text: normalisation, WER, CER, word alignment.

Used by the Transcribe tab (reference comparison), the Speak tab (listening check) and the
evaluation scripts. Normalisation lowercases, spells out numbers, and drops punctuation, so
"Mr. Smith paid $5" and "mister smith paid five" differ only where they really do.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipelines.core.errors import UserError

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "vs": "versus"}


def number_to_words(n: int) -> str:
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return number_to_words(head) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    return str(n)


def normalize_text(text: str) -> str:
    """Lowercase, numbers spelled out, common abbreviations expanded, punctuation removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)  # 1,000 -> 1000
    text = re.sub(
        r"\d+", lambda m: " " + number_to_words(int(m.group())) + " " if len(m.group()) < 12 else m.group(), text
    )
    text = re.sub(r"['’]", "", text)  # don't -> dont, on both sides alike
    text = re.sub(r"[^\w\s]", " ", text)
    words = [_ABBREVIATIONS.get(w, w) for w in text.split()]
    return " ".join(words)


@dataclass
class AlignedWord:
    op: str  # "equal", "substitute", "insert", "delete"
    reference: str  # "" for an insertion
    hypothesis: str  # "" for a deletion


@dataclass
class Comparison:
    wer: float
    cer: float
    substitutions: int
    insertions: int
    deletions: int
    hits: int
    reference_words: int
    alignment: list[AlignedWord]


def compare(reference: str, hypothesis: str) -> Comparison:
    """WER and CER after normalisation, with a word alignment."""
    import jiwer

    ref = normalize_text(reference)
    hyp = normalize_text(hypothesis)
    if not ref:
        raise UserError("The reference text is empty after normalisation; paste the words that were said.")
    out = jiwer.process_words(ref, hyp if hyp else "")
    ref_words, hyp_words = ref.split(), hyp.split()
    alignment: list[AlignedWord] = []
    for chunk in out.alignments[0]:
        if chunk.type == "equal" or chunk.type == "substitute":
            for r, h in zip(
                ref_words[chunk.ref_start_idx : chunk.ref_end_idx], hyp_words[chunk.hyp_start_idx : chunk.hyp_end_idx]
            ):
                alignment.append(AlignedWord(chunk.type, r, h))
        elif chunk.type == "delete":
            alignment += [AlignedWord("delete", r, "") for r in ref_words[chunk.ref_start_idx : chunk.ref_end_idx]]
        elif chunk.type == "insert":
            alignment += [AlignedWord("insert", "", h) for h in hyp_words[chunk.hyp_start_idx : chunk.hyp_end_idx]]
    cer = float(jiwer.cer(ref, hyp)) if hyp else 1.0
    return Comparison(
        wer=float(out.wer),
        cer=cer,
        substitutions=out.substitutions,
        insertions=out.insertions,
        deletions=out.deletions,
        hits=out.hits,
        reference_words=len(ref_words),
        alignment=alignment,
    )


SPAN_LABELS = {"substitute": "substitution", "delete": "deletion", "insert": "insertion"}


def alignment_spans(alignment: list[AlignedWord]) -> list[tuple[str, str | None]]:
    """(text, label) pieces for a highlighted view of the alignment (labels: SPAN_LABELS values).

    Right words are unlabelled, a substitution reads "said→heard", a deletion shows the missing
    reference word, an insertion the extra heard word.
    """
    spans: list[tuple[str, str | None]] = []
    for a in alignment:
        if a.op == "equal":
            spans.append((a.reference + " ", None))
        elif a.op == "substitute":
            spans.append((f"{a.reference}→{a.hypothesis} ", SPAN_LABELS["substitute"]))
        elif a.op == "delete":
            spans.append((a.reference + " ", SPAN_LABELS["delete"]))
        else:
            spans.append((a.hypothesis + " ", SPAN_LABELS["insert"]))
    return spans
