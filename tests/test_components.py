"""sayso.nlp.components: sayso's steps as spaCy components, found without `import sayso`,
saved and loaded with their model, giving the records `sayso.analyze` gives."""

from __future__ import annotations

import json
import subprocess
import sys

import spacy

import sayso
from sayso.nlp.components import COMPONENTS
from sayso.nlp.parse import base_model_name
from sayso.record import Article

FRESH = """
import json, sys
import spacy
nlp = spacy.load(sys.argv[1])
nlp.add_pipe("sayso_attributions")
doc = nlp("The senator claimed the vote had been rigged.")
print(json.dumps({"cues": [a.cue[0].text for a in doc._.attributions], "factories": nlp.pipe_names}))
"""


def test_a_fresh_interpreter_finds_the_components_by_name():
    # spaCy finds the factory through the `spacy_factories` entry point: no `import sayso` in the script
    assert "import sayso" not in FRESH
    done = subprocess.run([sys.executable, "-c", FRESH, base_model_name()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["cues"] == ["claimed"] and out["factories"][-1] == "sayso_attributions"


def test_every_component_declares_what_it_assigns():
    for name in COMPONENTS:
        meta = spacy.Language.get_factory_meta(name)
        assert meta.assigns, name
    nlp = spacy.load(base_model_name())
    for name in COMPONENTS:
        nlp.add_pipe(name)
    problems = nlp.analyze_pipes()["problems"]
    assert all(not p for p in problems.values()), problems


def test_a_saved_pipeline_reloads_with_its_components_and_model(tmp_path, example_text):
    nlp = spacy.load(base_model_name())
    for name in COMPONENTS:
        nlp.add_pipe(name)
    nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / "sayso_attributions" / "model" / "cue.crfsuite").is_file()
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.pipe_names[-len(COMPONENTS):] == list(COMPONENTS)
    expected = sayso.analyze(example_text, id="x").to_dict()
    meta = {k: v for k, v in expected["meta"].items()}
    for pipeline in (nlp, loaded):
        assert Article.from_doc(pipeline(example_text), "x", meta).to_dict() == expected


def test_a_saved_pipeline_keeps_its_model_when_the_model_directory_is_gone(tmp_path):
    import shutil

    from sayso.nlp.attributions.taggers import load_model

    shutil.copytree(load_model().path or _shipped(), tmp_path / "mine")
    nlp = spacy.load(base_model_name())
    nlp.add_pipe("sayso_attributions", config={"model": str(tmp_path / "mine")})
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(tmp_path / "mine")
    loaded = spacy.load(tmp_path / "pipeline")
    assert [a.cue[0].text for a in loaded("Officials said the count was fair.")._.attributions] == ["said"]


def test_rules_are_saved_as_rules(tmp_path):
    nlp = spacy.load(base_model_name())
    nlp.add_pipe("sayso_attributions", config={"model": "rules"})
    nlp.to_disk(tmp_path / "pipeline")
    assert not (tmp_path / "pipeline" / "sayso_attributions" / "model").exists()
    text = "The senator claimed the vote had been rigged."
    loaded = spacy.load(tmp_path / "pipeline")
    def spans(attributions):
        return [(a.cue, a.source, a.content, a.score) for a in attributions]

    assert spans(loaded(text)._.attributions) == spans(sayso.analyze(text, model="rules").attributions)


def _shipped() -> str:
    from importlib import resources

    return str(resources.files("sayso.nlp.attributions").joinpath("model"))


PARAGRAPHS = """
import json, sys
import spacy
nlp = spacy.load(sys.argv[1])
nlp.add_pipe("sayso_paragraphs", before="parser")
doc = nlp("Flood warnings stay in place\\n\\nThe river rose overnight.")
print(json.dumps([s.text.strip() for s in doc.sents]))
"""


def test_paragraph_breaks_start_sentences_in_any_pipeline():
    # the step sayso runs before spaCy's parser, found by name like the others: a headline without a
    # full stop is a sentence of its own
    done = subprocess.run([sys.executable, "-c", PARAGRAPHS, base_model_name()], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "Flood warnings stay in place", "The river rose overnight."]
