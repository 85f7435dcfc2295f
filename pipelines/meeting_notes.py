"""Meeting notes: who said what (Diarize + Transcribe), then notes (seed 004's first project).

Stages: speakers (the Diarize pipeline's bundled engine), words with times (Whisper base through
the Transcribe pipeline, any language it detects), words joined to speakers, then notes.

Notes always come from the **extractive baseline**, which needs no language model:

- summary and key points: the most central sentences (each sentence's mean cosine similarity to
  all others, by the bundled all-MiniLM-L6-v2 embeddings; character 3-gram TF-IDF for languages
  that English MiniLM cannot read), picked with a redundancy penalty and shown in time order
  with their speakers and times;
- decisions, action items (with the speaker who owns each), questions, dates and the next
  meeting: rules over the sentences ("I will", "let's", "we agreed", "by Friday"; Korean too).

When a language model is chosen (``pipelines.engines.llm``) it writes notes too; an instruction
model gets the transcript and a fixed outline, in parts when the meeting is longer than its
context (each part, then the parts' notes as a whole); the bundled base model gets few-shot
examples that make it extract one-line summaries. If it fails, the extractive notes stand and
the message says why. Everything a model or a transcript says is untrusted text: it is escaped
before it becomes Markdown (see :func:`md_escape`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from pipelines import diarize as dz
from pipelines.core.errors import UserError
from pipelines.core.files import safe_stem
from pipelines.core.progress import Progress
from pipelines.core.registry import REGISTRY
from pipelines.engines import llm as lm
from pipelines.formats import timecode
from pipelines.formats.subtitles import TimedText, joined_text

SAMPLE_RATE = dz.SAMPLE_RATE
WHISPER_KEY = "whisper-base"  # any language, Korean included
SECTIONS = ("summary", "key_points", "decisions", "action_items", "open_questions", "next_meeting")
SECTION_TITLES = {
    "summary": "Summary",
    "key_points": "Key points",
    "decisions": "Decisions",
    "action_items": "Action items",
    "open_questions": "Open questions",
    "next_meeting": "Next meeting",
}
NOTES_MAX_TOKENS = 700  # the longest notes asked of a language model for one part


@dataclass
class MeetingNotesOptions:
    num_speakers: int = 0  # 0 = estimate
    min_speakers: int = 1
    max_speakers: int = 6
    language: str = "auto"  # Whisper code or name; auto = detect
    model: str = lm.NONE  # language-model key (pipelines.engines.llm.choices)
    summary_sentences: int = 3
    key_points: int = 6
    names: str = ""  # 'Alice, Bob' or 'SPEAKER_01=Bob'


Sentence = TimedText  # a sentence of the transcript; its speaker is the display name


@dataclass
class Item:
    text: str
    speaker: str = ""  # who said it
    start: float = 0.0
    owner: str = ""  # action items: who does it, where the transcript says
    due: str = ""  # a date or day the sentence names


@dataclass
class Notes:
    method: str  # how these notes were made, in words
    summary: list[Item] = field(default_factory=list)
    key_points: list[Item] = field(default_factory=list)
    decisions: list[Item] = field(default_factory=list)
    action_items: list[Item] = field(default_factory=list)
    open_questions: list[Item] = field(default_factory=list)
    next_meeting: list[Item] = field(default_factory=list)

    def section(self, name: str) -> list[Item]:
        return getattr(self, name)


@dataclass
class StageTime:
    name: str
    seconds: float


@dataclass
class MeetingResult:
    duration: float
    language: str | None
    speakers: list[str]  # display names in order of first appearance
    sentences: list[Sentence]
    extractive: Notes
    model_notes: Notes | None
    model_error: str  # why the language model gave no notes ('' when it did or none was asked for)
    engines: str  # which engines answered, in words
    stages: list[StageTime]
    parts: int = 1  # parts the transcript was summarised in (language model only)
    tokens_per_s: float = 0.0  # the language model's generation rate over all its answers
    usage: lm.Usage | None = None  # what all its answers cost, added up

    @property
    def notes(self) -> Notes:
        return self.model_notes or self.extractive


# --- sentences ------------------------------------------------------------------------------

_END = re.compile(r"[.!?。！？]$|[.!?]['\"”’)]$")


MID_SENTENCE_GAP_S = 5.0
_DANGLING = re.compile(
    r"\b(?:a|an|the|to|of|on|in|at|for|with|by|and|or|but|that|which|we|i|is|are|was|will|should|"
    r"would|could|can|my|our|your|their|this|these|from|about|into|than|as|if|when|because)$",
    re.I,
)


def _unfinished(words: list[dz.Word]) -> bool:
    """Does the sentence so far stop on a word that cannot end one ("... launch on", "... and")?"""
    last = words[-1].text.strip()
    return bool(last) and not _END.search(last) and bool(_DANGLING.search(last))


SENTENCE_PAUSE_S = 1.5  # a pause this long ends a finished sentence even without end punctuation


def sentences_from_words(
    words: list[dz.Word], names: dict[str, str], max_gap_s: float = SENTENCE_PAUSE_S
) -> list[Sentence]:
    """Speaker-attributed words -> sentences: cut at end punctuation, a speaker change or a long pause."""
    out: list[Sentence] = []
    cur: list[dz.Word] = []

    def flush():
        text = joined_text(cur)
        if text:
            speaker = names.get(cur[0].speaker, cur[0].speaker)
            out.append(Sentence(start=cur[0].start, end=cur[-1].end, text=text, speaker=speaker))
        cur.clear()

    for w in words:
        gap = w.start - cur[-1].end if cur else 0.0
        # a pause ends a sentence that is finished; one unfinished ("I think we should launch on") waits
        # for the same speaker up to MID_SENTENCE_GAP_S
        if cur and (w.speaker != cur[-1].speaker or gap > (MID_SENTENCE_GAP_S if _unfinished(cur) else max_gap_s)):
            flush()
        cur.append(w)
        if _END.search(w.text.strip()):
            flush()
    if cur:
        flush()
    return out


def clock(seconds: float) -> str:
    """A line's time in the transcript and notes: ``00:05``, ``1:02:03``."""
    return timecode.clock(seconds, pad=True)


