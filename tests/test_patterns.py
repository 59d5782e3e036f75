"""Each quote pattern of real news, on small handmade sentences."""

from __future__ import annotations

import pytest

import sayso


def only(text: str):
    # the rule finder's patterns: the learned default follows PolNeAR's conventions ("said:", "is alleged")
    article = sayso.analyze(text, model="rules")
    assert article.check() == []
    assert len(article.attributions) == 1, [a.to_dict() for a in article.attributions]
    a = article.attributions[0]
    return a, [s.text for s in a.source], [s.text for s in a.cue], [s.text for s in a.content]


@pytest.mark.parametrize(
    ("text", "source", "cue", "content", "kind"),
    [
        # direct quotes with straight and curly marks, before and after the cue
        ('He said: "We will win the vote."', ["He"], ["said"], ['"We will win the vote."'], "direct"),
        ("“We will win the vote,” he said.", ["he"], ["said"], ["“We will win the vote,”"], "direct"),
        # British single quotation marks
        ("‘We are ready,’ the coach said.", ["the coach"], ["said"], ["‘We are ready,’"], "direct"),
        ("'We are ready,' the coach said.", ["the coach"], ["said"], ["'We are ready,'"], "direct"),
        # inverted cue
        ("“We will win the vote,” said Mr Smith.", ["Mr Smith"], ["said"], ["“We will win the vote,”"],
         "direct"),
        # a quote split around the cue
        ("“We will win,” she said, “and we will win big.”", ["she"], ["said"],
         ["“We will win,”", "“and we will win big.”"], "direct"),
        # a quote over several sentences
        ("“We will win. Nobody can stop us,” she said.", ["she"], ["said"],
         ["“We will win. Nobody can stop us,”"], "direct"),
        # mixed quotes
        ("He argued the plan was “not surprising”.", ["He"], ["argued"], ["the plan was “not surprising”"],
         "mixed"),
        ('Officials confirmed the plan had "failed".', ["Officials"], ["confirmed"], ['the plan had "failed"'],
         "mixed"),
        # indirect speech, with and without "that"
        ("The minister said that the talks had failed.", ["The minister"], ["said"],
         ["that the talks had failed"], "indirect"),
        ("He claimed the lack of care goes all the way to the top.", ["He"], ["claimed"],
         ["the lack of care goes all the way to the top"], "indirect"),
        ("The group's spokesman told reporters that the deal was dead.", ["The group's spokesman"], ["told"],
         ["that the deal was dead"], "indirect"),
        # wh-clauses
        ("The soldiers described how they sat there for three days.", ["The soldiers"], ["described"],
         ["how they sat there for three days"], "indirect"),
        # according to, before and after
        ("According to the police, the suspect fled the scene.", ["the police"], ["According to"],
         ["the suspect fled the scene"], "indirect"),
        ("The suspect fled the scene, according to the police.", ["the police"], ["according to"],
         ["The suspect fled the scene"], "indirect"),
        # thought and belief cues
        ("She believes the economy will recover next year.", ["She"], ["believes"],
         ["the economy will recover next year"], "indirect"),
        ("Voters fear that prices will rise again.", ["Voters"], ["fear"], ["that prices will rise again"],
         "indirect"),
        ("He wants to run for governor next year.", ["He"], ["wants"], ["to run for governor next year"],
         "indirect"),
        # appositive sources
        ("Mr Jones, the party leader, insisted the budget was balanced.", ["Mr Jones, the party leader"],
         ["insisted"], ["the budget was balanced"], "indirect"),
    ],
)
def test_pattern(text, source, cue, content, kind):
    a, got_source, got_cue, got_content = only(text)
    assert (got_source, got_cue, got_content, a.kind) == (source, cue, content, kind)


def test_no_stated_source():
    a, source, cue, content = only("It is alleged that the firm hid its losses.")
    assert source == [] and a.speaker is None
    assert cue == ["alleged"] and content == ["that the firm hid its losses"]


def test_nominal_cue_without_source():
    _, source, cue, content = only("The allegations that the mayor lied to voters have grown.")
    assert source == [] and cue == ["allegations"] and content == ["that the mayor lied to voters"]


def test_nominal_cue_with_possessive_source():
    _, source, cue, content = only("His claim that the vote was rigged was false.")
    assert source == ["His"] and cue == ["claim"] and content == ["that the vote was rigged"]


def test_quote_continued_over_paragraphs():
    text = "The senator said: “We will win the vote next week.\n“Nobody can stop us now.”"
    a, source, cue, content = only(text)
    assert source == ["The senator"] and cue == ["said"]
    assert content == ["“We will win the vote next week.", "“Nobody can stop us now.”"]
    assert a.kind == "direct"


def test_cue_inside_a_quote_is_not_a_new_attribution():
    article = sayso.analyze("“I think we will win,” she said.")
    assert [[s.text for s in a.cue] for a in article.attributions] == [["said"]]


def test_plain_sentence_has_no_attribution():
    article = sayso.analyze("The bridge was opened in 1932 and carries four lanes of traffic.")
    assert article.attributions == []


# --- attributions marked by layout: signatures and speaker labels ---------------------------

