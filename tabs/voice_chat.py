"""Voice chat tab: talk to the app; it transcribes, answers with a language model and speaks the
answer sentence by sentence. Widgets and wiring only; the work is in ``pipelines/voice_chat.py``."""

from __future__ import annotations

import time

import gradio as gr

from pipelines import voice_chat as vc
from pipelines.engines import llm as lm
from pipelines.engines.whisper.languages import LANGUAGES

from . import mic_relay
from .common import TabContext, audio_input, start_rule, user_errors
from .hub_choices import hub_language_models
from .mic_relay import MicRelay

TITLE = "Voice chat"
HF_TICK_S = 0.3  # the page asks for the hands-free state (and a finished turn) this often
HF_IDLE = "Press Record to talk hands-free."

INTRO = """**Talk to the app.** Press record, ask something, press stop: the app writes down what you said,
answers with a language model and reads the answer aloud, sentence by sentence, so the first words play
while the rest is still being written. You can also type. Your conversation is yours alone (other
visitors have their own) and is kept only while this page is open."""

VOICES = [
    ("Automatic: bundled voice for the language", vc.AUTO),
    ("Piper Joe (English, bundled)", "piper:en_US-joe-medium"),
    ("espeak-ng English (robotic, bundled)", "espeak:en-us"),
    ("espeak-ng Korean (robotic, bundled)", "espeak:ko"),
]


def _model_note(key: str) -> str:
    if key == lm.BUNDLED_KEY:
        return f"**Gemma 3 270M base (bundled)**: {lm.BUNDLED_NOTE}"
    if key == lm.NONE:
        return "No language model is installed or configured here, so voice chat cannot answer."
    return f"Answers by **{lm.REGISTRY.spec(key).title}**."