def transcript_lines(sentences: list[Sentence]) -> list[str]:
    """'[mm:ss] Name: text', consecutive sentences of one speaker on one line."""
    lines: list[tuple[float, str, str]] = []
    for s in sentences:
        if lines and lines[-1][1] == s.speaker:
            lines[-1] = (lines[-1][0], s.speaker, lines[-1][2] + " " + s.text)
        else:
            lines.append((s.start, s.speaker, s.text))
    return [f"[{clock(t)}] {spk}: {text}" for t, spk, text in lines]


# --- extractive summary -----------------------------------------------------------------------


def _is_latin(texts: list[str]) -> bool:
    letters = [c for t in texts for c in t if c.isalpha()]
    return not letters or sum(c.isascii() for c in letters) / len(letters) > 0.8


def sentence_vectors(texts: list[str]) -> tuple[np.ndarray, str]:
    """Unit vectors for sentences and the method's name: MiniLM for Latin script, char 3-grams otherwise."""
    if _is_latin(texts):
        from pipelines.engines.minilm import MODEL_KEY as EMBEDDER_KEY

        return REGISTRY.get(EMBEDDER_KEY).encode(texts), "all-MiniLM-L6-v2 embeddings"
    grams: dict[str, int] = {}
    rows = []
    for t in texts:
        t = " " + " ".join(t.lower().split()) + " "
        counts: dict[int, int] = {}
        for i in range(len(t) - 2):
            j = grams.setdefault(t[i : i + 3], len(grams))
            counts[j] = counts.get(j, 0) + 1
        rows.append(counts)
    m = np.zeros((len(texts), max(len(grams), 1)), np.float32)
    for i, counts in enumerate(rows):
        for j, c in counts.items():
            m[i, j] = c
    idf = np.log((1 + len(texts)) / (1 + (m > 0).sum(0))) + 1
    m = m * idf
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9), "character 3-gram TF-IDF"


