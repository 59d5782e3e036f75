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

import bisect
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc
from spacy.tokens import Span as DocSpan

from sayso.nlp.lexicon import IRREGULAR_PAST, cue_verbs, given_name_genders, verb_lemma
from sayso.nlp.quotes import quotes_of
from sayso.nlp.ranges import Ranges
from sayso.record import Attribution, Source, Span, text_of

MALE = {"he", "him", "his", "himself"}
FEMALE = {"she", "her", "hers", "herself"}
PLURAL = {"they", "them", "their", "theirs", "themselves"}
NEUTER = {"it", "its", "itself"}
FIRST_SECOND = {"i", "we", "me", "us", "you", "my", "our", "your"}
FIRST_PERSON = {"i", "we", "me", "us", "my", "our"}
PRONOUNS = MALE | FEMALE | PLURAL | NEUTER | FIRST_SECOND
MALE_TITLES = {"mr", "sir", "lord", "king", "prince", "father", "brother", "mr.", "duke"}
FEMALE_TITLES = {"mrs", "ms", "miss", "dame", "lady", "queen", "princess", "mrs.", "ms.", "sister", "duchess"}
PERSONAL_TITLES = MALE_TITLES | FEMALE_TITLES | {"dr", "dr.", "prof", "prof.", "professor", "mx"}
HONORIFICS = MALE_TITLES | FEMALE_TITLES | {
    "dr", "dr.", "prof", "prof.", "professor", "gen", "gen.", "general", "col", "col.", "colonel", "capt",
    "capt.", "captain", "lt", "lt.", "sgt", "sgt.", "rep", "rep.", "sen", "sen.", "senator", "gov", "gov.",
    "governor", "president", "rev", "rev.", "judge", "justice", "mx", "mayor", "minister", "secretary",
    "chancellor", "premier", "ambassador", "commissioner", "inspector", "detective", "officer", "chief",
    "cllr", "councillor", "councilman", "councilwoman", "alderman", "supt", "dci", "sheriff",
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
    "resolution", "registration", "protocol", "submission", "guidance", "draft",
    "ad", "ads", "advert", "adverts", "advertisement", "commercial", "spot", "editorial", "editorials",
    "endorsement", "endorsements", "piece", "feature", "story", "stories", "column", "op-ed", "interview",
    "speech", "remarks", "posting", "postings", "blog", "announcement", "policy",
    # not "bill" or "law": given names and surnames ("Bill said …", "Jude Law")
    "review", "reviews", "audit", "audits", "inquiry", "investigation", "evaluation", "inspection",
    "verdict", "judgment", "judgement", "order", "legislation", "treaty", "agreement",
    "manifesto", "petition", "warrant", "subpoena", "motion", "brief", "dataset", "projection",
    "projections", "census", "index", "ranking", "rankings", "scorecard", "factsheet", "leaflet", "handout",
    "briefing", "briefings", "opinion", "dissent",  # a court's opinion, a government's briefing
}
ORGANIZATION_NOUNS = {
    "campaign", "camp", "administration", "government", "ministry", "department", "agency", "commission",
    "committee", "council", "court", "party", "company", "firm", "newspaper", "network", "channel", "office",
    "embassy", "army", "military", "city", "state", "county", "board", "union", "bank", "university",
    "school", "hospital", "organization", "organisation", "institute", "foundation", "center", "centre",
    "white house", "kremlin", "pentagon", "parliament", "congress", "senate", "house", "cabinet", "regime",
    "corporation", "coalition", "alliance", "league", "association", "federation", "club",
    "charity", "outlet", "publication", "magazine", "broadcaster", "station", "service", "mission",
    "delegation", "consulate", "secretariat", "regulator", "watchdog",
}
BUSINESS_NOUNS = {
    "company", "firm", "carmaker", "automaker", "business", "retailer", "bank", "insurer", "airline",
    "manufacturer", "operator", "provider", "supplier", "giant", "startup", "maker", "lender", "carrier", "chain",
    "utility", "publisher",
}
PUBLIC_BODIES = {"house", "senate", "congress", "parliament", "ministry", "department", "council", "court",
                 "commission", "committee", "government", "assembly", "police", "administration", "cabinet"}
GENERIC_ORGANIZATION_NOUNS = {
    "company", "firm", "agency", "carmaker", "automaker", "force", "organisation", "organization", "business",
    "retailer", "bank", "insurer", "airline", "broadcaster", "newspaper", "paper", "network", "charity",
    "group", "manufacturer", "operator", "provider", "supplier", "giant", "startup", "publisher", "outlet",
    "maker", "authority", "lender", "carrier", "chain", "watchdog", "regulator", "utility",
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
    "family", "colleagues", "friends", "pals",
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
    "nurse", "teacher", "principal", "priest", "bishop", "imam", "rabbi", "chaplain", "veteran", "coroner",
    "magistrate", "treasurer", "archbishop",
}
# Offices and titles: "an official" is known by office (role); "a teacher" is just someone (unnamed)
OFFICE_NOUNS = {
    "minister", "president", "spokesman", "spokeswoman", "spokesperson", "secretary", "chairman",
    "chairwoman", "chair", "director", "chief", "general", "governor", "mayor", "senator", "judge",
    "prosecutor", "ambassador", "commander", "officer", "official", "adviser", "advisor", "aide", "ceo",
    "head", "leader", "king", "queen", "prince", "pope", "premier", "chancellor", "representative",
    "congressman", "congresswoman", "sheriff", "envoy", "diplomat", "inspector", "captain", "colonel",
    "sergeant", "deputy", "speaker", "commissioner", "executive", "administrator", "superintendent",
    "president-elect", "nominee", "candidate", "mp", "lawmaker", "legislator", "attorney", "justice",
    "treasurer", "bishop", "archbishop", "magistrate", "coroner", "manager",
}
UNNAMED_HEADS = {"man", "woman", "person", "resident", "witness", "soldier", "voter", "one", "someone",
                 "somebody", "source", "worker", "employee", "student", "mother", "father", "boy", "girl",
                 "neighbour", "neighbor", "fighter", "protester", "supporter", "member", "passenger",
                 "driver", "farmer", "citizen", "local", "viewer", "reader", "customer", "patient", "victim"}
KIN_NOUNS = {"husband", "wife", "partner", "mother", "father", "son", "daughter", "brother", "sister",
             "grandfather", "grandmother", "grandson", "granddaughter", "uncle", "aunt", "cousin", "nephew", "niece",
             "fiance", "fiancee", "fiancé", "fiancée", "stepfather", "stepmother", "mum", "dad", "therapist", "friend"}
# the nouns an appositive gives a person ("X, the club's captain")
PERSON_ROLES = frozenset(ROLE_NOUNS | OFFICE_NOUNS | UNNAMED_HEADS) - {"one", "source"}
PERSON_SUFFIXES = ("man", "woman", "ist", "ian")  # fisherman, economist, historian
ANONYMOUS = re.compile(
    r"\b(familiar with|condition of anonymity|not authori[sz]ed to|declined to be (named|identified)|"
    r"asked not to be (named|identified)|(did not|didn't) (want|wish) to be (named|identified)|"
    r"spoke anonymously|anonymous(ly)?|unnamed|unidentified|(person|people|someone|source) close to|"
    r"(a|one|two|three|several) (senior |government |western |us |u\.s\. |administration |party )?"
    r"(source|sources|insider|insiders)|sources close to|people (close to|briefed on|with knowledge)|"
    r"person with knowledge|(a|one) (senior )?official who)\b",
    re.I,
)
INDEFINITE = {"a", "an", "one", "another", "some", "two", "three", "several", "a few"}
TIME_MODIFIERS = {"former", "then", "current", "new", "late", "outgoing", "incoming", "acting", "ex"}
ABBREVIATED_TITLES = {"gov.": "governor", "sen.": "senator", "rep.": "representative", "gen.": "general",
                      "col.": "colonel", "capt.": "captain", "lt.": "lieutenant", "sgt.": "sergeant",
                      "prof.": "professor", "dr.": "doctor", "pres.": "president", "sec.": "secretary",
                      "atty.": "attorney", "supt.": "superintendent", "cmdr.": "commander", "adm.": "admiral"}
PARTY_WORDS = {"democrat", "republican", "democratic", "gop", "libertarian", "labour", "tory", "conservative",
               "liberal", "green", "independent", "socialist"}
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those"}
# words for one recording: "An audio recording" … "The audio" … "the tape"
RECORDING_NOUNS = {"audio", "recording", "clip", "video", "footage", "tape"}
# role nouns that tell the gender of who holds the role ("A spokeswoman … She said")
GENDERED_NOUNS = {
    "spokeswoman": "female", "chairwoman": "female", "congresswoman": "female", "businesswoman": "female",
    "woman": "female", "mother": "female", "wife": "female", "daughter": "female", "sister": "female",
    "girl": "female", "actress": "female", "widow": "female", "grandmother": "female", "queen": "female",
    "spokesman": "male", "chairman": "male", "congressman": "male", "businessman": "male", "man": "male",
    "father": "male", "husband": "male", "son": "male", "brother": "male", "boy": "male", "actor": "male",
    "widower": "male", "grandfather": "male", "king": "male",
}
# how near (characters) the last attribution's speaker must be for a pronoun source to continue it
CONTINUATION_CHARS = 400
_WORD = re.compile(r"[\w’'.-]+")


@dataclass(eq=False)  # one speaker is one object: `sp in recent` compares identities, not every field
class _Speaker:
    id: str
    name: str
    type: str
    description: str | None = None
    mentions: list[Span] = field(default_factory=list)
    gender: str | None = None
    plural: bool = False
    fallback_description: str | None = None  # said of the person elsewhere in the article
    heads: set[str] = field(default_factory=set)  # head nouns of its mentions, for "the poll" -> "A Bloomberg poll"


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


