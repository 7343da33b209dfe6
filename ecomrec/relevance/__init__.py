"""Relevance lab: a shop's own judged queries, as data that measures, tunes and trains its search.

- :mod:`~ecomrec.relevance.gains`: grade scales (numbers, ESCI, Exact / Partial / Irrelevant, relevant / not,
  yes / no) and the grade -> gain table an import is given (proposed, never applied silently).
- :mod:`~ecomrec.relevance.reading`: judgment files (CSV / TSV / JSONL / Parquet, TREC qrels) read and matched
  to the catalog by product id or title; the pairs under a chosen gain table.
- :mod:`~ecomrec.relevance.implicit`: judgments from the data set's clicks (COEC, position-propensity form).
- :mod:`~ecomrec.relevance.lists`: the :class:`~ecomrec.relevance.lists.JudgmentList` and its per-data-set store.

Query splits of a list (train / validation / test, k folds) live with the other splits in
:mod:`ecomrec.evaluation.splits`. The service over all of it is :class:`ecomrec.services.relevance.Relevance`.
Import the module you need; this package imports nothing at import time.
"""