def central_sentences(sentences: list[Sentence], k: int, min_words: int = 4) -> tuple[list[int], str]:
    """Indices of the k most central sentences (maximal marginal relevance), in time order."""
    candidates = [i for i, s in enumerate(sentences) if len(s.text.split()) >= min_words or not _is_latin([s.text])]
    candidates = [i for i in candidates if len(sentences[i].text) >= 8] or list(range(len(sentences)))
    if not candidates or k <= 0:
        return [], ""
    vec, method = sentence_vectors([sentences[i].text for i in candidates])
    sim = vec @ vec.T
    n = len(candidates)
    centrality = (sim.sum(1) - 1.0) / max(n - 1, 1)
    chosen: list[int] = []
    while len(chosen) < min(k, n):
        penalty = sim[:, chosen].max(1) if chosen else np.zeros(n)
        score = 0.7 * centrality - 0.3 * penalty
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return sorted(candidates[i] for i in chosen), method


# --- rules ------------------------------------------------------------------------------------

_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
DUE = re.compile(
    rf"\b(?:(?:by|before|until|on|this|next|due)\s+(?:the\s+)?)?(?:{_DAYS}|tomorrow|tonight|today|"
    rf"end of (?:the )?(?:day|week|month|quarter)|next (?:week|month)|(?:{_MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?|"
    rf"\d{{1,2}}(?:st|nd|rd|th)? of (?:{_MONTHS}))(?:\s+at\s+\d{{1,2}}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?)?\b",
    re.I,
)
DUE_KO = re.compile(
    r"(?:다음\s*주|이번\s*주|내일|오늘|모레|[월화수목금토일]요일|\d+\s*월\s*\d+\s*일|\d+\s*일)(?:\s*까지)?"
)

RULES_EN = {
    "action_self": re.compile(
        r"\b(?:i(?:'ll| will| shall| am going to|'m going to| can| need to| have to)|let me|i'll take)\b", re.I
    ),
    "action_other": re.compile(
        r"\b(?:can you|could you|would you|will you|you(?:'ll| will| should| need to)|please)\b", re.I
    ),
    "action_we": re.compile(r"\b(?:we(?:'ll| will| need to| have to| should| must)|someone (?:needs|has) to)\b", re.I),
    "decision": re.compile(
        r"\b(?:let's|let us|we(?:'ve| have)? (?:decided|agreed)|(?:decided|agreed) (?:to|on|that)|"
        r"we(?:'ll| will) go with|the decision is|we're going with|approved|settled on|"
        r"(?:stays|remains) (?:the same|as it is|unchanged)|we(?:'ll| will) keep)\b",
        re.I,
    ),
    "meeting": re.compile(
        r"\b(?:next meeting|meet again|meet (?:on|next|this)|reconvene|follow[- ]up meeting|"
        r"catch up (?:again|next|on)|same time next|next (?:call|sync|session|review))\b",
        re.I,
    ),
}
# "let's look at ..." opens a topic; it decides nothing
AGENDA = re.compile(
    r"\blet(?:'s| us) (?:look|talk|discuss|start|begin|see|go over|move on|get started|think|hear|review|turn)\b",
    re.I,
)
# a greeting, or what today's meeting is for: "Good morning everyone, today we need to decide ..."
GREETING = re.compile(
    r"^(?:good (?:morning|afternoon|evening)|hello|hi|hey|welcome|thanks for (?:joining|coming))\b|"
    r"\b(?:today|this meeting)\b.*\b(?:need to|have to|will|are going to|'re going to|want to|should) "
    r"(?:decide|discuss|talk|cover|go over|review|look)|^(?:안녕하세요|반갑습니다)|오늘은?\s.*(?:정해야|논의|검토)",
    re.I,
)
# a suggestion, not yet anyone's task: "I think we should launch on ..."
PROPOSAL = re.compile(r"\b(?:i think|maybe|perhaps|what if|i suggest|how about)\b[^.?!]*\b(?:we|you)\b", re.I)
# a question still open, said as a statement: "One open question is whether ...", "아직 모르겠습니다"
OPEN_QUESTION = re.compile(
    r"\bopen question\b|\b(?:not|isn't|is not) (?:clear|sure|decided|settled)(?: yet)? (?:whether|if|how|who|when|what)|"
    r"\b(?:unclear|unsure|undecided) (?:whether|if|how|who|when|what)|"
    r"\b(?:still )?(?:need|have) to (?:figure out|find out|work out|decide (?:whether|if|how|who|when|what))|"
    r"\bto be decided\b|\bremains to be seen\b|\bwe don't know (?:yet )?(?:whether|if|how|who|when)|"
    r"열린\s*질문|(?:지는|지도)\s*아직|아직\s*(?:모르|정하지\s*못|결정하지\s*못|미정)|(?:지|는지)\s*모르겠",
    re.I,
)
RULES_KO = {
    # any "-겠습니다" promise ("알려 드리겠습니다"), not "모르겠습니다" (I don't know) or "좋겠습니다" (would be nice)
    "action_self": re.compile(r"(?:(?<!모르)(?<!좋)겠습니다|할게요|할께요|하겠어요|제가\s)"),
    "action_other": re.compile(r"(?:주세요|부탁|주시겠어요|주시겠습니까|줄래요|주실)"),
    "action_we": re.compile(r"(?:해야\s*합니다|해야\s*해요|해야겠)"),
    "decision": re.compile(r"(?:합시다|하기로|결정|정했|합의|하죠|갑시다)"),
    "meeting": re.compile(r"(?:다음\s*회의|다시\s*만나|다음\s*미팅|다음\s*모임)"),
}


