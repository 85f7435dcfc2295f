"""Whisper's languages: the table of codes and English names, and parsing what a user typed.

Kept here (not read from ``faster_whisper.tokenizer``) so that building the UI imports no
faster-whisper; the codes are the same.
"""

from __future__ import annotations

from pipelines.core.errors import UserError

AUTO = "auto"  # a model or language to be chosen by the app

_LANGUAGE_TABLE = (
    "en:English zh:Chinese de:German es:Spanish ru:Russian ko:Korean fr:French ja:Japanese pt:Portuguese "
    "tr:Turkish pl:Polish ca:Catalan nl:Dutch ar:Arabic sv:Swedish it:Italian id:Indonesian hi:Hindi "
    "fi:Finnish vi:Vietnamese he:Hebrew uk:Ukrainian el:Greek ms:Malay cs:Czech ro:Romanian da:Danish "
    "hu:Hungarian ta:Tamil no:Norwegian th:Thai ur:Urdu hr:Croatian bg:Bulgarian lt:Lithuanian la:Latin "
    "mi:Maori ml:Malayalam cy:Welsh sk:Slovak te:Telugu fa:Persian lv:Latvian bn:Bengali sr:Serbian "
    "az:Azerbaijani sl:Slovenian kn:Kannada et:Estonian mk:Macedonian br:Breton eu:Basque is:Icelandic "
    "hy:Armenian ne:Nepali mn:Mongolian bs:Bosnian kk:Kazakh sq:Albanian sw:Swahili gl:Galician "
    "mr:Marathi pa:Punjabi si:Sinhala km:Khmer sn:Shona yo:Yoruba so:Somali af:Afrikaans oc:Occitan "
    "ka:Georgian be:Belarusian tg:Tajik sd:Sindhi gu:Gujarati am:Amharic yi:Yiddish lo:Lao uz:Uzbek "
    "fo:Faroese ht:Haitian_Creole ps:Pashto tk:Turkmen nn:Nynorsk mt:Maltese sa:Sanskrit "
    "lb:Luxembourgish my:Myanmar bo:Tibetan tl:Tagalog mg:Malagasy as:Assamese tt:Tatar haw:Hawaiian "
    "ln:Lingala ha:Hausa ba:Bashkir jw:Javanese su:Sundanese yue:Cantonese"
)
LANGUAGES: dict[str, str] = dict(
    (code, name.replace("_", " ")) for code, name in (item.split(":") for item in _LANGUAGE_TABLE.split())
)


def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "unknown")


def parse_language(value: str | None) -> str | None:
    """A Whisper language code from a code or an English name; None means detect it."""
    text = (value or "").strip()
    if not text or text.lower() in {AUTO, "detect", "auto-detect", "none"}:
        return None
    low = text.lower()
    if low in LANGUAGES:
        return low
    by_name = {name.lower(): code for code, name in LANGUAGES.items()}
    code = by_name.get(low) or by_name.get(low.split("(")[0].strip())
    if code:
        return code
    head = low.split(" ")[0].split("-")[0].split("_")[0]  # "en-US", "fr (French)"
    if head in LANGUAGES:
        return head
    raise UserError(
        f"Unknown language '{value}'. Use 'auto' to detect it, or one of Whisper's 100 language codes "
        f"such as en, fr, de, es, zh, ja (or a name like 'French')."
    )
