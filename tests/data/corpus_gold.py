# ruff: noqa: E501  (the hand decisions are tables: one decision a line reads best)
"""How tests/data/corpus_entities_gold.jsonl and corpus_trails_gold.jsonl were made (docs/corpus.md).

    python tests/data/corpus_gold.py polnear.duckdb      # a store of PolNeAR train+dev written by `sayso run`

Entities: the named person and organisation sources sayso found in every 4th article (store seq ≡ 1
mod 4) get a proposed label by a rule (the full name without titles; for a bare surname, the first
name written before it in the article), then the decisions below, made by reading the articles,
correct them. Trails: quotation pairs (6+ words, different articles) sharing a 4-word sequence; those
with a common run of 8+ words are accepted but for REJECT, those with runs of 5-7 words only when in
HAND. Both depend on what sayso detects: a different model gives other sources and quotations, and the
files must be made again and the decisions checked again.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

import duckdb

from sayso.corpus.entities import is_org_name, org_key, parse_person
from sayso.corpus.trails import quotation_text, words_of

HERE = Path(__file__).parent
PRONOUNS = {"he", "she", "him", "her", "they", "them", "i", "we", "me", "us", "you", "it", "who", "his", "hers"}
NOT_FIRST = ("mr", "mrs", "ms", "the", "president", "sen", "gov", "former", "secretary", "and", "by", "of", "said",
             "that", "with", "for", "but", "in", "on", "as", "at", "to", "from", "when", "while", "told", "says")

# --- the hand decisions -------------------------------------------------------------------------

FULL = {"Donald J. Trump": "Donald Trump", "Hillary Rodham Clinton": "Hillary Clinton", "Joseph R. Biden": "Joe Biden",
        "Brent Bozell III": "Brent Bozell", "James B. Comey Jr.": "James Comey", "James B. Comey": "James Comey",
        "Rafael Edward Cruz": "Ted Cruz", "Elijah E. Cummings": "Elijah Cummings", "Lindsey O. Graham": "Lindsey Graham",
        "Charles Grassley": "Chuck Grassley", "David E. Kendall": "David Kendall", "Abu Laban": "Osman Abu Laban",
        "Loretta E. Lynch": "Loretta Lynch", "Davis Manafort": "Paul Manafort", "David H. Petraeus": "David Petraeus",
        "John D. Podesta": "John Podesta", "Benjamin J. Rhodes": "Ben Rhodes", "Paul D. Ryan": "Paul Ryan",
        "Wasserman Schultz": "Debbie Wasserman Schultz", "X. Sexton": "Jared Sexton", "Injecting Clinton": None,
        "Senators Rubio": None, "Both Mr. King": None, "Rafael Cruz": "Rafael Cruz (Ted Cruz's father)",
        "Eurosceptic SVP": "Swiss People's Party", "Junge SVP": "Young SVP",
        "Adam B. Schiff": "Adam Schiff", "Harry B. Harris Jr.": "Harry Harris", "Harry M. Reid": "Harry Reid",
        "Gregory W. Meeks": "Gregory Meeks"}
BARE = {  # bare names, read in their articles
    "Berman": "Judge Berman", "Al Gore": "Al Gore", "Keidis": "Anthony Kiedis", "Flea": "Flea", "Fox": "fox news",
    "Hillary": "Hillary Clinton", "Clinton, a Democrat,": "Hillary Clinton", "Trump": "Donald Trump",
    "Obama": "Barack Obama", "OBAMA": "Barack Obama", "Bernie": "Bernie Sanders", "Politicos": None,
    "Holtz - Eakin": "Douglas Holtz-Eakin", "Twitter": "twitter", "Latinos": None, "Teck": "teck",
    "Admiral Harris": "Harry Harris", "Xinhua": "xinhua", "Regalado": "Tomás Regalado",
    "Mr. Guerrero, a Republican who described himself as a religious Catholic,": "Carlos Guerrero",
    "Facebook": "facebook", "Glass - Steagall": None, "Brujas": "brujas", "Andy": None, "Maddow": "Rachel Maddow",
    "Tom": None, "Betsy": None, "Victoria at Sandy Hook": "Victoria Soto", "Mark - Viverito": "Melissa Mark-Viverito",
    "Giulini": "Rudy Giuliani", "Al Franken": "Al Franken", "Donald": "Donald Trump", "Politico": "politico",
    "Al - Tabchi": "Asab Al-Tabchi", "Republicans and independents than Clinton is": None, "Nicole": None,
    "Khans": None, "Khizr": "Khizr Khan", "- Rubio": "Marco Rubio", "Ban": "Ban Ki-moon",
    "The Romanian hacker whose cyber-mischief first revealed that Hillary Clinton used a private email address "
    "while she was secretary of state": "Marcel Lehel Lazar", "Attorneys for Clinton": None, "Cruz": "Ted Cruz",
    "WALLACE": "Chris Wallace", "Universe": None, "Scholars": None, "Larry": None, "De Blasio": "Bill de Blasio",
    "O'Neill": "James O'Neill",
    "Other prominent Republicans, like Richard Armitage, Henry Paulson and Brent Scowcroft ― three former "
    "George W. Bush administration big shots": None,
    "Howard, who has been making movies since 1961 and who had roles in “How the Grinch Stole Christmas,” "
    "“Apollo 13,” and “Austin Powers: The Spy Who Shagged Me,”": "Clint Howard",
}
ORG = {  # organisation sources: the same body under another name, a person typed as a body, or no name at all
    "ap": "associated press", "cns": "christian news service", "dnc": "democratic national committee", "rnc": "republican national committee",
    "huffpost": "huffington post", "state": "state department", "times": "new york times", "fed": "federal reserve",
    "hillary clinton campaign": "clinton campaign", "donald trump campaign": "trump campaign",
    "ben carson": "Ben Carson", "carly fiorina": "Carly Fiorina", "dempsey": "Martin Dempsey", "husted": "Jon Husted",
    "florida gov rick scott r": "Rick Scott", "house speaker paul ryan r-wis": "Paul Ryan",
    "ishaan tharoor": "Ishaan Tharoor", "noah rothman": "Noah Rothman", "nefzi": "Adel Nefzi",
    "adel nefzi": "Adel Nefzi", "nefzi a chemistry professor and a member of the mosque board": "Adel Nefzi",
    "morton blackwell the republican national committeeman from virginia": "Morton Blackwell",
    "randy evans a republican national committeeman from georgia": "Randy Evans",
    "rep bobby scott d-va ranking member of the house education committee and one of the bill chief negotiators":
        "Bobby Scott",
    "rep elijah cummings d-md chair of the platform committee": "Elijah Cummings",
    "rep gregory w meeks d-ny chairman of the congressional black caucus pac": "Gregory Meeks",
    "representative adam b schiff a democrat of california and a member of the house permanent select committee "
    "on intelligence": "Adam Schiff",
    "roman smbatyan an armenian history and middle eastern history faculty member at uc irvine": "Roman Smbatyan",
    "smbatyan": "Roman Smbatyan", "sant singh chatwal": "Sant Singh Chatwal", "alwaleed": "Alwaleed bin Talal",
    "sen chris murphy a connecticut democrat so boyish he has been mistaken for a junior staffer": "Chris Murphy",
    "sen johnny isakson r-ga one of the few nclb co-authors still on capitol hill": "Johnny Isakson",
    "sen mitch mcconnell r-ky": "Mitch McConnell", "senate majority leader mitch mcconnell r-ky": "Mitch McConnell",
    "sen rand paul ky": "Rand Paul", "sen rand paul r-ky": "Rand Paul", "sen susan collins maine": "Susan Collins",
    "sen ted cruz r-tex who has spent the past few weeks taking oblique swipes at senate colleague and presidential "
    "campaign rival marco rubio r-fla": "Ted Cruz", "sen ted cruz tex": "Ted Cruz",
    "senate minority leader harry m reid d-nev": "Harry Reid", "senator chris coons democrat of delaware": "Chris Coons",
    "senator kirsten gillibrand democrat of new york": "Kirsten Gillibrand",
    "state senator jose rodriguez democrat of texas": "José Rodríguez", "tanden": "Neera Tanden",
    "tapper": "Jake Tapper", "unruh": "Bob Unruh", "vanessa iampaglia": "Vanessa Iampaglia",
    "edward - isaac dovere": "Edward-Isaac Dovere", "nieto": "Enrique Peña Nieto",
    "fiorina the former hewlett-packard ceo who dropped her own presidential bid in early february": "Carly Fiorina",
    "united auto workers secretary-treasurer gary casteel": "Gary Casteel",
    "sen bernie sanders vt and former maryland governor martin omalley": None,
    "teamsters the firefighters and unite here": None, "trump son": "Donald Trump Jr.",
    "another gop figure": None, "another muslim who worshiped at the islamic center here and who didnt want to be named":
        None, "army capt": None, "central and east european coalition which represents more than 20 million americans":
        "central and east european coalition", "chad ambassador to france": None, "d - newport news": None,
    "florida cuban americans 82 percent of whom view trump": None, "hacker": None, "hollywood actor who": None,
    "house republicans supporting the bill": "house republicans", "kentucky republicans": None, "lives": None,
    "many millennials": None, "media": None, "millennial democratics": None, "neither company": None,
    "obama administration to expand program": "obama administration", "post greg sargent and was organized": None,
    "republican": None, "republican administration": None, "republican medal of honor winner": None,
    "rust belt": None, "say mexico": None, "though trump": None, "trump addresses munich attack": None,
    "veteran preference": None, "upper manhattan": None, "ebelings": None, "clean power plan": None,
    "benghazi": None, "hawaii": None, "coral gables": None, "washington": None, "beijing": None,
    "staff for the house select committee on benghazi": "house select committee on benghazi", "justice": None,
    "independent": None, "hill": "the hill", "pac": None, "hp": "hewlett-packard",
}

REJECT = {(714,5016),(949,1678),(191,389),(1134,3571),(1207,4752),(5067,6284)}
HAND = {(1405,3099),(1405,1410),(3856,5490),(2863,3578),(198,3378),(198,3379),(1491,1501),(3477,3484),(3933,3961),
      (5866,6303),(3998,4003),(3922,3950),(3611,4791),(3612,4791),(3609,4771),(3610,4771),(830,3966),(358,375),
      (202,942),(202,4775),(202,4776),(4668,4705)}


def entity_gold(con: duckdb.DuckDBPyConnection) -> list[dict]:
    out = []
    docs = con.execute("SELECT id FROM documents WHERE seq % 4 = 1 ORDER BY seq").fetchall()
    for (doc_id,) in docs:
        for name, type_, mentions in con.execute(
                "SELECT name, type, mentions FROM sources WHERE doc_id = ? AND type IN ('person', 'organization') "
                "ORDER BY position", [doc_id]).fetchall():
            # keyed on the first mention that names the source: a pronoun's antecedent is the resolver's
            # guess, not a hand decision
            named = [m for m in json.loads(mentions) if m["text"].strip().lower() not in PRONOUNS]
            if not named:
                continue
            first = named[0]
            if type_ == "person":
                person = parse_person(name)
                if person is None:
                    continue
                if person.full:
                    label = FULL.get(person.display, person.display)
                elif name.startswith("Howard, who"):
                    label = "Clint Howard"
                else:
                    label = BARE[name]
            else:
                if not is_org_name(name):
                    continue
                label = ORG.get(org_key(name), org_key(name))
            if label is not None:
                out.append({"doc_id": doc_id, "start": first["start"], "end": first["end"], "name": name,
                            "entity": label})
    return out


def trail_gold(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute("SELECT a.doc_id, a.id, a.kind, a.content_text, a.content_start, a.content_end "
                       "FROM attributions a JOIN documents d ON d.id = a.doc_id "
                       "WHERE kind IN ('direct', 'mixed') ORDER BY d.seq, a.position").fetchall()
    qs = [(doc, aid, t, s, e) for doc, aid, kind, content, s, e in rows if (t := quotation_text(kind, content))]
    words = [words_of(q[2]) for q in qs]
    index = defaultdict(set)
    for n, w in enumerate(words):
        for i in range(len(w) - 3):
            index[tuple(w[i:i + 4])].add(n)
    candidates = set()
    for ns in index.values():
        if len(ns) <= 40:
            candidates |= {(a, b) for a in ns for b in ns if a < b and qs[a][0] != qs[b][0]}
    accepted = set(HAND)
    for a, b in sorted(candidates):
        m = SequenceMatcher(None, words[a], words[b], autojunk=False)
        run = max(x.size for x in m.get_matching_blocks())
        cover = sum(x.size for x in m.get_matching_blocks() if x.size >= 2) / min(len(words[a]), len(words[b]))
        if run >= 8 and cover >= 0.5 and (a, b) not in REJECT:
            accepted.add((a, b))
    parent = list(range(len(qs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in sorted(accepted):
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for a, b in accepted:
        for n in (a, b):
            groups.setdefault(find(n), set()).add(n)
    out = []
    for trail, (_, ns) in enumerate(sorted(groups.items(), key=lambda kv: min(kv[1])), 1):
        for n in sorted(ns):
            doc, aid, text, s, e = qs[n]
            out.append({"doc_id": doc, "attribution": aid, "start": s, "end": e, "quotation": text, "trail": trail})
    return out


def main() -> int:
    con = duckdb.connect(sys.argv[1], read_only=True)
    for name, rows in (("corpus_entities_gold.jsonl", entity_gold(con)), ("corpus_trails_gold.jsonl", trail_gold(con))):
        with open(HERE / name, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        print(f"{name}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
