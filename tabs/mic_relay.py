"""The page's microphone relay: a Record/Stop widget that sends every sample, in order, to the server.

Gradio's streaming microphone keeps only the latest piece when two arrive during one handler call,
so a busy server lost most of a visitor's audio (issue 29). This widget records in the browser
instead (an AudioWorklet, 0.1-s pieces), numbers the pieces and posts them, oldest first, to a
server function of the widget (``/gradio_api/component_server``: a plain HTTP call that does not
wait in Gradio's queue). A piece is kept in the page until the server has acknowledged it; a
failed post is sent again; pieces that piled up while the server was busy go in one post. On the
server each stream's pieces land in a :class:`pipelines.core.audio_inbox.AudioInbox`, which puts
them back in order and drops nothing.

The level meter and the "recording / sending" line are drawn by the page itself, from the first
moment. Record fires the widget's ``start_recording`` event and Stop (after the last piece is
acknowledged) its ``stop_recording`` event, each with ``{"stream": id}`` as event data, so a tab
wires them like any Gradio event::

    relay = MicRelay(elem_id="live-relay")
    relay.start_recording(on_start, [relay_state, language], [...])   # evt.stream -> relay.inbox(request, evt)

A tab that decides a stream must end (at capacity, over the limit) sets the widget's value to
``"stop"`` (see :func:`stop_value`); the page then stops recording.
"""

from __future__ import annotations

import base64
import json
import threading
import time

import gradio as gr
import numpy as np

from pipelines.core.audio_inbox import AudioInbox

MAX_PIECES_PER_POST = 60  # 6 s of audio in one post when the page caught up after a busy spell
UNCLAIMED_S = 120.0  # an inbox nobody reads and that gets no audio this long is forgotten
UNCLAIMED_MAX_S = 30.0  # ... and one nobody has read from takes no more than this much audio

# What the widget shows, in English; the page picks the Korean from tabs/locales/ko.json.
TEXTS = (
    "Record",
    "Stop",
    "Level",
    "recorded",
    "waiting to be sent",
    "Starting the microphone…",
    "Recording",
    "Sending the last audio…",
    "Stopped",
    "The microphone could not be opened: {error}",
    "The server could not take the audio; trying again…",
)

_inboxes: dict[str, AudioInbox] = {}
_owners: dict[str, str] = {}  # stream id -> the session that claimed it (its start event)
_lock = threading.Lock()


def inbox_for(stream: str, *, create: bool = True) -> AudioInbox | None:
    """The inbox of one page's stream (made by its first piece or by its start event, whichever comes
    first). A stream id is a random UUID made by the page: whoever knows it is that page."""
    stream = str(stream)
    with _lock:
        now = time.monotonic()
        for k, box in list(_inboxes.items()):  # forget streams nobody feeds any more
            if now - box.last_push > UNCLAIMED_S:
                box.close()
                del _inboxes[k]
                _owners.pop(k, None)
        box = _inboxes.get(stream)
        if box is None and create:
            box = _inboxes[stream] = AudioInbox()
        return box


def inbox(request: gr.Request, evt: gr.EventData) -> AudioInbox:
    """The inbox named by a start event of the widget (its ``stream`` event data), claimed by this visitor."""
    stream = str((getattr(evt, "_data", None) or {}).get("stream", ""))
    if len(stream) < 16:
        raise ValueError("the microphone relay sent no stream id")
    with _lock:
        owner = _owners.setdefault(stream, str(request.session_hash))
    if owner != str(request.session_hash):
        raise ValueError("this stream belongs to another page")
    return inbox_for(stream)


def forget(stream: str) -> None:
    with _lock:
        box = _inboxes.pop(str(stream), None)
        _owners.pop(str(stream), None)
    if box is not None:
        box.close()


def decode_pcm(b64: str) -> np.ndarray:
    """Little-endian 16-bit PCM (base64) as float32."""
    return np.frombuffer(base64.b64decode(b64), dtype="<i2").astype(np.float32) / 32768.0


def push(data):
    """Server function of the widget: ``{stream, rate, sent, pieces: [{seq, offset, pcm}], end}``."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict) or len(str(data.get("stream") or "")) < 16:
        return {"error": "bad request"}
    box = inbox_for(data["stream"])
    if not box.taken_samples and box.pending_seconds > UNCLAIMED_MAX_S:
        return {"error": "nobody reads this stream"}  # its start event never came: do not hoard its audio
    rate = int(data.get("rate") or 0)
    if not 8000 <= rate <= 192000:
        return {"error": "bad rate"}
    ack = None
    sent = int(data.get("sent") or 0)
    for piece in data.get("pieces") or []:
        ack = box.push(int(piece["seq"]), decode_pcm(piece["pcm"]), rate, offset=int(piece["offset"]), sent=sent)
    if ack is None:
        with box._lock:  # noqa: SLF001 (a report with no piece: the sender's count only)
            box.sent_samples = max(box.sent_samples, sent)
            box.last_push = time.monotonic()
            ack = box._next_seq  # noqa: SLF001
    if data.get("end"):
        box.close()
    return {"ack": ack, "closed": box.closed}


def stop_value() -> str:
    """The widget's value that makes the page stop recording (with a fresh stamp, so it changes)."""
    return f"stop:{time.time():.3f}"


