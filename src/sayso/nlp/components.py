"""sayso's steps as spaCy pipeline components.

Each adds to the `Doc` what its step finds, in pipeline order (before them, ahead of spaCy's
parser, `sayso_paragraphs` of `sayso.nlp.parse` starts a sentence after every paragraph break;
`sayso.nlp.parse.load_base` adds it):

- `sayso_boilerplate`: `doc._.boilerplate`, the page furniture (never read for attributions);
- `sayso_attributions`: `doc._.attributions`, records of `sayso.article/1` (the model is set
  by `model`: None for the shipped one, "rules", or a model directory; it is saved with the
  pipeline by `nlp.to_disk`);
- `sayso_sources`: `doc._.sources`, and each attribution's `speaker`;
- `sayso_stance`: each attribution's `stance`, and `doc._.hedges` in the author's own voice;
- `sayso_profile`: `doc._.profile`, the article's sourcing profile.

spaCy finds them through the `spacy_factories` entry point, so
`spacy.load("en_core_web_sm").add_pipe("sayso_attributions")` works without
`import sayso`. `sayso.record.Article.from_doc(doc)` builds the record.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import minibatch

from sayso.errors import ModelError
from sayso.nlp.attributions.taggers import CUE_FILE, META_FILE, ROLE_FILE, AttributionModel, load_finder
from sayso.nlp.clean import find_boilerplate
from sayso.nlp.profile import build_profile
from sayso.nlp.quotes import quotes_of
from sayso.nlp.sources import resolve_sources
from sayso.nlp.stance import find_hedges, set_stances
from sayso.record import Attribution, Boilerplate, text_of
from sayso.settings import RULES

EXTENSIONS = ("boilerplate", "attributions", "sources", "hedges", "profile")
for _name in EXTENSIONS:
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

SAVED_MODEL = "model"  # the folder of a saved component holding its attribution model


def boilerplate_of(doc: Doc) -> list[Boilerplate]:
    """The page furniture of a text: what `sayso_boilerplate` set, else found now."""
    if doc._.boilerplate is None:
        doc._.boilerplate = find_boilerplate(text_of(doc))
    return doc._.boilerplate


class BoilerplateFinder:
    def __init__(self, name: str = "sayso_boilerplate"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.boilerplate = find_boilerplate(text_of(doc))
        return doc


class AttributionFinder:
    """Finds the attributions of a text, numbered a1, a2, … in text order."""

    def __init__(self, nlp: Language | None = None, name: str = "sayso_attributions", model: str | None = None,
                 min_score: float = 0.0):
        self.name = name
        self.model = model
        self.min_score = min_score
        self.finder: Callable[..., Any] | None = None
        self.problem: ModelError | None = None
        try:
            self.finder = load_finder(model)  # a bad model directory fails here, before any text
        except ModelError as exc:
            # a saved pipeline brings its own model (`from_disk`), wherever `model` pointed
            # when it was saved; without one, the first text raises this
            self.problem = exc

    def __call__(self, doc: Doc) -> Doc:
        return self._keep(doc, self._finder()(doc, boilerplate_of(doc)))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
        """Articles a batch at a time: the learned model decodes a batch's sentences together."""
        finder = self._finder()
        for batch in minibatch(docs, size=batch_size):
            if isinstance(finder, AttributionModel):
                found = finder.find_many([(doc, boilerplate_of(doc)) for doc in batch])
            else:
                found = [finder(doc, boilerplate_of(doc)) for doc in batch]
            yield from map(self._keep, batch, found)

    def _finder(self) -> Callable[..., Any]:
        if self.finder is None:
            raise self.problem or ModelError("sayso_attributions: no attribution model")
        return self.finder

    def _keep(self, doc: Doc, found: list[Attribution]) -> Doc:
        found = [a for a in found if a.score >= self.min_score]
        found.sort(key=lambda a: a.first_offset)
        for n, a in enumerate(found, start=1):
            a.id = f"a{n}"
        doc._.attributions = found
        return doc

    # A saved pipeline carries its model: `to_disk` copies the model files into the
    # component's folder and `from_disk` loads them from there.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        target = path / SAVED_MODEL
        if target.exists():
            shutil.rmtree(target)
        if isinstance(self.finder, AttributionModel):
            target.mkdir()
            cue, role = self.finder.buffers
            (target / CUE_FILE).write_bytes(cue)
            (target / ROLE_FILE).write_bytes(role)
            (target / META_FILE).write_text(json.dumps(self.finder.meta, indent=2), encoding="utf-8")
        (path / "cfg.json").write_text(json.dumps({"rules": not isinstance(self.finder, AttributionModel),
                                                   "min_score": self.min_score}), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> AttributionFinder:
        path = Path(path)
        cfg = json.loads((path / "cfg.json").read_text(encoding="utf-8"))
        self.min_score = float(cfg.get("min_score", self.min_score))
        if (path / SAVED_MODEL).is_dir():
            self.finder = AttributionModel.load(path / SAVED_MODEL)
        elif cfg.get("rules"):
            self.finder = load_finder(RULES)
        self.problem = None
        return self


class SourceResolver:
    """Resolves every attribution's source to one of the article's sources."""

    def __init__(self, name: str = "sayso_sources"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc._.sources = resolve_sources(doc, doc._.attributions or [])
        return doc


class StanceReader:
    """How the article frames each attribution (its cue's stance), and the hedges in its own voice."""

    def __init__(self, name: str = "sayso_stance"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        attributions = doc._.attributions or []
        set_stances(attributions)
        quoted = [(q.start, q.end) for q in quotes_of(doc).quotes]
        doc._.hedges = find_hedges(text_of(doc), attributions, boilerplate_of(doc), quoted, doc)
        return doc


class ProfileBuilder:
    """The article's sourcing profile from its attributions and sources."""

    def __init__(self, name: str = "sayso_profile"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = text_of(doc)  # a sentence's text is this slice of it; Span.text would rebuild it
        sentences = [(s.start_char, s.end_char) for s in doc.sents if text[s.start_char:s.end_char].strip()]
        doc._.profile = build_profile(doc._.attributions or [], doc._.sources or [], sentences,
                                      boilerplate_of(doc))
        return doc


@Language.factory("sayso_boilerplate", assigns=["doc._.boilerplate"])
def make_boilerplate(nlp: Language, name: str) -> BoilerplateFinder:
    return BoilerplateFinder(name)


@Language.factory("sayso_attributions", assigns=["doc._.attributions", "doc._.boilerplate"],
                  requires=["token.dep", "token.tag", "token.lemma"],
                  default_config={"model": None, "min_score": 0.0})
def make_attributions(nlp: Language, name: str, model: str | None, min_score: float) -> AttributionFinder:
    return AttributionFinder(nlp, name, model, min_score)


@Language.factory("sayso_sources", assigns=["doc._.sources"], requires=["doc._.attributions", "doc.ents"])
def make_sources(nlp: Language, name: str) -> SourceResolver:
    return SourceResolver(name)


@Language.factory("sayso_stance", assigns=["doc._.hedges"], requires=["doc._.attributions"])
def make_stance(nlp: Language, name: str) -> StanceReader:
    return StanceReader(name)


@Language.factory("sayso_profile", assigns=["doc._.profile"], requires=["doc._.attributions", "doc._.sources"])
def make_profile(nlp: Language, name: str) -> ProfileBuilder:
    return ProfileBuilder(name)


COMPONENTS = ("sayso_boilerplate", "sayso_attributions", "sayso_sources", "sayso_stance", "sayso_profile")


def add_components(nlp: Language, model: str | None = None, min_score: float = 0.0) -> Language:
    """Add all of sayso's components to a parsing pipeline, in order."""
    for name in COMPONENTS:
        config = {"model": model, "min_score": min_score} if name == "sayso_attributions" else {}
        nlp.add_pipe(name, config=config)
    return nlp
