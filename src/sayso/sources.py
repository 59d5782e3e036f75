"""Resolving sources: which attributions share a speaker, what to call it and
what kind of source it is.

Every attribution's source span becomes a mention of one `Source`; mentions
that refer to the same speaker share it ("He", "The former general" and
"Mr Petraeus" are David Petraeus). The resolution uses the article's own
evidence only:

- names and their short forms: a surname, or "Mr/Ms/Dr/Gen. Surname", joins the
  person whose fullest name in the article ends with it;
- pronouns: the nearest compatible earlier source or named person (in the
  attributions or anywhere in the text before), across sentences;
- role descriptions ("The former general", "the minister"): the person the
  article has tied that role to, by a title before the name ("general David
  Petraeus") or an appositive ("Jane Doe, the finance minister,"); otherwise a
  source of their own, of type `role`;
- collectives and documents keep their own entries, merged when the same
  words come back ("The soldiers" / "the soldiers").

Types come from the entity recogniser, the mention's head noun and the small
lexicons below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc
from spacy.tokens import Span as DocSpan

from sayso.lexicon import given_name_genders
from sayso.record import Attribution, Source, Span

MALE = {"he", "him", "his", "himself"}
FEMALE = {"she", "her", "hers", "herself"}
PLURAL = {"they", "them", "their", "theirs", "themselves"}
NEUTER = {"it", "its", "itself"}
FIRST_SECOND = {"i", "we", "me", "us", "you", "my", "our", "your"}
PRONOUNS = MALE | FEMALE | PLURAL | NEUTER | FIRST_SECOND
MALE_TITLES = {"mr", "sir", "lord", "king", "prince", "father", "brother", "mr.", "duke"}
FEMALE_TITLES = {"mrs", "ms", "miss", "dame", "lady", "queen", "princess", "mrs.", "ms.", "sister", "duchess"}
HONORIFICS = MALE_TITLES | FEMALE_TITLES | {
    "dr", "dr.", "prof", "prof.", "professor", "gen", "gen.", "general", "col", "col.", "colonel", "capt",
    "capt.", "captain", "lt", "lt.", "sgt", "sgt.", "rep", "rep.", "sen", "sen.", "senator", "gov", "gov.",
    "governor", "president", "rev", "rev.", "judge", "justice", "mx", "mayor", "minister", "secretary",
    "chancellor", "premier", "ambassador", "commissioner", "inspector", "detective", "officer", "chief",
}
DOCUMENT_NOUNS = {
    "audio", "recording", "recordings", "clip", "clips", "video", "videos", "footage", "tape", "tapes",
    "statement", "statements", "report", "reports", "document", "documents", "letter", "letters", "memo",
    "email", "emails", "e-mail", "post", "posts", "tweet", "tweets", "study", "studies", "survey", "surveys",
    "poll", "polls", "analysis", "data", "figures", "records", "record", "transcript", "transcripts",
    "filing", "filings", "lawsuit", "ruling", "paper", "release", "message", "messages", "book", "article",
    "website", "notice", "research", "findings", "indictment", "affidavit", "image", "images", "photo",
    "photos", "photograph", "photographs", "map", "chart", "assessment", "estimate", "estimates", "dossier",
    "leak", "cable", "cables", "minutes", "testimony", "complaint", "forecast", "bulletin", "broadcast",
}
GROUP_NOUNS = {
    "troops", "soldiers", "fighters", "forces", "officials", "people", "residents", "voters", "critics",
    "supporters", "experts", "analysts", "observers", "witnesses", "protesters", "protestors",
    "activists", "democrats", "republicans", "members", "lawmakers", "legislators", "leaders", "workers",
    "students", "parents", "doctors", "nurses", "scientists", "police", "investigators", "prosecutors",
    "campaigners", "locals", "authorities", "aides", "advisers", "advisors", "staff", "employees",
    "families", "citizens", "americans", "russians", "ukrainians", "britons", "conscripts", "commanders",
    "delegates", "economists", "researchers", "sources", "others", "many", "some", "both", "diplomats",
    "donors", "opponents", "allies", "crowd", "crowds", "team", "teams", "executives", "officers",
    "farmers", "teachers", "villagers", "refugees", "survivors", "victims", "relatives", "neighbours",
    "neighbors", "fans", "users", "customers", "consumers", "viewers", "readers", "pollsters",
    "strategists", "insiders", "negotiators", "rebels", "militants", "separatists", "hardliners",
    "conservatives", "liberals", "progressives", "moderates", "senators", "congressmen", "mps", "ministers",
}
ROLE_NOUNS = {
    "minister", "president", "spokesman", "spokeswoman", "spokesperson", "secretary", "chairman",
    "chairwoman", "chair", "director", "chief", "general", "governor", "mayor", "senator", "judge",
    "prosecutor", "lawyer", "attorney", "ambassador", "commander", "officer", "official", "adviser",
    "advisor", "aide", "ceo", "head", "leader", "candidate", "nominee", "king", "queen", "prince", "pope",
    "premier", "chancellor", "representative", "congressman", "congresswoman", "sheriff", "manager",
    "founder", "editor", "professor", "analyst", "expert", "economist", "strategist", "pollster", "envoy",
    "diplomat", "inspector", "coach", "captain", "colonel", "sergeant", "deputy", "speaker", "commissioner",
    "doctor", "executive", "administrator", "superintendent", "surgeon", "physician", "scientist",
    "researcher", "author", "owner", "president-elect", "frontrunner", "front-runner", "incumbent",
    "challenger", "rival", "opponent", "host", "anchor", "correspondent", "reporter", "columnist",
    "historian", "mp", "lawmaker", "legislator", "mogul", "billionaire", "businessman", "businesswoman",
    "nurse", "teacher", "principal", "priest", "bishop", "imam", "rabbi", "chaplain", "veteran",
}
UNNAMED_HEADS = {"man", "woman", "person", "resident", "witness", "soldier", "voter", "one", "someone",
                 "somebody", "source", "worker", "employee", "student", "mother", "father", "boy", "girl",
                 "neighbour", "neighbor", "fighter", "protester", "supporter", "member", "passenger",
                 "driver", "farmer", "citizen", "local", "viewer", "reader", "customer", "patient", "victim"}
ANONYMOUS = re.compile(
    r"\b(familiar with|condition of anonymity|not authori[sz]ed to|declined to be (named|identified)|"
    r"asked not to be (named|identified)|spoke anonymously|anonymous(ly)?|unnamed|unidentified|"
    r"(a|one|two|three|several) (senior |government |western |us |u\.s\. |administration |party )?"
    r"(source|sources|insider|insiders)|sources close to|people (close to|briefed on|with knowledge)|"
    r"person with knowledge|(a|one) (senior )?official who)\b",
    re.I,
)
INDEFINITE = {"a", "an", "one", "another", "some", "two", "three", "several", "a few"}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
_WORD = re.compile(r"[\w’'.-]+")


@dataclass
class _Speaker:
    id: str
    name: str
    type: str
    description: str | None = None
    mentions: list[Span] = field(default_factory=list)
    gender: str | None = None
    plural: bool = False
    key: str = ""
    roles: set[str] = field(default_factory=set)


@dataclass
class _Person:
    """A named person or body the article mentions, quoted or not."""

    name: str
    surname: str
    label: str
    start: int  # first mention
    gender: str | None = None
    roles: set[str] = field(default_factory=set)
    description: str | None = None
    positions: list[int] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _strip_titles(tokens: Sequence) -> list:
    out = list(tokens)
    while out and out[0].lower_ in HONORIFICS:
        out = out[1:]
    while (out and out[-1].tag_ == "POS") or (out and out[-1].is_punct):
        out = out[:-1]
    return out


def _gender_of_titles(tokens: Sequence) -> str | None:
    for t in tokens:
        low = t.lower_.rstrip(".")
        if low in MALE_TITLES or low + "." in MALE_TITLES:
            return "male"
        if low in FEMALE_TITLES or low + "." in FEMALE_TITLES:
            return "female"
    return None


class _ArticlePeople:
    """Everything the article says about named people: fullest names, the
    roles it ties to them, and their genders where the article shows them."""

    def __init__(self, doc: Doc):
        self.by_surname: dict[str, _Person] = {}
        self.mentions: list[tuple[int, _Person]] = []  # (char offset, person), in text order
        for ent in doc.ents:
            if ent.label_ not in ("PERSON", "ORG"):
                continue
            tokens = _strip_titles(ent)
            if not tokens:
                continue
            # "Mr Petraeus" may come out as ORG: a personal title makes a person
            before = doc[ent.start - 1] if ent.start > 0 else None
            titled = before is not None and before.lower_.rstrip(".") in {h.rstrip(".") for h in HONORIFICS}
            label = "PERSON" if ent.label_ == "PERSON" or titled else "ORG"
            name = " ".join(t.text for t in tokens)
            surname = tokens[-1].lower_
            person = self.by_surname.get(surname) if label == "PERSON" else self.by_surname.get(name.lower())
            if person is None:
                person = _Person(name=name, surname=surname, label=label, start=ent.start_char)
                self.by_surname[surname if label == "PERSON" else name.lower()] = person
            elif len(tokens) > len(person.name.split()):
                person.name = name  # the fullest name wins
            gender = _gender_of_titles([before] if before is not None else [])
            if gender is None and label == "PERSON" and len(tokens) > 1:
                gender = given_name_genders().get(tokens[0].lower_)
            person.gender = person.gender or gender
            self._collect_roles(ent, person)
            person.positions.append(ent.start_char)
            self.mentions.append((ent.start_char, person))
        self.mentions.sort(key=lambda m: m[0])

    @staticmethod
    def _collect_roles(ent: DocSpan, person: _Person) -> None:
        doc = ent.doc
        root = ent.root
        # a title before the name: "Retired US army general David Petraeus"
        left = [t for t in root.lefts if t.i < ent.start]
        if left:
            start = min(t.left_edge.i for t in left)
            words = [t for t in doc[start:ent.start] if not t.is_punct]
            if words:
                person.roles.update(t.lower_ for t in words if t.pos_ in ("NOUN", "PROPN", "ADJ"))
                description = doc[start:ent.start].text.strip(" ,")
                if description.lower() not in DETERMINERS and not person.description:
                    person.description = description
        # an appositive: "Jane Doe, the finance minister,"
        for child in root.children:
            if child.dep_ == "appos" and child.pos_ in ("NOUN", "PROPN"):
                sub = doc[child.left_edge.i:child.right_edge.i + 1]
                person.roles.update(t.lower_ for t in sub if t.pos_ in ("NOUN", "ADJ"))
                if not person.description:
                    person.description = sub.text.strip(" ,")
        # "X is the minister"
        head = root.head
        if root.dep_ == "nsubj" and head.lemma_ == "be":
            for child in head.children:
                if child.dep_ == "attr" and child.pos_ == "NOUN":
                    person.roles.update(t.lower_ for t in child.subtree if t.pos_ in ("NOUN", "ADJ"))

    def nearest_before(self, offset: int) -> list[_Person]:
        """Named people mentioned before `offset`, nearest first."""
        seen: list[_Person] = []
        for start, person in reversed(self.mentions):
            if start < offset and person not in seen:
                seen.append(person)
        return seen

    def lookup(self, tokens: Sequence) -> _Person | None:
        tokens = _strip_titles(tokens)
        if not tokens:
            return None
        return self.by_surname.get(tokens[-1].lower_) or self.by_surname.get(
            " ".join(t.text for t in tokens).lower())


def _head(mention: DocSpan):
    """The mention's head noun, also when the parser hung its words elsewhere
    ("The former general highlighted…" parsed as modifiers of "Putin")."""
    root = mention.root
    if root.pos_ in ("NOUN", "PROPN", "PRON", "NUM"):
        return root
    head = root
    for t in mention:
        if t.pos_ in ("ADP", "PUNCT", "VERB", "SCONJ", "CCONJ") and t.i > mention.start:
            break
        if t.pos_ in ("NOUN", "PROPN", "ADJ", "NUM"):
            head = t
    return head


def _mention_type(mention: DocSpan, person: _Person | None) -> str:
    text = mention.text
    words = _words(text)
    head = _head(mention)
    head_low = head.lower_
    if ANONYMOUS.search(text):
        return "anonymous"
    if head_low in DOCUMENT_NOUNS:
        return "document"
    if person is not None:
        return "person" if person.label == "PERSON" else "organization"
    ents = {e.label_ for e in mention.ents}
    if ents & {"ORG", "GPE", "FAC"} and head.pos_ == "PROPN":
        return "organization"
    if ents & {"PERSON"} and head.pos_ == "PROPN":
        return "person"
    if head_low in GROUP_NOUNS or (head.tag_ in ("NNS", "NNPS") and head.pos_ != "PROPN"):
        return "group"
    if "NORP" in ents and head.pos_ in ("PROPN", "NOUN") and head.tag_ in ("NNPS", "NNS"):
        return "group"
    first = words[0] if words else ""
    if head_low in ROLE_NOUNS or any(w in ROLE_NOUNS for w in words[-2:]):
        return "unnamed" if first in INDEFINITE else "role"
    if head_low in UNNAMED_HEADS or first in INDEFINITE:
        return "unnamed"
    if head.pos_ == "PROPN":
        return "organization"
    return "other"


def _key(text: str) -> str:
    return " ".join(w for w in _words(text) if w not in DETERMINERS)


def resolve_sources(doc: Doc, attributions: Sequence[Attribution]) -> list[Source]:
    """Give each attribution a `speaker` and return the article's sources."""
    text = doc.text
    people = _ArticlePeople(doc)
    speakers: list[_Speaker] = []
    by_key: dict[str, _Speaker] = {}
    recent: list[_Speaker] = []  # speakers in order of their last mention

    def speaker_for(key: str, name: str, type_: str) -> _Speaker:
        sp = by_key.get(key)
        if sp is None:
            sp = _Speaker(id=f"s{len(speakers) + 1}", name=name, type=type_, key=key)
            speakers.append(sp)
            by_key[key] = sp
        return sp

    def person_speaker(person: _Person) -> _Speaker:
        sp = speaker_for("person:" + person.name.lower(), person.name,
                         "person" if person.label == "PERSON" else "organization")
        sp.name = person.name
        sp.gender = sp.gender or person.gender
        sp.roles |= person.roles
        sp.description = sp.description or person.description
        return sp

    for a in sorted(attributions, key=lambda a: a.first_offset):
        if not a.source:
            a.speaker = None
            continue
        first, last = a.source[0], a.source[-1]
        mention = doc.char_span(first.start, last.end, alignment_mode="expand")
        if mention is None or not len(mention):
            a.speaker = None
            continue
        low = mention.text.strip().lower()
        sp: _Speaker | None = None
        if len(mention) == 1 and low in PRONOUNS:
            sp = _resolve_pronoun(low, first.start, recent, people, person_speaker)
            if sp is None:
                generic = low in FIRST_SECOND
                sp = speaker_for(f"pronoun:{low}:{first.start}" if not generic else "generic:" + low,
                                 mention.text.strip(), "other" if generic else "unnamed")
                sp.plural = low in PLURAL
        else:
            person = people.lookup(list(mention.ents[-1]) if mention.ents else []) if mention.ents else None
            if person is None and mention.root.pos_ == "PROPN" and mention.root.lower_ not in DOCUMENT_NOUNS:
                person = people.lookup([t for t in mention if t.pos_ == "PROPN"])
            type_ = _mention_type(mention, person)
            if person is not None and type_ in ("person", "organization"):
                sp = person_speaker(person)
                description = _description(mention, person)
                if description and not sp.description:
                    sp.description = description
                sp.gender = sp.gender or _gender_of_titles(mention) or person.gender
            elif type_ == "role":
                sp = _resolve_role(mention, first.start, people, person_speaker) or speaker_for(
                    "role:" + _key(mention.text), mention.text.strip(), "role")
            else:
                sp = speaker_for(f"{type_}:{_key(mention.text)}", mention.text.strip(), type_)
                sp.plural = type_ == "group"
        sp.mentions.append(Span(first.start, last.end, text[first.start:last.end]))
        if low in MALE and sp.type in ("person", "role", "unnamed"):
            sp.gender = sp.gender or "male"
        elif low in FEMALE and sp.type in ("person", "role", "unnamed"):
            sp.gender = sp.gender or "female"
        a.speaker = sp.id
        if sp in recent:
            recent.remove(sp)
        recent.append(sp)
    return [Source(s.id, s.name, s.type, s.description, sorted(set(s.mentions))) for s in speakers]


