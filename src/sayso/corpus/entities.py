"""Corpus entities: one identity per person or organisation across the store.

Every source of type person or organization is linked to an entity, so that
"Donald Trump", "Donald J. Trump", "Mr. Trump", "President Trump" and
"Trump's" in different articles are one entity, while "Jeb Bush" and "George
W. Bush" stay two.

How (never all pairs over the corpus):
1. Blocking: a person's key is the surname of its resolved name (titles,
   honorifics, possessives, initials and suffixes removed); an organisation's
   is its normalised name, or the acronym it is known by ("Federal Bureau of
   Investigation" -> "fbi") when the corpus has that acronym.
2. Within a block, full names ("Hillary Rodham Clinton", "H. Clinton") form one
   cluster per first name (nicknames and initials matched, differing middle
   initials kept apart: George W. and George H.W. Bush).
3. A bare surname ("Clinton", "Mrs. Clinton", "President Bush") joins the
   cluster its article points to: full names of the block found in the
   article's text, the honorific's gender against the cluster's, titles and
   descriptions, co-mentioned entities, and, failing all, the most-quoted
   cluster of the block.
4. A lone given name ("Hillary") joins the one cluster that name belongs to,
   when one cluster holds nearly all people of that first name.

Blocks interact only there, through first names (`first_name_keys`), and
through knowledge-base entries: Spark links the groups of blocks tied that way
apart (`spark.mention_groups`).

Incremental and stable: linking reads the entities already stored and links
only the sources that have no entity yet; an existing entity keeps its id and
its sources, and a run that adds nothing changes nothing.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sayso.errors import CorpusError
from sayso.jsonlines import parse_objects, read_text
from sayso.nlp.lexicon import given_name_genders

LINKED_TYPES = ("person", "organization")
MALE_HONORIFICS = {"mr", "sir", "lord"}
FEMALE_HONORIFICS = {"mrs", "ms", "miss", "dame", "lady", "madam"}
# Words before a name that say what someone is, not who ("Former Secretary of State Hillary Clinton").
TITLE_WORDS = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord", "prof", "professor", "rev", "reverend",
    "president", "vice", "former", "sen", "senator", "rep", "representative", "congressman", "congresswoman",
    "gov", "governor", "secretary", "of", "state", "defense", "treasury", "attorney", "general", "gen", "lt",
    "col", "colonel", "adm", "admiral", "capt", "captain", "sgt", "judge", "justice", "speaker", "mayor",
    "chairman", "chairwoman", "chair", "candidate", "nominee", "presidential", "republican", "democratic",
    "democrat", "gop", "first", "then", "chief", "minister", "prime", "ambassador", "sheriff", "director",
    "commissioner", "elect", "president-elect", "u.s.", "us", "the", "house", "senate", "majority", "minority",
    "leader", "whip", "billionaire", "businessman", "mogul", "rival", "opponent", "running", "mate",
    "late", "retired", "new", "acting", "deputy", "pope", "king", "queen", "prince", "princess",
}
SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "esq", "phd", "md"}
GENERATIONS = {"jr", "sr", "ii", "iii", "iv"}  # a different person: Donald Trump Jr.
# Words before an organisation's name that make it a description, not a name ("his campaign").
GENERIC_HEADS = {"the", "a", "an", "his", "her", "their", "its", "our", "my", "your", "this", "that"}
NICKNAMES = {
    "bill": "william", "will": "william", "billy": "william", "bob": "robert", "bobby": "robert",
    "rob": "robert", "jim": "james", "jimmy": "james", "mike": "michael", "dick": "richard", "rick": "richard",
    "tom": "thomas", "tony": "anthony", "joe": "joseph", "dan": "daniel", "dave": "david", "chris": "christopher",
    "don": "donald", "hank": "henry", "chuck": "charles", "charlie": "charles", "ben": "benjamin",
    "nick": "nicholas", "pat": "patrick", "ed": "edward", "newt": "newton", "jeb": "john", "johnny": "john",
    "jack": "john", "kate": "katherine", "liz": "elizabeth", "beth": "elizabeth", "sam": "samuel", "andy": "andrew",
    "greg": "gregory", "matt": "matthew", "steve": "steven", "stephen": "steven", "jon": "jonathan",
    "hillary": "hillary", "hilary": "hillary",
}
ORG_STOPWORDS = {"the", "of", "and", "for", "in", "on", "at", "a", "an", "&"}
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w’'.-]*|,")
PARTICLES = {"de", "van", "von", "del", "da", "al", "der", "la", "le"}
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")


def fold(text: str) -> str:
    """Lower case without accents, for keys."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _strip_possessive(word: str) -> str:
    stripped = _POSSESSIVE.sub("", word)
    if word.endswith(("s'", "s’")):  # "the Clintons'"
        stripped = word[:-1]
    return stripped or word


