"""Corpus entities and quotation trails on Spark (local mode): the same as on one machine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sayso.corpus.run import link_corpus, run_corpus
from sayso.corpus.spark import LINK_DATASETS, import_parquet, run_spark
from sayso.corpus.store import open_store
from sayso.settings import Settings

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")

ARTICLES = {
    "a1": 'Donald Trump said: "We are going to build a great wall and Mexico will pay for it, believe me." '
          'Jeb Bush said the plan was "not serious at all for anyone who wants to lead this country."',
    "a2": '"We are going to build a great wall, and Mexico will pay for it," Mr. Trump told supporters on Tuesday.',
    "a3": 'Officials said: "We are going to build a big wall and Mexico will pay for it, believe me."',
    "a4": 'George W. Bush said: "I will not comment on the campaign of my brother this year at all." '
          'Bush added that he was proud of him.',
    "a5": 'Hillary Clinton said: "Donald Trump is not fit to be president of the United States of America."',
    "a6": '"Donald Trump is not fit to be president of the United States," Clinton told reporters.',
}


def _links(db: Path) -> dict[str, object]:
    con = open_store(db, read_only=True)
    out = {
        "sources": con.execute("SELECT doc_id, id, entity_id FROM sources ORDER BY ALL").fetchall(),
        "attributions": con.execute("SELECT doc_id, id, trail_id FROM attributions ORDER BY ALL").fetchall(),
        "entities": con.execute("SELECT * FROM entities ORDER BY id").fetchall(),
        "trails": con.execute("SELECT * FROM trails ORDER BY id").fetchall(),
    }
    con.close()
    return out


def _partition(rows: list[tuple]) -> set[frozenset]:
    groups: dict[object, set] = {}
    for doc_id, id_, cluster in rows:
        if cluster is not None:
            groups.setdefault(cluster, set()).add((doc_id, id_))
    return {frozenset(g) for g in groups.values()}


def test_spark_links_as_sayso_run_does(spark, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, text in ARTICLES.items():
        (inputs / f"{name}.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_spark([str(inputs)], str(out), spark=spark, settings=Settings(jobs=1), link=True)
    assert all((out / name).is_dir() for name in LINK_DATASETS)

    linked_on_spark = tmp_path / "spark.duckdb"
    import_parquet(linked_on_spark, out)
    unlinked = tmp_path / "unlinked"
    shutil.copytree(out, unlinked)
    for name in LINK_DATASETS:
        shutil.rmtree(unlinked / name)
    linked_here = tmp_path / "here.duckdb"
    import_parquet(linked_here, unlinked)  # without Spark's links, `sayso import` links as `sayso run` does
    con = open_store(linked_here)
    assert link_corpus(con)[0].linked == 0
    con.close()
    spark_links, here_links = _links(linked_on_spark), _links(linked_here)
    assert spark_links == here_links  # the same store, the same ids
    trump = [r for r in spark_links["entities"] if r[1] == "Donald Trump"]
    assert len(trump) == 1 and len(spark_links["trails"]) >= 2

    run_db = tmp_path / "run.duckdb"  # `sayso run` numbers documents in its own order: compare the groupings
    run_corpus([str(inputs)], run_db, Settings(jobs=1))
    run_links = _links(run_db)
    for table in ("sources", "attributions"):
        assert _partition(run_links[table]) == _partition(spark_links[table])


# --- the DataFrame steps, on rows made here --------------------------------------------------

VARIANTS = [
    "We are going to build a great wall and Mexico will pay for it, believe me",
    "We are going to build a great wall, and Mexico will pay for it",
    "going to build a big wall and Mexico will pay for it, believe me",
    "We are going to build a great wall and Mexico is going to pay for it",
    "build a great wall and Mexico will pay for it believe me folks",
]
UNRELATED = "The economy is doing better than anyone expected at the start of the year"


@pytest.fixture()
def few(spark):
    """The module's session, shuffling into 2 partitions (tiny data: fewer tasks, a faster test)."""
    from sayso.corpus.spark import shuffle_partitions

    with shuffle_partitions(spark, 2):
        yield spark


def _plan(frame) -> str:
    return frame._jdf.queryExecution().executedPlan().toString()


