"""sayso: who says so? Attributions, sources and sourcing profiles of news articles."""

from sayso.pipeline import analyze, analyze_many
from sayso.record import Article, Attribution, Boilerplate, Hedge, Source, Span

__version__ = "0.1.0"

__all__ = [
           "Article",
           "Attribution",
           "Boilerplate",
           "Hedge",
           "Source",
           "Span",
           "__version__",
           "analyze",
           "analyze_many",
]
