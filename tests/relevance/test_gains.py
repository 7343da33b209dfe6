"""Gain tables proposed for every grade scale, by hand; typed tables parsed and checked."""
import pytest

from ecomrec.relevance.gains import detect_scale, grade_key, lookup, parse_gains, propose_gains


def test_numeric_grades_map_linearly_from_lowest_to_highest():
    assert propose_gains(["4", "1", "3", "2", "4"]) == {"1": 0.0, "2": 1 / 3, "3": 2 / 3, "4": 1.0}
    assert propose_gains([0, 3, 1, 2]) == {"0": 0.0, "1": 1 / 3, "2": 2 / 3, "3": 1.0}  # 0-3 as numbers
    # means over raters (1-3 averaged): every value seen is a grade, spelled once ("2.0" = "2")
    assert propose_gains(["1", "2.0", "2.5", "3", "1.6667"]) == pytest.approx(
        {"1": 0.0, "1.6667": 0.33335, "2": 0.5, "2.5": 0.75, "3": 1.0})
    assert propose_gains(["3", "3"]) == {"3": 1.0}  # one grade only: it is the relevant one


def test_label_scales_get_their_conventional_gains_in_the_files_spelling():
    assert propose_gains(["E", "I", "s", "C"]) == {"E": 1.0, "s": 0.1, "C": 0.01, "I": 0.0}
    assert propose_gains(["Exact", "Partial", "Irrelevant"]) == {"Exact": 1.0, "Partial": 0.5, "Irrelevant": 0.0}
    assert propose_gains(["Exact", "Substitute", "Irrelevant"]) == {"Exact": 1.0, "Substitute": 0.1,
                                                                    "Irrelevant": 0.0}
    assert propose_gains(["relevant", "Not Relevant"]) == {"relevant": 1.0, "Not Relevant": 0.0}
    assert propose_gains(["yes", "No", "yes"]) == {"yes": 1.0, "No": 0.0}


def test_a_stray_grade_is_left_out_of_the_proposal_so_the_import_rejects_it():
    assert detect_scale(["E", "S", "X"]) == "esci"
    assert propose_gains(["E", "S", "X"]) == {"E": 1.0, "S": 0.1}
    with pytest.raises(ValueError, match="no known grade scale"):
        propose_gains(["great", "meh"])


def test_typed_tables_are_parsed_checked_and_looked_up_whatever_the_spelling():
    assert parse_gains("1=0, 2=0.33,3=0.67,4=1") == {"1": 0.0, "2": 0.33, "3": 0.67, "4": 1.0}
    assert lookup({"Exact": 1, "2.0": 0.5}) == {"exact": 1.0, "2": 0.5}
    assert grade_key(" Not  Relevant ") == "not relevant" and grade_key(3) == grade_key("3.0") == "3"
    for bad, message in [("1=0,2", "grade=gain"), ("1=high", "not a number"), ("1=0,1.0=1", "twice"),
                         ("1=-1", ">= 0"), ("", "empty")]:
        with pytest.raises(ValueError, match=message):
            parse_gains(bad)