_BARE_HONORIFICS = {h.rstrip(".") for h in HONORIFICS}
_POSSESSIVE = {"'s", "’s", "'", "’"}


def _name_tokens(tokens: Sequence) -> list:
    """The words of a name without titles, a leading article, epithets, an owner or a closing
    possessive: "the Post" -> Post, "Crooked Hillary Clinton's" -> Hillary Clinton."""
    tokens = list(tokens)
    dash = next((k for k, t in enumerate(tokens) if t.text in ("-", "—", "–") and t.whitespace_ and k and tokens[
        k - 1].whitespace_), None)
    if dash is not None and dash + 1 < len(tokens):
        tokens = tokens[dash + 1:]  # a dateline the recogniser ran into the name: "Oct 8 - Quorvia Holdings"
    first = next((k for k, t in enumerate(tokens) if t.lower_ not in DETERMINERS), 0)
    out = []
    for k, t in enumerate(tokens):
        if t.lower_ not in _POSSESSIVE:
            out.append(t)
        elif k == first + 1 and all(x.is_title for x in tokens[k + 1:k + 3]) and len(tokens) >= k + 3:
            out = []  # an owner before a name: "Ireland’s | Data Protection Commission", "The Ledger’s | Paul Whitcomb"
        elif 0 < k < len(tokens) - 1 and tokens[k + 1].is_title and tokens[k - 1].is_title:
            out.append(t)  # a possessive inside a name: "Information Commissioner's Office", "Supporters’ Trust"
    while out and (out[0].lower_ in DETERMINERS or out[0].lower_.rstrip(".") in _BARE_HONORIFICS
                   or (out[0].pos_ in ("ADJ", "VERB") and len(out) > 1) or (len(out) > 1 and _fronted_verb(out[0]))
                   or (len(out) > 2 and out[0].lower_ not in given_name_genders()
                       and out[1].lower_ in given_name_genders())):
        out = out[1:]
    while out and (out[-1].tag_ == "POS" or out[-1].is_punct):
        out = out[:-1]
    return out


def _noun_modifier(tokens: Sequence) -> bool:
    """A name that only modifies a common noun ("One Berwick resident", "a Clinton aide"):
    the noun is who is spoken of, so a later pronoun does not stand for the name."""
    last = tokens[-1]
    return last.dep_ == "compound" and last.head.pos_ == "NOUN" and last.head.i > last.i


def _name_text(tokens: Sequence) -> str:
    """A name's words as the text writes them: "Okonkwo-Hale", not "Okonkwo - Hale" (and a
    space where words between were left out: "Ireland Data Protection Commission")."""
    out = []
    for t, after in zip(tokens, [*tokens[1:], None], strict=True):
        out.append(t.text + (" " if t.whitespace_ or (after is not None and after.i != t.i + 1) else ""))
    return "".join(out).strip()


def _fronted_verb(token) -> bool:
    """A speech verb in the past opening a sentence, which the recogniser joined to the
    name after it ("Stated Stone:", "Said Trump")."""
    low = token.lower_
    return token.is_sent_start and (low.endswith("ed") or low in IRREGULAR_PAST) and (
        verb_lemma(token.lemma_, low) in cue_verbs())


def _name_chain(last) -> list:
    """A name ending at token `last`, with the proper nouns compounded before
    it ("Magnus Eriksen"), but no titles or role words ("general")."""
    doc = last.doc
    chain = [last]
    i = last.i - 1
    while i >= 0 and len(chain) < 4:
        t = doc[i]
        if t.pos_ != "PROPN" or t.dep_ != "compound" or t.lower_.rstrip(".") in _BARE_HONORIFICS or (
                t.lower_ in ROLE_NOUNS or t.is_punct or t.ent_type_ == "NORP" or t.lower_ in PARTY_WORDS
                or _fronted_verb(t)):
            break
        ent = _entity_at(doc, i)
        if ent is not None and len(ent) > 1 and not (ent.start <= last.i < ent.end):
            break  # part of another name: "Wells Fargo" in "Wells Fargo CEO John Stumpf"
        chain.insert(0, t)
        i -= 1
    return chain


def _name_ahead(first) -> list | None:
    """A name the recogniser cut after its first word ("Tomas" of "Tomas Vaher-Lind"): the
    proper nouns up to the one it compounds, joined by hyphens written without spaces."""
    head = first.head
    if first.dep_ != "compound" or head.pos_ != "PROPN" or not 0 < head.i - first.i <= 3:
        return None
    words = list(first.doc[first.i:head.i + 1])
    if all(t.pos_ == "PROPN" or (t.text == "-" and not t.whitespace_) for t in words):
        return words
    return None


def _shared_surname(first) -> list | None:
    """"Rachel and Daniel Lincoln": a given name joined to a full name shares its surname
    (the name's words: the given name and the other's last word)."""
    doc = first.doc
    k = first.i + 1
    if k + 2 >= len(doc) or doc[k].lower_ not in ("and", "&") or first.lower_ not in given_name_genders():
        return None  # not "Trump and Hillary Clinton"
    other = _entity_at(doc, k + 1)
    if other is None or other.label_ != "PERSON" or other.start != k + 1 or len(other) != 2:
        return None
    return [first, other[-1]]


def _entity_at(doc: Doc, i: int) -> DocSpan | None:
    """The entity holding token i, read from the tokens around it (`doc.ents`
    builds every entity of the text on each call: quadratic over a long text)."""
    if doc[i].ent_iob not in (1, 3):  # 1: inside an entity, 3: its first token
        return None
    start = i
    while start > 0 and doc[start].ent_iob == 1:
        start -= 1
    return _entity_from(doc, start)


def _entity_from(doc: Doc, start: int) -> DocSpan | None:
    """The entity that begins at token `start`, if one does."""
    first = doc[start]
    if first.ent_iob != 3 or not first.ent_type:
        return None
    end = start + 1
    while end < len(doc) and doc[end].ent_iob == 1:
        end += 1
    return DocSpan(doc, start, end, label=first.ent_type)


def _ents_in(span: DocSpan) -> list[DocSpan]:
    """`span.ents` (the entities wholly inside it), reading only its own tokens:
    spaCy's reads every entity of the text."""
    out = []
    for i in range(span.start, span.end):
        ent = _entity_from(span.doc, i)
        if ent is not None and ent.end <= span.end:
            out.append(ent)
    return out


