"""The online engine's code path (edge-tts) against a local stand-in for the service.

This machine cannot reach Microsoft's service, so a small local WebSocket server speaks the
same protocol (voice list JSON; speech.config + SSML in; MP3 audio frames, WordBoundary
metadata and turn.end out) and answers with REAL speech made by the bundled Piper voice,
encoded as the 24 kHz MP3 the service sends. The real ``edge_tts`` client talks to it.
These tests prove the wiring (reachability, voice search, streaming, MP3 decoding, word
timings, word subtitles), NOT the online voices' quality.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from pipelines import speak as sp
from pipelines.core.audio import ffmpeg_executable
from pipelines.engines import tts as tts_engines
from pipelines.engines.tts import edge as edge_module

VOICES = [
    {
        "ShortName": "en-US-AriaNeural",
        "Locale": "en-US",
        "Gender": "Female",
        "FriendlyName": "Microsoft Aria Online (Natural) - English (United States)",
    },
    {
        "ShortName": "en-US-GuyNeural",
        "Locale": "en-US",
        "Gender": "Male",
        "FriendlyName": "Microsoft Guy Online (Natural) - English (United States)",
    },
    {
        "ShortName": "ko-KR-SunHiNeural",
        "Locale": "ko-KR",
        "Gender": "Female",
        "FriendlyName": "Microsoft SunHi Online (Natural) - Korean (Korea)",
    },
]
TICKS = 10_000_000  # the service counts in 100 ns ticks


def _speech_mp3(text: str) -> tuple[bytes, float]:
    """Piper speech for ``text`` as 24 kHz mono MP3 (as the service sends), with its duration."""
    import soundfile as sf

    result = sp.speak(text)
    with tempfile.TemporaryDirectory() as tmp:
        wav, mp3 = Path(tmp) / "a.wav", Path(tmp) / "a.mp3"
        sf.write(wav, result.audio, result.sr)
        subprocess.run(
            [
                ffmpeg_executable(),
                "-v",
                "error",
                "-y",
                "-i",
                str(wav),
                "-ar",
                "24000",
                "-ac",
                "1",
                "-b:a",
                "48k",
                str(mp3),
            ],
            check=True,
        )
        return mp3.read_bytes(), result.duration


def _text_message(path: str, body: str) -> str:
    return f"X-RequestId:test\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{body}"


def _audio_message(data: bytes) -> bytes:
    headers = b"X-RequestId:test\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n"
    return len(headers).to_bytes(2, "big") + headers + data


async def _handle_ws(request):
    from aiohttp import web

    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if "Path:ssml" not in msg.data:
            continue  # speech.config
        ssml_text = html.unescape(re.search(r"<prosody[^>]*>(.*)</prosody>", msg.data, re.S).group(1))
        mp3, duration = _speech_mp3(ssml_text)
        await ws.send_str(_text_message("turn.start", "{}"))
        words = ssml_text.split()
        step = duration / len(words)  # even spread: the stand-in has no aligner
        for i, word in enumerate(words):
            meta = {
                "Metadata": [
                    {
                        "Type": "WordBoundary",
                        "Data": {
                            "Offset": int(i * step * TICKS),
                            "Duration": int(step * 0.8 * TICKS),
                            "text": {"Text": word},
                        },
                    }
                ]
            }
            await ws.send_str(_text_message("audio.metadata", json.dumps(meta)))
        for start in range(0, len(mp3), 4096):
            await ws.send_bytes(_audio_message(mp3[start : start + 4096]))
        await ws.send_str(_text_message("turn.end", "{}"))
    return ws


@pytest.fixture(scope="module")
def local_service():
    """Serve the stand-in on 127.0.0.1 and point edge_tts and our probe at it."""
    import edge_tts.communicate
    import edge_tts.voices
    from aiohttp import web

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = web.Application()
    app.router.add_get("/edge/v1", _handle_ws)
    app.router.add_get("/voices/list", lambda request: web.json_response(VOICES))
    # The server's loop lives in its own thread from the start: this thread may already run one
    # (Playwright's sync API, when browser tests ran earlier in the session).
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(10), "local stand-in service did not start"

    saved = (edge_tts.communicate.WSS_URL, edge_tts.voices.VOICE_LIST, edge_module.EDGE_HOST, edge_module.EDGE_PORT)
    edge_tts.communicate.WSS_URL = f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=test"
    edge_tts.voices.VOICE_LIST = f"http://127.0.0.1:{port}/voices/list?trustedclienttoken=test"
    edge_module.EDGE_HOST, edge_module.EDGE_PORT = "127.0.0.1", port
    edge = tts_engines.ENGINES["edge"]
    edge._probe, edge._voices = None, None
    yield port
    edge_tts.communicate.WSS_URL, edge_tts.voices.VOICE_LIST, edge_module.EDGE_HOST, edge_module.EDGE_PORT = saved
    edge._probe, edge._voices = None, None
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_reachable_service_lists_voices_searchable_by_language_and_gender(local_service):
    ok, reason = tts_engines.ENGINES["edge"].reachability()
    assert ok, reason
    voices = sp.find_voices("edge")
    assert [v.id for v in voices] == ["edge:en-US-AriaNeural", "edge:en-US-GuyNeural", "edge:ko-KR-SunHiNeural"]
    assert [v.id for v in sp.find_voices("edge", language="en", gender="male")] == ["edge:en-US-GuyNeural"]
    assert [v.id for v in sp.find_voices("edge", language="korean")] == ["edge:ko-KR-SunHiNeural"]
    assert voices[0].language_name == "English (United States)" and voices[0].gender == "female"
    with pytest.raises(ValueError, match="Unknown voice 'edge:en-US-NobodyNeural'"):
        sp.resolve_voice("edge", "en-US-NobodyNeural")


def test_online_voice_streams_audio_with_word_timings_and_word_subtitles(local_service, tmp_path):
    text = "The cat sat on the mat. It was a sunny day!"
    r = sp.speak(text, "edge", "en-US-AriaNeural")
    assert r.voice.id == "edge:en-US-AriaNeural" and "edge-tts" in r.engine_note
    assert r.sr == 24000 and float(np.sqrt(np.mean(r.audio**2))) > 0.03
    assert [c.text for c in r.sentences] == ["The cat sat on the mat.", "It was a sunny day!"]
    assert [w.text for w in r.words] == text.split()
    starts = [w.start for w in r.words]
    assert starts == sorted(starts) and r.words[-1].end <= r.duration + 0.05
    # words of the second sentence start after the first sentence ends (offsets were shifted)
    assert r.words[6].start >= r.sentences[1].start - 0.05
    files = sp.write_outputs(r, tmp_path)
    assert files.words_srt.read_text().count(" --> ") == len(text.split())
    assert files.words_vtt.read_text().startswith("WEBVTT")
    check = sp.listening_check(r.audio, r.sr, text, r.voice.language)
    assert check.wer <= 0.2, check.transcript  # the stand-in speaks with Piper: intelligible after MP3


def test_service_that_stops_answering_gives_a_clear_error(local_service, monkeypatch):
    import edge_tts.communicate

    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", f"ws://127.0.0.1:{local_service}/missing?x=1")
    with pytest.raises(tts_engines.EngineUnavailable, match="online voice service did not answer"):
        sp.speak("Hello there.", "edge", "en-US-GuyNeural")
