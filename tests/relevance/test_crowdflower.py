"""Real judgments: CrowdFlower's first 200 judged rows, their catalog built by title + description, matched back.

Skipped when ``../shared/data/crowdflower_relevance`` is absent (it is never shipped; see its SOURCES.md).
"""
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.config import SHARED_DATA_DIR
from ecomrec.data.importer import import_table, read_any
from ecomrec.data.loaders import Dataset, empty
from ecomrec.relevance.reading import title_product_id
from ecomrec.services.catalog import Catalog
from ecomrec.services.relevance import Relevance

SOURCE = SHARED_DATA_DIR / "crowdflower_relevance" / "judged_results.csv"
pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason="CrowdFlower judgments not in ../shared/data")


def test_the_first_200_rows_build_a_catalog_and_every_judgment_matches_it_by_title(tmp_path):
    rows = read_any(SOURCE)[0].head(200)
    judged = tmp_path / "judged_200.csv"
    rows.to_csv(judged, index=False)
    # a product is its title + description: id = a stable hash of both, one catalog row per product
    catalog_file = tmp_path / "catalog.csv"
    pd.DataFrame({"product_id": [title_product_id(t, d) for t, d in zip(rows["product_title"],
                                                                         rows["product_description"])],
                  "product_title": rows["product_title"], "product_description": rows["product_description"]}
                 ).drop_duplicates("product_id").to_csv(catalog_file, index=False)
    products = import_table(catalog_file, "products", {"product_title": S.TITLE, "product_description": S.DESCRIPTION})
    data = Dataset(products=products, queries=empty("queries"), queries_test=empty("queries"),
                   events=empty("events"), promotions=empty("promotions"), name="crowdflower-200")
    relevance = Relevance(Catalog(data, 120), tmp_path / "judgments", lambda: pd.DataFrame())

    parsed = relevance.read_file(judged, {"title": "product_title"})
    assert parsed.columns == {"query": "query", "title": "product_title", "grade": "median_relevance"}
    assert len(parsed.rows) == 200 and parsed.rejects.empty and parsed.unmatched.empty
    assert parsed.proposed == {"1": 0.0, "2": 1 / 3, "3": 2 / 3, "4": 1.0}  # median of 3 raters, 1-4
    jl = relevance.import_file(parsed, "crowdflower", parsed.proposed)
    assert jl.counts["rows_read"] == 200 and jl.counts["rejected"] == 0 and jl.counts["unmatched"] == 0
    assert jl.counts["queries"] == rows["query"].nunique()
    # each judged row's product has its title; a title judged once for its query keeps its grade's gain
    titles = dict(zip(products[S.PRODUCT_ID], products[S.TITLE]))
    got = {(q, titles[p]): g for q, p, g in jl.pairs[["query", S.PRODUCT_ID, "gain"]].itertuples(index=False)}
    once = rows.groupby(["query", "product_title"]).filter(lambda g: len(g) == 1)
    once = once[~once["product_title"].duplicated(keep=False)]  # titles of one product only
    assert len(once) > 150
    for q, t, grade in once[["query", "product_title", "median_relevance"]].itertuples(index=False):
        assert got[(q, t)] == pytest.approx((int(grade) - 1) / 3)
    assert relevance.get("crowdflower").counts == jl.counts