@dataclass(frozen=True)
class PersonName:
    """A person's name taken apart: "Former President George W. Bush's" ->
    titles (former, president), first "george", middle ("w",), surname "bush"."""

    first: str | None
    middle: tuple[str, ...]
    surname: str
    titles: tuple[str, ...]
    display: str  # the name without titles and possessive: "George W. Bush"
    suffix: str | None = None  # "jr", "sr", "ii"…

    @property
    def full(self) -> bool:
        return self.first is not None

    @property
    def first_canonical(self) -> str | None:
        if self.first is None:
            return None
        return NICKNAMES.get(self.first, self.first)

    @property
    def gender(self) -> str | None:
        titles = set(self.titles)
        if titles & MALE_HONORIFICS:
            return "male"
        if titles & FEMALE_HONORIFICS:
            return "female"
        return None


def parse_person(name: str) -> PersonName | None:
    """Take a person's name apart; None when nothing in it is a name."""
    name = re.sub(r"\([^)]*\)|“[^”]*”|\"[^\"]*\"", " ", name)  # "(R-Fla.)", a quoted nickname
    name = re.sub(r"\s+-\s+", "-", name)  # "Holtz - Eakin"
    tokens = [_strip_possessive(w) for w in _TOKEN.findall(name)]
    titles: list[str] = []
    while tokens and tokens[0] != "," and (tokens[0].lower().rstrip(".") in TITLE_WORDS or tokens[0][:1].islower()):
        titles.append(tokens.pop(0).lower().rstrip("."))
    # The name is the first run of capitalised words: "Claire McCaskill" of
    # "Claire McCaskill, who has endorsed Clinton,"; then a "Jr." after it.
    words: list[str] = []
    suffix = None
    for i, token in enumerate(tokens):
        low = fold(token).rstrip(".")
        if words and low in SUFFIXES:  # "Jr.", also after a comma
            suffix = suffix or (low if low in GENERATIONS else None)
            continue
        if token == "," and words and i + 1 < len(tokens) and fold(tokens[i + 1]).rstrip(".") in SUFFIXES:
            continue
        if token == "," or suffix is not None or not (token[:1].isupper() or (words and low in PARTICLES)):
            if words:
                break
            continue
        words.append(token)
    if not words:
        return None
    surname_words = [words.pop()]
    while words and words[-1].lower() in PARTICLES:
        surname_words.insert(0, words.pop())
    surname = fold(" ".join(surname_words)).replace(".", "")
    if not surname or len(surname.replace(" ", "")) < 2:
        return None
    first = fold(words[0]).rstrip(".") if words else None
    # "H.W." is two initials, "Rodham" one
    middle = tuple(part[:1] for w in words[1:] for part in (
        [p for p in fold(w).split(".") if p] if "." in w.rstrip(".") else [fold(w).rstrip(".")]) if part)
    if first is not None and "." in first:  # "H.W." as a first name: initials
        parts = [p for p in first.split(".") if p]
        first, middle = parts[0], tuple(p[:1] for p in parts[1:]) + middle
    display = " ".join([*words, *surname_words] + ([suffix.capitalize() + "."] if suffix in ("jr", "sr") else
                                                    [suffix.upper()] if suffix else []))
    return PersonName(first, middle, surname, tuple(titles), display, suffix)


def acronym(name: str) -> str | None:
    """The initials of a multi-word name ("Federal Bureau of Investigation" -> "fbi")."""
    words = [w for w in fold(name).replace("-", " ").split() if w not in ORG_STOPWORDS]
    if len(words) < 2:
        return None
    return "".join(w[0] for w in words if w[0].isalpha())


def is_org_name(name: str) -> bool:
    """Whether an organisation source is named ("the Clinton campaign", "FBI")
    rather than described ("the campaign", "his campaign"): a capitalised word
    after any leading determiner."""
    words = name.split()
    while words and words[0].lower() in GENERIC_HEADS:
        words.pop(0)
    return bool(words) and words[0][:1].isupper()