def _role_words(tokens) -> set[str]:
    """Lower-case role words, with abbreviated titles spelt out ("Gov." -> governor)."""
    out = set()
    for t in tokens:
        low = t.lower_
        out.add(low)
        if low in ABBREVIATED_TITLES or low + "." in ABBREVIATED_TITLES:
            out.add(ABBREVIATED_TITLES.get(low) or ABBREVIATED_TITLES[low + "."])
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
        self.by_surname: dict[str, list[_Person]] = {}  # several people may share a surname
        self.by_given: dict[str, list[_Person]] = {}  # the first word of a full name -> its bearers
        self.orgs: dict[str, _Person] = {}  # full name (lower case) -> organisation
        self.org_by_last_word: dict[str, _Person | None] = {}  # None: more than one organisation
        self.org_by_first_word: dict[str, _Person | None] = {}  # "Halvorsen" after "Halvorsen Freight"
        self.mentions: list[tuple[int, _Person]] = []  # (char offset, person), in text order
        ents = [e for e in _relabelled(doc) if (e.label_ in ("PERSON", "ORG") or (
            e.label_ in MISREAD_LABELS and _misread_person(doc, e))) and not _plural_noun(e)]
        seen: set[int] = set()  # tokens already read as part of a name
        for phrase, acronym in _acronyms(doc):
            # "The Medicines and Healthcare products Regulatory Agency (MHRA)": one organisation
            # by its full name, also when the text says "the MHRA" or "the agency"
            org = self._org(phrase, phrase[0].idx)
            self.orgs.setdefault(acronym.lower_, org)
            org.positions.append(phrase[0].idx)
            self.mentions.append((phrase[0].idx, org))
            seen.update(range(phrase[0].i, phrase[-1].i + 1))
        ents = [e for e in ents if not seen.intersection(range(e.start, e.end))]
        # the first word of a longer organisation's name, read as a person ("Buckeye" after
        # "Buckeye Health Partners"), comes after the organisations, so that it can join one
        # (also one the recogniser mislabelled, its last word an organisation's: "Quorvia Holdings")
        names = {e.start: _name_tokens(e) for e in ents}
        org_firsts = {names[e.start][0].lower_ for e in ents if len(names[e.start]) > 1 and names[e.start][0].is_title
                      and (e.label_ == "ORG" or names[e.start][-1].lower_ in ORGANIZATION_ENDINGS)}
        surnames = {e[-1].lower_ for e in ents if e.label_ == "PERSON" and len(e) > 1}

        def order(e: DocSpan) -> tuple[int, int]:
            if e.label_ != "PERSON":
                return 1, e.start
            late = len(e) == 1 and e[0].lower_ in org_firsts and e[0].lower_ not in surnames
            return (2 if late else 0), e.start

        # people first, so that an ORG-labelled "Trump" can join the person Donald Trump
        for ent in sorted(ents, key=order):
            tokens = _name_tokens(ent)
            if not tokens:
                continue
            if ent.label_ == "PERSON" and len(tokens) == 1:
                # the recogniser may cut a name short ("Magnus" GPE + "Eriksen" PERSON)
                chain = _name_chain(tokens[-1])
                tokens = chain if len(chain) > len(tokens) else _name_ahead(tokens[0]) or _shared_surname(
                    tokens[0]) or tokens
            titled_name = _name_after_title(doc, ent, tokens) if ent.label_ != "PERSON" else None
            if titled_name:
                tokens = titled_name  # "Minister of Health Karen Holt" read as one ORG
            seen.update(t.i for t in tokens)
            first = tokens[0].i if titled_name else ent.start  # the word before the name or the entity
            before = doc[first - 1] if first > 0 else None
            # "Mr Petraeus" may come out as ORG: a personal title makes a person
            titled = before is not None and (before.lower_.rstrip(".") in _BARE_HONORIFICS or _office_before(before)
                                             or _party_after(doc, tokens[-1].i))
            surname = tokens[-1].lower_
            is_person = ent.label_ == "PERSON" or titled or bool(titled_name) or _looks_personal(tokens) or (
                surname in self.by_surname and len(_name_text(tokens).split()) <= 2) or _age_after(tokens[-1]) or (
                _role_beside(tokens[-1])) or (
                len(tokens) == 1 and self.given_bearer(surname, ent.start_char) is not None)
            if is_person and not (titled or titled_name) and (_organization_by_words(doc, tokens, before) or (
                    len(tokens) == 1 and surname not in self.by_surname and self.org_by_first_word.get(surname))):
                # "Halvorsen Freight", "Danish carrier Nordhavn Line", and then "Halvorsen", read as PERSON
                is_person = False
            person = self._person(tokens, ent.start_char) if is_person else self._org(tokens, ent.start_char)
            if is_person:
                person.roles.update(_party_roles(doc, tokens[-1].i))
                gender = _gender_of_titles([before] if before is not None else [])
                if gender is None and (len(tokens) > 1 or person.name.lower() == tokens[0].lower_):
                    gender = given_name_genders().get(tokens[0].lower_)
                person.gender = person.gender or gender
            self._collect_roles(doc[tokens[0].i:tokens[-1].i + 1], person)
            person.positions.append(ent.start_char)
            if not _noun_modifier(tokens):
                self.mentions.append((ent.start_char, person))
        # names the recogniser missed or mislabelled ("Neville Ashdown" as FAC) that end
        # with the surname of a person it did find
        for tok in doc:
            if tok.i in seen or tok.pos_ != "PROPN" or tok.lower_ not in self.by_surname:
                continue
            if tok.dep_ == "compound" and tok.head.pos_ == "PROPN":
                continue  # not the last word of its name
            chain = _name_chain(tok)
            seen.update(t.i for t in chain)
            person = self._person(chain, chain[0].idx)
            self._collect_roles(doc[chain[0].i:tok.i + 1], person)
            person.positions.append(chain[0].idx)
            self.mentions.append((chain[0].idx, person))
        self.mentions.sort(key=lambda m: m[0])
        for people in self.by_surname.values():
            for person in people:
                person.positions.sort()
        # the mentions filed by what the resolution asks of them (kind and gender, a role, a
        # word of an organisation's name): the nearest earlier one is a bisection, not a scan
        self.starts = [start for start, _ in self.mentions]
        self.index = _MentionIndex()
        for k, (start, person) in enumerate(self.mentions):
            self.index.add(("kind", person.label, person.gender), start, k)
            if person.label == "ORG":
                self.index.add(("label", "ORG"), start, k)
                for word in set(person.name.lower().split()):
                    self.index.add(("org-word", word), start, k)
            else:
                for role in person.roles:
                    self.index.add(("role", role), start, k)

    def given_bearer(self, word: str, offset: int) -> _Person | None:
        """The one person the article introduced before `offset` by a full name
        opening with this word, for a given name used alone ("Jordan Smith, a
        farmer, … Jordan said"); None when there are none, or several."""
        bearers = {id(p): p for p in self.by_given.get(word, ()) if p.start <= offset}
        return next(iter(bearers.values())) if len(bearers) == 1 else None

    def _person(self, tokens: Sequence, start: int) -> _Person:
        person = self._same_person(tokens, start)
        if person is None:
            person = _Person(name=_name_text(tokens), surname=tokens[-1].lower_, label="PERSON",
                             start=start)
            self.by_surname.setdefault(person.surname, []).append(person)
        if len(tokens) > 1 and tokens[0].lower_ in given_name_genders():
            given = self.by_given.setdefault(tokens[0].lower_, [])
            if all(p is not person for p in given):
                given.append(person)
        return person

    def _same_person(self, tokens: Sequence, start: int) -> _Person | None:
        """The person already met whom this name refers to, if any."""
        name = _name_text(tokens)
        same = self.by_surname.get(tokens[-1].lower_, [])
        words = name.lower().split()  # as written: "Rowe-Bhatt" is one word of three tokens
        if len(words) == 1 and len(tokens) > 1:
            whole = [p for p in same if p.name.lower().split()[-1] == words[0]]
            return min(whole, key=lambda p: abs(p.start - start)) if whole else None
        if len(tokens) > 1:
            for person in same:  # the same person if the given names agree
                known = person.name.lower().split()
                if len(known) == 1 or known[0] == words[0]:
                    if len(words) > len(known):
                        person.name = name  # the fullest name wins
                    return person
                if words[-len(known):] == known:
                    # "Crooked Hillary Clinton", "Democrat Hillary Clinton": an epithet, not a fuller name
                    return person
            return None
        if same:
            return min(same, key=lambda p: abs(p.start - start))
        return self.given_bearer(tokens[0].lower_, start)

    def _org(self, tokens: Sequence, start: int) -> _Person:
        name = _name_text(tokens)
        org = self.orgs.get(name.lower())
        if org is None and len(tokens) == 1:
            # "the Post" after "The New York Post", "Halvorsen" after "Halvorsen Freight"
            org = self.org_by_last_word.get(tokens[0].lower_) or self.org_by_first_word.get(tokens[0].lower_)
        if org is None:
            org = self.orgs[name.lower()] = _Person(name=name, surname=tokens[-1].lower_, label="ORG", start=start)
            if len(tokens) > 1:
                known = self.org_by_last_word.get(org.surname, org)
                self.org_by_last_word[org.surname] = org if known is org else None
                first = tokens[0].lower_
                if tokens[0].is_title and first not in DETERMINERS:
                    known = self.org_by_first_word.get(first, org)
                    self.org_by_first_word[first] = org if known is org else None
        return org

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
                person.roles.update(_role_words(t for t in words if t.pos_ in ("NOUN", "PROPN", "ADJ")))
                description = _title_description(doc[start:ent.start])
                if description and not person.description:
                    person.description = description
        # an appositive: "Jane Doe, the finance minister,"
        for child in root.children:
            if child.dep_ == "appos" and child.pos_ in ("NOUN", "PROPN"):
                sub = doc[child.left_edge.i:child.right_edge.i + 1]
                # headlines ("Pat Caddell: Voters Worried About…") parse as appositives too
                if len(sub) > 10 or doc[sub.start - 1].text != "," or not any(
                        t.pos_ == "NOUN" and t.is_lower for t in sub):
                    continue
                person.roles.update(_role_words(t for t in sub if t.pos_ in ("NOUN", "ADJ")))
                if not person.description:
                    person.description = sub.text.strip(" ,")
        # a name in apposition to a role: "The institute's director, Karl Jansen"
        if root.dep_ == "appos" and root.head.pos_ == "NOUN" and root.head.i < ent.start:
            role = root.head  # its owner too: "Ashmoor's Portuguese manager" is "the Ashmoor manager"
            words = [t for t in doc[role.left_edge.i:role.i + 1] if t.pos_ in ("NOUN", "ADJ", "PROPN")]
            person.roles.update(_role_words(words))
            if not person.description:
                person.description = doc[role.left_edge.i:role.i + 1].text
        # or to an office: "The Secretary of State for Environment, …, Helen Marchbank"
        elif root.dep_ == "appos" and root.head.pos_ == "PROPN" and root.head.lower_ in OFFICE_NOUNS and (
                root.head.i < ent.start):
            title = doc[root.head.left_edge.i:ent.start]
            person.roles.update(_role_words(t for t in title if t.pos_ in ("NOUN", "PROPN", "ADJ")))
            if not person.description:
                person.description = title.text.strip(" ,")
        # "X is the minister"
        head = root.head
        if root.dep_ == "nsubj" and head.lemma_ == "be":
            for child in head.children:
                if child.dep_ == "attr" and child.pos_ == "NOUN":
                    person.roles.update(_role_words(t for t in child.subtree if t.pos_ in ("NOUN", "ADJ")))

    def mentioned_between(self, low: int, high: int) -> list[tuple[int, _Person]]:
        """The mentions of named people that start after `low` and before `high`."""
        return self.mentions[bisect.bisect_right(self.starts, low):bisect.bisect_left(self.starts, high)]

    def nearest(self, offset: int, keys: Sequence[Hashable]) -> _Person | None:
        """The person mentioned last before `offset` among those filed under any of `keys`."""
        k = self.index.last_before(offset, keys)
        return self.mentions[k][1] if k >= 0 else None

    def nearest_with(self, key: Hashable, offset: int) -> Iterator[_Person]:
        """The people filed under `key` mentioned before `offset`, nearest first
        (lazily, so a caller that finds one early stops)."""
        known: set[int] = set()
        for k in self.index.back_from(offset, key):
            person = self.mentions[k][1]
            if id(person) not in known:
                known.add(id(person))
                yield person

    def nearest_compatible(self, pronoun: str, offset: int) -> list[tuple[int, _Person]]:
        """What `_resolve_pronoun` can choose among the people mentioned before
        `offset` (the nearest wins, within a gender if one is preferred): the
        nearest compatible person, and the nearest of each gender, with the
        offset of their last mention before `offset`."""
        kinds = [("kind", label, gender) for label in ("PERSON", "ORG") for gender in (None, "male", "female")
                 if _compatible(pronoun, "person" if label == "PERSON" else "organization", False, gender)]
        found = {self.index.last_before(offset, kinds)}
        for gender in ("male", "female"):
            found.add(self.index.last_before(offset, [kind for kind in kinds if kind[2] == gender]))
        # nearest first
        return [self.mentions[k] for k in sorted(found - {-1}, reverse=True)]

    def lookup(self, tokens: Sequence, offset: int) -> _Person | None:
        """The person or organisation a name refers to: the full name, or a
        surname (the nearest earlier bearer), or the last word of exactly one
        organisation's name ("the Post")."""
        gender = _gender_of_titles(tokens)
        tokens = _name_tokens(tokens)
        if not tokens:
            return None
        last = tokens[-1].lower_
        full = _name_text(tokens).lower()
        bearers = self.by_surname.get(last, [])
        if gender and len(bearers) > 1:  # "Mrs Lincoln" of Rachel and Daniel Lincoln
            bearers = [p for p in bearers if p.gender == gender] or [p for p in bearers if not p.gender] or bearers
        if len(tokens) > 1:
            first = tokens[0].lower_
            named = [p for p in bearers if p.name.split()[0].lower() == first]
            if named:
                return named[0]
        if len(tokens) > 1 and len(full.split()) == 1:
            # "Ms. Ilves-Raud" is Kadri Ilves-Raud, not Arvo Raud: a double-barrelled surname whole
            whole = [p for p in bearers if p.name.lower().split()[-1] == full]
            bearers = whole or bearers
        if bearers:
            earlier = [p for p in bearers if p.start <= offset] or bearers
            return max(earlier, key=lambda p: max([q for q in p.positions if q <= offset] or [p.start]))
        if len(tokens) == 1:
            bearer = self.given_bearer(last, offset)
            if bearer is not None:
                return bearer
        return self.orgs.get(full) or self.org_by_last_word.get(last) or (
            self.org_by_first_word.get(last) if len(tokens) == 1 else None)