def _due(text: str) -> str:
    m = DUE.search(text) or DUE_KO.search(text)
    return " ".join(m.group(0).split()) if m else ""


def rule_notes(sentences: list[Sentence]) -> dict[str, list[Item]]:
    """Decisions, action items (with owners), questions and the next meeting, by rules."""
    out: dict[str, list[Item]] = {"decisions": [], "action_items": [], "open_questions": [], "next_meeting": []}
    for i, s in enumerate(sentences):
        text = s.text
        rules = RULES_EN if _is_latin([text]) else RULES_KO
        item = Item(text, s.speaker, s.start, due=_due(text))
        if rules["meeting"].search(text) and (item.due or re.search(r"\bmeet\b|만나|회의는", text, re.I)):
            out["next_meeting"].append(item)  # a meeting with a day, or "let's meet": not also a decision
            continue
        if OPEN_QUESTION.search(text):  # "we still need to figure out ...": open, nobody's task yet
            out["open_questions"].append(item)
            continue
        if GREETING.search(text) or PROPOSAL.search(text):  # the agenda or a suggestion: no one's task
            continue
        if rules["decision"].search(text) and not text.rstrip().endswith("?") and not AGENDA.search(text):
            out["decisions"].append(item)
        if rules["action_self"].search(text) and not text.rstrip().endswith("?"):
            out["action_items"].append(Item(text, s.speaker, s.start, owner=s.speaker, due=item.due))
        elif rules["action_other"].search(text):
            # asked of someone: the next other speaker, the one who answers, owns it
            nxt = next((t.speaker for t in sentences[i + 1 :] if t.speaker != s.speaker), "")
            owner = f"{nxt} (asked by {s.speaker})" if nxt else f"asked by {s.speaker}"
            out["action_items"].append(Item(text, s.speaker, s.start, owner=owner, due=item.due))
        elif rules["action_we"].search(text) and not text.rstrip().endswith("?") and not rules["decision"].search(text):
            out["action_items"].append(Item(text, s.speaker, s.start, owner="everyone", due=item.due))
        elif text.rstrip().endswith(("?", "？")) and len(text.split()) >= 3:
            out["open_questions"].append(item)
    return out


def extractive_notes(sentences: list[Sentence], options: MeetingNotesOptions | None = None) -> Notes:
    o = options or MeetingNotesOptions()
    k = o.summary_sentences + o.key_points
    picked, method = central_sentences(sentences, min(k, max(1, len(sentences))))
    if picked:  # the most central few are the summary; the rest are key points (both in time order)
        vec, _ = sentence_vectors([sentences[i].text for i in picked])
        order = np.argsort(-(vec @ vec.T).sum(1))
        top = sorted(picked[j] for j in order[: o.summary_sentences])
    else:
        top = []
    items = {i: Item(sentences[i].text, sentences[i].speaker, sentences[i].start) for i in picked}
    rules = rule_notes(sentences)
    return Notes(
        method=(
            f"extractive (no language model): the most central sentences by {method or 'position'}; "
            "decisions, action items, questions and dates found by rules"
        ),
        summary=[items[i] for i in top],
        key_points=[items[i] for i in picked if i not in top],
        **rules,
    )


