"""The relevance service: one data set's judgment lists, as the Relevance page and the CLI work with them.

A shop's own judged queries come in three ways, and each becomes the same kind of
:class:`~ecomrec.relevance.lists.JudgmentList`: a file (CSV / TSV / JSONL / Parquet or TREC qrels: read, shown
with a proposed gain table, then imported with the table the user accepts), people's grades on the Annotate
page, or the data set's clicks. Each list's queries have a fixed seeded split (train / validation / test) that
measuring, tuning and training all use. Lists live in ``<annotation dir>/judgments/<data set>/``.

Measuring and tuning over the lists are added here as methods of their own; this class holds what they read.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from ecomrec.config import SEED
from ecomrec.data.importer import POLICIES
from ecomrec.evaluation.splits import query_folds, split_queries
from ecomrec.relevance import gains as G
from ecomrec.relevance.implicit import ClickConfig, click_judgments
from ecomrec.relevance.lists import SOURCES, JudgmentList, JudgmentStore, judgment_list
from ecomrec.relevance.reading import JudgmentColumns, ParsedJudgments, read_judgments, to_pairs
from ecomrec.services.catalog import Catalog

PeopleFn = Callable[[], pd.DataFrame]
"""people() -> people's relevance grades: query, product_id, gain (the mean over graders)."""
PEOPLE_GAINS = {"E": G.ESCI["e"], "S": G.ESCI["s"], "C": G.ESCI["c"], "I": G.ESCI["i"]}  # the Annotate page grades
Columns = JudgmentColumns | Mapping[str, str | None] | None