@dataclass
class _Interview:
    """A question-and-answer text without speaker labels: paragraphs that ask (ending in "?")
    alternate with paragraphs that answer. The answers' "I" and "we", and the questions'
    "you", are the interviewee the article introduces (the first person it names before the
    first question, else the person it names most); the questions are the interviewer's,
    that is, the outlet's."""

    turns: list[tuple[int, int, bool]]  # paragraph start, end, is a question
    interviewee: _Person
    first_question: int  # index in `turns`

    @classmethod
    def of(cls, text: str, people: _ArticlePeople) -> _Interview | None:
        turns = []
        at = 0
        for line in text.split("\n"):
            body = line.strip().rstrip("\"”’'")
            if body:
                turns.append((at, at + len(line), body.endswith("?")))
            at += len(line) + 1
        asked = [k for k, t in enumerate(turns) if t[2]]
        answered = [k for k in asked if k + 1 < len(turns) and not turns[k + 1][2]]
        first_person = sum(1 for k in answered if _FIRST_PERSON_WORD.search(text, turns[k + 1][0], turns[k + 1][1]))
        if len(answered) < 2 or first_person < 2:
            return None
        persons = [(start, p) for start, p in people.mentions if p.label == "PERSON"]
        if not persons:
            return None
        before = [p for start, p in persons if start < turns[asked[0]][0]]
        if before:
            interviewee = before[0]
        else:
            counts: dict[int, int] = {}
            for _, p in persons:
                counts[id(p)] = counts.get(id(p), 0) + 1
            interviewee = max((p for _, p in persons), key=lambda p: counts[id(p)])
        return cls(turns, interviewee, asked[0])

    def turn(self, offset: int) -> str | None:
        """"question" or "answer" for an offset after the first question; None before it."""
        k = bisect.bisect_right(self.turns, (offset, float("inf"), True)) - 1
        if k < self.first_question:
            return None
        return "question" if self.turns[k][2] else "answer"


_FIRST_PERSON_WORD = re.compile(r"\b(I|I'm|I’m|I've|I’ve|we|We|my|My|our|Our)\b")


def _title_description(words: DocSpan) -> str | None:
    """What a title before a name says of the person: "Retired US army general"; an abbreviated
    office spelt out ("Sen." -> "senator"); nothing for a courtesy title or an article alone."""
    kept = [t for t in words if not t.is_punct and t.lower_ not in DETERMINERS]
    if not kept:
        return None
    if len(kept) == 1 and kept[0].lower_ in ABBREVIATED_TITLES:
        return ABBREVIATED_TITLES[kept[0].lower_]
    if all(_is_courtesy_title(t) for t in kept):
        return None
    return words.text.strip(" ,")


def _office_before(token) -> bool:
    """An office or its abbreviation right before a name: "Sen. David Perdue", "Leader Harry Reid"."""
    low = token.lower_
    return low in ABBREVIATED_TITLES or (token.is_title and low in OFFICE_NOUNS)


_PARTY = re.compile(r"\s*\((?:D|R|I)-[A-Z][\w.]*\)")
_PARTY_STATE = re.compile(r"\s*\(?(D|R|I)-([A-Z][A-Za-z.]*(?: ?[A-Z][a-z.]*)?)\)?")
# the states as US news abbreviates them after a politician's party ("R-Wis.", "D-N.Y.")
US_STATES = {
    "ala.": "alabama", "alaska": "alaska", "ariz.": "arizona", "ark.": "arkansas", "calif.": "california",
    "colo.": "colorado", "conn.": "connecticut", "del.": "delaware", "fla.": "florida", "ga.": "georgia",
    "hawaii": "hawaii", "idaho": "idaho", "ill.": "illinois", "ind.": "indiana", "iowa": "iowa", "kan.": "kansas",
    "ky.": "kentucky", "la.": "louisiana", "maine": "maine", "md.": "maryland", "mass.": "massachusetts",
    "mich.": "michigan", "minn.": "minnesota", "miss.": "mississippi", "mo.": "missouri", "mont.": "montana",
    "neb.": "nebraska", "nev.": "nevada", "n.h.": "new hampshire", "n.j.": "new jersey", "n.m.": "new mexico",
    "n.y.": "new york", "n.c.": "north carolina", "n.d.": "north dakota", "ohio": "ohio", "okla.": "oklahoma",
    "ore.": "oregon", "pa.": "pennsylvania", "r.i.": "rhode island", "s.c.": "south carolina",
    "s.d.": "south dakota", "tenn.": "tennessee", "texas": "texas", "utah": "utah", "vt.": "vermont",
    "va.": "virginia", "wash.": "washington", "w.va.": "west virginia", "wis.": "wisconsin", "wyo.": "wyoming",
    "ny": "new york", "nj": "new jersey", "sc": "south carolina", "nc": "north carolina", "tx": "texas",
    "fl": "florida", "ca": "california", "ky": "kentucky", "wi": "wisconsin", "vt": "vermont", "oh": "ohio",
}
PARTY_LETTERS = {"D": "democrat", "R": "republican", "I": "independent"}


def _party_roles(doc: Doc, last: int) -> set[str]:
    """The party and the state's words a party tag after a name gives ("Paul Ryan (R-Wis.)",
    "Rep. Chris Collins, R-NY,"): {"republican", "wisconsin"}."""
    if last + 1 >= len(doc):
        return set()
    match = _PARTY_STATE.match(text_of(doc), doc[last + 1].idx)
    if match is None and last + 2 < len(doc) and doc[last + 1].text == ",":
        match = _PARTY_STATE.match(text_of(doc), doc[last + 2].idx)
    if match is None:
        return set()
    state = US_STATES.get(match.group(2).lower().replace(" ", ""), "")
    return {PARTY_LETTERS[match.group(1)], *state.split()} if state else {PARTY_LETTERS[match.group(1)]}


def _party_after(doc: Doc, last: int) -> bool:
    """A party and state after a name, as US news writes them: "Harry Reid (D-Nev.)"."""
    if last + 1 >= len(doc):
        return False
    return _PARTY.match(text_of(doc), doc[last + 1].idx) is not None  # doc.text is rebuilt on every call


ORGANIZATION_WORDS = {"inc", "inc.", "corp", "corp.", "co", "co.", "ltd", "llc", "group", "party", "committee",
                      "council", "association", "foundation", "institute", "university", "bank", "company",
                      "news", "times", "post", "journal", "agency", "department", "ministry", "fund", "campaign"}


# the last word of a company's or a body's name ("Halvorsen Freight", "Human Rights Watch")
ORGANIZATION_ENDINGS = frozenset({
    "freight", "line", "lines", "foods", "holdings", "logistics", "airlines", "airways", "shipping", "energy",
    "motors", "media", "partners", "capital", "systems", "technologies", "labs", "pharmaceuticals", "pharma",
    "watch", "insurance", "trust", "networks", "industries", "international", "solutions", "services",
    "group", "bank", "union", "council", "fund", "institute", "association", "foundation", "society",
    "alliance", "coalition", "initiative", "forum", "partnership", "consortium", "brewery", "studios",
    "police", "water", "rail", "railways", "airport", "constabulary", "commission", "developments", "homes",
    "properties", "construction", "builders", "products", "corporation", "inc", "ltd", "plc", "llc", "service"})
# what an article calls an organisation before or beside its name ("carrier Nordhavn Line",
# "Frontline Watch, an independent group")
ORGANIZATION_DESCRIPTORS = frozenset(GENERIC_ORGANIZATION_NOUNS | {
    "monitor", "nonprofit", "union", "association", "shipper", "conglomerate", "distributor", "developer",
    "contractor", "consultancy", "think-tank", "tank", "ngo", "body", "brand", "label", "studio", "party",
    "club"}) - {"force"}