TEMPLATE = """
<div class="mic-relay">
  <div class="relay-buttons">
    <button class="relay-record lg primary"><span class="relay-dot"></span><span class="t-record">Record</span></button>
    <button class="relay-stop lg stop" disabled><span class="relay-square"></span><span class="t-stop">Stop</span></button>
  </div>
  <div class="relay-meter"><div class="relay-bar" style="width:0%"></div></div>
  <div class="relay-label"></div>
  <div class="relay-state"></div>
</div>
"""

CSS = """
.mic-relay { display: flex; flex-direction: column; gap: 6px; padding: 6px 0; width: 100%; }
.mic-relay .relay-dot, .mic-relay .relay-square { display: inline-block; width: 0.7em; height: 0.7em; margin-right: 0.4em;
  background: currentColor; vertical-align: baseline; }
.mic-relay .relay-dot { border-radius: 50%; }
.mic-relay.recording .relay-dot { background: #ef4444; }
.mic-relay .relay-buttons { display: flex; gap: 8px; }
.mic-relay button { padding: 6px 14px; border-radius: 8px; border: 1px solid var(--border-color-primary);
  background: var(--button-secondary-background-fill); color: var(--body-text-color); cursor: pointer; }
.mic-relay button.relay-record { background: var(--button-primary-background-fill); color: var(--button-primary-text-color); }
.mic-relay button:disabled { opacity: 0.45; cursor: default; }
.mic-relay .relay-meter { height: 12px; border-radius: 6px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); overflow: hidden; }
.mic-relay .relay-bar { height: 100%; background: linear-gradient(90deg, #22c55e, #eab308 75%, #ef4444); }
.mic-relay .relay-label, .mic-relay .relay-state { font-size: 0.85rem; color: var(--body-text-color-subdued); }
"""

WORKLET = """
class RelayCapture extends AudioWorkletProcessor {
  process(inputs) {
    const chans = inputs[0];
    if (chans && chans.length) {
      const n = chans[0].length, m = new Float32Array(n);
      for (const c of chans) for (let i = 0; i < n; i++) m[i] += c[i] / chans.length;
      this.port.postMessage(m, [m.buffer]);
    }
    return true;
  }
}
registerProcessor('relay-capture', RelayCapture);
"""

