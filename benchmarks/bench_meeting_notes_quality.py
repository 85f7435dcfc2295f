"""How good are the offline (extractive, rule-based) meeting notes? Precision and recall of each kind.

Run: ``python benchmarks/bench_meeting_notes_quality.py``. Four meetings written for this benchmark
(two English, two Korean), one sentence a line, each marked with what it is: a decision, an action
item (with its owner and due date when said), an open question, the next meeting, or nothing (a
greeting, an agenda, a discussion). The sentences go through ``meeting_notes.rule_notes`` as the
transcript would; a sentence counts as found when it lands in the right section. Owners and due
dates are scored on the action items found. Goal (issue 30, item 6): at least 0.8 for every kind.

The meetings were written before the rules were changed, from how meetings go, and include the
sentences visitors reported ("One open question is whether...", "Good morning everyone, today we
need to decide...").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines import meeting_notes as mn  # noqa: E402

KINDS = ("decisions", "action_items", "open_questions", "next_meeting")
D, A, Q, M, N = "decisions", "action_items", "open_questions", "next_meeting", ""

# (speaker, sentence, kind, owner, due); the owner of a request is the one who answers it
MEETINGS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "launch (en)": [
        ("Ann", "Good morning everyone, today we need to decide on the launch date.", N, "", ""),
        ("Ann", "Let's start with the status of the beta.", N, "", ""),
        ("Bob", "The beta went well and most testers liked the new search.", N, "", ""),
        ("Bob", "We found two crashes on older phones.", N, "", ""),
        ("Ann", "I think we should launch on the fifteenth of March.", N, "", ""),  # a proposal
        ("Cho", "That works for marketing.", N, "", ""),
        ("Ann", "Okay, we agreed to launch on March 15.", D, "", ""),
        ("Bob", "I'll fix the two crashes by Friday.", A, "Bob", "by Friday"),
        ("Ann", "Cho, can you prepare the press release?", A, "Cho", ""),
        ("Cho", "Sure, I will have a draft by next Tuesday.", A, "Cho", "by next Tuesday"),
        ("Ann", "One open question is whether we need more servers for launch day.", Q, "", ""),
        ("Bob", "Who is going to update the website?", Q, "", ""),
        ("Cho", "We still need to figure out the pricing for schools.", Q, "", ""),
        ("Ann", "The support team should be ready too.", N, "", ""),
        ("Ann", "Let's meet again next Monday at 10 am.", M, "", "next Monday at 10 am"),
        ("Ann", "Thanks everyone, have a good day.", N, "", ""),
    ],
    "budget (en)": [
        ("Dee", "Hi all, thanks for joining.", N, "", ""),
        ("Dee", "Let's go over the budget for next quarter.", N, "", ""),
        ("Eli", "Travel costs went up by twenty percent.", N, "", ""),
        ("Dee", "We decided to cut the conference travel in half.", D, "", ""),
        ("Eli", "Can you send me the updated numbers?", A, "Dee", ""),
        ("Dee", "Yes, I'll send them tomorrow.", A, "Dee", "tomorrow"),
        (
            "Fay",
            "I need to check the contract with the hotel before the end of the month.",
            A,
            "Fay",
            "end of the month",
        ),
        ("Eli", "It's not clear yet whether the new hires start in April or May.", Q, "", ""),
        ("Fay", "Should we keep the training budget as it is?", Q, "", ""),
        ("Dee", "Yes, the training budget stays the same.", D, "", ""),
        ("Eli", "That sounds reasonable to me.", N, "", ""),
        ("Fay", "We have to submit the final plan by December 1st.", A, "everyone", "by December 1st"),
        ("Dee", "Our next meeting is on Thursday.", M, "", "on Thursday"),
        ("Dee", "Good work, everyone.", N, "", ""),
    ],
    "출시 회의 (ko)": [
        ("민수", "안녕하세요 여러분, 오늘은 출시 일정을 정해야 합니다.", N, "", ""),
        ("지영", "베타 테스트 결과는 대체로 좋았습니다.", N, "", ""),
        ("민수", "출시는 3월 15일로 하기로 결정했습니다.", D, "", ""),
        ("지영", "제가 금요일까지 버그를 고치겠습니다.", A, "지영", "금요일까지"),
        ("민수", "현우 씨, 보도자료를 준비해 주세요.", A, "현우", ""),
        ("현우", "네, 다음 주까지 초안을 보내겠습니다.", A, "현우", "다음 주까지"),
        ("민수", "서버를 더 늘려야 할지는 아직 모르겠습니다.", Q, "", ""),
        ("지영", "웹사이트는 누가 업데이트하나요?", Q, "", ""),
        ("현우", "마케팅 쪽도 준비가 잘 되고 있습니다.", N, "", ""),
        ("민수", "다음 회의는 월요일 오전 10시에 합시다.", M, "", "월요일"),
        ("민수", "수고하셨습니다.", N, "", ""),
    ],
    "예산 회의 (ko)": [
        ("수진", "안녕하세요, 다음 분기 예산을 검토하겠습니다.", N, "", ""),
        ("태호", "출장비가 20퍼센트 늘었습니다.", N, "", ""),
        ("수진", "학회 출장은 절반으로 줄이기로 합의했습니다.", D, "", ""),
        ("태호", "수정된 숫자를 보내 주시겠어요?", A, "수진", ""),
        ("수진", "네, 내일 보내겠습니다.", A, "수진", "내일"),
        ("은지", "교육 예산은 그대로 유지할까요?", Q, "", ""),
        ("수진", "교육 예산은 그대로 갑시다.", D, "", ""),
        ("은지", "신입 사원이 4월에 올지 5월에 올지는 아직 정하지 못했습니다.", Q, "", ""),
        ("태호", "최종 계획은 12월 1일까지 제출해야 합니다.", A, "everyone", "12월 1일까지"),
        ("수진", "다음 회의는 목요일에 다시 만나요.", M, "", "목요일"),
    ],
}
# Written after the rules were changed on MEETINGS. Their first try here: action items precision 0.80,
# recall 0.67 (Korean "알아봐 주세요" and "알려 드리겠습니다" missed; "We'll go with ..." also a task);
# two rules were then widened, so these are no longer unseen: write new meetings to measure afresh.
HELD_OUT: dict[str, list[tuple[str, str, str, str, str]]] = {
    "hiring (en)": [
        ("Gus", "Hello everyone, let's talk about hiring.", N, "", ""),
        ("Hal", "We interviewed five people for the designer role.", N, "", ""),
        ("Gus", "We agreed that Maria is the strongest candidate.", D, "", ""),
        ("Hal", "I'll call her this afternoon to make an offer.", A, "Hal", ""),
        ("Ivy", "Could you also ask her about the start date?", A, "Hal", ""),
        ("Hal", "Yes, of course.", N, "", ""),
        ("Gus", "We're not sure yet whether we can afford a second designer.", Q, "", ""),
        ("Ivy", "What salary range did finance approve?", Q, "", ""),
        ("Gus", "I will ask finance by Wednesday.", A, "Gus", "by Wednesday"),
        ("Ivy", "The team is really busy this month.", N, "", ""),
        ("Gus", "We'll go with a remote contract for the second role.", D, "", ""),
        ("Gus", "Let's meet again next Friday.", M, "", "next Friday"),
    ],
    "사무실 이전 (ko)": [
        ("도윤", "안녕하세요, 사무실 이전 건을 논의하겠습니다.", N, "", ""),
        ("서연", "새 사무실 계약은 다음 주에 끝납니다.", N, "", ""),
        ("도윤", "이사는 5월 2일에 하기로 했습니다.", D, "", ""),
        ("서연", "제가 이삿짐 업체에 연락하겠습니다.", A, "서연", ""),
        ("도윤", "하준 씨, 인터넷 설치를 알아봐 주세요.", A, "하준", ""),
        ("하준", "네, 목요일까지 알려 드리겠습니다.", A, "하준", "목요일까지"),
        ("서연", "주차 공간이 충분할지는 아직 모르겠습니다.", Q, "", ""),
        ("하준", "회의실은 몇 개가 필요한가요?", Q, "", ""),
        ("도윤", "다음 회의는 금요일에 합시다.", M, "", "금요일"),
    ],
}


def _sentences(lines) -> list[mn.Sentence]:
    return [
        mn.Sentence(start=float(i * 5), end=float(i * 5 + 4), speaker=who, text=text)
        for i, (who, text, *_rest) in enumerate(lines)
    ]


def score(meetings=MEETINGS) -> dict[str, dict[str, float]]:
    """Precision and recall per kind over all meetings, and the share of found action items whose
    owner (and due date, where one is said) is right."""
    tp = dict.fromkeys(KINDS, 0)
    fp = dict.fromkeys(KINDS, 0)
    fn = dict.fromkeys(KINDS, 0)
    owners = dues = found_actions = with_due = 0
    for lines in meetings.values():
        notes = mn.rule_notes(_sentences(lines))
        for kind in KINDS:
            got = {item.text: item for item in notes[kind]}
            want = {text for _w, text, k, _o, _d in lines if k == kind}
            tp[kind] += len(want & set(got))
            fp[kind] += len(set(got) - want)
            fn[kind] += len(want - set(got))
        actions = {item.text: item for item in notes[A]}
        for _w, text, k, owner, due in lines:
            if k == A and text in actions:
                found_actions += 1
                owners += actions[text].owner.split(" (asked by")[0] == owner
                if due:  # "next Tuesday" for "by next Tuesday" is right
                    with_due += 1
                    got = actions[text].due.lower()
                    dues += bool(got) and (got in due.lower() or due.lower() in got)
    out = {
        kind: dict(
            precision=tp[kind] / max(tp[kind] + fp[kind], 1),
            recall=tp[kind] / max(tp[kind] + fn[kind], 1),
            found=tp[kind],
            wrong=fp[kind],
            missed=fn[kind],
        )
        for kind in KINDS
    }
    out["owners"] = dict(right=owners / max(found_actions, 1), of=found_actions)
    out["due dates"] = dict(right=dues / max(with_due, 1), of=with_due)
    return out


def report(title: str, meetings) -> dict:
    result = score(meetings)
    n = sum(len(lines) for lines in meetings.values())
    print(f"{title}: {len(meetings)} meetings, {n} sentences (English and Korean)")
    print(f"  {'kind':16} {'precision':>9} {'recall':>7}  found/wrong/missed")
    for kind in KINDS:
        r = result[kind]
        print(f"  {kind:16} {r['precision']:9.2f} {r['recall']:7.2f}  {r['found']}/{r['wrong']}/{r['missed']}")
    print(f"  owners right on found action items: {result['owners']['right']:.2f} of {result['owners']['of']}")
    print(f"  due dates right where said: {result['due dates']['right']:.2f} of {result['due dates']['of']}")
    return result


def main() -> None:
    print("Offline meeting notes (pipelines/meeting_notes.py rule_notes) against written meetings")
    report("Meetings the rules were changed on", MEETINGS)
    report("Written second (first try: action items 0.80 / 0.67, then two rules widened)", HELD_OUT)


if __name__ == "__main__":
    main()