def _organization_by_words(doc: Doc, tokens: Sequence, before) -> bool:
    """A name the recogniser read as a person's that its own words or the article's
    words for it show to be an organisation's."""
    if len(tokens) >= 2 and tokens[-1].lower_ in ORGANIZATION_ENDINGS:
        return True
    if before is not None and before.pos_ == "NOUN" and before.lower_ in ORGANIZATION_DESCRIPTORS:
        return True
    k = tokens[-1].i + 1
    if k + 1 < len(doc) and doc[k].text == "," and doc[k + 1].lower_ == "which":
        return True  # "Marches Water, which serves 900,000 customers": a person is "who"
    # an appositive after the name: ", an independent group that …"
    if k + 1 < len(doc) and doc[k].text == "," and doc[k + 1].lower_ in ("a", "an", "the"):
        for t in doc[k + 2:k + 6]:
            if t.i + 1 < len(doc) and doc[t.i + 1].lower_ in _POSSESSIVE:
                continue  # ", the agency's associate administrator": the agency is whose
            if t.pos_ == "NOUN" and (t.i + 1 >= len(doc) or doc[t.i + 1].pos_ != "NOUN"):
                return t.lower_ in ORGANIZATION_DESCRIPTORS
            if t.pos_ not in ("ADJ", "NOUN", "PROPN", "ADV", "PUNCT") and t.lower_ not in _POSSESSIVE:
                return False
    return False


def _looks_personal(tokens: Sequence) -> bool:
    """Two or three capitalised words starting with a known given name and holding no
    organisation word ("Christina Lastra"), whatever label the recogniser gave them."""
    if not 2 <= len(tokens) <= 3 or not all(t.is_title and t.is_alpha for t in tokens):
        return False
    return tokens[0].lower_ in given_name_genders() and not any(t.lower_ in ORGANIZATION_WORDS for t in tokens)


# documents whose nouns are also names ("the bill", but "Bill said …"), documents only in lower case
NAME_LIKE_DOCUMENTS = frozenset({"bill", "bills", "law", "laws"})
# labels the recogniser gives a titled name it misreads ("Mayor Jim Hart" as WORK_OF_ART)
MISREAD_LABELS = frozenset({"WORK_OF_ART", "FAC", "PRODUCT", "GPE", "NORP", "LOC", "EVENT", "LAW"})
PLACE_LABELS = frozenset({"FAC", "GPE", "LOC", "NORP"})


def _relabelled(doc: Doc) -> list[DocSpan]:
    """The text's entities, and the full names of people it missed (`_unrecognised_names`), with
    three misreadings of the recogniser undone: a company's name
    read as a place ("Fenwick Ridge Developments" FAC) is an organisation's, a name after a
    personal title ("Dr Raman") a person's, and a given name
    and a surname read as two places ("Tyrese" GPE, "Paris" GPE) are one person's name."""
    out: list[DocSpan] = []
    genders = given_name_genders()
    for ent in sorted([*doc.ents, *_unrecognised_names(doc)], key=lambda e: e.start):
        if out and ent.start < out[-1].end:
            continue  # the second half of a name joined to the first (`_with_conjoined_name`)
        if ent.label_ in MISREAD_LABELS and len(ent) > 1 and ent[-1].lower_ in ORGANIZATION_ENDINGS and all(
                t.is_title or not t.is_alpha for t in ent):
            ent = DocSpan(doc, ent.start, ent.end, label="ORG")
        ent = _with_conjoined_name(ent)
        titled = (ent.start and doc[ent.start - 1].lower_ in PERSONAL_TITLES) or (
            len(ent) > 1 and ent[0].lower_ in PERSONAL_TITLES)
        if ent.label_ != "PERSON" and titled and all(t.pos_ == "PROPN" or t.is_punct for t in ent):
            ent = DocSpan(doc, ent.start, ent.end, label="PERSON")  # "Dr Raman": only a person has the title
        last = out[-1] if out else None
        if last is not None and last.end == ent.start and len(last) == 1 and len(ent) == 1 and (
                last.label_ != "PERSON" or ent.label_ != "PERSON") and "NORP" not in (last.label_, ent.label_) and (
                last[0].lower_ in genders or ent[0].dep_ in ("nsubj", "nsubjpass")) and (
                last[0].is_title and ent[0].is_title and ent[0].pos_ == "PROPN" and last[0].head.i == ent[0].i):
            out[-1] = DocSpan(doc, last.start, ent.end, label="PERSON")
            continue
        out.append(ent)
    return out


def _unrecognised_names(doc: Doc) -> list[DocSpan]:
    """A known given name and a surname outside every entity, both tagged proper nouns ("Miriam
    Achterberg has run …", which the recogniser may miss at a paragraph's start): a person."""
    genders = given_name_genders()
    covered = {i for e in doc.ents for i in range(e.start, e.end)}
    out = []
    for t in doc[:-1]:
        nxt = doc[t.i + 1]
        if (t.lower_ in genders and t.is_title and t.pos_ == "PROPN" and nxt.pos_ == "PROPN" and nxt.is_title
                and t.i not in covered and nxt.i not in covered and nxt.lower_ not in genders
                and (t.i + 2 >= len(doc) or doc[t.i + 2].pos_ != "PROPN")):
            out.append(DocSpan(doc, t.i, t.i + 2, label="PERSON"))
    return out


def _with_conjoined_name(ent: DocSpan) -> DocSpan:
    """"Wennshire Fire | and Rescue Service": an organisation's name joined by "and" that the
    recogniser cut at the conjunction (its second half ending in an organisation's word)."""
    doc = ent.doc
    k = ent.end
    if k + 1 >= len(doc) or doc[k].lower_ not in ("and", "&") or not doc[k + 1].is_title:
        return ent
    end = k + 1
    while end < len(doc) and end - k <= 4 and doc[end].is_title and doc[end].pos_ in ("PROPN", "NOUN"):
        end += 1
    if doc[end - 1].lower_ not in ORGANIZATION_ENDINGS or not all(t.is_title for t in ent if t.is_alpha):
        return ent
    return DocSpan(doc, ent.start, end, label="ORG")


def _misread_person(doc: Doc, ent: DocSpan) -> bool:
    """A name under another label that is a person's: an office and a known given name before
    the surname ("Mayor Jim Hart"), or, not for places ("Virginia Beach", "Victoria Station"),
    a known given name and a surname alone."""
    tokens = _name_tokens(ent)
    return bool(tokens) and (bool(_name_after_title(doc, ent, tokens)) or (
        ent.label_ not in PLACE_LABELS and _looks_personal(tokens)))


def _name_after_title(doc: Doc, ent: DocSpan, tokens: Sequence) -> list | None:
    """The person's name that closes an entity after an office ("[Minister of] Health Karen
    Holt", "Ambassador to Canada John Doe"): from a known given name to the end, when an
    office word comes before it within a few words."""
    genders = given_name_genders()
    for k, tok in enumerate(tokens[:-1]):
        if tok.lower_ not in genders:
            continue
        rest = tokens[k:]
        if not all(t.pos_ == "PROPN" and t.is_title for t in rest):
            return None
        start = max(0, tok.i - 5)
        if any(t.lower_ in OFFICE_NOUNS or t.lower_ in ABBREVIATED_TITLES for t in doc[start:tok.i]):
            return list(rest)
        return None
    return None


def _named_after_lower_title(mention: DocSpan) -> list | None:
    """"chief executive and co-founder Daniel Voss": a name closing a mention whose other
    words are a title in lower case (the parser may make the title the head)."""
    words = [t for t in mention if not (t.is_punct and t.i == mention.end - 1)]
    ents = _ents_in(mention)
    if not ents or ents[-1].label_ != "PERSON" or not words or ents[-1].end != words[-1].i + 1:
        return None
    before = mention.doc[mention.start:ents[-1].start]
    if not len(before) or not all(t.is_lower or t.is_punct for t in before) or not any(
            t.pos_ == "NOUN" for t in before):
        return None
    return _name_tokens(ents[-1]) or None


def _titled_person(mention: DocSpan) -> list | None:
    """"Governor of Oregon Ann Lee": the mention's head is the office; the name that closes
    the title is who it is."""
    head = _head(mention)
    if head.pos_ != "PROPN" or head.lower_ not in OFFICE_NOUNS:
        return None
    people = [e for e in _ents_in(mention) if e.label_ in ("PERSON", "ORG") and e.start > head.i]
    if not people:
        return None
    ent = people[-1]  # the name closes the title: "Chief Justice of the Supreme Court Mary Lane"
    tokens = _name_tokens(ent)
    return _name_after_title(mention.doc, ent, tokens) or (list(tokens) if ent.label_ == "PERSON" else None)


class _MentionIndex:
    """Mention numbers (their order in the text) filed under keys, with their offsets."""

    def __init__(self) -> None:
        self.starts: dict[Hashable, list[int]] = {}
        self.numbers: dict[Hashable, list[int]] = {}

    def add(self, key: Hashable, start: int, number: int) -> None:
        self.starts.setdefault(key, []).append(start)
        self.numbers.setdefault(key, []).append(number)

    def last_before(self, offset: int, keys: Sequence[Hashable]) -> int:
        """The number of the last mention before `offset` filed under any of `keys`; -1: none."""
        best = -1
        for key in keys:
            n = bisect.bisect_left(self.starts.get(key, ()), offset)
            if n:
                best = max(best, self.numbers[key][n - 1])
        return best

    def back_from(self, offset: int, key: Hashable) -> Iterator[int]:
        """The numbers of the mentions filed under `key` before `offset`, last first."""
        numbers = self.numbers.get(key, [])
        for n in range(bisect.bisect_left(self.starts.get(key, ()), offset) - 1, -1, -1):
            yield numbers[n]


def _age_after(head) -> bool:
    """"Smith, 45, said …": a name with an age beside it is a person's."""
    doc = head.doc
    if head.i + 3 > len(doc) or doc[head.i + 1].text != "," or not doc[head.i + 2].text.isdigit():
        return False
    return 0 < int(doc[head.i + 2].text) < 120 and (head.i + 3 == len(doc) or doc[head.i + 3].text == ",")


def _role_beside(head) -> bool:
    """"Jordan, the club's captain, said …": a name with a person's role as its appositive is a
    person's, whatever place or organisation the recogniser took it for."""
    return any(c.dep_ == "appos" and c.pos_ == "NOUN" and (
        c.lower_ in PERSON_ROLES or c.lower_.endswith(PERSON_SUFFIXES)) for c in head.children)