# --- language-model notes ---------------------------------------------------------------------

NOTES_SYSTEM = (
    "You write meeting notes from a transcript. Use only what the transcript says; never invent names, "
    "dates or tasks. Write the notes in {language}. Answer in Markdown with exactly these six headings, in "
    "English, in this order: ## Summary, ## Key points, ## Decisions, ## Action items, ## Open questions, "
    "## Next meeting. Under each heading write bullet points starting with '- '. Summary: two or three "
    "sentences. Action items: '- Owner: task (due date)', the owner being the speaker's name from the "
    "transcript when it says who; write '- None' under a heading with nothing."
)
COMBINE_USER = (
    "These are the notes of the {n} consecutive parts of one meeting. Merge them into the notes of the "
    "whole meeting, with the same six headings; keep every decision and action item.\n\n{notes}"
)

_HEADINGS = {
    "summary": ("summary", "overview", "요약"),
    "key_points": ("key point", "discussion", "points", "주요", "핵심"),
    "decisions": ("decision", "결정"),
    "action_items": ("action", "task", "todo", "to-do", "할 일", "액션"),
    "open_questions": ("question", "open", "질문"),
    "next_meeting": ("next", "meeting", "다음"),
}
_NOTHING = {"none", "none.", "n/a", "-", "nothing", "없음", "없음.", "해당 없음"}


def parse_sections(text: str) -> dict[str, list[str]]:
    """A model's Markdown notes -> section -> bullet texts (the text is kept raw; escape it to show it)."""
    out: dict[str, list[str]] = {k: [] for k in SECTIONS}
    current = "summary"
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        head = re.match(r"^(?:#{1,6}\s*|\*\*)(.+?)(?:\*\*)?:?\s*$", line)
        if head and not line.startswith(("- ", "* ")):
            title = head.group(1).strip(" *#:").lower()
            for key, words in _HEADINGS.items():
                if any(w in title for w in words):
                    current = key
                    break
            continue
        item = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", line).strip()
        if item and item.lower() not in _NOTHING:
            out[current].append(item)
    return out


def _notes_from_sections(sections: dict[str, list[str]], method: str) -> Notes:
    notes = Notes(method)
    for key in SECTIONS:
        for text in sections[key]:
            owner = ""
            if key == "action_items":
                m = re.match(r"^\**([^:*]{1,40})\**:\s*(.+)$", text)
                if m:
                    owner, text = m.group(1).strip(), m.group(2).strip()
            notes.section(key).append(Item(text, owner=owner, due=_due(text)))
    return notes


def split_parts(lines: list[str], budget_tokens: int, count: Callable[[str], int]) -> list[list[str]]:
    """Transcript lines in consecutive parts that each fit the token budget (a line too long is cut)."""
    parts: list[list[str]] = [[]]
    used = 0
    for line in lines:
        n = count(line) + 1
        while n > budget_tokens:  # one very long turn: cut it in pieces
            cut = max(1, int(len(line) * budget_tokens / n) - 1)
            parts.append([line[:cut]])
            parts.append([])
            line, n, used = line[cut:], count(line[cut:]) + 1, 0
        if used + n > budget_tokens and parts[-1]:
            parts.append([])
            used = 0
        parts[-1].append(line)
        used += n
    return [p for p in parts if p]


