"""The article's sourcing profile: how the article knows what it says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sayso.nlp.ranges import Ranges
from sayso.record import KINDS, SOURCE_TYPES, STANCES, Attribution, Boilerplate, Source

NAMED_TYPES = {"person", "organization", "document"}
UNNAMED_TYPES = {"unnamed", "anonymous", "role"}


def build_profile(
    attributions: Sequence[Attribution],
    sources: Sequence[Source],
    sentences: Sequence[tuple[int, int]],
    boilerplate: Sequence[Boilerplate] = (),
) -> dict[str, Any]:
    """Counts by kind, stance and source type; named vs unnamed sources; the
    share of sentences (boilerplate excluded) that carry no attribution."""
    by_kind = Counter(a.kind for a in attributions)
    by_stance = Counter(a.stance for a in attributions)
    type_of = {s.id: s.type for s in sources}
    by_type = Counter(type_of.get(a.speaker, "none") if a.speaker else "none" for a in attributions)
    furniture = Ranges((b.start, b.end) for b in boilerplate)
    body = [s for s in sentences if not furniture.overlaps(*s)]
    spans = Ranges((sp.start, sp.end) for a in attributions for sp in (*a.cue, *a.source, *a.content))
    unattributed = sum(1 for s in body if not spans.overlaps(*s))
    counts = Counter(a.speaker for a in attributions if a.speaker)
    named = sum(1 for s in sources if s.type in NAMED_TYPES)
    unnamed = sum(1 for s in sources if s.type in UNNAMED_TYPES)
    most = counts.most_common(1)
    most_cited = None
    if most:
        top = next(s for s in sources if s.id == most[0][0])
        most_cited = {"source": top.id, "name": top.name, "attributions": most[0][1]}
    return {
        "attributions": len(attributions),
        "by_kind": {k: by_kind.get(k, 0) for k in KINDS},
        "by_stance": {k: by_stance.get(k, 0) for k in STANCES},
        "by_source_type": {k: by_type.get(k, 0) for k in (*SOURCE_TYPES, "none")},
        "sources": len(sources),
        "named_share": round(named / len(sources), 4) if sources else 0.0,
        "unnamed_share": round(unnamed / len(sources), 4) if sources else 0.0,
        "unsourced_attributions": by_type.get("none", 0),
        "sentences": len(body),
        "unattributed_sentence_share": round(unattributed / len(body), 4) if body else 0.0,
        "most_cited": most_cited,
    }
