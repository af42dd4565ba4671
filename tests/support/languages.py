"""A stand-in model that writes in the language a request names, for the local Messages
API server (tests and bench/bench_languages.py).

It reads the target from the request's "language code 'xx'" line. A fresh analysis is
`echo_analysis` of the article; a translation starts from the request's <analysis>. Each
text field is then rewritten as stock sentences of the target language, about as long
in tokens as the original, with no numbers or names (so grounding has nothing to drop).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.anthropic_server import Behaviour, echo_analysis, reply, user_text

_TARGET = re.compile(r"language code '([a-z]{2,3})'")
_ANALYSIS = re.compile(r"<analysis>\n(.*?)\n</analysis>", re.S)

# Stock sentences, and how many characters of them stand for one character of English.
STOCK: dict[str, tuple[str, float]] = {
    "de": (
        "Der Rat der Stadt hat den Plan für die neuen Busse angenommen, und die Bürger "
        "warten nun auf die Umsetzung in ihren Vierteln. ",
        1.0,
    ),
    "ja": ("市議会は新しいバスの計画を承認し、住民はその実施を待っています。", 0.3),
    "ar": ("وافق مجلس المدينة على خطة الحافلات الجديدة، وينتظر السكان تنفيذها في أحيائهم. ", 0.9),
    "he": ("מועצת העיר אישרה את התוכנית לאוטובוסים החדשים, והתושבים מחכים ליישום בשכונות. ", 0.9),
}
QUESTION = {
    "de": "Was ändert sich jetzt?",
    "ja": "何が変わるのでしょうか？",
    "ar": "ما الذي سيتغير؟",
    "he": "מה ישתנה?",
}


def target_of(body: dict[str, Any]) -> str | None:
    """The language a request names, if any."""
    found = _TARGET.search(user_text(body))
    return found.group(1) if found else None


def is_translation(body: dict[str, Any]) -> bool:
    """Whether the request carries a stored analysis to rewrite."""
    return _ANALYSIS.search(user_text(body)) is not None


def polyglot(body: dict[str, Any]) -> Behaviour:
    """Answer in the named language (or echo the article when none is named)."""
    code = target_of(body)
    found = _ANALYSIS.search(user_text(body))
    source = json.loads(found.group(1)) if found else echo_analysis(body)
    if code is None or code not in STOCK:
        return reply(source)
    return reply(rewrite(source, code))


def rewrite(source: dict[str, Any], code: str) -> dict[str, Any]:
    """`source` with every text field in `code`'s stock sentences, lengths kept."""
    question = QUESTION[code]
    return {
        "headline": _like(source["headline"], code, 110).rstrip(" 。.") or question,
        "dek": _like(source["dek"], code) + " " + question,
        "category": source["category"],
        "sections": [
            {
                "heading": _like(s["heading"], code, 60).rstrip(" 。.،"),
                "paragraphs": [_like(p, code) for p in s["paragraphs"]],
            }
            for s in source["sections"]
        ],
        "tags": [],
        "language": code,
        "key_question": question,
    }


def _like(text: str, code: str, cap: int = 1400) -> str:
    sentence, ratio = STOCK[code]
    want = max(1, min(cap, int(len(text) * ratio)))
    out = sentence
    while len(out) + len(sentence) <= want:
        out += sentence
    return out.strip()[:cap]
