"""Resolving sources: which attributions share a speaker, what to call it and
what kind of source it is.

Every attribution's source span becomes a mention of one `Source`; mentions
that refer to the same speaker share it ("He", "The former general" and
"Mr Petraeus" are David Petraeus). The resolution is by rules over the
article's own evidence: names and their short forms, pronouns to the nearest
compatible earlier source, and role descriptions linked to a name only when
the article has tied the two together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc
from spacy.tokens import Span as DocSpan

from sayso.record import Attribution, Source, Span

PRONOUNS_SINGULAR_MALE = {"he", "him", "his"}
PRONOUNS_SINGULAR_FEMALE = {"she", "her", "hers"}
PRONOUNS_PLURAL = {"they", "them", "their"}
PRONOUNS_NEUTER = {"it", "its"}
FIRST_PERSON = {"i", "we", "me", "us", "you"}
HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
              "gen", "general", "col", "colonel", "capt", "captain", "lt", "sgt", "rep", "sen",
              "senator", "gov", "governor", "president", "rev", "judge", "justice", "mx"}
DOCUMENT_NOUNS = {"audio", "recording", "clip", "video", "footage", "tape", "statement", "report",
                  "document", "documents", "letter", "memo", "email", "e-mail", "post", "tweet",
                  "study", "survey", "poll", "analysis", "data", "figures", "records", "record",
                  "transcript", "filing", "complaint", "lawsuit", "ruling", "paper", "release",
                  "statements", "message", "messages", "book", "article", "website", "notice",
                  "research", "findings", "indictment", "affidavit", "emails", "image",
                  "photo", "photos", "images", "videos", "recordings", "reports", "polls", "surveys"}
GROUP_NOUNS = {"troops", "soldiers", "fighters", "forces", "officials", "people", "residents",
               "voters", "critics", "supporters", "experts", "analysts", "observers", "witnesses",
               "protesters", "activists", "democrats", "republicans", "members", "lawmakers",
               "leaders", "workers", "students", "parents", "doctors", "scientists", "police",
               "investigators", "prosecutors", "campaigners", "locals", "authorities", "aides",
               "advisers", "advisors", "staff", "employees", "families", "citizens", "americans",
               "russians", "ukrainians", "conscripts", "commanders", "delegates", "economists",
               "researchers", "sources", "others", "many", "some", "both", "all", "diplomats",
               "donors", "opponents", "allies", "republican", "democrat", "team", "crowd"}
ROLE_NOUNS = {"minister", "president", "spokesman", "spokeswoman", "spokesperson", "secretary",
              "chairman", "chairwoman", "chair", "director", "chief", "general", "governor",
              "mayor", "senator", "judge", "prosecutor", "lawyer", "attorney", "ambassador",
              "commander", "officer", "official", "adviser", "advisor", "aide", "ceo", "head",
              "leader", "candidate", "nominee", "king", "queen", "prince", "pope", "premier",
              "chancellor", "representative", "congressman", "congresswoman", "sheriff",
              "manager", "founder", "editor", "professor", "analyst", "expert", "economist",
              "strategist", "pollster", "campaign", "envoy", "diplomat", "inspector", "coach",
              "captain", "colonel", "sergeant", "deputy", "speaker", "commissioner", "doctor"}
UNNAMED_WORDS = {"one", "a", "an", "another", "someone", "somebody", "man", "woman", "person",
                 "resident", "witness", "soldier", "voter"}
ANONYMOUS_PATTERNS = re.compile(
    r"\b(familiar with|condition of anonymity|not authori[sz]ed to|declined to be named|"
    r"asked not to be (named|identified)|spoke anonymously|anonymous|unnamed|"
    r"a source|sources (close to|said|say)|an insider|insiders|people (close to|briefed))\b",
    re.I,
)
ORG_ENT = {"ORG", "NORP_ORG"}
_TITLE_WORDS = HONORIFICS | ROLE_NOUNS | {"retired", "former", "us", "u.s.", "army", "deputy",
                                          "prime", "vice", "acting", "then", "late"}


@dataclass
class _Entity:
    id: str
    name: str
    type: str
    description: str | None
    mentions: list[Span] = field(default_factory=list)
    surnames: set[str] = field(default_factory=set)
    gender: str | None = None
    plural: bool = False
    heads: set[str] = field(default_factory=set)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w.’'-]+", text)


def _split_name(mention: DocSpan) -> tuple[str | None, str | None]:
    """(name, description) of a mention like "Retired US army general David Petraeus"."""
    persons = [e for e in mention.ents if e.label_ in ("PERSON", "ORG", "GPE", "NORP")]
    if persons:
        ent = max(persons, key=len)
        name_tokens = [t for t in ent if t.lower_.rstrip(".") not in HONORIFICS]
        name = " ".join(t.text for t in name_tokens) or ent.text
        before = mention.doc[mention.start:ent.start].text.strip(" ,")
        after = mention.doc[ent.end:mention.end].text.strip(" ,")
        description = before or (after if after.lower().startswith(("the ", "a ", "an ")) else "")
        return name, description or None
    # proper nouns without an entity label
    propn = [t for t in mention if t.pos_ == "PROPN" and t.lower_.rstrip(".") not in HONORIFICS]
    if (propn and propn[-1].i == mention.end - 1) or (propn and mention.root in propn):
        start = propn[0].i
        name = mention.doc[start:propn[-1].i + 1].text
        description = mention.doc[mention.start:start].text.strip(" ,") or None
        if description and description.lower() in ("the", "a", "an"):
            description = None
        return name, description
    return None, None


def _source_type(mention: DocSpan, name: str | None) -> str:
    text = mention.text
    low_words = [w.lower() for w in _words(text)]
    head = mention.root.lower_
    if ANONYMOUS_PATTERNS.search(text):
        return "anonymous"
    if head in DOCUMENT_NOUNS or (low_words and low_words[0] in DOCUMENT_NOUNS):
        return "document"
    ents = [e.label_ for e in mention.ents]
    if name:
        if "PERSON" in ents or mention.root.ent_type_ == "PERSON":
            return "person"
        if any(e in ("ORG", "GPE", "NORP", "FAC") for e in ents):
            if head in GROUP_NOUNS or (mention.root.tag_ in ("NNS", "NNPS") and mention.root.pos_ != "PROPN"):
                return "group"
            return "organization"
        if mention.root.pos_ == "PROPN":
            return "person" if len(name.split()) >= 2 else "organization"
    if head in GROUP_NOUNS or mention.root.tag_ in ("NNS", "NNPS"):
        return "group"
    if low_words and low_words[0] in ("one", "a", "an", "another") and head not in ROLE_NOUNS:
        return "unnamed"
    if head in ROLE_NOUNS:
        return "role" if low_words and low_words[0] not in ("a", "an", "one", "another") else "unnamed"
    if head in UNNAMED_WORDS:
        return "unnamed"
    return "other"


def _gender(mention: DocSpan) -> str | None:
    for t in mention:
        if t.lower_ in ("mr", "mr.", "sir", "lord", "king", "prince"):
            return "male"
        if t.lower_ in ("mrs", "mrs.", "ms", "ms.", "miss", "dame", "lady", "queen", "princess"):
            return "female"
    return None


def resolve_sources(doc: Doc, attributions: Sequence[Attribution]) -> list[Source]:
    """Give each attribution a `speaker` and return the article's sources."""
    entities: list[_Entity] = []
    by_key: dict[str, _Entity] = {}
    history: list[_Entity] = []  # in order of mention, for pronouns
    text = doc.text

    def new_entity(name: str, type_: str, description: str | None) -> _Entity:
        ent = _Entity(id=f"s{len(entities) + 1}", name=name, type=type_, description=description)
        entities.append(ent)
        return ent

    for a in sorted(attributions, key=lambda a: a.first_offset):
        if not a.source:
            a.speaker = None
            continue
        first, last = a.source[0], a.source[-1]
        mention = doc.char_span(first.start, last.end, alignment_mode="expand")
        if mention is None or len(mention) == 0:
            a.speaker = None
            continue
        low = mention.text.lower().strip()
        ent: _Entity | None = None
        if len(mention) == 1 and low in (PRONOUNS_SINGULAR_MALE | PRONOUNS_SINGULAR_FEMALE
                                         | PRONOUNS_PLURAL | PRONOUNS_NEUTER | FIRST_PERSON):
            ent = _resolve_pronoun(low, history)
            if ent is None:
                ent = new_entity(mention.text, "other" if low in FIRST_PERSON else "unnamed", None)
                ent.plural = low in PRONOUNS_PLURAL
        else:
            name, description = _split_name(mention)
            type_ = _source_type(mention, name)
            if name and type_ in ("person", "organization"):
                words = name.split()
                surname = words[-1].lower()
                key = name.lower()
                ent = by_key.get(key)
                if ent is None:
                    for other in entities:
                        if other.type == type_ and (surname in other.surnames or key in other.name.lower()):
                            ent = other
                            break
                if ent is None:
                    ent = new_entity(name, type_, description)
                elif len(name) > len(ent.name) and ent.name.lower() in name.lower():
                    ent.name = name  # the fullest form wins
                if description and not ent.description:
                    ent.description = description
                ent.surnames.add(surname)
                by_key[key] = ent
                ent.gender = ent.gender or _gender(mention) or ("male" if type_ == "person" else None)
            else:
                key = " ".join(w for w in _words(low) if w not in ("the", "a", "an"))
                ent = _resolve_description(mention, entities) if type_ == "role" else None
                if ent is None:
                    ent = by_key.get(key)
                if ent is None:
                    ent = new_entity(mention.text.strip(), type_, None)
                    ent.plural = type_ == "group"
                    by_key[key] = ent
            ent.heads.add(mention.root.lower_)
        ent.mentions.append(Span(first.start, last.end, text[first.start:last.end]))
        a.speaker = ent.id
        if ent in history:
            history.remove(ent)
        history.append(ent)
    return [Source(e.id, e.name, e.type, e.description, sorted(set(e.mentions))) for e in entities]


def _resolve_pronoun(pronoun: str, history: list[_Entity]) -> _Entity | None:
    for ent in reversed(history):
        if pronoun in PRONOUNS_PLURAL:
            if ent.plural or ent.type in ("group", "organization"):
                return ent
        elif pronoun in PRONOUNS_NEUTER:
            if ent.type in ("document", "organization"):
                return ent
        elif pronoun in FIRST_PERSON:
            return None
        elif ent.type in ("person", "role", "unnamed") and not ent.plural:
            want = "male" if pronoun in PRONOUNS_SINGULAR_MALE else "female"
            if ent.gender in (None, want):
                return ent
    return None


def _resolve_description(mention: DocSpan, entities: list[_Entity]) -> _Entity | None:
    """"The former general" is David Petraeus when the article called him a
    general before: a role word of the mention appears in a person's description."""
    words = {w.lower() for w in _words(mention.text)} - {"the", "a", "an", "former", "then"}
    head = mention.root.lower_
    for ent in reversed(entities):
        if ent.type != "person" or not ent.description:
            continue
        described = {w.lower() for w in _words(ent.description)}
        if head in described and words & described:
            return ent
    return None
