"""sayso: who says so? Attributions, sources and sourcing profiles of news articles."""

from typing import TYPE_CHECKING, Any

from sayso.pipeline import analyze, analyze_many
from sayso.record import Article, Attribution, Boilerplate, Hedge, Source, Span
from sayso.settings import Settings

if TYPE_CHECKING:
    from sayso.corpus.store import Store

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Store on first use: `import sayso` does not load DuckDB (a tenth of a second) for it
    if name == "Store":
        from sayso.corpus.store import Store

        return Store
    raise AttributeError(f"module 'sayso' has no attribute {name!r}")


__all__ = [
           "Article",
           "Attribution",
           "Boilerplate",
           "Hedge",
           "Settings",
           "Source",
           "Span",
           "Store",
           "__version__",
           "analyze",
           "analyze_many",
]
