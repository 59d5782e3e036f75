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