JS = """
const KO = __KO__;
const WORKLET = __WORKLET__;
const PER_POST = __PER_POST__;
const ko = () => /[\\uac00-\\ud7a3]/.test(document.querySelector('#intro')?.innerText || '');
const t = (s, vars) => { let out = (ko() && KO[s]) || s;
  for (const [k, v] of Object.entries(vars || {})) out = out.replace('{' + k + '}', v); return out; };
const q = (sel) => element.querySelector(sel);
const root = q('.mic-relay');
const rec = q('.relay-record'), stopBtn = q('.relay-stop'), bar = q('.relay-bar'), label = q('.relay-label'), state = q('.relay-state');
const labels = () => { q('.t-record').textContent = t('Record'); q('.t-stop').textContent = t('Stop'); };
labels(); setTimeout(labels, 1500);
const clock = (s) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
let st = null;
const b64 = (i16) => { const u8 = new Uint8Array(i16.buffer, i16.byteOffset, i16.byteLength); let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s); };
const show = () => { if (!st) return;
  const db = 20 * Math.log10(Math.max(st.rms, 1e-6));
  bar.style.width = Math.max(0, Math.min(100, (db + 60) / 60 * 100)).toFixed(0) + '%';
  const waiting = st.queue.reduce((n, p) => n + p.pcm.length, 0) / st.rate;
  label.textContent = `${t('Level')} ${Math.max(db, -99).toFixed(0)} dBFS · ${clock(st.captured / st.rate)} ${t('recorded')}` +
    (waiting >= 0.5 ? ` · ${waiting.toFixed(1)} s ${t('waiting to be sent')}` : '');
  root.dataset.captured = st.captured; root.dataset.acked = st.ackedSamples; root.dataset.rate = st.rate;
};
const pump = async () => {
  if (!st || st.pumping) return; st.pumping = true; const s = st;
  try {
    while (s.queue.length || (s.ending && !s.endSent)) {
      const batch = s.queue.slice(0, PER_POST);
      const payload = { stream: s.id, rate: s.rate, sent: s.captured, end: s.ending && batch.length === s.queue.length,
        pieces: batch.map((p) => ({ seq: p.seq, offset: p.offset, pcm: p.b64 || (p.b64 = b64(p.pcm)) })) };
      let reply = null;
      try { reply = await server.push(payload); } catch (e) { reply = null; }
      if (!reply || reply.error || typeof reply.ack !== 'number') {
        state.textContent = t('The server could not take the audio; trying again…');
        await new Promise((r) => setTimeout(r, 500)); continue;
      }
      while (s.queue.length && s.queue[0].seq < reply.ack) { s.ackedSamples += s.queue[0].pcm.length; s.queue.shift(); }
      if (payload.end) s.endSent = true;
      if (reply.closed && !s.ending) { s.queue = []; finish(false); }
      if (s.capturing) state.textContent = t('Recording');
    }
  } finally { s.pumping = false; }
};
const onSamples = (m) => { const s = st; if (!s || !s.capturing) return;
  let sum = 0; for (let i = 0; i < m.length; i++) sum += m[i] * m[i];
  s.rmsAcc += sum; s.rmsN += m.length;
  const i16 = new Int16Array(m.length);
  for (let i = 0; i < m.length; i++) i16[i] = Math.max(-32768, Math.min(32767, Math.round(m[i] * 32767)));
  s.parts.push(i16); s.partLen += m.length;
  if (s.partLen >= s.rate / 10) flushPart(); };
const flushPart = () => { const s = st; if (!s || !s.partLen) return;
  const pcm = new Int16Array(s.partLen); let o = 0; for (const p of s.parts) { pcm.set(p, o); o += p.length; }
  s.queue.push({ seq: s.seq++, offset: s.captured, pcm }); s.captured += pcm.length; s.parts = []; s.partLen = 0;
  s.rms = Math.sqrt(s.rmsAcc / Math.max(1, s.rmsN)); s.rmsAcc = 0; s.rmsN = 0; show(); pump(); };
const start = async () => {
  if (st) return;
  rec.disabled = true; state.textContent = t('Starting the microphone…');
  try {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    const ctx = new AudioContext();
    const url = URL.createObjectURL(new Blob([WORKLET], { type: 'application/javascript' }));
    await ctx.audioWorklet.addModule(url);
    const src = ctx.createMediaStreamSource(media), node = new AudioWorkletNode(ctx, 'relay-capture');
    const mute = ctx.createGain(); mute.gain.value = 0; src.connect(node); node.connect(mute); mute.connect(ctx.destination);
    const id = (crypto.randomUUID ? crypto.randomUUID() : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));
    st = { id, media, ctx, node, rate: ctx.sampleRate, seq: 0, captured: 0, ackedSamples: 0, queue: [], parts: [], partLen: 0,
      rms: 0, rmsAcc: 0, rmsN: 0, capturing: true, ending: false, endSent: false, pumping: false, started: performance.now() };
    window.__micRelays = window.__micRelays || {}; window.__micRelays[element.id || 'relay'] = st;
    node.port.onmessage = (e) => onSamples(e.data);
    root.dataset.stream = id; root.dataset.started = String(Date.now());
    stopBtn.disabled = false; state.textContent = t('Recording'); root.classList.add('recording'); show();
    trigger('start_recording', { stream: id, rate: ctx.sampleRate });
  } catch (e) {
    rec.disabled = false; st = null; state.textContent = t('The microphone could not be opened: {error}', { error: String(e) });
  }
};
const finish = async (tellServer) => {
  const s = st; if (!s || s.ending) return;
  s.capturing = false; stopBtn.disabled = true; flushPart();
  s.media.getTracks().forEach((tr) => tr.stop()); try { s.node.disconnect(); await s.ctx.close(); } catch (e) {}
  s.ending = true; state.textContent = t('Sending the last audio…'); show();
  if (tellServer) { pump(); while (!s.endSent) await new Promise((r) => setTimeout(r, 100)); }
  root.dataset.sentAll = String(s.ackedSamples === s.captured);
  root.dataset.acked = s.ackedSamples; root.dataset.captured = s.captured;
  st = null; rec.disabled = false; state.textContent = t('Stopped'); bar.style.width = '0%'; root.classList.remove('recording');
  trigger('stop_recording', { stream: s.id });
};
rec.addEventListener('click', start);
stopBtn.addEventListener('click', () => finish(true));
watch('value', () => { if (String(props.value || '').startsWith('stop') && st) finish(true); });
"""


def _js() -> str:
    from tabs import i18n

    cat = i18n.catalogue()
    ko = {s: cat[s] for s in TEXTS if s in cat}
    return (
        JS.replace("__KO__", json.dumps(ko, ensure_ascii=False))
        .replace("__WORKLET__", json.dumps(WORKLET))
        .replace("__PER_POST__", str(MAX_PIECES_PER_POST))
    )


def MicRelay(*, elem_id: str) -> gr.HTML:  # noqa: N802 (a component, named as one)
    """The Record/Stop widget (see the module doc); its ``start_recording`` / ``stop_recording`` events carry the stream id."""
    return gr.HTML(
        "",
        html_template=TEMPLATE,
        css_template=CSS,
        js_on_load=_js(),
        server_functions=[push],
        elem_id=elem_id,
        apply_default_css=False,
    )
