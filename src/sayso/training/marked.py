"""Gold attributions marked inline in the text: news of no PolNeAR outlet.

The file holds articles, each opening with a header line
`### id=ID style=STYLE`, and marks of the form `⟦ROLE:N EXTRA|text⟧` inside the
text. ROLE is `cue`, `source`, `content` or `more`; N numbers the article's
attributions; marks nest, and one ROLE:N may occur several times (a quotation
split by its cue is one content of two spans). A source mark's EXTRA is
`TYPE=Name` (or `TYPE`): the source type and the name of the one entity the
mention stands for, so that speakers and types are scored on the same text.
`more` marks a cue-less quotation that continues attribution N in a later
sentence: PolNeAR joins it to N's content, the convention this set follows
ends a quotation's content at its closing mark, and the scorer can read both.

Removing the marks gives the article's text, so every offset is an offset
into the text sayso reads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sayso.errors import CorpusError
from sayso.nlp.quotes import QuoteIndex, find_quotes, kind_of
from sayso.record import Article, Attribution, Span, empty_meta
from sayso.schema import SOURCE_TYPES
from sayso.training.evaluate import Scores, evaluate
from sayso.training.sources import GoldMention, GoldText, score_end_to_end

MARK_ROLES = ("cue", "source", "content", "more")
_HEADER = re.compile(r"^### id=(\S+)(?: style=(\S+))?\s*$")
_OPEN = re.compile(r"⟦(cue|source|content|more):(\d+)(?: ([a-z]+)(?:=([^|⟦⟧]+))?)?\|")
OPEN, CLOSE = "⟦", "⟧"


@dataclass
class MarkedArticle:
    """One article of the set: its gold attributions, with or without the continuations."""

    id: str
    style: str
    text: str
    spans: dict[int, dict[str, list[Span]]]
    speakers: list[GoldMention] = field(default_factory=list)

    def gold(self, join_continuations: bool = False) -> Article:
        """The gold attributions as an article record; `join_continuations`
        adds each `more` quotation to the content it continues (PolNeAR's reading)."""
        quotes = QuoteIndex(find_quotes(self.text))
        out = []
        for n in sorted(self.spans):
            roles = self.spans[n]
            content = sorted(roles["content"] + (roles["more"] if join_continuations else []))
            out.append(Attribution(id=f"a{n}", kind=kind_of(content, quotes), cue=sorted(roles["cue"]),
                                   source=sorted(roles["source"]), content=content))
        out.sort(key=lambda a: a.first_offset)
        meta = empty_meta()
        meta["language"] = "en"
        return Article(id=self.id, text=self.text, meta=meta, attributions=out)

    def speaker_text(self) -> GoldText:
        """The source mentions with their gold speakers, for `training.sources`."""
        return GoldText(self.id, self.text, sorted(self.speakers, key=lambda m: m.start))


def parse_marked(marked: str, article_id: str = "", style: str = "") -> MarkedArticle:
    """One article's marked text: the plain text and its gold spans."""
    where = f"{article_id}: " if article_id else ""
    plain: list[str] = []
    length = 0
    stack: list[tuple[str, int, str | None, str | None, int]] = []
    spans: dict[int, dict[str, list[Span]]] = {}
    pending: list[tuple[str, int, str | None, str | None, int, int]] = []
    i = 0
    while i < len(marked):
        ch = marked[i]
        if ch == OPEN:
            m = _OPEN.match(marked, i)
            if not m:
                raise CorpusError(f"{where}a mark that does not read ROLE:N|: {marked[i:i + 30]!r}")
            role, n, kind, name = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            if kind is not None and (role != "source" or kind not in SOURCE_TYPES):
                raise CorpusError(f"{where}{role}:{n} has {kind!r}: only a source takes a type, one of "
                                  f"{', '.join(SOURCE_TYPES)}")
            stack.append((role, n, kind, name.strip() if name else None, length))
            i = m.end()
        elif ch == CLOSE:
            if not stack:
                raise CorpusError(f"{where}a closing mark without its opening one near {marked[max(0, i - 30):i]!r}")
            role, n, kind, name, start = stack.pop()
            pending.append((role, n, kind, name, start, length))
            i += 1
        else:
            plain.append(ch)
            length += 1
            i += 1
    if stack:
        raise CorpusError(f"{where}{stack[-1][0]}:{stack[-1][1]} is never closed")
    text = "".join(plain)
    speakers = []
    for role, n, kind, name, start, end in pending:
        if start == end:
            raise CorpusError(f"{where}{role}:{n} marks no text")
        span = Span.of(text, start, end)
        if span.text != span.text.strip():
            raise CorpusError(f"{where}{role}:{n} {span.text!r} starts or ends with a space")
        spans.setdefault(n, {r: [] for r in MARK_ROLES})[role].append(span)
        if role == "source":
            speakers.append(GoldMention(start, end, name or span.text, kind or "other"))
    for n, roles in spans.items():
        if not roles["cue"]:
            raise CorpusError(f"{where}attribution {n} has no cue")
    return MarkedArticle(article_id, style, text, spans, speakers)


def read_marked(path: str | Path) -> list[MarkedArticle]:
    """Every article of a marked file, in file order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(f"{path}: cannot read ({e})") from e
    articles: list[MarkedArticle] = []
    header: tuple[str, str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is not None:
            articles.append(parse_marked("\n".join(body).strip("\n"), *header))

    for line in lines:
        m = _HEADER.match(line)
        if m:
            flush()
            header, body = (m.group(1), m.group(2) or ""), []
        elif header is not None:
            body.append(line)
        elif line.strip():
            raise CorpusError(f"{path}: text before the first '### id=' header")
    flush()
    if not articles:
        raise CorpusError(f"{path}: no '### id=' articles")
    ids = [a.id for a in articles]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{path}: an article id occurs twice")
    return articles


def score_marked(articles: Sequence[MarkedArticle], predicted: Sequence[Article], tokenizer: Any,
                 join_continuations: bool = False, errors: list[dict[str, Any]] | None = None,
                 per_article: list[Scores] | None = None) -> dict[str, Any]:
    """The attribution scores of `evaluate` on the marked articles, and under "speakers" the
    end-to-end resolution and typing of their source mentions. `join_continuations`: both
    sides read as PolNeAR reads them (a quotation's continuation is content)."""
    gold = [a.gold(join_continuations) for a in articles]
    result = evaluate(zip(predicted, gold, strict=True), tokenizer, errors, per_article,
                      join_continuations=join_continuations).to_dict()
    result["continuations"] = "joined" if join_continuations else "separate"
    texts = [(a.speaker_text(), p) for a, p in zip(articles, predicted, strict=True) if a.speakers]
    result["speakers"] = score_end_to_end([t for t, _ in texts], [p for _, p in texts])
    return result