def _core(mention: DocSpan) -> str:
    """A source's words up to the comma after its head: "The company, which employs 4,000
    people," is "The company", "A senior official, who spoke on condition of anonymity,"
    is "A senior official" (the name a reader looks for, and one key for its mentions)."""
    after = max(_head(mention).i, mention.root.i)
    for t in mention:
        if t.i > after and t.text in (",", "(", "—", "–"):
            if any(u.pos_ == "CCONJ" for u in mention.doc[t.i:mention.end]):
                break  # "Sens. Rand Paul (Ky.) and Marco Rubio (Fla.)": a list is named whole
            words = mention.doc[mention.start:t.i].text.strip()
            return words or mention.text.strip()
    return mention.text.strip().rstrip(",")


def _head(mention: DocSpan):
    """The mention's head noun, also when the parser hung its words elsewhere
    ("The former general highlighted…" parsed as modifiers of "Putin")."""
    words = [t for t in mention if not t.is_punct and not t.is_space]
    last = words[-1] if words else mention.root
    if (last.pos_ == "NOUN" and last.lower_ in PERSON_ROLES and not last.ent_type_ and last.i > mention.start
            and mention.doc[last.i - 1].ent_type_ in ("ORG", "GPE", "NORP", "FAC")
            and not any(t.text == "," or t.ent_type_ == "PERSON" for t in mention)):
        return last  # "A Department of Health and Social Care spokeswoman", the role parsed as an object
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


def _label_name(mention: DocSpan) -> DocSpan:
    """A transcript's or a box's label names the speaker before its description
    ("PETER VANCE, ANCHOR:", "Jane Roe, health minister:"): the name is the mention."""
    text = text_of(mention.doc)
    start, end = mention.start_char, mention.end_char
    if (start and text[start - 1] != "\n") or not re.match(r"[^\S\n]*(?:\([^()\n]{1,30}\))?[^\S\n]*:", text[end:]):
        return mention
    comma = next((t.i for t in mention if t.text == ","), None)
    return mention.doc[mention.start:comma] if comma is not None and comma > mention.start else mention


def _caps_name(mention: DocSpan) -> bool:
    """A name in capitals opening with a given name ("JOHN DOE:" in a transcript): a
    person, whatever the entity recogniser, which reads capitals badly, calls it."""
    words = mention.text.split()
    return 2 <= len(words) <= 4 and mention.text.isupper() and (
        words[0].lower() in given_name_genders() or _described_as_person(mention)) and all(
        w.replace(".", "").replace("'", "").replace("-", "").isalpha() for w in words)


def _described_as_person(mention: DocSpan) -> bool:
    """A label's description gives a person's role ("TOMAS REINHOLT, INTERIOR MINISTER:")."""
    text = text_of(mention.doc)
    m = re.match(r",[^\S\n]*([^,:()\n]{1,50})", text[mention.end_char:])
    return bool(m) and any(w.lower() in PERSON_ROLES for w in _words(m.group(1)))


# what a transcript labels a speaker with when it is no name ("MODERATOR:", "UNIDENTIFIED MALE:")
LABEL_ROLES = frozenset({"moderator", "narrator", "announcer", "host", "interviewer", "reporter", "audience",
                         "question", "unidentified", "anchor", "correspondent", "caller", "panelist"})


def _caps_label(mention: DocSpan) -> bool:
    """A surname in capitals labelling a transcript's turn ("CRUZ:", "KING:" at a line's start):
    a person, though the recogniser reads capitals badly and "king" is an office."""
    text = text_of(mention.doc)
    words = mention.text.split()
    start, end = mention.start_char, mention.end_char
    return (1 <= len(words) <= 2 and mention.text.isupper() and all(w.isalpha() and len(w) > 3 for w in words)
            and text[end:end + 1] == ":" and (start == 0 or text[start - 1] == "\n")
            and not any(w.lower() in LABEL_ROLES for w in words))


# a clause right after a source that keeps it unnamed ("A senior official, who spoke on condition of anonymity")
_ANONYMOUS_CLAUSE = re.compile(r",?\s*(?:who|speaking|asking|requesting)\b[^.;:\n]{0,60}?"
                               r"(?:condition of anonymity|to be (?:named|identified)|anonymously|"
                               r"not authori[sz]ed to)", re.I)


def _anonymous_beside(mention: DocSpan) -> bool:
    if mention.root.pos_ == "PROPN" or any(e.label_ == "PERSON" for e in _ents_in(mention)):
        return False  # a named person who asked not to be named elsewhere is still named
    text = text_of(mention.doc)
    return bool(_ANONYMOUS_CLAUSE.match(text, mention.end_char))


def _mention_type(mention: DocSpan, person: _Person | None) -> str:
    text = mention.text
    words = _words(text)
    head = _head(mention)
    head_low = head.lower_
    ents = {e.label_ for e in _ents_in(mention)}
    if ANONYMOUS.search(text) or _anonymous_beside(mention) or (
            head_low in ("source", "sources", "insider", "insiders") and not ents & {"PERSON", "ORG"}):
        return "anonymous"
    # "The New York Post" and "the Post" are publishers, not documents
    named_title = head.pos_ == "PROPN" and head.is_title and (head.i > mention.start or "ORG" in ents)
    if (head_low in DOCUMENT_NOUNS and not named_title) or (head_low in NAME_LIKE_DOCUMENTS and head.is_lower):
        return "document"
    if person is not None:
        return "person" if person.label == "PERSON" else "organization"
    if _caps_name(mention) or _caps_label(mention) or (head.pos_ == "PROPN" and (
            _age_after(head) or _role_beside(head))):
        return "person"
    if head_low in OFFICE_NOUNS and "PERSON" not in ents and head.pos_ == "PROPN":
        return "role"  # an office named with its place ("The Archbishop of Canterbury"), no name given
    if ents & {"ORG", "GPE", "FAC"} and head.pos_ == "PROPN":
        return "organization"
    if ents & {"PERSON"} and head.pos_ == "PROPN":
        return "person"
    if head_low in GROUP_NOUNS or (head.tag_ in ("NNS", "NNPS") and head.pos_ != "PROPN"):
        return "group"
    if "NORP" in ents and head.pos_ in ("PROPN", "NOUN") and head.tag_ in ("NNPS", "NNS"):
        return "group"
    first = words[0] if words else ""
    if head_low in ORGANIZATION_NOUNS or (head_low in GENERIC_ORGANIZATION_NOUNS and any(
            c.dep_ == "appos" and c.pos_ == "PROPN" for c in head.children)):
        return "organization"  # "A patient advocacy group, Heart Voices UK,"
    if head_low in ROLE_NOUNS or any(w in ROLE_NOUNS for w in words[-2:]):
        return "unnamed" if first in INDEFINITE and head_low not in OFFICE_NOUNS else "role"
    if head_low in UNNAMED_HEADS or first in INDEFINITE:
        return "unnamed"
    if head_low in KIN_NOUNS or (first in ("my", "our", "his", "her", "their") and head.pos_ == "NOUN"):
        return "unnamed"  # "my mother", "her therapist": someone known by a relation to a person
    if head.pos_ == "PROPN":
        return "organization"
    return "other"


def _key(text: str) -> str:
    return " ".join(w for w in _words(text) if w not in DETERMINERS)