class Relevance:
    """Judgment lists of one data set.

    Args:
        catalog: the data set (its products are what rows are matched to; its events are the clicks).
        folder: where its lists are stored (``<annotation dir>/judgments/<data set>``; created on the first save).
        people: people's graded pairs from the label service (``Labels.graded_pairs``).
    """

    SOURCES = SOURCES  # "imported", "people", "clicks"
    POLICIES = POLICIES  # "all" (any bad row fails the import) or "skip" (keep the good rows)
    parse_gains = staticmethod(G.parse_gains)  # "1=0,2=0.33,3=0.67,4=1" -> a gain table
    propose_gains = staticmethod(G.propose_gains)  # grades -> the proposed table (shown, never applied silently)

    def __init__(self, catalog: Catalog, folder: str | Path, people: PeopleFn) -> None:
        self.catalog = catalog
        self.store = JudgmentStore(folder)
        self._people = people

    @property
    def folder(self) -> Path:
        return self.store.folder

    # ---- the lists ----
    def lists(self) -> pd.DataFrame:
        """One row per stored list: name, source, pairs, queries, created, notes."""
        return self.store.table()

    def get(self, name: str) -> JudgmentList:
        """The list ``name``.

        Raises:
            KeyError: naming it (and the lists there are) when there is none.
        """
        return self.store.load(name)

    def delete(self, name: str) -> bool:
        """Remove the list ``name``; False when there was none."""
        return self.store.delete(name)

    def split(self, name: str, seed: int = SEED, val: float = 0.2, test: float = 0.2) -> dict[str, str]:
        """Each query of list ``name`` -> "train", "val" or "test" (:func:`ecomrec.evaluation.splits.split_queries`:
        a seeded hash of the query, so a query keeps its part as the list grows)."""
        return split_queries(self.get(name).queries, seed, val, test)

    def folds(self, name: str, k: int = 5, seed: int = SEED) -> list[tuple[list[str], list[str]]]:
        """``k`` (training, test) query folds of list ``name`` (:func:`ecomrec.evaluation.splits.query_folds`)."""
        return query_folds(self.get(name).queries, k, seed)

    # ---- from a file ----
    def read_file(self, path: str | Path, columns: Columns = None, fmt: str | None = None, encoding: str = "utf-8",
                  topics: str | Path | Mapping[str, str] | None = None) -> ParsedJudgments:
        """Read a judgment file and match it to the catalog, storing nothing: what the page shows before an
        import (rows, unmatched titles and other problems, the grades seen and the proposed gain table).

        Args:
            columns: role -> file column, e.g. ``{"query": "search_term", "title": "product_title",
                "grade": "median_relevance"}``; unnamed roles are guessed.
            fmt: "csv", "tsv", "jsonl", "json", "parquet" or "trec" (default: from the file's name).
            topics: for files of query ids (TREC): a topics file or ``{query_id: text}``; without it the id is
                the query's text.

        Raises:
            ValueError: for an unreadable file or a column that is missing or cannot be guessed.
        """
        return read_judgments(path, self.catalog.products, columns, fmt, encoding, topics)

    def import_file(self, source: ParsedJudgments | str | Path, name: str, gains: Mapping[str, float],
                    columns: Columns = None, policy: str = "all", fmt: str | None = None, encoding: str = "utf-8",
                    topics: str | Path | Mapping[str, str] | None = None) -> JudgmentList:
        """Import a judgment file as the list ``name`` (replacing one of that name) with the gain table ``gains``.

        Args:
            source: what :meth:`read_file` returned, or a path (then read with ``columns``, ``fmt``, ``encoding``
                and ``topics``).
            gains: grade -> gain, chosen by the user (``parsed.proposed`` is only a proposal).
            policy: "all" (default: any bad row, unmatched titles included, imports nothing) or "skip".

        Raises:
            ValidationError: with ``policy="all"``, naming every bad row by file, row and column.
            ValueError: for an empty or bad gain table, an unusable name, or no row left.
        """
        parsed = source if isinstance(source, ParsedJudgments) else self.read_file(source, columns, fmt, encoding,
                                                                                   topics)
        pairs, report = to_pairs(parsed, gains, policy)
        unmatched = len(parsed.unmatched)
        counts = {"rows_read": parsed.rows_read, "rejected": len(report.rejects), "unmatched": unmatched,
                  "averaged": int((pairs["raters"] > 1).sum())}
        notes = (f"imported from {parsed.file} ({parsed.fmt}); products matched by {parsed.matched_by}; "
                 f"{parsed.scale if parsed.proposed else 'no known'} scale")
        jl = judgment_list(name, "imported", pairs, G.check_gains(gains), counts, notes, report.rejects_frame())
        return self.store.save(jl)

    # ---- from people and from clicks ----
    def from_people(self, name: str = "people") -> JudgmentList:
        """People's relevance grades from the Annotate page as the list ``name`` (rebuilt from every grade so
        far; a pair graded by several people takes their mean gain).

        Raises:
            ValueError: when nobody has graded a pair yet.
        """
        graded = self._people()
        if graded.empty:
            raise ValueError("nobody has graded a (query, product) pair yet: grade pairs on the Annotate page")
        counts = {"graded_pairs": len(graded)}
        notes = "people's grades on the Annotate page (Exact / Substitute / Complement / Irrelevant), mean over graders"
        return self.store.save(judgment_list(name, "people", graded, PEOPLE_GAINS, counts, notes))

    def from_clicks(self, name: str = "clicks", config: ClickConfig | None = None,
                    exclude: Iterable[str] | None = None) -> JudgmentList:
        """The data set's search clicks as the list ``name``: COEC gains in [0, 1] per query
        (:mod:`ecomrec.relevance.implicit` says how, and what the estimate cannot see).

        Args:
            exclude: query texts to leave out; default: the data set's held-out test queries, so a list made
                from clicks can train and tune without ever reaching them.

        Raises:
            ValueError: when there are no search clicks, or no query with enough clicked products.
        """
        if exclude is None:
            exclude = self.catalog.queries_test["text"].tolist()
        cj = click_judgments(self.catalog.events, config, exclude)
        counts = {k: v for k, v in cj.counts.items() if k not in ("pairs", "queries")}
        return self.store.save(judgment_list(name, "clicks", cj.pairs, {}, counts, cj.describe()))
