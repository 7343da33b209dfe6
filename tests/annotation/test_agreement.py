"""Agreement maths checked against hand calculation and the libraries' own values."""
import numpy as np
import pandas as pd
import pytest

from ecomrec.annotation import agreement as A


def answers(table: dict[str, list]) -> pd.DataFrame:
    """{annotator: labels per record (None = not answered)} -> responses rows."""
    rows = [{"record_id": r, "text": f"q{r}", "annotator": a, "label": lab}
            for a, labs in table.items() for r, lab in enumerate(labs) if lab is not None]
    return pd.DataFrame(rows)


# 10 records, two annotators: they agree on 8 (5 x/x, 3 y/y), disagree on 2 (x/y, y/x)
TWO = answers({"ana": ["x"] * 5 + ["y"] * 3 + ["x", "y"], "ben": ["x"] * 5 + ["y"] * 3 + ["y", "x"]})


def test_cohens_kappa_by_hand():
    # p_o = 0.8; each annotator says x 6 times and y 4 times: p_e = 0.6*0.6 + 0.4*0.4 = 0.52
    row = A.pairwise_kappa(TWO).iloc[0]
    assert row["n"] == 10 and row["agreement"] == pytest.approx(0.8)
    assert row["kappa"] == pytest.approx((0.8 - 0.52) / (1 - 0.52))


def test_krippendorff_and_fleiss_match_the_libraries_with_missing_answers():
    import krippendorff
    from statsmodels.stats.inter_rater import fleiss_kappa

    r = answers({"ana": ["x", "x", "y", "z", "x", None], "ben": ["x", "y", "y", "z", None, "x"],
                 "cat": ["x", "x", "y", "y", "x", "x"]})
    codes = {"x": 0, "y": 1, "z": 2}
    data = np.array([[0, 0, 1, 2, 0, np.nan], [0, 1, 1, 2, np.nan, 0], [0, 0, 1, 1, 0, 0]])
    assert A.krippendorff_alpha(r, list(codes)) == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    # Fleiss over the four records all three answered: counts of x, y, z per record
    table = np.array([[3, 0, 0], [2, 1, 0], [0, 3, 0], [0, 1, 2]])
    value, n = A.fleiss_kappa(r, list(codes))
    assert n == 4 and value == pytest.approx(fleiss_kappa(table, method="fleiss"))


def test_disputes_and_final_labels():
    r = answers({"ana": ["x", "x", "y"], "ben": ["x", "y", "y"], "cat": ["x", None, "x"]})
    d = A.disputed(r, pd.DataFrame({"record_id": [], "label": []}))
    assert d["record_id"].tolist() == [1, 2]
    assert d.loc[0, "answer"] == "x (ana), y (ben)"
    final = A.final_labels(r, pd.DataFrame({"record_id": [1], "label": ["y"]}))
    assert final[["record_id", "label", "source"]].values.tolist() == [
        [0, "x", "unanimous"], [1, "y", "resolved"], [2, "y", "majority"]]


def test_annotator_confusion_counts_each_pair_of_answers():
    table = A.annotator_confusion(TWO, ["x", "y"])
    assert table.loc["x", "x"] == 5 and table.loc["y", "y"] == 3 and table.loc["x", "y"] == 2


def test_likely_label_errors_flag_an_answer_the_model_strongly_disagrees_with():
    rng = np.random.default_rng(0)
    emb = np.vstack([rng.normal(0, 0.1, (20, 4)) + [3, 0, 0, 0], rng.normal(0, 0.1, (20, 4)) + [0, 3, 0, 0]])
    labels = ["tent"] * 20 + ["stove"] * 20
    labels[3] = "stove"  # a tent query labelled stove
    found = A.likely_label_errors([f"q{i}" for i in range(40)], labels, emb, seed=0)
    assert found["text"].tolist()[:1] == ["q3"] and found.iloc[0]["model"] == "tent"
