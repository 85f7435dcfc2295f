"""One module per tab: widgets and event wiring only; the work happens in ``pipelines``.

A tab module defines ``TITLE`` and ``build(ctx)``. ``TAB_MODULES`` is the order the tabs
appear in; a name with no module file yet is skipped, and a tab that fails to import or
build is replaced by a note saying why (the rest of the app still starts).
"""

TAB_MODULES = [
    "visualize",
    "analyze",
    "transcribe",
    "live_captions",
    "diarize",
    "clean_up",
    "meeting_notes",
    "speakers",
    "classify",
    "zero_shot",
    "speak",
    "voice_chat",
    "compose",
    "sound_lab",
]