def test_band_candidates_are_those_of_one_machine_and_never_all_pairs(few):
    from itertools import combinations

    from sayso.corpus import trails
    from sayso.corpus.spark import candidate_pairs

    base = trails.words_of(VARIANTS[0])  # and each of its words replaced in turn: many share each band value
    respelled = [" ".join([*base[:i], "really", *base[i + 1:]]) for i in range(len(base))]
    texts = [*VARIANTS, UNRELATED, "not long enough", *respelled]
    wordings = [" ".join(trails.words_of(t)) for t in texts]
    items = few.createDataFrame([(w, n + 1, 0) for n, w in enumerate(wordings)], "wording string, seq long, "
                                                                                  "position long")
    pairs_frame = candidate_pairs(items)
    rows = pairs_frame.collect()
    pairs = {(r["a_seq"], r["b_seq"]) for r in rows}
    assert all(r["a_position"] == r["b_position"] == 0 for r in rows) and len(rows) == len(pairs)

    long = [n + 1 for n, w in enumerate(wordings) if len(w.split()) >= trails.MIN_WORDS]
    sigs = trails.signatures([wordings[n - 1].split() for n in long])
    assert pairs == {(long[i], long[j]) for i, j in trails.candidate_pairs(sigs).tolist()}  # as on one machine
    sharing = set()  # all pairs that share a band value: more than the candidates
    for band in range(trails.BANDS):
        runs: dict[int, list[int]] = {}
        for i, value in enumerate(trails.band_key(sigs, band).tolist()):
            runs.setdefault(value, []).append(long[i])
        sharing |= {pair for run in runs.values() for pair in combinations(run, 2)}
    assert pairs < sharing
    assert {(1, 2), (1, 3)} <= pairs  # near-duplicates are candidates
    assert not any(len(VARIANTS) + 1 in p or len(VARIANTS) + 2 in p for p in pairs)  # unrelated, too short
    plan = _plan(pairs_frame)
    assert "Window" in plan and "CartesianProduct" not in plan and "NestedLoopJoin" not in plan
    assert "Exchange hashpartitioning(band" in plan  # the candidates come from a shuffle on the bands


def _reference(docs, sources, attributions, kb=()):
    """What one machine makes of these rows: `Linker` over all mentions in store order, then `trace`."""
    from sayso.corpus.entities import LINKED_TYPES, Linker, entity_row, mention_context, mentions_of_rows
    from sayso.corpus.trails import quotes_of_rows, trace

    by_id = {d[0]: d for d in docs}
    rows = sorted(((*s[:7], by_id[s[0]][1], s[7], by_id[s[0]][2]) for s in sources if s[3] in LINKED_TYPES),
                  key=lambda r: (r[7], r[8]))  # as entities.MENTION_SQL selects them
    by_doc = mentions_of_rows(rows)
    for doc_id, mentions in by_doc.items():
        mention_context(mentions, by_id[doc_id][4])
    linker = Linker(kb=kb)
    assigned = linker.link([m for mentions in by_doc.values() for m in mentions])
    entities = sorted((entity_row(e) for e in linker.entities.values()), key=lambda r: r["id"])
    quotes = quotes_of_rows(sorted(((a[0], a[1], a[3], a[4], by_id[a[0]][1], a[2], by_id[a[0]][2], by_id[a[0]][3],
                                     assigned.get((a[0], a[5])), a[6], a[7], None) for a in attributions),
                                   key=lambda r: (r[4], r[5])))
    trail_of, trail_rows = trace(quotes, {r["id"]: r["name"] for r in entities})
    return entities, assigned, trail_rows, trail_of


def _frames(spark, docs, sources, attributions):
    from pyspark.sql import functions as F

    return (spark.createDataFrame(docs, "id string, seq int, published string, outlet string, text string"),
            spark.createDataFrame(sources, "doc_id string, id string, name string, type string, description "
                                           "string, n_attributions int, mentions string, position int"),
            spark.createDataFrame(attributions, "doc_id string, id string, position int, kind string, "
                                                "content_text string, speaker string, source_name string, "
                                                "source_type string")
            .withColumn("source_text", F.lit(None).cast("string")))


# (doc, [(source name, type)], [(quoted words, kind, index of the speaking source or None)])
CORPUS = [
    ("d1", [("Hillary Clinton", "person"), ("Donald Trump", "person")], [(VARIANTS[0], "direct", 1)]),
    ("d2", [("Hillary", "person"), ("Federal Bureau of Investigation", "organization")], []),
    ("d3", [("Jeb Bush", "person"), ("Mr. Trump", "person")], [(VARIANTS[1], "direct", 1)]),
    ("d4", [("George W. Bush", "person"), ("Bush", "person")], [(UNRELATED, "direct", 0)]),
    ("d5", [("Trump", "person"), ("FBI", "organization")], [(f"“{VARIANTS[2]}”, he said", "mixed", 0)]),
    ("d6", [("John Smith", "person"), ("John Kerry", "person"), ("officials", "group")],
     [(VARIANTS[3], "direct", 2)]),
    ("d7", [("Mrs. Clinton", "person"), ("Kerry", "person")], [(UNRELATED, "direct", 1)]),
]


