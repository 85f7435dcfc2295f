"""Pure-Python audio pipelines: numpy in, dataclasses/arrays/files out. Never imports gradio.

Each task is a module or a package here (``transcribe/``); below them stand ``engines``, then
``dsp`` and ``formats``, then ``core`` (docs/ARCHITECTURE.md). A task imports another task only
for a composition listed here; ``tests/test_shell.py`` enforces it and checks that
docs/ARCHITECTURE.md names the same ones.
"""

# task -> the tasks it is built from, and why
TASK_COMPOSITIONS: dict[str, dict[str, str]] = {
    "diarize": {
        "transcribe": "the speaker-attributed transcript is the Transcribe task's, cut by turns",
        "speakers": "known voices name the speakers",
    },
    "meeting_notes": {
        "diarize": "who spoke when",
        "transcribe": "what was said, with the Transcribe task's repairs",
    },
    "voice_chat": {
        "transcribe": "a pressed-to-talk turn is transcribed as the Transcribe tab would",
        "speak": "the answer is spoken with the Speak task's voices",
        "live_captions": "a hands-free turn is heard while it is spoken, by the live captioner",
    },
    "analyze": {"transcribe": "the speaking rate and filler words count the transcript's words"},
    "speak": {"transcribe": "the listening check transcribes the speech it made"},
    "serving": {"transcribe": "a Ray Serve replica runs the Transcribe task and streams its transcript back"},
    "batch": {
        "transcribe": "a batch runs each recording through the task the user chose, with its own run and write",
        "diarize": "the same, for Diarize",
        "meeting_notes": "the same, for Meeting notes",
        "clean_up": "the same, for Clean up's noise suppression",
        "classify": "the same, for Classify",
        "analyze": "the same, for Analyze",
    },
}
