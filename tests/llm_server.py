"""A stand-in OpenAI-compatible server for tests: real HTTP on 127.0.0.1, streaming server-sent events.

The model name picks the behaviour: ``echo`` streams a fixed answer word by word (and the last user
message back), ``notes`` streams meeting notes in the outline the app asks for, ``plain`` answers
one JSON message (a server that ignores ``stream``), ``broken`` fails with HTTP 500, ``slow`` says
nothing for longer than any client timeout, ``cutoff`` sends a malformed event.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ECHO_ANSWER = "Hello from the stand-in server. It streams word by word."
NOTES_ANSWER = """## Summary
- The team planned the launch; <script>alert(1)</script> was said too.
## Key points
- Budget report is due on Friday.
## Decisions
- Move the launch to March.
## Action items
- SPEAKER_02: send the budget report (Friday)
## Open questions
- None
## Next meeting
- Next Tuesday at ten.
"""


class StandIn:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                outer.requests.append(body)
                outer.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": f"no route {self.path}"}})
                model = body.get("model", "")
                if model == "broken":
                    return self._json(500, {"error": {"message": "the model crashed"}})
                if model == "slow":
                    time.sleep(30)
                    return self._json(200, {})
                last = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
                if model == "plain":
                    return self._json(200, {"choices": [{"message": {"role": "assistant", "content": ECHO_ANSWER}}]})
                text = NOTES_ANSWER if model.startswith("notes") else ECHO_ANSWER + f" You said: {last[:80]}"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                if model == "cutoff":
                    self._event("{not json")
                    return
                for i, word in enumerate(text.split(" ")):
                    piece = word if i == 0 else " " + word
                    self._event(json.dumps({"choices": [{"index": 0, "delta": {"content": piece}}]}))
                self._event("[DONE]")

            def _event(self, data: str) -> None:
                self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()

            def _json(self, status: int, value: dict) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
