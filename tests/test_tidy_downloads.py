"""Issue 13, class 6: every file a tab's API returns is named after the input and has content."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import handle_file

from conftest import EXAMPLES


def _files(value) -> list[str]:
    """Every file path inside a returned value (str, dict with path, list, tuple)."""
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _files(v)]
    if isinstance(value, dict):
        return _files(value.get("path") or value.get("value")) if ("path" in value or "value" in value) else []
    if isinstance(value, str) and len(value) < 400 and "\n" not in value and Path(value).is_file():
        return [value]
    return []


@pytest.mark.parametrize(
    ("api", "clip"),
    [("/export_features", "a440_sine.wav"), ("/classify", "drum_loop.wav"), ("/diarize", "two_speakers_pyannote.wav")],
)
def test_every_download_is_named_after_the_input_and_not_empty(client, api, clip):
    result = client.predict(handle_file(str(EXAMPLES / clip)), api_name=api)
    files = [f for f in _files(result) if not f.endswith((".png", ".webp", ".jpg"))] or _files(result)
    assert files, f"{api} returned no file"
    stem = Path(clip).stem
    for f in files:
        assert stem in Path(f).name, f"{api}: {Path(f).name} is not named after {clip}"
        assert Path(f).stat().st_size > 0, f"{api}: {Path(f).name} is empty"