_PARTY_STATE = re.compile(r"\((?:R|D|I)[-–.,\s]")  # "(R-Ky.)", "(D-N.Y.)"
PERSON_TITLES = {"mr", "mrs", "ms", "dr", "sen", "senator", "rep", "representative", "gov", "governor",
                 "president", "secretary", "speaker", "mayor", "judge", "gen"}


def looks_like_person(name: str) -> bool:
    """An organisation source that is a titled person ("Sen. Rand Paul (R-Ky.)",
    "Senate Majority Leader Mitch McConnell"): a party-and-state tag, or a
    personal title before two or more capitalised words."""
    if _PARTY_STATE.search(name):
        return parse_person(name) is not None
    words = name.replace(".", " ").split()
    if not words or fold(words[0]) not in PERSON_TITLES:
        return False
    person = parse_person(name)
    return person is not None and person.full


def org_key(name: str) -> str:
    """An organisation's normalised name: lower case, no accents, no leading
    "the", no possessive or punctuation ("The FBI's" -> "fbi")."""
    words = [_strip_possessive(w) for w in fold(name).split()]
    words = [re.sub(r"[^\w&-]", "", w) for w in words]
    words = [w for w in words if w]
    while words and words[0] in ("the", "a", "an"):
        words.pop(0)
    return " ".join(words)


@dataclass
class Mention:
    """One source row to link, with what its article says around it."""

    doc_id: str
    source_id: str
    name: str
    type: str
    order: tuple[int, int]  # (document seq, source position): store order
    published: str | None = None
    description: str | None = None
    mention_texts: tuple[str, ...] = ()
    n_attributions: int = 0
    # filled by `mention_context`:
    text_firsts: dict[str, int] = field(default_factory=dict)  # canonical first name -> uses with the surname
    text_gender: dict[str, int] = field(default_factory=dict)  # "male"/"female" -> honorific + surname uses
    co_keys: tuple[str, ...] = ()  # blocking keys of the article's other named sources


@dataclass
class Entity:
    """A corpus-wide entity and what linking knows of it."""

    id: int
    type: str
    key: str
    name: str
    first: str | None = None  # canonical first name (people)
    middle: tuple[str, ...] = ()
    suffix: str | None = None
    aliases: Counter[str] = field(default_factory=Counter)
    first_seen: str | None = None
    last_seen: str | None = None
    n_sources: int = 0
    n_attributions: int = 0
    documents: set[str] = field(default_factory=set)
    n_documents: int = 0  # documents already stored before this run (counted in `documents` from now on)
    gender: Counter[str] = field(default_factory=Counter)
    titles: Counter[str] = field(default_factory=Counter)
    co_keys: Counter[str] = field(default_factory=Counter)
    kb_id: str | None = None
    description: str | None = None
    changed: bool = False

    def state(self) -> dict[str, Any]:
        """What a later run needs to link consistently (the `profile` column)."""
        return {"first": self.first, "middle": list(self.middle), "suffix": self.suffix,
                "gender": dict(self.gender),
                "titles": dict(self.titles.most_common(20)), "co": dict(self.co_keys.most_common(30))}

    def add(self, mention: Mention, person: PersonName | None) -> None:
        self.aliases[mention.name] += 1
        self.n_sources += 1
        self.n_attributions += mention.n_attributions
        if mention.doc_id not in self.documents:
            self.documents.add(mention.doc_id)
            self.n_documents += 1
        if mention.published:
            day = mention.published[:10]
            self.first_seen = min(self.first_seen or day, day)
            self.last_seen = max(self.last_seen or day, day)
        if person is not None:
            self.titles.update(t for t in person.titles if t not in ("the", "of"))
            if person.gender:
                self.gender[person.gender] += 1
        self.co_keys.update(mention.co_keys)
        self.changed = True


