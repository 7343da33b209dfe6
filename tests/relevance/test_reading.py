"""Judgment files in every format and scale, matched to a five-product catalog; expected gains by hand."""
import hashlib
import json

import pytest

from ecomrec import schema as S
from ecomrec.relevance.reading import normalise_title, read_judgments, title_index, title_product_id, to_pairs
from tests.relevance.conftest import products


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def gains_of(pairs) -> dict:
    return {(q, p): round(g, 4) for q, p, g in pairs[["query", S.PRODUCT_ID, "gain"]].itertuples(index=False)}


def test_numeric_one_to_four_and_raters_averaged(tmp_path):
    f = write(tmp_path / "j.csv", "query,product_id,grade\ntent,P1,4\ntent,P1,3\ntent,P2,1\nmat,P5,2\n")
    parsed = read_judgments(f, products())
    assert parsed.columns == {"query": "query", "product_id": "product_id", "grade": "grade"}  # all guessed
    assert parsed.proposed == {"1": 0.0, "2": 1 / 3, "3": 2 / 3, "4": 1.0} and parsed.scale == "numeric"
    assert parsed.grades == {"1": 1, "2": 1, "3": 1, "4": 1}
    pairs, report = to_pairs(parsed, parsed.proposed)
    # P1 judged 4 and 3 by two raters: (1 + 2/3) / 2
    assert gains_of(pairs) == {("tent", "P1"): 0.8333, ("tent", "P2"): 0.0, ("mat", "P5"): 0.3333}
    assert pairs.set_index(S.PRODUCT_ID)["raters"].to_dict() == {"P1": 2, "P2": 1, "P5": 1}
    assert report.written == {"pairs": 3, "queries": 2} and report.rejects == []
    assert "averaged" in report.notes[0]


def test_column_names_as_exports_spell_them_are_guessed(tmp_path):
    f = write(tmp_path / "j.csv", "Search Term,Product-ID,Grade\ntent,P1,1\ntent,P2,0\n")
    parsed = read_judgments(f, products())
    assert parsed.columns == {"query": "Search Term", "product_id": "Product-ID", "grade": "Grade"}
    assert gains_of(to_pairs(parsed, parsed.proposed)[0]) == {("tent", "P1"): 1.0, ("tent", "P2"): 0.0}


def test_float_means_over_raters_are_grades_too(tmp_path):
    f = write(tmp_path / "j.tsv", "q\tpid\trelevance\ntent\tP1\t3\ntent\tP2\t1.667\ntent\tP3\t1\n")
    parsed = read_judgments(f, products(), {"query": "q", "product_id": "pid"})
    assert parsed.fmt == "tsv" and parsed.proposed == pytest.approx({"1": 0.0, "1.667": 0.3335, "3": 1.0})
    pairs, _ = to_pairs(parsed, {"1": 0, "1.667": 0.33, "3.0": 1})  # a table typed by hand: "3.0" = "3"
    assert gains_of(pairs) == {("tent", "P1"): 1.0, ("tent", "P2"): 0.33, ("tent", "P3"): 0.0}