def resolve_sources(doc: Doc, attributions: Sequence[Attribution]) -> list[Source]:
    """Give each attribution a `speaker` and return the article's sources."""
    text = text_of(doc)
    people = _ArticlePeople(doc)
    speakers: list[_Speaker] = []
    by_key: dict[str, _Speaker] = {}
    recent: list[_Speaker] = []  # speakers in order of their last mention
    newlines = [m.start() for m in re.finditer("\n", text)]  # where paragraphs end
    # what was said: the attributions' contents, and every quotation (a name in scare quotes,
    # "Lyin' Ted", is no more the antecedent of the next "he" than one inside a quote)
    contents = Ranges([*((s.start, s.end) for a in attributions for s in a.content),
                       *((q.start, q.end) for q in quotes_of(doc).quotes)])

    interview = _Interview.of(text, people)

    def speaker_for(key: str, name: str, type_: str) -> _Speaker:
        sp = by_key.get(key)
        if sp is None:
            sp = _Speaker(id=f"s{len(speakers) + 1}", name=name, type=type_)
            speakers.append(sp)
            by_key[key] = sp
        return sp

    def phrase_speaker(phrase: DocSpan, type_: str) -> _Speaker:
        # an unnamed source: its words up to the comma after its head, one per type and words
        core = _core(phrase)
        return speaker_for(f"{type_}:{_key(core)}", core, type_)

    def person_speaker(person: _Person) -> _Speaker:
        # one source per person the article names (two people may share a name's words)
        sp = speaker_for(f"person:{id(person)}", person.name,
                         "person" if person.label == "PERSON" else "organization")
        sp.gender = sp.gender or person.gender
        sp.fallback_description = sp.fallback_description or person.description
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
        mention = _label_name(mention)
        if len(mention) == 1 and mention[0].tag_ in ("WP", "WDT") and mention[0].head.dep_ == "relcl":
            # "Trump, who said …": the relative pronoun stands for the noun phrase it hangs on
            antecedent = mention[0].head.head
            mention = doc[antecedent.left_edge.i:antecedent.i + 1]
        low = mention.text.strip().lower()
        sp: _Speaker | None = None
        turn = interview.turn(first.start) if interview is not None and low in FIRST_SECOND else None
        asked_or_answering = (turn == "answer") == (low in FIRST_PERSON)
        if interview is not None and turn is not None and asked_or_answering:
            sp = person_speaker(interview.interviewee)  # "I" answering, or "you" asked
        elif turn == "question" and low in FIRST_PERSON:
            sp = speaker_for("interviewer", "the interviewer", "organization")
            sp.description = "the outlet's interviewer"
        elif len(mention) == 1 and low in PRONOUNS:
            # the antecedent comes before what the pronoun's speaker said ("“Bernie will run …,” he said":
            # not Bernie)
            before = min([first.start, *(s.start for s in a.content)])
            sp = _resolve_pronoun(low, before, recent, people, person_speaker, contents, newlines)
            thing = _thing_before(mention[0], contents) if sp is None and low in NEUTER else None
            if thing is not None:  # "The report was released on Friday. It said …"
                sp = phrase_speaker(thing, "document" if thing[-1].lower_ in DOCUMENT_NOUNS else "organization")
            group = _people_before(mention[0], contents) if low in PLURAL and (
                sp is None or sp.type == "organization") else None
            if group is not None and not people.mentioned_between(group.end_char, before):
                # "Reuters spoke to three doctors. They said …": the doctors, named nearer than Reuters
                sp = phrase_speaker(group, "group")
                sp.plural = True
            if sp is None:
                generic = low in FIRST_SECOND
                sp = speaker_for(f"pronoun:{low}:{first.start}" if not generic else "generic:" + low,
                                 mention.text.strip(), "other" if generic else "unnamed")
                sp.plural = low in PLURAL
        elif _party_member(mention):  # "The Kentucky Republican": the politician from there named before
            member = _member_from(mention, first.start, people)
            sp = person_speaker(member) if member is not None else phrase_speaker(mention, "role")
        else:
            person = _named(mention, people, first.start)
            type_ = _mention_type(mention, person)
            if person is not None and type_ in ("person", "organization"):
                sp = person_speaker(person)
                description = _description(mention)
                if description and not sp.description:
                    sp.description = description
                sp.gender = sp.gender or _gender_of_titles(mention) or person.gender
            elif type_ == "unnamed" and (head := _head(mention)).lower_ in KIN_NOUNS and (
                    kin := _resolve_role(doc[head.i:head.i + 1], first.start, people, person_speaker)) is not None:
                sp = kin  # "My husband" after "her husband, Colm Treharne"
            elif type_ == "role":
                sp = (_resolve_role(mention, first.start, people, person_speaker)
                      or _definite_anaphor(mention, recent) or phrase_speaker(mention, "role"))
            else:
                org = _definite_organization(mention, first.start, people) if type_ in (
                    "organization", "other") else None
                named = _appositive_name(mention) if type_ == "organization" else None
                sp = (person_speaker(org) if org is not None else None) or _definite_anaphor(
                    mention, recent) or (speaker_for(f"{type_}:{_key(named)}", named, type_) if named else None) or (
                    phrase_speaker(mention, type_))
                sp.plural = sp.plural or type_ == "group" or _head(mention).tag_ in ("NNS", "NNPS")
            head_low = _head(mention).lower_
            sp.heads.add(head_low)
            if sp.type in ("role", "unnamed", "anonymous"):
                sp.gender = sp.gender or GENDERED_NOUNS.get(head_low)
        sp.mentions.append(Span(first.start, last.end, text[first.start:last.end]))
        if low in MALE and sp.type in ("person", "role", "unnamed"):
            sp.gender = sp.gender or "male"
        elif low in FEMALE and sp.type in ("person", "role", "unnamed"):
            sp.gender = sp.gender or "female"
        a.speaker = sp.id
        if sp in recent:
            recent.remove(sp)
        recent.append(sp)
    return [Source(s.id, s.name, s.type, s.description or s.fallback_description, sorted(set(s.mentions)))
            for s in speakers]


def _named(mention: DocSpan, people: _ArticlePeople, offset: int) -> _Person | None:
    """The named person or organisation a mention is about: only when the name
    is the mention's head ("Mr Petraeus", not "the Clinton camp"); never the
    organisation the recogniser made of a name in capitals ("JOHN DOE" as "DOE")."""
    found = _named_in(mention, people, offset)
    if found is not None and found.label != "PERSON" and _caps_name(mention):
        return None
    return found


def _named_in(mention: DocSpan, people: _ArticlePeople, offset: int) -> _Person | None:
    head = _head(mention)
    titled = _titled_person(mention) or _named_after_lower_title(mention)
    if titled:
        return people.lookup(titled, offset)
    for child in head.children:  # "His lawyer, Bogdan Orlov": the name is the appositive
        if child.dep_ == "appos" and child.pos_ == "PROPN" and mention.start <= child.i < mention.end and not (
                child.doc[child.i - 1].text == "(" and head.ent_type_ == "PERSON"):
            # not an acronym in brackets the parse hung on a person's name ("…, general secretary of
            # the Allied Motor and Engineering Union (AMEU)"); but "WASHINGTON (AP)" is the AP
            found = people.lookup(_name_chain(child), offset)
            if found is not None:  # not a party and state "(D-Nev.)"
                return found
    if head.lower_ in PERSON_ROLES:
        # "Her editor at Greyhaven Books, Joanna Wyeth,": the parse hung the name on the organisation
        for t in mention:
            if t.dep_ == "appos" and t.ent_type_ == "PERSON" and t.i > head.i and t.head.i != head.i:
                found = people.lookup(_name_chain(t), offset)
                if found is not None and found.label == "PERSON":
                    return found
    if _caps_label(mention):  # "HOLT:" is the Daniel Holt the transcript introduced
        return people.lookup([t for t in mention if not t.is_space], offset)
    ent = next((e for e in _ents_in(mention) if e.start <= head.i < e.end), None)
    if ent is not None:
        return people.lookup(list(ent), offset)
    if head.pos_ != "PROPN" and head.is_title and head.lower_ in people.by_surname:
        return people.lookup([head], offset)  # "Kendal recalls", the surname tagged an adjective
    if head.pos_ != "PROPN" or head.lower_ in DOCUMENT_NOUNS:
        return None
    start = head.i
    while start > mention.start and mention.doc[start - 1].pos_ == "PROPN":
        start -= 1
    return people.lookup(list(mention.doc[start:head.i + 1]), offset)


def _appositive_name(mention: DocSpan) -> str | None:
    """"A patient advocacy group, Heart Voices UK,": an organisation described, then named
    in apposition; its name is the name (the key its later mentions by name share)."""
    head = _head(mention)
    if head.lower_ not in GENERIC_ORGANIZATION_NOUNS:
        return None
    for child in head.children:
        if child.dep_ == "appos" and child.pos_ == "PROPN" and mention.start <= child.i < mention.end:
            words = mention.doc[child.left_edge.i:min(child.right_edge.i + 1, mention.end)]
            name = words.text.strip(" ,")
            if name and name[0].isupper():
                return name
    return None


def _plural_noun(ent: DocSpan) -> bool:
    """"Campaigners said …": a plural common noun opening a sentence, which the recogniser
    took for a name."""
    return len(ent) == 1 and ent.label_ == "PERSON" and (ent[0].lower_ in GROUP_NOUNS or ent[0].tag_ == "NNS")


def _acronyms(doc: Doc) -> list[tuple[list, Any]]:
    """Names given with their acronym in brackets ("the Food and Drug Administration (FDA)"):
    the name's words and the acronym, when the acronym's letters are the initials of the
    name's capitalised words."""
    out = []
    for t in doc:
        if t.text != "(" or t.i < 1 or t.i + 2 >= len(doc) or doc[t.i + 2].text != ")":
            continue
        acronym, last = doc[t.i + 1], doc[t.i - 1]
        if not (acronym.is_upper and acronym.is_alpha and 2 <= len(acronym) <= 8 and last.pos_ == "PROPN"):
            continue
        ent = _entity_at(doc, last.i)  # "Bureau of Civil Aviation …": the parse may start at "Civil"
        first = min(last.left_edge.i, ent.start if ent is not None and ent.end == last.i + 1 else last.i)
        words = [w for w in doc[first:last.i + 1] if w.lower_ not in DETERMINERS]
        # the name is the words the initials stand for: after an owner ("France's Bureau of …"),
        # with a plural possessive kept inside ("The Latvian Airline Pilots' Association")
        for k in range(len(words)):
            name = words[k:]
            if not name[0].is_title or not all(w.pos_ in ("PROPN", "NOUN", "CCONJ", "ADP", "ADJ") or (
                    w.lower_ in _POSSESSIVE and 0 < j < len(name) - 1) for j, w in enumerate(name)):
                continue
            if "".join(w.text[0] for w in name if w.is_title or w.is_upper) == acronym.text:
                out.append((name, acronym))
                break
    return out


def _is_courtesy_title(token) -> bool:
    low = token.lower_
    return low.endswith(".") or low in MALE_TITLES | FEMALE_TITLES | {"dr", "prof", "mx"}


def _description(mention: DocSpan) -> str | None:
    """The words a mention puts before or beside the name: "Retired US army general",
    "nonpartisan" ("the nonpartisan Congressional Budget Office"), "a lawyer for the family"."""
    ents = _ents_in(mention)
    if not ents:
        return None
    head = _head(mention)
    ent = next((e for e in ents if e.start <= head.i < e.end), ents[-1])
    before = list(mention.doc[mention.start:ent.start])
    # a bare title or article is no description ("Mr.", "the", "Gov."); "general" is one
    while before and (before[-1].is_punct or (len(before) > 1 and _is_courtesy_title(before[-1]))):
        before = before[:-1]
    while before and (before[0].lower_ in DETERMINERS or before[0].is_punct):
        before = before[1:]
    if before and not (len(before) == 1 and _is_courtesy_title(before[0])) and any(
            t.pos_ in ("NOUN", "PROPN", "ADJ") for t in before) and all(
            t.pos_ in ("NOUN", "PROPN", "ADJ", "ADP", "DET", "NUM", "PART", "CCONJ") or t.tag_ == "POS"
            for t in before):
        return mention.doc[before[0].i:before[-1].i + 1].text.strip(" ,")
    # an appositive after a comma: the whole noun phrase, never a piece of one
    for child in ent.root.children:
        if child.dep_ == "appos" and child.pos_ == "NOUN" and mention.start <= child.i < mention.end:
            words = mention.doc[child.left_edge.i:min(child.right_edge.i + 1, mention.end)]
            text = words.text.strip(" ,")
            if text and words[0].i > ent.end - 1:
                return text
    return None


