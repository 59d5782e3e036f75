"""Cleaning before parsing: page furniture and the text's language.

Nothing is removed from the text (every offset must keep pointing at the
original); boilerplate lines are listed so that later steps skip them.
"""

from __future__ import annotations

import re

from sayso.record import Boilerplate

# One pattern per reason; each is matched against a whole stripped line.
_BOILERPLATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("read-more", re.compile(r"^(read more|read next|more:|related|related articles?|see also|also read|"
                             r"recommended|don'?t miss|must read|trending)\b[:\s-]?", re.I)),
    ("newsletter", re.compile(r"^(sign up|subscribe|get (our|the) .{0,40}newsletter|"
                              r"join (our|the) .{0,40}(newsletter|mailing list))\b", re.I)),
    ("click-here", re.compile(r"^(click here|tap here|click to|tap to)\b", re.I)),
    ("share", re.compile(r"^(share (this|on|via)|share$|shares?:|email this|tweet this|"
                         r"copy link|print this)\b", re.I)),
    ("follow", re.compile(r"^(follow (us|me|@|the)|like us on)\b", re.I)),
    ("photo-credit", re.compile(r"^(\(?(photo|image|picture|pictured|video|credit|photograph)s?"
                                r"( by| credit)?\s*[:|])|^\(?(photo|image)s? by\b|"
                                # an agency closing a credit ("John Smith/Getty Images", "(AP Photo)"), not a
                                # sentence that ends with one ("…, he told Reuters.")
                                r"(^\(?|[/|©]\s*|\bvia\s+)(getty images|reuters|ap photo|afp|shutterstock|"
                                r"pa images?|alamy|epa)\)?\.?$", re.I)),
    ("advertisement", re.compile(r"^(advertisement|advert|sponsored|story continues below|"
                                 r"article continues below|continue reading)\b.{0,30}$", re.I)),
    ("copyright", re.compile(r"^(©|\(c\)|copyright\b|all rights reserved)", re.I)),
    ("comments", re.compile(r"^(\d+\s+)?comments?(\s*\(\d+\))?$|^(leave|post) a comment\b", re.I)),
]

_MAX_LINE = 300  # longer lines are article prose, whatever they start with


def find_boilerplate(text: str) -> list[Boilerplate]:
    """Lines of `text` that are page furniture, each with the reason."""
    found: list[Boilerplate] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if stripped and len(stripped) <= _MAX_LINE:
            for reason, pattern in _BOILERPLATE_PATTERNS:
                if pattern.search(stripped):
                    start = pos + (len(body) - len(body.lstrip()))
                    end = start + len(stripped)
                    found.append(Boilerplate(start, end, text[start:end], reason))
                    break
        pos += len(line)
    return found


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (py3langid, offline)."""
    import py3langid

    sample = text[:4000]
    letters = 0
    for ch in sample:  # stop at the 20th letter: most texts reach it in a line
        if ch.isalpha():
            letters += 1
            if letters == 20:
                break
    else:
        return "en"  # too little to judge: assume the pipeline's language
    lang, _score = py3langid.classify(sample)
    return str(lang)