def test_esci_letters_in_jsonl(tmp_path):
    rows = [{"query": "tent", "product_id": "P1", "esci_label": "E"}, {"query": "tent", "product_id": "P2",
            "esci_label": "S"}, {"query": "tent", "product_id": "P3", "esci_label": "C"},
            {"query": "tent", "product_id": "P5", "esci_label": "I"}]
    f = write(tmp_path / "j.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    parsed = read_judgments(f, products())
    assert parsed.fmt == "jsonl" and parsed.proposed == {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}
    pairs, _ = to_pairs(parsed, parsed.proposed)
    assert gains_of(pairs) == {("tent", "P1"): 1.0, ("tent", "P2"): 0.1, ("tent", "P3"): 0.01, ("tent", "P5"): 0.0}


@pytest.mark.parametrize("grades,table,expected", [
    (["Exact", "Partial", "Irrelevant"], {"Exact": 1.0, "Partial": 0.5, "Irrelevant": 0.0}, [1.0, 0.5, 0.0]),
    (["relevant", "not relevant", "Relevant"], {"relevant": 1.0, "not relevant": 0.0}, [1.0, 0.0, 1.0]),
    (["yes", "no", "YES"], {"yes": 1.0, "no": 0.0}, [1.0, 0.0, 1.0]),
])
def test_word_scales(tmp_path, grades, table, expected):
    f = write(tmp_path / "j.csv", "query,product_id,label\n" + "".join(
        f"tent,{p},{g}\n" for p, g in zip(["P1", "P2", "P3"], grades)))
    parsed = read_judgments(f, products())
    assert parsed.proposed == table
    pairs, _ = to_pairs(parsed, parsed.proposed)
    assert pairs["gain"].tolist() == expected


def test_titles_are_matched_normalised_ties_to_the_first_catalog_row():
    assert normalise_title('  "Trail  TENT, 2-Person." ') == "trail tent, 2-person"
    assert normalise_title(None) == "" and normalise_title("...") == ""
    # "Sleeping Bag" (P2) and "sleeping  bag" (P4) normalise alike: the first catalog row wins
    assert title_index(products())["sleeping bag"] == "P2"


def test_matching_by_title_reports_unmatched_and_bad_rows_by_row_and_column(tmp_path):
    f = write(tmp_path / "judged.csv", "search_term,product_title,median_relevance\n"
              "tent,\"trail tent, 2-person!\",4\n"  # row 2: matched (case, end punctuation)
              "tent,Sleeping bag,1\n"              # row 3: matched to P2, the first of two
              ",Yoga Mat,3\n"                      # row 4: empty query
              "mat,Pilates Ball,2\n"               # row 5: unmatched title
              "mat,Yoga Mat,\n"                    # row 6: empty grade
              "mat,yoga mat,5\n")                  # row 7: a grade not in the table chosen below
    parsed = read_judgments(f, products(), {"title": "product_title"})
    assert parsed.columns == {"grade": "median_relevance", "query": "search_term", "title": "product_title"}
    assert parsed.matched_by == "title"
    assert parsed.rows[["row", S.PRODUCT_ID]].values.tolist() == [[2, "P1"], [3, "P2"], [7, "P5"]]
    assert parsed.unmatched.to_dict("records") == [
        {"file": "judged.csv", "row": 5, "column": "product_title", "value": "Pilates Ball"}]
    assert parsed.rejects[["row", "column", "problem"]].values.tolist() == [
        [4, "search_term", "empty query"], [5, "product_title", "no catalog product has this title"],
        [6, "median_relevance", "empty grade"]]
    table = {"1": 0, "2": 0.33, "3": 0.67, "4": 1}
    with pytest.raises(S.ValidationError) as err:  # all or nothing (the default): every bad row named
        to_pairs(parsed, table)
    assert [(e.row, e.column) for e in err.value.errors] == [
        (4, "search_term"), (5, "product_title"), (6, "median_relevance"), (7, "median_relevance")]
    assert "judged.csv, row 7, column 'median_relevance': grade not in the gain table" in str(err.value)
    pairs, report = to_pairs(parsed, table, policy="skip")  # keep the good rows
    assert gains_of(pairs) == {("tent", "P1"): 1.0, ("tent", "P2"): 0.0}
    assert [r["row"] for r in report.rejects] == [4, 5, 6, 7] and report.dropped["empty query"] == [4]


def test_unknown_product_ids_are_rejected_and_missing_columns_named(tmp_path):
    f = write(tmp_path / "j.csv", "query,product_id,grade,title\ntent,P1,1\ntent,P99,1\n")
    parsed = read_judgments(f, products())  # product_id and title columns: matched by id unless title is named
    assert parsed.matched_by == "product_id"
    assert parsed.rejects[["row", "column", "value", "problem"]].values.tolist() == [
        [3, "product_id", "P99", "unknown product id"]]
    with pytest.raises(ValueError, match="no column 'sku' for the product id"):
        read_judgments(f, products(), {"product_id": "sku"})
    g = write(tmp_path / "g.csv", "query,product_id,stars\ntent,P1,1\n")
    with pytest.raises(ValueError, match=r"cannot tell which column holds the grade; name it \(--grade COL"):
        read_judgments(g, products())


def test_trec_qrels_with_and_without_topics(tmp_path):
    f = write(tmp_path / "qrels.txt", "# a comment\n1 0 P1 2\n1 0 P2 0\n\n2 0 P5 1\n2 0 P9 1\n3 0 P3\n")
    parsed = read_judgments(f, products())
    assert parsed.fmt == "trec" and parsed.proposed == {"0": 0.0, "1": 0.5, "2": 1.0}
    assert parsed.rows[["row", "query", S.PRODUCT_ID, "grade"]].values.tolist() == [
        [2, "1", "P1", "2"], [3, "1", "P2", "0"], [5, "2", "P5", "1"]]  # without topics the text is the id
    assert parsed.rejects[["row", "column", "problem"]].values.tolist() == [
        [6, "doc_id", "unknown product id"], [7, "line", "expected 4 fields: query_id iteration doc_id grade"]]
    topics = write(tmp_path / "query.tsv", "query_id\tquery\tquery_class\n1\ttent\tCamping\n")
    parsed = read_judgments(f, products(), topics=topics)
    assert parsed.rows["query"].tolist() == ["tent", "tent"]
    assert "query id not in the topics" in parsed.rejects["problem"].tolist()
    pairs, _ = to_pairs(read_judgments(f, products(), topics={"1": "tent", "2": "mat"}), {"0": 0, "1": 0.5, "2": 1},
                        policy="skip")
    assert gains_of(pairs) == {("tent", "P1"): 1.0, ("tent", "P2"): 0.0, ("mat", "P5"): 0.5}


def test_a_table_file_of_query_ids_takes_its_text_from_the_topics(tmp_path):
    f = write(tmp_path / "j.csv", "qid,product_id,grade\n7,P1,1\n")
    parsed = read_judgments(f, products(), topics={"7": "tent"})
    assert parsed.columns["query_id"] == "qid" and parsed.rows["query"].tolist() == ["tent"]


def test_title_product_ids_are_stable_and_tell_descriptions_apart():
    a = title_product_id("Tent", "Two people")
    assert a == title_product_id(" Tent ", "Two people") and len(a) == 17 and a.startswith("t")
    assert a != title_product_id("Tent", "Four people") and title_product_id("Tent", None) == title_product_id("Tent")
    assert a == "t" + hashlib.sha256(b"Tent\x1fTwo people").hexdigest()[:16]