def _rows(corpus=CORPUS):
    import json

    docs, sources, attributions = [], [], []
    for seq, (doc_id, names, quotes) in enumerate(corpus, 1):
        text = " ".join(f"{name} spoke." for name, _ in names)
        docs.append((doc_id, seq, f"2016-03-{seq:02d}", f"Outlet {seq % 3}", text))
        sources += [(doc_id, f"s{p}", name, type_, None, 1, json.dumps([{"text": name}]), p)
                    for p, (name, type_) in enumerate(names)]
        attributions += [(doc_id, f"a{p}", p, kind, words, None if who is None else f"s{who}",
                          None if who is None else names[who][0], None if who is None else names[who][1])
                         for p, (words, kind, who) in enumerate(quotes)]
    return docs, sources, attributions


def test_mention_groups_tie_blocks_only_through_first_names(few):
    from sayso.corpus.entities import KbEntry
    from sayso.corpus.spark import mention_groups

    docs, sources, attributions = _rows()
    kb = [KbEntry("Q2", "John Forbes Kerry", ("Senator Kerry",))]
    frames = _frames(few, docs, sources, attributions)
    grouped = mention_groups(few, frames[1], frames[0], few.sparkContext.broadcast(kb))
    group = {r["block"]: r["group"] for r in grouped.select("block", "group").distinct().collect()}
    grouped.unpersist()
    assert group["b:organization|fbi"]  # "Federal Bureau of Investigation" blocks with "FBI": the acronym is known
    assert "b:organization|federal bureau of investigation" not in group
    # A bare "Hillary" may be Hillary Clinton's given name: the two blocks are linked together.
    assert group["b:person|hillary"] == group["b:person|clinton"]
    # "John" is filed by Smith and Kerry, and nobody is a bare "John": no tie; Kerry's entry ties nothing more.
    assert len({group["b:person|smith"], group["b:person|kerry"], group["b:person|trump"], group["b:person|bush"],
                group["b:person|clinton"]}) == 5


def test_link_entities_and_trace_quotations_as_one_machine(few):
    from sayso.corpus.entities import KbEntry
    from sayso.corpus.spark import link_entities, trace_quotations

    docs, sources, attributions = _rows()
    kb = [KbEntry("Q22686", "Donald J. Trump", ("Donald Trump",), "45th president"),
          KbEntry("Q8", "Federal Bureau of Investigation", ("FBI",), None, "organization")]
    want_entities, want_assigned, want_trails, want_trail_of = _reference(docs, sources, attributions, kb)
    frames = _frames(few, docs, sources, attributions)
    entities, source_entities, kept = link_entities(few, frames[1], frames[0], kb)
    assert "FlatMapGroupsInPandas" in _plan(source_entities)  # the Linker runs on executors
    entities, source_entities = entities.persist(), source_entities.persist()
    trails, attribution_trails, more = trace_quotations(few, frames[2], frames[0], entities, source_entities)
    assert "FlatMapGroupsInPandas" in _plan(attribution_trails)  # and so do the trail rows
    got_entities = sorted((r.asDict() for r in entities.collect()), key=lambda r: r["id"])
    got_assigned = {(r["doc_id"], r["id"]): r["entity_id"] for r in source_entities.collect()}
    got_trails = sorted((r.asDict() for r in trails.collect()), key=lambda r: r["id"])
    got_trail_of = {(r["doc_id"], r["id"]): r["trail_id"] for r in attribution_trails.collect()}
    for frame in [*kept, *more, entities, source_entities]:
        frame.unpersist()
    assert got_entities == want_entities and got_assigned == want_assigned
    assert got_trails == want_trails and got_trail_of == want_trail_of

    entity_of = {name: got_assigned[(doc_id, sid)] for doc_id, sid, name, *_ in sources
                 if (doc_id, sid) in got_assigned}
    assert entity_of["Donald Trump"] == entity_of["Mr. Trump"] == entity_of["Trump"]
    assert entity_of["Jeb Bush"] != entity_of["George W. Bush"]  # one surname, two people
    assert entity_of["Hillary"] == entity_of["Hillary Clinton"] == entity_of["Mrs. Clinton"]
    assert entity_of["FBI"] == entity_of["Federal Bureau of Investigation"]
    trump = next(r for r in got_entities if r["id"] == entity_of["Trump"])
    assert trump["kb_id"] == "Q22686" and trump["name"] == "Donald J. Trump"  # anchored, as on one machine
    wall, economy = got_trails  # a reworded quotation, and one reprinted word for word
    assert (wall["n_appearances"], wall["n_variants"], economy["n_appearances"]) == (4, 4, 2)
    assert wall["drift"]  # Donald Trump's words, credited to "officials" in d6
