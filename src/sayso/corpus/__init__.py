"""Corpora: reading inputs (`read`), the DuckDB store (`store`), resumable runs (`run`),
questions (`query`), export, and the same work on Apache Spark (`spark`)."""
