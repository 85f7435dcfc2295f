"""The live microphone's transport (issue 29): pieces late, twice, out of order or in bursts arrive
once, in order, with nothing dropped, through the inbox and through the page's relay endpoint.

Gradio's streaming microphone kept only the latest piece when several arrived during one handler
call; ``latest_only`` below is that rule, and the same bursts lose most of the audio through it.
"""

from __future__ import annotations

import base64
import random
import threading
import time

import numpy as np
import pytest

from pipelines.core.audio_inbox import AudioInbox, gaps_text

RATE = 48000
PIECE = 4800  # 0.1 s, as the page sends


def ramp_pieces(n: int) -> list[np.ndarray]:
    """Pieces whose samples count up (sample i of the stream has the value i), so order is checkable."""
    x = np.arange(n * PIECE, dtype=np.float64)
    return [x[i * PIECE : (i + 1) * PIECE].astype(np.float32) for i in range(n)]


def drain(box: AudioInbox) -> np.ndarray:
    out = []
    while len(piece := box.take(3000)):
        out.append(piece)
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def latest_only(bursts: list[list[int]], pieces: list[np.ndarray]) -> np.ndarray:
    """The old transport: of the pieces that arrive during one handler call, only the last is handled."""
    return np.concatenate([pieces[burst[-1]] for burst in bursts if burst])


def test_bursts_late_duplicate_and_out_of_order_pieces_come_out_once_in_order():
    rng = random.Random(29)
    pieces = ramp_pieces(200)  # 20 s
    order = list(range(200))
    # the network and a busy server: pieces held back and released together, some swapped, some sent twice
    for i in range(0, 200, 7):
        j = min(199, i + rng.randint(1, 5))
        order[i], order[j] = order[j], order[i]
    order += rng.sample(range(200), 30)  # retries of pieces already sent
    bursts, i = [], 0
    while i < len(order):
        size = rng.choice([1, 1, 2, 5, 12])  # a 1.2-s stall delivers 12 pieces at once
        bursts.append(order[i : i + size])
        i += size
    box = AudioInbox()
    taken = []
    for burst in bursts:
        for seq in burst:
            box.push(seq, pieces[seq], RATE, offset=seq * PIECE)
        taken.append(box.take())  # the consumer takes whatever is ready between bursts
    box.close()
    taken.append(drain(box))
    got = np.concatenate(taken)
    expected = np.concatenate(pieces)
    assert len(got) == len(expected) == 200 * PIECE
    np.testing.assert_array_equal(got, expected)  # every sample, once, in order (integers in float32: exact)
    assert box.gaps == [] and box.received_samples == 200 * PIECE
    # the same bursts through the old rule: most of the audio is gone
    old = latest_only(bursts, pieces)
    assert len(old) < 0.7 * len(expected), len(old) / len(expected)


def test_a_consumer_slower_than_real_time_loses_nothing():
    """A decoder that takes a piece only every 0.05 s while 0.01-s-spaced pieces keep coming (threads)."""
    pieces = ramp_pieces(60)
    box = AudioInbox()

    def send():
        for seq, p in enumerate(pieces):
            box.push(seq, p, RATE)
            time.sleep(0.002)
        box.close()

    sender = threading.Thread(target=send)
    sender.start()
    got = []
    while not box.drained:
        box.wait(0.05)
        got.append(box.take(PIECE))  # at most one piece per turn: falls behind, catches up later
        time.sleep(0.01)
    sender.join()
    got.append(drain(box))
    np.testing.assert_array_equal(np.concatenate(got), np.concatenate(pieces))


def test_a_piece_that_never_came_is_a_gap_of_silence_with_its_seconds():
    pieces = ramp_pieces(30)
    box = AudioInbox()
    for seq in range(30):
        if seq not in (10, 11):  # lost on the way
            box.push(seq, pieces[seq], RATE, offset=seq * PIECE, sent=(seq + 1) * PIECE)
    assert box.pending_seconds == pytest.approx(1.0)  # pieces 12.. wait for 10 and 11
    box.close()
    got = drain(box)
    assert len(got) == 30 * PIECE  # times after the gap stay true
    np.testing.assert_array_equal(got[10 * PIECE : 12 * PIECE], 0)
    np.testing.assert_array_equal(got[12 * PIECE :], np.concatenate(pieces[12:]))
    assert box.gaps == [pytest.approx((1.0, 1.2))]
    assert box.missed_seconds == pytest.approx(0.2)
    assert gaps_text(box.gaps) == "0:01.0-0:01.2"


def test_audio_the_page_captured_but_never_sent_is_counted_at_close():
    box = AudioInbox()
    box.push(0, np.ones(PIECE, np.float32), RATE, offset=0, sent=3 * PIECE)
    box.close()
    assert box.gaps == [pytest.approx((0.1, 0.3))]


def test_pieces_after_close_are_ignored():
    box = AudioInbox()
    box.push(0, np.ones(PIECE, np.float32), RATE)
    box.close()
    box.push(1, np.ones(PIECE, np.float32), RATE)
    assert len(drain(box)) == PIECE


def test_the_relay_endpoint_puts_posted_pieces_in_order():
    """The page's server function, as the page calls it: base64 16-bit PCM in posts, late and doubled."""
    from tabs import mic_relay

    stream = "test-stream-0123456789abcdef"
    x = (np.sin(np.arange(20 * PIECE) / 50) * 20000).astype("<i2")
    pieces = [x[i * PIECE : (i + 1) * PIECE] for i in range(20)]

    def post(seqs, end=False):
        return mic_relay.push(
            {
                "stream": stream,
                "rate": RATE,
                "sent": 20 * PIECE,
                "end": end,
                "pieces": [
                    {"seq": s, "offset": s * PIECE, "pcm": base64.b64encode(pieces[s].tobytes()).decode()} for s in seqs
                ],
            }
        )

    assert post([0, 1, 2])["ack"] == 3
    assert post([5, 6])["ack"] == 3  # early: held
    assert post([3, 4, 5])["ack"] == 7  # 5 again (a retry)
    assert post(list(range(7, 20)), end=True) == {"ack": 20, "closed": True}
    box = mic_relay.inbox_for(stream, create=False)
    got = drain(box)
    np.testing.assert_allclose(got, x.astype(np.float32) / 32768.0, atol=0)
    assert box.gaps == []
    assert mic_relay.push({"stream": "short"}) == {"error": "bad request"}
    mic_relay.forget(stream)
    # a stream nobody reads (its start event never came) takes at most UNCLAIMED_MAX_S of audio
    lone = "test-stream-nobody-reads-it"
    second = {"seq": 0, "offset": 0, "pcm": base64.b64encode(np.zeros(RATE, "<i2").tobytes()).decode()}
    replies = [
        mic_relay.push({"stream": lone, "rate": RATE, "pieces": [dict(second, seq=i, offset=i * RATE)]})
        for i in range(int(mic_relay.UNCLAIMED_MAX_S) + 5)
    ]
    assert replies[0] == {"ack": 1, "closed": False} and replies[-1] == {"error": "nobody reads this stream"}
    mic_relay.forget(lone)


def test_every_text_the_relay_draws_has_korean():
    """The widget draws its own texts in the page (tests/test_i18n.py sees only Gradio's): each has Korean,
    and the page's script carries them."""
    from tabs import i18n, mic_relay

    catalogue = i18n.catalogue()
    assert [t for t in mic_relay.TEXTS if t not in catalogue] == []
    js = mic_relay._js()
    assert all(catalogue[t] in js for t in mic_relay.TEXTS)
