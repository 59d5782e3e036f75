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

REJECT = {  # pairs of quotations, each (article, content start, content end)
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 6623, 6714), ('breitbart_2016-03-29_liberal-oscar-winner-sarandon-no', 2044, 2119)),
    (('breitbart_2016-08-15_biden-stumping-for-clinton-trash', 918, 1013), ('wash-post_2016-07-22_republican-assails-elites-as-he-', 3714, 3973)),
    (('huff-post_2016-02-07_the-latest-gop-debate-kicked-off', 14084, 14235), ('nyt_2016-02-09_rubio-is-tested-as-republican-ri', 4280, 4417)),
    (('huff-post_2016-05-12_george-zimmerman-auctioning-off-', 2586, 2746), ('usa-today_2016-05-13_auction-of-gun-used-to-kill-tray', 2807, 2956)),
    (('huff-post_2016-06-09_clinton-and-sanders-aren-t-butti', 1720, 2151), ('wash-post_2016-06-09_game-over-will-sanders-come-down', 4243, 4443)),
    (('wash-post_2016-08-10_philippine-lawmaker-wants-trump-', 725, 957), ('west-journal_2016-09-12_obama-seeks-more-muslim-refugees', 1949, 2081)),
}
HAND = {  # pairs of quotations, each (article, content start, content end)
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 7973, 8023), ('usa-today_2016-02-04_clinton-and-sanders-face-the-vot', 442, 499)),
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 7973, 8023), ('usa-today_2016-02-04_clinton-and-sanders-face-the-vot', 442, 593)),
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 8722, 8801), ('huff-post_2016-02-07_the-latest-gop-debate-kicked-off', 9938, 10214)),
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 8722, 8801), ('wash-post_2016-06-13_responses-are-in-keeping-with-ca', 1672, 1907)),
    (('breitbart_2016-02-08_the-latest-nh-towns-cast-first-v', 8722, 8801), ('wash-post_2016-06-13_responses-are-in-keeping-with-ca', 1798, 2004)),
    (('breitbart_2016-03-15_the-latest-kasich-scores-all-del', 2058, 2101), ('breitbart_2016-03-15_the-latest-sanders-declares-revo', 4792, 4835)),
    (('huff-post_2015-12-20_hillary-clinton-s-claim-that-don', 350, 530), ('wash-post_2015-12-20_democratic-candidates-pivot-shar', 1255, 1294)),
    (('huff-post_2016-08-11_donald-trump-is-now-calling-obam', 1944, 2207), ('huff-post_2016-08-12_isis-truther-donald-trump-is-lik', 622, 661)),
    (('huff-post_2016-08-11_donald-trump-is-now-calling-obam', 1944, 2207), ('politico_2016-08-11_pence-blames-media-for-trump-s-o', 1448, 1567)),
    (('huff-post_2016-09-20_hillary-clinton-speaks-directly-', 420, 515), ('west-journal_2016-09-21_chris-christie-calls-hillary-cli', 858, 1034)),
    (('nyt_2015-11-25_golf-courses-forced-to-reach-int', 6071, 6112), ('nyt_2015-11-26_with-fewer-golfers-in-u-s-course', 5331, 5372)),
    (('politico_2016-06-10_afl-cio-to-endorse-clinton', 1771, 1902), ('usa-today_2016-05-18_in-kentucky-democrats-battling-i', 3112, 3283)),
    (('usa-today_2016-04-06_sanders-says-he-s-riding-momentu', 2882, 2919), ('usa-today_2016-04-06_sanders-winning-streak-continues', 2656, 2693)),
    (('usa-today_2016-06-14_donald-trump-at-just-the-way-he-', 1959, 2048), ('wash-post_2016-06-13_responses-are-in-keeping-with-ca', 661, 704)),
    (('usa-today_2016-06-14_donald-trump-at-just-the-way-he-', 1977, 2048), ('wash-post_2016-06-13_responses-are-in-keeping-with-ca', 661, 704)),
    (('usa-today_2016-06-14_donald-trump-at-just-the-way-he-', 2807, 2844), ('wash-post_2016-06-14_trump-is-still-waging-a-primary-', 865, 897)),
    (('usa-today_2016-06-14_donald-trump-at-just-the-way-he-', 2812, 2905), ('wash-post_2016-06-14_trump-is-still-waging-a-primary-', 865, 897)),
    (('wash-post_2015-11-16_clinton-s-missteps-at-debate-arm', 5267, 5331), ('west-journal_2016-05-02_newly-released-document-reveals-', 2850, 2900)),
    (('wash-post_2015-12-12_misinformation-enters-mainstream', 1013, 1091), ('wash-post_2015-12-13_misinformation-enters-mainstream', 1012, 1090)),
    (('wash-post_2015-12-12_misinformation-enters-mainstream', 7524, 7697), ('wash-post_2015-12-13_misinformation-enters-mainstream', 7544, 7717)),
    (('wash-post_2015-12-22_as-spotlight-shines-on-trump-and', 4144, 4184), ('wash-post_2015-12-23_as-spotlight-shines-on-trump-and', 4144, 4184)),
    (('wash-post_2016-05-29_internal-trump-university-record', 1014, 1149), ('wash-post_2016-06-02_not-just-another-trump-vendetta', 4570, 4793)),
}


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


def _find(qs: list, key: tuple[str, int, int]) -> int | None:
    """The quotation of the store a hand decision is about: same article, overlapping content
    (the decisions name quotations by place, so that a model reading other bounds keeps them)."""
    doc, start, end = key
    exact = [n for n, (d, _, _, s, e) in enumerate(qs) if (d, s, e) == key]
    if exact:
        return exact[0]
    best = [(min(e, end) - max(s, start), n) for n, (d, _, _, s, e) in enumerate(qs)
            if d == doc and s < end and start < e]
    return max(best)[1] if best else None


def _pair(qs: list, a: tuple[str, int, int], b: tuple[str, int, int]) -> tuple[int, int] | None:
    x, y = _find(qs, a), _find(qs, b)
    return (min(x, y), max(x, y)) if x is not None and y is not None and x != y else None


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
    accepted = {pair for pair in (_pair(qs, a, b) for a, b in HAND) if pair}
    rejected = {pair for pair in (_pair(qs, a, b) for a, b in REJECT) if pair}
    for a, b in sorted(candidates):
        m = SequenceMatcher(None, words[a], words[b], autojunk=False)
        run = max(x.size for x in m.get_matching_blocks())
        cover = sum(x.size for x in m.get_matching_blocks() if x.size >= 2) / min(len(words[a]), len(words[b]))
        if run >= 8 and cover >= 0.5 and (a, b) not in rejected:
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