def instruction_notes(
    model: lm.LanguageModel,
    lines: list[str],
    language: str,
    progress: Progress | None = None,
    usages: list[lm.Usage] | None = None,
) -> tuple[Notes, int]:
    """Notes by an instruction model: the transcript in parts that fit its context, then combined.
    Each answer's cost is appended to ``usages``."""
    usages = [] if usages is None else usages
    report = progress or (lambda f, d: None)
    system = {"role": "system", "content": NOTES_SYSTEM.format(language=language)}
    overhead = model.count_tokens(system["content"]) + 64
    budget = max(256, model.context_tokens - NOTES_MAX_TOKENS - overhead)
    parts = split_parts(lines, budget, model.count_tokens)
    texts = []
    for i, part in enumerate(parts):
        report(i / (len(parts) + 1), f"Language model: part {i + 1} of {len(parts)}")
        head = f"Transcript (part {i + 1} of {len(parts)}):\n" if len(parts) > 1 else "Transcript:\n"
        user = {"role": "user", "content": head + "\n".join(part)}
        texts.append(model.answer([system, user], NOTES_MAX_TOKENS, temperature=0.1))
        usages.append(model.last_usage)
    while len(texts) > 1:  # the parts' notes as a whole (in groups if even they do not fit)
        report(len(parts) / (len(parts) + 1), "Language model: the whole meeting")
        groups = split_parts(texts, budget, model.count_tokens)
        if len(groups) == len(texts) and len(texts) > 1:  # each alone fills the budget: pair them up
            groups = [texts[i : i + 2] for i in range(0, len(texts), 2)]
        combined = []
        for g in groups:
            combined.append(
                model.answer(
                    [system, {"role": "user", "content": COMBINE_USER.format(n=len(g), notes="\n\n".join(g))}],
                    NOTES_MAX_TOKENS,
                    temperature=0.1,
                )
            )
            usages.append(model.last_usage)
        texts = combined
    sections = parse_sections(texts[0] if texts else "")
    return _notes_from_sections(sections, f"written by {model.title}"), len(parts)


# Few-shot examples that make a base model extract a one-line summary instead of chatting.
BASE_FEW_SHOT = (
    "Meeting transcript:\n"
    "Anna: The new website goes live on Monday. Ben: I will check the contact form before that.\n"
    "One-line summary: The website launches on Monday; Ben checks the contact form first.\n\n"
    "Meeting transcript:\n"
    "Carl: Sales were down in May. Dana: Let's run a discount in June. Carl: Agreed, I'll draft it.\n"
    "One-line summary: Sales fell in May, so a June discount was agreed; Carl drafts it.\n\n"
    "Meeting transcript:\n"
    "Eva: The printer is broken again. Finn: I can call the repair service tomorrow.\n"
    "One-line summary: The printer is broken; Finn calls the repair service tomorrow.\n\n"
)


def base_model_notes(
    model: lm.LanguageModel,
    lines: list[str],
    extractive: Notes,
    progress: Progress | None = None,
    usages: list[lm.Usage] | None = None,
) -> tuple[Notes, int]:
    """Notes with a small base model: a few-shot one-line summary of each part; the rest stays extractive.
    Each answer's cost is appended to ``usages``."""
    usages = [] if usages is None else usages
    report = progress or (lambda f, d: None)
    budget = max(200, min(700, model.context_tokens - model.count_tokens(BASE_FEW_SHOT) - 200))
    plain = [re.sub(r"^\[[0-9:]+\]\s*", "", line) for line in lines]
    parts = split_parts(plain, budget, model.count_tokens)
    summary = []
    for i, part in enumerate(parts):
        report(i / len(parts), f"Bundled model: part {i + 1} of {len(parts)}")
        prompt = BASE_FEW_SHOT + "Meeting transcript:\n" + " ".join(part) + "\nOne-line summary:"
        text = "".join(model.complete(prompt, max_tokens=60, stop=("\n", "Meeting transcript"))).strip()
        usages.append(model.last_usage)
        if text and not _repeats(text):
            summary.append(Item(text))
    notes = Notes(
        f"summary lines by {model.title} (few-shot, one line per part); key points, decisions and action "
        "items by the extractive rules",
        summary=summary or extractive.summary,
        key_points=extractive.summary + extractive.key_points,
        decisions=extractive.decisions,
        action_items=extractive.action_items,
        open_questions=extractive.open_questions,
        next_meeting=extractive.next_meeting,
    )
    return notes, len(parts)


def _repeats(text: str) -> bool:
    """A degenerate answer: one short phrase over and over."""
    words = text.lower().split()
    return len(words) >= 8 and len(set(words)) / len(words) < 0.35


