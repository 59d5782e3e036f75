"""The article page's pieces: its sources, attributions and profile as rows.

The marked text itself (every highlight built server-side from the record's
spans, the article text only ever written through `markupsafe.escape`) and its
legend are sayso.display's, shared with the notebook view; they are re-exported
here for the web app.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sayso.display import (
    LAYERS,
    LEGEND,
    ROLE_NAMES,
    STANCE_LEGEND,
    Mark,
    attribution_tip,
    marked_html,
    marks_of,
    said,
    speaker_name,
)
from sayso.record import KINDS, SOURCE_TYPES, STANCES, Article


@dataclass
class SourceRow:
    id: str
    name: str
    type: str
    description: str | None
    attributions: int
    mentions: int
    stances: list[str]
    attribution_ids: list[str]
    references: list[str]  # how the article refers to it, in order of first use: "Mr Petraeus ×2"
    in_corpus: bool = False  # the store has a source of this name: its corpus page exists


def source_rows(article: Article, in_corpus: Collection[str] = ()) -> list[SourceRow]:
    """The article's sources, most attributions first; `in_corpus`: the names the open store holds."""
    rows = []
    for s in article.sources:
        own = [a for a in article.attributions if a.speaker == s.id]
        stances = Counter(a.stance for a in own)
        said = Counter(m.text for m in sorted(s.mentions))
        rows.append(SourceRow(s.id, s.name, s.type, s.description, len(own), len(s.mentions),
                              [f"{k} {v}" if v > 1 else k for k, v in sorted(stances.items())],
                              [a.id for a in own],
                              [f"{text} ×{n}" if n > 1 else text for text, n in said.items()],
                              s.name in in_corpus))
    rows.sort(key=lambda r: (-r.attributions, -r.mentions, r.name.lower()))
    return rows


def attribution_rows(article: Article) -> list[dict[str, Any]]:
    rows = []
    for a in article.attributions:
        name, type_ = speaker_name(article, a)
        rows.append({"id": a.id, "speaker": a.speaker or "", "source": name, "type": type_,
                     "source_text": " … ".join(s.text for s in a.source),
                     "cue": " … ".join(s.text for s in a.cue), "content": said(a),
                     "kind": a.kind, "stance": a.stance, "score": a.score})
    return rows


def profile_rows(profile: dict[str, Any]) -> list[tuple[str, str]]:
    """The sourcing profile as (measure, value) pairs, as in the terminal report."""
    if not profile:
        return []
    rows = [("attributions", str(profile.get("attributions", 0)))]
    rows.append(("by kind", ", ".join(f"{k} {v}" for k, v in profile.get("by_kind", {}).items() if v) or "—"))
    rows.append(("by stance", ", ".join(f"{k} {v}" for k, v in profile.get("by_stance", {}).items() if v) or "—"))
    rows.append(("by source type",
                 ", ".join(f"{k} {v}" for k, v in profile.get("by_source_type", {}).items() if v) or "—"))
    rows.append(("distinct sources", str(profile.get("sources", 0))))
    rows.append(("named / unnamed sources",
                 f"{profile.get('named_share', 0):.0%} / {profile.get('unnamed_share', 0):.0%}"))
    rows.append(("sentences with no attribution", f"{profile.get('unattributed_sentence_share', 0):.0%}"))
    most = profile.get("most_cited")
    if most:
        rows.append(("most cited", f"{most['name']} ({most['attributions']})"))
    return rows


def stance_bar(by_stance: dict[str, int]) -> list[tuple[str, int, float]]:
    """(stance, count, percent) for a stacked bar of cue stances."""
    total = sum(by_stance.get(s, 0) for s in STANCES)
    if not total:
        return []
    return [(s, by_stance.get(s, 0), 100.0 * by_stance.get(s, 0) / total) for s in STANCES if by_stance.get(s, 0)]


__all__ = ["KINDS", "LAYERS", "LEGEND", "ROLE_NAMES", "SOURCE_TYPES", "STANCES", "STANCE_LEGEND", "Mark",
           "attribution_rows", "attribution_tip", "marked_html", "marks_of", "profile_rows", "source_rows",
           "stance_bar"]