def readings(text: str, model: str | None = "rules") -> list[tuple[list[str], list[str], list[str]]]:
    article = sayso.analyze(text, model=model)
    assert article.check() == []
    return [([s.text for s in a.source], [s.text for s in a.cue], [s.text for s in a.content])
            for a in article.attributions]


@pytest.mark.parametrize("model", ["rules", None])  # the learned model defers to the layout's reading
def test_a_quotation_signed_with_a_dash(model):
    text = "Residents were angry.\n\n“We were left with nothing at all.” ― Sonya Herridge\n\nThe council met."
    assert readings(text, model) == [(["Sonya Herridge"], ["―"], ["“We were left with nothing at all.”"])]


def test_a_tweet_signed_with_its_handle():
    text = ("The speaker wrote on Twitter.\n\nWe will not stand for this kind of politics in our country"
            " — Paul Ryan (@SpeakerRyan) July 5, 2016\n\nHe later deleted it.")
    assert readings(text) == [(["Paul Ryan"], ["—"], ["We will not stand for this kind of politics in our country"])]


def test_a_dash_inside_prose_is_no_signature():
    found = readings("The plan - Mark Smith said on Monday - would fail.")
    assert all(cue != ["-"] for _, cue, _ in found)


def test_a_verb_inside_a_signed_quotation_belongs_to_the_signer():
    text = "The meeting was tense.\n\n“He said the plan would fail, and it did.” ― Sonya Herridge\n\nNothing changed."
    assert readings(text) == [(["Sonya Herridge"], ["―"], ["“He said the plan would fail, and it did.”"])]


@pytest.mark.parametrize("model", ["rules", None])
def test_transcript_speaker_labels(model):
    text = ("The interview went as follows.\n\nWALLACE: Let us start with the economy, senator.\n\n"
            "CRUZ: The economy is not working for most families.\n\nThe exchange ended there.")
    assert readings(text, model) == [
        (["WALLACE"], [":"], ["Let us start with the economy, senator"]),
        (["CRUZ"], [":"], ["The economy is not working for most families"]),
    ]


def test_a_quoted_transcript_turn_runs_until_the_next_label():
    text = ("They spoke on air.\n\n“WALLACE: Let us start with the economy, senator.\n\n"
            "“And then we can talk about the border and the wall.\n\n"
            "“CRUZ: The economy is not working for most families.”")
    found = readings(text)
    assert [(s, c) for s, c, _ in found] == [(["WALLACE"], [":"]), (["CRUZ"], [":"])]
    assert found[0][2][1] == "And then we can talk about the border and the wall."


def test_a_headline_label_naming_a_person():
    text = "Hillary Clinton: The Economy Needs a Raise for Working Families\n\nThe candidate spoke in Ohio."
    assert readings(text) == [(["Hillary Clinton"], [":"], ["The Economy Needs a Raise for Working Families"])]


@pytest.mark.parametrize(("text", "source"), [
    ("Poll: Wealthy Voters Abandon the Party in Droves\n\nA new poll shows it.", "Poll"),
    # the tagger reads the headline's first word as a noun; the article names the person
    ("Sanders: Clinton needs to get away from all of this personality stuff.\n\n"
     "Senator Bernie Sanders spoke in Ohio on Monday.", "Sanders"),
])
def test_a_headline_label_naming_a_poll_or_a_person_of_the_article(text, source):
    assert readings(text)[0][:2] == ([source], [":"])


@pytest.mark.parametrize("text", [
    "Breaking: Bernie Sanders Just Got A Major Win In The Race\n\nThe count goes on.",
    "The Latest: Trump urges supporters to monitor polling places\n\nThe count goes on.",
    "Voters spoke.\n\nPoll: Wealthy Voters Abandon the Party in Droves\n\nThe count goes on.",  # no headline
])
def test_headline_furniture_and_labels_below_the_headline_are_no_speakers(text):
    assert ":" not in [cue[0] for _, cue, _ in readings(text)]


def test_page_furniture_labels_are_no_speakers():
    text = ("UPDATE: The council has since changed its decision on the road.\n\n"
            "CORRECTION: An earlier version misstated the date of the vote.\n\nThe road stays closed.")
    assert readings(text) == []


def test_a_signature_after_a_no_break_space_and_ending_a_sentence():
    # web text: "” ―\xa0Name." — the name's closing full stop is not part of it, an initial's is
    text = ("Voters wrote in.\n\n“Maybe we can build a wall around him.” ―\u00a0Steve Quinlan.\n"
            "“He should waken all of us to the danger.” ―\u00a0Julie A. Diaz Martinez\n\nThe end.")
    assert [(source, cue) for source, cue, _ in readings(text)] == [
        (["Steve Quinlan"], ["―"]), (["Julie A. Diaz Martinez"], ["―"])]


def test_a_source_stays_in_the_paragraph_of_its_cue():
    # spaCy alone parses the headline and the next paragraph as one sentence here; a blank line
    # starts a sentence (sayso.nlp.parse.mark_paragraphs), so no source or content crosses it
    text = ("Sanders: Clinton needs to get away from all of this personality stuff\n\n"
            "Bernie Sanders said the race was close.")
    found = readings(text)
    assert (["Bernie Sanders"], ["said"], ["the race was close"]) in found
    assert all("\n\n" not in part for reading in found for role in reading for part in role)