@dataclass(frozen=True)
class KbEntry:
    """One entry of a user's knowledge base (`--entities FILE`)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    description: str | None = None
    type: str = "person"


def load_kb(path: str | Path) -> list[KbEntry]:
    """A knowledge base from CSV (columns id, name, aliases, description and
    optionally type; aliases separated by "|") or JSON lines (the same keys;
    aliases a list or a "|"-separated string)."""
    path = Path(path)
    text = read_text(path, "entities file")
    rows: list[dict[str, Any]] = []
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = parse_objects(text, path)
    else:
        rows = list(csv.DictReader(text.splitlines()))
    entries = []
    for n, row in enumerate(rows, 1):
        id_, name = str(row.get("id") or "").strip(), str(row.get("name") or "").strip()
        if not id_ or not name:
            raise CorpusError(f"{path}: entry {n} has no id or no name")
        aliases = row.get("aliases") or ()
        if isinstance(aliases, str):
            aliases = [a.strip() for a in aliases.split("|")]
        type_ = str(row.get("type") or "person").strip().lower()
        if type_ not in LINKED_TYPES:
            raise CorpusError(f"{path}: entry {n} has type {type_!r} (use person or organization)")
        entries.append(KbEntry(id_, name, tuple(a for a in aliases if a), row.get("description") or None, type_))
    return entries


def block_of(type_: str, name: str, acronyms: Container[str] = ()) -> tuple[str, str] | None:
    """A mention's blocking key: ("person", surname) for a person (or an
    organisation source that is a titled person), ("organization", its
    normalised name) for a named organisation, or its acronym when `acronyms`
    (those the corpus uses, see `registered_acronym`) has it; None when it
    names nobody. Linking compares a mention with its block's entities (and a
    bare word with the people of that first name, see `first_name_keys`)."""
    if type_ == "person" or looks_like_person(name):
        person = parse_person(name)
        return ("person", person.surname) if person else None
    key = org_key(name)
    if not key or not is_org_name(name):
        return None
    short = acronym(name)
    if short and len(short) >= 3 and short in acronyms:  # "hp" is too short to tell HuffPost from HP
        key = short
    return ("organization", key)


def registered_acronym(type_: str, name: str) -> str | None:
    """The acronym an organisation source written in capitals makes known
    ("FBI" -> "fbi"), so that "Federal Bureau of Investigation" blocks with it."""
    key = org_key(name)
    return key if type_ == "organization" and " " not in key and name.isupper() else None


def first_name_keys(name: str) -> tuple[str | None, str | None]:
    """What ties the linking of a person's block to other blocks: the
    canonical first name its entity is filed under in `Linker.by_first` (a
    full name: "Hillary Clinton" -> "hillary"), and the one its linking looks
    up there (a bare word, surname or given name, `Linker.given_name_owner`:
    "Hillary" -> "hillary", "Bill" -> "william"). (None, None) for a name
    that is not a person's."""
    person = parse_person(name)
    if person is None:
        return None, None
    if person.full:
        return person.first_canonical, None
    first = NICKNAMES.get(person.surname, person.surname)
    return None, first if len(first) > 1 else None