def build(ctx: TabContext) -> None:
    s = ctx.settings
    lm.configure_servers(s.llm_url, s.llm_models, s.llm_key, s.llm_timeout_s)
    models = [(label, key) for label, key in lm.choices(s.offline) if key != lm.NONE]
    default = lm.default_choice(s.offline)
    if default == lm.NONE:
        default = models[0][1] if models else lm.NONE
    o = vc.VoiceChatOptions()
    gr.Markdown(INTRO)
    start_rule(True)  # stopping a recording (or an upload) sends it; typed text waits for Send
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            mic = audio_input("Your question: record (or upload)", sources=["microphone", "upload"])
            gr.Markdown("**Hands-free:** press Record, ask, then pause: the pause sends your question.")
            hands_free = MicRelay(elem_id="vc-relay")
            hf_state_md = gr.Markdown(HF_IDLE, elem_id="vc-state")
            pause = gr.Slider(
                0.5,
                3.0,
                value=o.turn_pause_s,
                step=0.1,
                label="Pause that ends your turn (seconds)",
                info="Hands-free only: a silence this long after you speak sends your question, no button needed. Choose the language you speak below: English is the fastest.",
                elem_id="vc-pause",
            )
            typed = gr.Textbox(label="…or type it", lines=2, placeholder="Ask something", elem_id="vc-typed")
            with gr.Row():
                send = gr.Button("Send", variant="primary", elem_id="vc-send")
                clear = gr.Button("Clear the conversation", elem_id="vc-clear")
            model = gr.Dropdown(
                models or [("none available", lm.NONE)], value=default, label="Language model", elem_id="vc-model"
            )
            model_md = gr.Markdown(_model_note(default), elem_id="vc-model-note")
            gr.Markdown(hub_language_models().apart_note(), elem_id="vc-hub")  # after lm.choices: the hub check is done
            with gr.Row():
                language = gr.Dropdown(
                    [("Detect automatically", vc.AUTO)] + [(f"{n} ({c})", c) for c, n in LANGUAGES.items()],
                    value=o.language,
                    label="Language you speak",
                    elem_id="vc-language",
                )
                voice = gr.Dropdown(VOICES, value=o.voice, label="Voice", elem_id="vc-voice")
            system = gr.Textbox(o.system_prompt, label="System prompt (how the assistant should answer)", lines=2)
        with gr.Column(scale=2):
            chat = gr.Chatbot(
                label="Conversation",
                height=420,
                render_markdown=False,  # answers are untrusted text: shown as typed, never as HTML
                elem_id="vc-chat",
            )
            live = gr.Audio(
                label="Spoken answer (plays as it is written)",
                streaming=True,
                autoplay=True,
                interactive=False,
                elem_id="vc-live",
            )
            whole = gr.Audio(label="The whole answer", type="filepath", interactive=False, elem_id="vc-answer")
            info = gr.Markdown(elem_id="vc-info")
    history = gr.State([])  # per visitor: this browser session's messages
    hands = gr.State(None, delete_callback=_stop_hands_free)  # per visitor: hands-free listening (a thread)
    hf_timer = gr.Timer(HF_TICK_S, active=False)
    heard_turn = gr.Textbox(visible=False, elem_id="vc-heard")  # a finished hands-free turn's words

    model.change(_model_note, model, model_md, api_name="voice_chat_model", api_visibility="private")

    @user_errors
    def respond(
        audio=None,
        text="",
        messages=None,
        model=o.model,
        system_prompt=o.system_prompt,
        language=o.language,
        voice=o.voice,
    ):
        messages = list(messages or [])
        started = time.perf_counter()
        heard_note = ""
        if audio:
            clip = ctx.load(audio, target_sr=vc.SAMPLE_RATE)
            heard = vc.transcribe_turn(clip.mono, clip.sr, language)
            user_text, lang = heard.text, heard.language
            heard_note = f"heard in {heard.seconds:.1f} s"
        else:
            user_text, lang = " ".join((text or "").split())[: vc.MAX_USER_CHARS], None
            if not user_text:
                raise gr.Error("Record a question or type one first.")
            if language and language != vc.AUTO:
                lang = language
        options = vc.VoiceChatOptions(model=model, system_prompt=system_prompt, language=language, voice=voice)
        shown = messages + [{"role": "user", "content": user_text}, {"role": "assistant", "content": "…"}]
        yield shown, None, None, "Thinking…", messages, None, ""
        spoken = vc.SpokenAnswer()
        for reply in vc.answer(messages, user_text, options, lang, s.offline):
            shown[-1] = {"role": "assistant", "content": reply.text}
            chunk = spoken.add(reply)
            if reply.done:
                whole = spoken.save(s.new_output_dir("voice-chat"), user_text) if spoken.pieces else None
                note = vc.answer_note(reply.stats, heard_note, time.perf_counter() - started)
                history = vc.with_turn(messages, user_text, reply.text)
                yield shown, chunk, str(whole) if whole else None, note, history, None, ""
            else:
                yield shown, chunk if chunk else gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    def on_hf_start(hf, request: gr.Request, evt: gr.EventData, language=o.language, pause_s=o.turn_pause_s):
        """Record pressed (hands-free): listen to the page's stream, turn after turn."""
        _stop_hands_free(hf)
        hf = vc.HandsFree(language, pause_s, inbox=mic_relay.inbox(request, evt), idle_s=30.0)
        return hf, "", hf_state_text(hf), gr.Timer(active=True)

    def on_hf_tick(hf):
        """A finished turn goes to the chat; the page shows listening / thinking / speaking."""
        if hf is None:
            return gr.skip(), gr.skip(), gr.Timer(active=False), gr.skip()
        turn = hf.next_turn()
        ended = not hf.alive
        if turn:
            hf.turns_sent = getattr(hf, "turns_sent", 0) + 1  # numbered: the same question twice is two turns
        return (
            f"{hf.turns_sent}\t{turn}" if turn else gr.skip(),
            hf_state_text(hf),
            gr.Timer(active=not ended),
            mic_relay.stop_value() if ended else gr.skip(),
        )

    def on_hf_stop(hf):
        _stop_hands_free(hf)
        return None, "Stopped.", gr.Timer(active=False)

    hands_free.start_recording(
        user_errors(on_hf_start),
        [hands, language, pause],
        [hands, heard_turn, hf_state_md, hf_timer],
        api_name="voice_chat_hands_free_start",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )
    hf_timer.tick(
        on_hf_tick,
        [hands],
        [heard_turn, hf_state_md, hf_timer, hands_free],
        api_name="voice_chat_hands_free_tick",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )
    hands_free.stop_recording(
        user_errors(on_hf_stop),
        [hands],
        [hands, hf_state_md, hf_timer],
        api_name="voice_chat_hands_free_stop",
        api_visibility="private",
        show_progress="hidden",
        concurrency_limit=None,
    )

    outputs = [chat, live, whole, info, history, mic, typed]
    inputs = [mic, typed, history, model, system, language, voice]

    def after_error(event):
        """An answer that failed (its message shown): the conversation is back to the messages
        before it, and no half answer, "Thinking..." or previous answer stays (issue 13, class 1)."""
        event.failure(
            lambda messages: (messages or [], None, None, ""),
            history,
            [chat, live, whole, info],
            queue=False,
            show_progress="hidden",
            api_name=False,
        )

    after_error(
        gr.on(
            [mic.stop_recording, mic.upload],
            respond,
            inputs,
            outputs,
            api_name="voice_chat_recorded",
            api_visibility="private",
            concurrency_limit=2,
        )
    )
    after_error(send.click(respond, inputs, outputs, api_name="voice_chat", concurrency_limit=2))

    def on_turn(
        text, hf, messages=None, model=o.model, system_prompt=o.system_prompt, language=o.language, voice=o.voice
    ):
        """A hands-free turn ended: answer its words as if they were typed (thinking, then speaking)."""
        text = (text or "").split("\t", 1)[-1].strip()
        if not text:
            return
        spoken, first = 0.0, None
        try:
            for out in respond(None, text, messages, model, system_prompt, language, voice):
                chunk = out[1]
                if isinstance(chunk, tuple) and hf is not None:
                    first = first or time.monotonic()
                    spoken += len(chunk[1]) / chunk[0] + 0.25
                    hf.speaking(first + spoken - time.monotonic())
                yield out
        finally:
            if hf is not None:
                hf.answered(first + spoken - time.monotonic() if first else 0.0)

    after_error(
        heard_turn.change(
            on_turn,
            [heard_turn, hands, history, model, system, language, voice],
            outputs,
            api_name="voice_chat_turn",
            api_visibility="private",
            concurrency_limit=2,
        )
    )
    after_error(
        typed.submit(
            respond, inputs, outputs, api_name="voice_chat_typed", api_visibility="private", concurrency_limit=2
        )
    )

    def clear_all():
        return [], [], None, None, "Conversation cleared."

    clear.click(clear_all, None, [chat, history, live, whole, info], api_name="voice_chat_clear")


def hf_state_text(hf) -> str:
    """Listening (with the words heard so far), thinking or speaking: what hands-free chat is doing now."""
    if hf.message:
        return f"**{hf.message}**"
    phase = hf.phase_now()
    if phase == "thinking":
        return "**Thinking…**"
    if phase == "speaking":
        return "**Speaking…** (the microphone waits until the answer ends)"
    heard = hf.heard_so_far()
    return f"**Listening…** {heard}" if heard else "**Listening…**"


def _stop_hands_free(hf) -> None:
    if hf is not None:
        hf.stop(timeout=5)