# what a kind of organisation calls itself: "the airline" after "Baltic Crown Airways"
ORGANIZATION_KINDS: dict[str, tuple[str, ...]] = {
    "airline": ("airways", "airlines", "air"), "carrier": ("airways", "airlines", "air", "line", "lines"),
    "lender": ("bank",), "insurer": ("insurance", "assurance"), "housebuilder": ("homes", "developments"),
    "developer": ("developments", "properties", "homes"), "club": ("united", "city", "fc", "athletic", "rovers"),
    "broadcaster": ("broadcasting", "television", "tv", "radio"), "carmaker": ("motors", "automotive", "cars"),
    "drugmaker": ("pharmaceuticals", "pharma"), "charity": ("trust", "foundation"), "union": ("association",),
}


def _definite_organization(mention: DocSpan, offset: int, people: _ArticlePeople) -> _Person | None:
    """"The ministry" is the nearest earlier organisation whose name has that
    word ("the Ministry of Water Resources"); "the company" or "the agency",
    words any organisation may be called, the nearest earlier organisation."""
    if mention[0].lower_ not in ("the", "this", "that") or len(mention) > 6 or (
            len(mention) > 3 and _head(mention).i != mention.end - 1):
        return None  # "the company", "the Minneapolis-based company", not "the company's chief"
    head = _head(mention).lower_
    org = people.nearest(offset, [("org-word", word) for word in (head, *ORGANIZATION_KINDS.get(head, ()))])
    if org is not None:
        return org
    if head in BUSINESS_NOUNS:
        # "the company" is no legislature or ministry named nearer ("… stalled in the House. The company said")
        return next((o for o, _ in zip(people.nearest_with(("label", "ORG"), offset), range(6), strict=False)
                     if o.name.split()[-1].lower() not in PUBLIC_BODIES), None)
    if head in GENERIC_ORGANIZATION_NOUNS:
        return people.nearest(offset, [("label", "ORG")])
    return None


PARTY_MEMBERS = frozenset({"republican", "democrat", "conservative", "tory", "liberal", "socialist"})


def _party_member(mention: DocSpan) -> bool:
    """"The Kentucky Republican", "the Vermont Democrat": a party's member from a place, as US
    news calls the politician it has just named."""
    words = [t for t in mention if not t.is_punct]
    return 3 <= len(words) <= 5 and words[0].lower_ == "the" and words[-1].lower_ in PARTY_MEMBERS and all(
        t.is_title for t in words[1:])


def _member_from(mention: DocSpan, offset: int, people: _ArticlePeople) -> _Person | None:
    """The nearest person named before whose titles or party tag give the mention's place
    ("Florida Sen. Marco Rubio", "Paul Ryan (R-Wis.)"), and no other party."""
    words = [t.lower_ for t in mention if not t.is_punct][1:]
    party, place = words[-1], set(words[:-1])
    for person in people.nearest_with(("role", words[-2]), offset):
        parties = person.roles & set(PARTY_LETTERS.values())
        if place <= person.roles and (not parties or party in parties):
            return person
    return None


def _definite_anaphor(mention: DocSpan, recent: list[_Speaker]) -> _Speaker | None:
    """A short definite description ("the poll", "The commission", "the
    source") refers to the nearest earlier source whose mentions have the
    same head noun ("A Bloomberg poll", "the Commission on Presidential Debates");
    "the audio" or "the tape" to the nearest earlier recording."""
    if mention[0].lower_ not in ("the", "this", "that", "these", "those") or len(mention) > 4:
        return None
    head = _head(mention).lower_
    for sp in reversed(recent):
        if head in sp.heads and sp.type not in ("person",):
            return sp
    if head in RECORDING_NOUNS:  # a recording named by its head ("An audio recording"), not one it holds
        for sp in reversed(recent):
            if sp.type == "document" and sp.heads & RECORDING_NOUNS:
                return sp
    return None


def _phrase_before(pronoun, contents: Ranges | None, sentences_back: int, fits) -> DocSpan | None:
    """The nearest noun phrase before a pronoun, in its sentence or the `sentences_back`
    before it, whose head token `fits`, outside what was said: the head and its
    modifiers within its sentence, at most eight words."""
    doc = pronoun.doc
    first_sentence = pronoun.sent
    for _ in range(sentences_back):
        if first_sentence.start == 0:
            break
        first_sentence = doc[first_sentence.start - 1].sent
    for i in range(pronoun.i - 1, first_sentence.start - 1, -1):
        tok = doc[i]
        if not fits(tok) or (contents is not None and contents.holds(tok.idx)):
            continue
        start = max(tok.left_edge.i, tok.sent.start)
        if tok.i - start < 8:
            return doc[start:tok.i + 1]
    return None


def _thing_before(pronoun, contents: Ranges | None) -> DocSpan | None:
    """For "it" that no earlier source takes: the nearest document or organisation the
    text names before it, in its sentence or the two before, outside what was said
    ("The report was released on Friday. It said …")."""
    return _phrase_before(pronoun, contents, 2, lambda tok: tok.tag_ in ("NN", "NNP") and tok.dep_ != "compound" and (
        tok.lower_ in DOCUMENT_NOUNS or tok.lower_ in ORGANIZATION_NOUNS))


def _people_before(pronoun, contents: Ranges | None) -> DocSpan | None:
    """For "they": the nearest plural noun for people in its sentence or the one before,
    outside what was said and not the object a cue is addressed to ("told investors")."""
    return _phrase_before(pronoun, contents, 1, lambda tok: tok.tag_ == "NNS" and tok.lower_ in GROUP_NOUNS and (
        tok.dep_ not in ("compound", "dobj", "dative")))


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
                     person_speaker, contents: Ranges | None = None,
                     newlines: Sequence[int] = ()) -> _Speaker | None:
    """The nearest compatible earlier source or named person of the text. For
    he/she, someone known to match the pronoun's gender beats someone whose
    gender the article does not show, however near. A pronoun that is the source
    of the next attribution continues the last speaker when it fits ("John Carter
    said that Peter Hall had left. He added…": Carter): a person named only inside
    what was said does not take it."""
    if pronoun in FIRST_SECOND:
        return None
    want = "male" if pronoun in MALE else "female" if pronoun in FEMALE else None  # the pronoun's gender
    if recent:
        last = recent[-1]
        near = offset - max(m.start for m in last.mentions) <= CONTINUATION_CHARS
        # a named person whose gender the article does not show continues too, unless an earlier
        # speaker shows the pronoun's ("Jones told reporters that Peter Hall had resigned. He said …":
        # Jones, not Hall, who was only mentioned)
        # speaker of the same paragraph shows the pronoun's (an earlier paragraph's does not count:
        # "… Katarzyna Wolska told TVN24 that … “…,” she said" after a paragraph quoting Annette Brooke)
        unknown_fits = last.type == "person" and not any(
            sp.gender == want and bisect.bisect_left(newlines, max(m.start for m in sp.mentions))
            == bisect.bisect_left(newlines, offset) for sp in recent[:-1])  # no line break between: one paragraph
        if near and _compatible(pronoun, last.type, last.plural, last.gender) and (
                last.gender is not None or want is None or unknown_fits):
            # people named since the last speaker, outside what was said, who could take the pronoun
            # (after the speaker's mention: not "the Obama campaign" of "David Axelrod, a strategist for the
            # Obama campaign")
            said_by = max(last.mentions, key=lambda m: m.start)
            latest = {id(p): (at, p) for at, p in people.mentioned_between(said_by.end, offset)}  # each one's last
            between = [p for at, p in latest.values() if contents is None or not contents.holds(at)]
            if not any(_compatible(pronoun, "person" if p.label == "PERSON" else "organization", False, p.gender)
                       for p in between):
                return last
    candidates: list[tuple[int, _Speaker | _Person, str | None]] = []
    for sp in recent:
        if _compatible(pronoun, sp.type, sp.plural, sp.gender):
            candidates.append((max(m.start for m in sp.mentions), sp, sp.gender))
    for at, person in people.nearest_compatible(pronoun, offset):
        candidates.append((at, person, person.gender))
    if not candidates:
        return None
    if want is not None:
        known = [c for c in candidates if c[2] == want]
        candidates = known or candidates
    elif pronoun in PLURAL:
        # "they" is more often people than an organisation
        plural = [c for c in candidates if not (isinstance(c[1], _Person) or c[1].type == "organization")]
        candidates = plural or candidates
    found = max(candidates, key=lambda c: c[0])[1]
    return person_speaker(found) if isinstance(found, _Person) else found


def _resolve_role(mention: DocSpan, offset: int, people: _ArticlePeople, person_speaker) -> _Speaker | None:
    """"The former general" is the person the article called a general: the
    nearest person whose roles cover the mention's words; or, when the mention
    adds only lower-case words ("the former general"), the nearest person with
    the head role. A capitalised word the person lacks ("the Democratic
    nominee" for a Republican nominee) blocks the link."""
    head = _head(mention)
    words = {t.lower_ for t in mention if not t.is_punct} - DETERMINERS - TIME_MODIFIERS
    capitalised = {t.lower_ for t in mention if t.is_title and t.i != mention.start and t.i != head.i}
    candidates = []
    for person in people.nearest_with(("role", head.lower_), offset):  # (PERSON only)
        candidates.append(person)
        if words <= person.roles | {head.lower_}:
            return person_speaker(person)
    for person in candidates:
        if capitalised <= person.roles:
            return person_speaker(person)
    return None