def _description(mention: DocSpan, person: _Person) -> str | None:
    """The words a mention puts before or beside the name: "Retired US army general"."""
    if not mention.ents:
        return None
    ent = mention.ents[-1]
    before = mention.doc[mention.start:ent.start]
    words = [t for t in before if t.lower_.rstrip(".") not in HONORIFICS or len(before) > 1]
    if words and any(t.pos_ in ("NOUN", "ADJ", "PROPN") for t in words):
        description = before.text.strip(" ,")
        if description.lower() not in DETERMINERS:
            return description
    after = mention.doc[ent.end:mention.end].text.strip(" ,")
    return after or person.description


def _compatible(pronoun: str, sp_type: str, plural: bool, gender: str | None) -> bool:
    if pronoun in PLURAL:
        return plural or sp_type in ("group", "organization")
    if pronoun in NEUTER:
        return sp_type in ("document", "organization") and not plural
    if plural or sp_type not in ("person", "role", "unnamed", "anonymous"):
        return False
    want = "male" if pronoun in MALE else "female"
    return gender in (None, want)


def _resolve_pronoun(pronoun: str, offset: int, recent: list[_Speaker], people: _ArticlePeople,
                     person_speaker) -> _Speaker | None:
    """The nearest compatible earlier source, or named person of the text."""
    if pronoun in FIRST_SECOND:
        return None
    last_source_at = {sp.id: max(m.start for m in sp.mentions) for sp in recent}
    best: tuple[int, _Speaker | _Person] | None = None
    for sp in recent:
        if _compatible(pronoun, sp.type, sp.plural, sp.gender):
            at = last_source_at[sp.id]
            if best is None or at > best[0]:
                best = (at, sp)
    for person in people.nearest_before(offset):
        type_ = "person" if person.label == "PERSON" else "organization"
        if _compatible(pronoun, type_, False, person.gender):
            at = max(p for p in person.positions if p < offset)
            if best is None or at > best[0]:
                best = (at, person)
            break
    if best is None:
        return None
    found = best[1]
    return person_speaker(found) if isinstance(found, _Person) else found


def _resolve_role(mention: DocSpan, offset: int, people: _ArticlePeople, person_speaker) -> _Speaker | None:
    """"The former general" is the person the article called a general."""
    words = set(_words(mention.text)) - DETERMINERS - {"former", "then", "current", "new", "late"}
    head = _head(mention).lower_
    for person in people.nearest_before(offset):
        if head in person.roles and words <= person.roles | {head}:
            return person_speaker(person)
    for person in people.nearest_before(offset):
        if head in person.roles:
            return person_speaker(person)
    return None