class Linker:
    """Links mentions to entities, block by block; holds the entities."""

    def __init__(self, entities: Iterable[Entity] = (), kb: Sequence[KbEntry] = (), next_id: int | None = None):
        self.entities: dict[int, Entity] = {e.id: e for e in entities}
        self.by_block: dict[tuple[str, str], list[Entity]] = {}
        self.by_first: dict[str, list[Entity]] = {}  # people by canonical first name
        for e in self.entities.values():
            self.by_block.setdefault((e.type, e.key), []).append(e)
            if e.type == "person" and e.first:
                self.by_first.setdefault(e.first, []).append(e)
        self.next_id = next_id if next_id is not None else max(self.entities, default=0) + 1
        self.acronyms: set[str] = {e.key for e in self.entities.values()
                                   if e.type == "organization" and " " not in e.key}
        self.kb: dict[tuple[str, str], list[KbEntry]] = {}
        self.kb_alias: dict[tuple[str, str], KbEntry] = {}
        for entry in kb:
            for alias in (entry.name, *entry.aliases):
                self.kb_alias[(entry.type, self._alias_key(entry.type, alias))] = entry
            block = self.block_of(entry.type, entry.name)
            if block is not None:
                self.kb.setdefault(block, []).append(entry)
        self.genders = given_name_genders()
        # Entity id -> (0 when made while its block was linked, 1 when made for a lone name
        # after all blocks; the order of the block's first mention). Entities are numbered
        # in this order, so Spark can link independent groups of blocks apart and renumber
        # their entities as one Linker over all mentions numbers them.
        self.made_at: dict[int, tuple[int, tuple[int, int]]] = {}
        self._making: tuple[int, tuple[int, int]] = (0, (0, 0))

    @staticmethod
    def _alias_key(type_: str, name: str) -> str:
        if type_ == "person":
            person = parse_person(name)
            return fold(person.display) if person else fold(name)
        return org_key(name)

    def block_of(self, type_: str, name: str) -> tuple[str, str] | None:
        return block_of(type_, name, self.acronyms)

    def kb_entry_of(self, block_type: str, name: str) -> KbEntry | None:
        """The knowledge-base entry a mention of a block of this type names by
        one of its aliases, as linking looks it up (`_link_orgs`,
        `_full_name_entity`, `_bare_entity`), if any."""
        return self.kb_alias.get((block_type, self._alias_key(block_type, name)))

    def _new_entity(self, type_: str, key: str, name: str, person: PersonName | None) -> Entity:
        entity = Entity(self.next_id, type_, key, name, first=person.first_canonical if person else None,
                        middle=person.middle if person else (), suffix=person.suffix if person else None)
        self.next_id += 1
        self.entities[entity.id] = entity
        self.made_at[entity.id] = self._making
        self.by_block.setdefault((type_, key), []).append(entity)
        if type_ == "person" and entity.first:
            self.by_first.setdefault(entity.first, []).append(entity)
        if person is not None and person.first_canonical:
            gender = self.genders.get(person.first or "")
            if gender:
                entity.gender[gender] += 1
        return entity

    def _kb_entity(self, entry: KbEntry, block: tuple[str, str]) -> Entity:
        """The entity anchored to a knowledge-base entry (made when first used)."""
        for e in self.by_block.get(block, []):
            if e.kb_id == entry.id:
                return e
        person = parse_person(entry.name) if entry.type == "person" else None
        entity = self._new_entity(entry.type, block[1], entry.name, person)
        entity.kb_id, entity.description = entry.id, entry.description
        if entry.description:
            entity.titles.update(w for w in fold(entry.description).split() if w in TITLE_WORDS)
        return entity

    def link(self, mentions: Sequence[Mention]) -> dict[tuple[str, str], int]:
        """(doc id, source id) -> entity id for every mention that names someone."""
        for m in mentions:
            if (known := registered_acronym(m.type, m.name)) is not None:
                self.acronyms.add(known)
        blocks: dict[tuple[str, str], list[Mention]] = {}
        for m in sorted(mentions, key=lambda m: m.order):
            block = self.block_of(m.type, m.name)
            if block is not None:
                blocks.setdefault(block, []).append(m)
        out: dict[tuple[str, str], int] = {}
        lone: list[tuple[Mention, PersonName]] = []
        for block, members in sorted(blocks.items(), key=lambda kv: kv[1][0].order):
            self._making = (0, members[0].order)
            if block[0] == "person":
                out.update(self._link_people(block, members, lone))
            else:
                out.update(self._link_orgs(block, members))
        out.update(self._link_lone_names(lone, {block: members[0].order for block, members in blocks.items()}))
        return out

    def _link_orgs(self, block: tuple[str, str], members: list[Mention]) -> dict[tuple[str, str], int]:
        out = {}
        for m in members:
            kb = self.kb_alias.get(("organization", org_key(m.name)))
            if kb is not None:
                entity = self._kb_entity(kb, block)
            else:
                existing = self.by_block.get(block)
                entity = existing[0] if existing else self._new_entity("organization", block[1], m.name, None)
            entity.add(m, None)
            out[(m.doc_id, m.source_id)] = entity.id
        return out

    def _full_name_entity(self, block: tuple[str, str], person: PersonName, m: Mention) -> Entity:
        """The cluster of a full name: same (canonical) first name, or the
        initial of it, and no conflicting middle initials; else a new one."""
        kb = self.kb_alias.get(("person", fold(person.display)))
        if kb is not None:
            return self._kb_entity(kb, block)
        first = person.first_canonical or ""
        display = fold(person.display)
        for e in self.by_block.get(block, []):  # "Wasserman Schultz" within "Debbie Wasserman Schultz", or back
            if e.first is not None and e.first != first and any(
                    fold(a).endswith(" " + display) or display.endswith(" " + fold(a)) for a in e.aliases):
                return e
        candidates = []
        for e in self.by_block.get(block, []):
            if e.first is None:
                continue
            same_first = e.first == first or (len(first) == 1 and e.first[:1] == first) or (
                len(e.first) == 1 and first[:1] == e.first)
            if not same_first:
                continue
            if person.middle and e.middle and person.middle[0] != e.middle[0]:
                continue
            if person.suffix != e.suffix:
                continue
            candidates.append(e)
        if not candidates:
            for entry in self.kb.get(block, []):
                kb_person = parse_person(entry.name)
                if kb_person and kb_person.first_canonical == first:
                    return self._kb_entity(entry, block)
            return self._new_entity("person", block[1], person.display, person)
        # The fullest match: the same middle initials first, then the most-quoted.
        return max(candidates, key=lambda e: (e.middle == person.middle, e.n_sources, -e.id))

    def _link_people(self, block: tuple[str, str], members: list[Mention],
                     lone: list[tuple[Mention, PersonName]]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        parsed = [(m, parse_person(m.name)) for m in members]
        # The fullest names first, so that a short form finds the long one ("Wasserman Schultz").
        parsed.sort(key=lambda mp: -len(mp[1].display.split()) if mp[1] else 0)
        bare: list[tuple[Mention, PersonName]] = []
        for m, person in parsed:
            assert person is not None  # blocked by its surname
            if person.full:
                entity = self._full_name_entity(block, person, m)
                entity.add(m, person)
                out[(m.doc_id, m.source_id)] = entity.id
            else:
                bare.append((m, person))
        for m, person in bare:
            entity = self._bare_entity(block, person, m)
            if entity is None:
                lone.append((m, person))
                continue
            entity.add(m, person)
            out[(m.doc_id, m.source_id)] = entity.id
        return out

    def _bare_entity(self, block: tuple[str, str], person: PersonName, m: Mention) -> Entity | None:
        """The cluster a bare surname most likely means, by what its article says."""
        kb = self.kb_alias.get(("person", fold(person.display)))
        if kb is not None:
            return self._kb_entity(kb, block)
        candidates = [e for e in self.by_block.get(block, []) if e.first is not None]
        owner = self.given_name_owner(person.surname)
        if owner is not None and owner.n_sources > sum(e.n_sources for e in candidates):
            return owner  # "Hillary": a given name far more than anyone's surname
        if not candidates:
            for entry in self.kb.get(block, []):
                candidates.append(self._kb_entity(entry, block))
        if not candidates:
            surname_only = [e for e in self.by_block.get(block, []) if e.first is None]
            if surname_only:
                return surname_only[0]
            return None  # a lone word: a surname of nobody known yet, or a given name (see _link_lone_names)
        if len(candidates) == 1:
            return candidates[0]
        total = sum(e.n_sources for e in candidates) or 1
        text_total = sum(m.text_firsts.values())
        gender = person.gender
        best: tuple[float, int, int] | None = None
        chosen = candidates[0]
        for e in candidates:
            score = 2.0 * e.n_sources / total
            if text_total and e.first:
                hits = sum(n for first, n in m.text_firsts.items()
                           if first == e.first or (len(first) == 1 and e.first[:1] == first))
                score += 4.0 * hits / text_total
            e_gender = e.gender.most_common(1)[0][0] if e.gender else None
            if e_gender is not None:
                if gender is not None:
                    score += 3.0 if gender == e_gender else -3.0
                elif m.text_gender:
                    share = m.text_gender.get(e_gender, 0) / sum(m.text_gender.values())
                    score += 1.5 * (2 * share - 1)
            titles = {t for t in person.titles if t not in ("the", "of", "mr", "mrs", "ms", "miss")}
            if m.description:
                titles |= {w for w in fold(m.description).split() if w in TITLE_WORDS} - {"the", "of"}
            if titles and e.titles:
                seen = sum(e.titles.values())
                score += 1.0 * sum(e.titles.get(t, 0) for t in titles) / seen
            if m.co_keys and e.co_keys:
                seen = sum(e.co_keys.values())
                score += 1.0 * sum(e.co_keys.get(k, 0) for k in m.co_keys) / seen
            rank = (score, e.n_sources, -e.id)
            if best is None or rank > best:
                best, chosen = rank, e
        return chosen

    def given_name_owner(self, word: str) -> Entity | None:
        """The entity a lone given name means: the one that holds at least 80%
        of the sources of people with that first name."""
        first = NICKNAMES.get(word, word)
        owners = self.by_first.get(first, []) if len(first) > 1 else []
        if not owners:
            return None
        top = max(owners, key=lambda e: (e.n_sources, -e.id))
        return top if top.n_sources >= 0.8 * sum(e.n_sources for e in owners) else None

    def _link_lone_names(self, lone: list[tuple[Mention, PersonName]],
                         block_first: dict[tuple[str, str], tuple[int, int]]) -> dict[tuple[str, str], int]:
        """A single word that is nobody's surname: a given name ("Hillary")
        when one entity holds nearly all people of that first name; else an
        entity of its own (a surname seen only bare). `block_first`: the
        order of each block's first mention (see `made_at`)."""
        out = {}
        for m, person in lone:
            block = ("person", person.surname)
            self._making = (1, block_first[block])
            entity = self.given_name_owner(person.surname)
            if entity is None:
                existing = self.by_block.get(block)
                entity = existing[0] if existing else self._new_entity("person", person.surname, person.display,
                                                                       None)
            entity.add(m, person)
            out[(m.doc_id, m.source_id)] = entity.id
        return out


def mention_context(mentions: Sequence[Mention], text: str) -> None:
    """Fill in what one article says around its mentions: for each surname,
    the first names written before it ("Jeb Bush", "George W. Bush"), the
    honorifics' gender ("Mrs. Clinton"), and the other named sources."""
    keys = {}
    for m in mentions:
        if m.type == "person" or looks_like_person(m.name):
            person = parse_person(m.name)
            keys[(m.doc_id, m.source_id)] = ("person", person.surname) if person else None
        else:
            keys[(m.doc_id, m.source_id)] = ("organization", org_key(m.name)) if org_key(m.name) else None
    surnames = {k[1] for k in keys.values() if k and k[0] == "person"}
    found: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for surname in surnames:
        firsts: Counter[str] = Counter()
        genders: Counter[str] = Counter()
        for match in re.finditer(r"\b" + re.escape(surname) + r"\b", text, re.I):
            if not text[match.start()].isupper():
                continue
            tokens = _TOKEN.findall(text[max(0, match.start() - 60):match.start()])[-4:]
            first, gender = _name_before(tokens)
            if gender:
                genders[gender] += 1
            if first:
                firsts[NICKNAMES.get(first, first)] += 1
        found[surname] = (dict(firsts), dict(genders))
    for m in mentions:
        own = keys[(m.doc_id, m.source_id)]
        m.co_keys = tuple(sorted({k[1] for k in keys.values() if k and k != own}))
        if own and own[0] == "person" and own[1] in found:
            m.text_firsts, m.text_gender = found[own[1]]


def _name_before(tokens: list[str]) -> tuple[str | None, str | None]:
    """The first name and the honorific's gender written just before a
    surname: "Gov. Jeb" -> jeb; "George W." -> george; "Hillary Rodham" ->
    hillary; "Mrs." -> female."""
    words = [t for t in tokens if t != ","]
    while words:
        word = words.pop()
        low = fold(word).rstrip(".")
        if low in MALE_HONORIFICS:
            return None, "male"
        if low in FEMALE_HONORIFICS:
            return None, "female"
        if len(low) == 1 and word[:1].isupper():  # an initial: look further back
            continue
        if not word[:1].isupper() or low in TITLE_WORDS or len(low) < 2:
            return None, None
        earlier = words[-1] if words else ""
        if earlier[:1].isupper() and fold(earlier).rstrip(".") not in TITLE_WORDS | MALE_HONORIFICS \
                | FEMALE_HONORIFICS and len(fold(earlier).rstrip(".")) > 1:
            return fold(earlier).rstrip("."), None  # "Hillary Rodham": the first of two names
        return low, None
    return None, None


# --- the store ---------------------------------------------------------------

def _entity_from_row(row: dict[str, Any]) -> Entity:
    state = json.loads(row["profile"]) if row["profile"] else {}
    aliases = json.loads(row["aliases"]) if row["aliases"] else {}
    return Entity(
        id=row["id"], type=row["type"], key=row["key"], name=row["name"], first=state.get("first"),
        middle=tuple(state.get("middle") or ()), suffix=state.get("suffix"), aliases=Counter(aliases),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"], n_sources=row["n_sources"], n_attributions=row["n_attributions"],
        n_documents=row["n_documents"], gender=Counter(state.get("gender") or {}),
        titles=Counter(state.get("titles") or {}), co_keys=Counter(state.get("co") or {}), kb_id=row["kb_id"],
        description=row["description"])


def entity_row(e: Entity) -> dict[str, Any]:
    """An entity as a row of the `entities` table."""
    display = [a for a, _ in e.aliases.most_common()]
    if e.type == "person":  # the fullest common name: a full name used most, else the first alias
        full = [a for a in display if (p := parse_person(a)) is not None and p.full]
        name = e.name if e.kb_id else (parse_person(full[0]).display if full else e.name)  # type: ignore[union-attr]
    else:
        name = e.name if e.kb_id else (display[0] if display else e.name)
    return {"id": e.id, "name": name, "type": e.type, "key": e.key,
            "aliases": json.dumps(dict(e.aliases.most_common()), ensure_ascii=False),
            "first_seen": e.first_seen, "last_seen": e.last_seen, "n_sources": e.n_sources,
            "n_documents": e.n_documents, "n_attributions": e.n_attributions, "kb_id": e.kb_id,
            "description": e.description, "profile": json.dumps(e.state(), ensure_ascii=False)}


@dataclass
class LinkSummary:
    linked: int = 0  # sources linked in this call
    new_entities: int = 0
    entities: int = 0  # in the store after it


MENTION_SQL = f"""
    SELECT s.doc_id, s.id, s.name, s.type, s.description, s.n_attributions, s.mentions, d.seq, s.position,
           d.published
    FROM sources s JOIN documents d ON d.id = s.doc_id
    WHERE s.entity_id IS NULL AND s.type IN {LINKED_TYPES}
    ORDER BY d.seq, s.position
"""


def mentions_of_rows(rows: Iterable[Sequence[Any]]) -> dict[str, list[Mention]]:
    """Document id -> its mentions, from source rows as `MENTION_SQL` selects them."""
    by_doc: dict[str, list[Mention]] = {}
    for doc_id, sid, name, type_, description, n_att, spans, seq, position, published in rows:
        texts = tuple(s["text"] for s in json.loads(spans)) if spans else ()
        by_doc.setdefault(doc_id, []).append(Mention(doc_id, sid, name, type_, (seq, position), published,
                                                     description, texts, n_att or 0))
    return by_doc


def unlinked_mentions(con: duckdb.DuckDBPyConnection, chunk: int = 500) -> list[Mention]:
    """The person and organisation sources without an entity, with their
    articles' context, in store order."""
    by_doc = mentions_of_rows(con.execute(MENTION_SQL).fetchall())
    # the co-mentioned sources and the texts, a chunk of documents at a time
    ids = list(by_doc)
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        for doc_id, text in con.execute("SELECT id, text FROM documents WHERE id IN (SELECT unnest($1::VARCHAR[]))",
                                        [part]).fetchall():
            mention_context(by_doc[doc_id], text)
    return [m for doc in by_doc.values() for m in doc]


def stored_entities(con: duckdb.DuckDBPyConnection) -> list[Entity]:
    cursor = con.execute("SELECT * FROM entities ORDER BY id")
    names = [d[0] for d in cursor.description]
    return [_entity_from_row(dict(zip(names, r, strict=True))) for r in cursor.fetchall()]


def link_store(con: duckdb.DuckDBPyConnection, kb: Sequence[KbEntry] = ()) -> LinkSummary:
    """Link every person and organisation source of the store that has no
    entity yet (one transaction); existing entities keep their ids."""
    mentions = unlinked_mentions(con)
    summary = LinkSummary()
    if mentions:
        entities = stored_entities(con)
        before = {e.id for e in entities}
        linker = Linker(entities, kb)
        assigned = linker.link(mentions)
        changed = [entity_row(e) for e in linker.entities.values() if e.changed]
        con.begin()
        try:
            from sayso.corpus.store import insert_rows, set_links

            if changed:
                con.execute("DELETE FROM entities WHERE id IN (SELECT unnest($1::BIGINT[]))",
                            [[r["id"] for r in changed]])
                insert_rows(con, "entities", changed)
            set_links(con, "sources", "entity_id", [(k[0], k[1], e) for k, e in assigned.items()])
            con.commit()
        except Exception:
            con.rollback()
            raise
        summary.linked = len(assigned)
        summary.new_entities = len(set(linker.entities) - before)
    summary.entities = con.execute("SELECT count(*) FROM entities").fetchone()[0]  # type: ignore[index]
    return summary