# --- Markdown, text and JSON ------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_escape(text: str) -> str:
    """Untrusted text made inert in Markdown: HTML entities for & < >, Markdown characters escaped."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return re.sub(r"^(\d+)\.", r"\1\\.", text)


def _item_md(item: Item, section: str) -> str:
    said_by_owner = section == "action_items" and item.owner == item.speaker
    where = f"[{clock(item.start)}] {md_escape(item.speaker)}: " if item.speaker and not said_by_owner else ""
    where = f"[{clock(item.start)}] " if said_by_owner else where
    owner = f"**{md_escape(item.owner)}**: " if item.owner and section == "action_items" else ""
    due = f" *(due: {md_escape(item.due)})*" if item.due and section == "action_items" else ""
    return f"- {owner}{where}{md_escape(item.text)}{due}"


def sections_markdown(notes: Notes) -> str:
    """The six sections as Markdown, every piece of untrusted text escaped."""
    body = []
    for key in SECTIONS:
        items = notes.section(key)
        body += ["", f"## {SECTION_TITLES[key]}", ""]
        body += [_item_md(i, key) for i in items] if items else ["- (none found)"]
    return "\n".join(body).strip()


def speaker_count(n: int) -> str:
    """'1 speaker', '3 speakers' (whole templates, each with its Korean)."""
    return "1 speaker" if n == 1 else f"{n} speakers"


def notes_markdown(result: MeetingResult, title: str = "Meeting notes") -> str:
    n = result.notes
    head = [
        f"# {md_escape(title)}",
        "",
        f"{clock(result.duration)} · {speaker_count(len(result.speakers))} "
        f"({', '.join(md_escape(s) for s in result.speakers)}) · language: {md_escape(result.language or 'unknown')}",
        "",
        f"*Notes: {md_escape(n.method)}.*",
    ]
    if result.model_error:
        head += ["", f"*The language model gave no notes: {md_escape(result.model_error)}*"]
    body = ["", sections_markdown(n)]
    body += ["", "## Transcript", ""]
    body += [f"- {md_escape(line)}" for line in transcript_lines(result.sentences)]
    return "\n".join(head + body) + "\n"


def notes_text(result: MeetingResult) -> str:
    n = result.notes
    out = [f"Meeting notes ({n.method})", ""]
    for key in SECTIONS:
        out.append(SECTION_TITLES[key].upper())
        for i in n.section(key) or [Item("(none found)")]:
            owner = f"{i.owner}: " if i.owner and key == "action_items" else ""
            where = f"[{clock(i.start)}] {i.speaker}: " if i.speaker else ""
            out.append(f"  - {owner}{where}{i.text}" + (f" (due: {i.due})" if i.due and key == "action_items" else ""))
        out.append("")
    out += ["TRANSCRIPT", *transcript_lines(result.sentences)]
    return "\n".join(out) + "\n"


def notes_json(result: MeetingResult) -> str:
    data = {
        "duration_s": round(result.duration, 2),
        "language": result.language,
        "speakers": result.speakers,
        "engines": result.engines,
        "stages": [asdict(s) for s in result.stages],
        "notes": asdict(result.notes),
        "extractive_notes": asdict(result.extractive),
        "model_error": result.model_error,
        "transcript": [
            {"start": s.start, "end": s.end, "speaker": s.speaker, "text": s.text} for s in result.sentences
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


@dataclass
class MeetingFiles:
    markdown: Path
    txt: Path
    json: Path
    srt: Path | None


def write_files(result: MeetingResult, words: list[dz.Word], turns, names, out_dir: Path, stem: str) -> MeetingFiles:
    out_dir = Path(out_dir)
    stem = safe_stem(stem, "meeting")
    md = out_dir / f"{stem}-notes.md"
    md.write_text(notes_markdown(result, f"Meeting notes: {stem}"), encoding="utf-8")
    txt = out_dir / f"{stem}-notes.txt"
    txt.write_text(notes_text(result), encoding="utf-8")
    js = out_dir / f"{stem}-notes.json"
    js.write_text(notes_json(result), encoding="utf-8")
    dfiles = dz.write_files(turns, out_dir, stem, words, names)
    return MeetingFiles(md, txt, js, dfiles.srt)


# --- one call for the tab, the API and the benchmark --------------------------------------------


@dataclass
class MeetingOutcome:
    result: MeetingResult
    files: MeetingFiles
    words: list[dz.Word]


def language_code(value: str | None) -> str | None:
    from pipelines.engines.whisper.languages import parse_language

    return parse_language(value)


def run(
    y: np.ndarray,
    sr: int,
    out_dir: Path,
    *,
    stem: str = "meeting",
    options: MeetingNotesOptions | None = None,
    offline: bool = False,
    progress: Progress | None = None,
    known_voices=None,
) -> MeetingOutcome:
    """Audio (mono 16 kHz) -> speakers, transcript, notes and downloads. ``known_voices``
    (``speakers.KnownVoices``) names the speakers it recognises ("unknown 1"... the others)."""
    from pipelines.engines.whisper.languages import language_name
    from pipelines.transcribe import TranscribeOptions, transcribe_stream

    o = options or MeetingNotesOptions()
    report = progress or (lambda f, d: None)
    model = lm.get(o.model, offline)  # refuses an unknown key (or an address) before any work
    language = language_code(o.language)
    stages: list[StageTime] = []

    t0 = time.perf_counter()
    report(0.02, "Speakers: finding who spoke when")
    diar = dz.diarize(
        y,
        sr,
        dz.DiarizeOptions(num_speakers=o.num_speakers, min_speakers=o.min_speakers, max_speakers=o.max_speakers),
        progress=lambda f, d: report(0.02 + 0.33 * f, f"Speakers: {d}"),
    )
    stages.append(StageTime("speakers", time.perf_counter() - t0))

    t0 = time.perf_counter()
    report(0.36, "Transcript: loading Whisper base")
    topts = TranscribeOptions(
        model=WHISPER_KEY,
        language=language or "auto",
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    t = None
    for t in transcribe_stream(y, topts, sr=sr, name=stem):
        report(0.36 + 0.39 * t.progress, f"Transcript: {t.stage}")
    stages.append(StageTime("transcript", time.perf_counter() - t0))
    raw = [dz.Word(w.start, w.end, w.word) for w in (t.words if t else [])]
    if not raw:
        raise UserError("Whisper heard no words in this recording, so there is nothing to take notes of.")
    words = dz.attribute_words(raw, diar.turns)
    given = dz.parse_names(o.names, diar.speakers) if o.names else None
    names = dz.speaker_names(diar.speakers, dz.known_names(y, sr, diar, known_voices, given))
    sentences = sentences_from_words(words, names)
    lang = t.language or language

    t0 = time.perf_counter()
    report(0.78, "Notes: extractive summary and rules")
    extractive = extractive_notes(sentences, o)
    stages.append(StageTime("extractive notes", time.perf_counter() - t0))

    model_notes, error, parts, tps, usage = None, "", 1, 0.0, None
    if model is not None:
        t0 = time.perf_counter()
        lines = transcript_lines(sentences)
        try:
            prog = lambda f, d: report(0.8 + 0.18 * f, d)  # noqa: E731
            usages: list[lm.Usage] = []
            if model.instruction_tuned:
                language_label = language_name(lang) if lang else "English"
                model_notes, parts = instruction_notes(model, lines, language_label, prog, usages)
            else:
                model_notes, parts = base_model_notes(model, lines, extractive, prog, usages)
            # every answer of the run, not only the last (a short last part gave "0.4 tokens/s")
            usage = sum(usages, lm.Usage(answers=0))
            tps = usage.tokens_per_s
        except lm.LanguageModelFailed as exc:
            error = f"{exc} The extractive notes are shown instead."
        stages.append(StageTime("language model", time.perf_counter() - t0))

    speakers = [names[s] for s in diar.speakers]
    spoken = {s.speaker for s in sentences}
    speakers = [s for s in speakers if s in spoken] + [s for s in speakers if s not in spoken]
    engines = f"speakers: {diar.engine} ({diar.how}); transcript: {t.engine}; notes: " + (
        model_notes.method if model_notes else extractive.method
    )
    result = MeetingResult(
        len(y) / sr, lang, speakers, sentences, extractive, model_notes, error, engines, stages, parts, tps, usage
    )
    report(0.99, "Writing the downloads")
    files = write_files(result, words, diar, names, out_dir, stem)
    return MeetingOutcome(result, files, words)
