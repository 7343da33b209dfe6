"""The relevance service: lists from a file, from people's grades and from clicks; the engine and the CLI."""
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.cli import main
from ecomrec.config import Config
from ecomrec.data.loaders import write_dataset
from tests.relevance.conftest import CLICKS, click_events, products


def test_a_file_is_read_shown_then_imported_with_the_table_the_user_chose(relevance, tmp_path):
    f = tmp_path / "j.csv"
    f.write_text("query,title,grade\ntent,trail tent 2-person,4\ntent,Trail Tent, 2-Person,4\n"
                 "tent,Sleeping Bag,1\nmat,Yoga Mat,3\n")
    # row 3 has an unquoted comma in its title: 4 fields for 3 columns -> pandas refuses the file
    with pytest.raises(ValueError, match="j.csv: cannot be read as csv"):
        relevance.read_file(f)
    f.write_text("query,title,grade\ntent,Trail Tent 2-Person,4\ntent,\"Trail Tent, 2-Person\",3\n"
                 "tent,Sleeping Bag,1\nmat,Yoga Mat,2\n")
    parsed = relevance.read_file(f, {"title": "title"})
    assert len(parsed.unmatched) == 1 and parsed.unmatched["row"].tolist() == [2]
    assert relevance.lists().empty  # reading stores nothing
    with pytest.raises(S.ValidationError, match="row 2, column 'title': no catalog product has this title"):
        relevance.import_file(parsed, "mine", parsed.proposed)  # all or nothing: nothing stored
    assert relevance.lists().empty
    with pytest.raises(ValueError, match="gain table is empty"):
        relevance.import_file(parsed, "mine", {}, policy="skip")
    jl = relevance.import_file(parsed, "mine", {"1": 0, "2": 0.5, "3": 0.8, "4": 1}, policy="skip")
    assert jl.source == "imported" and jl.gains == {"1": 0, "2": 0.5, "3": 0.8, "4": 1}
    assert jl.judgments(relevant_only=False) == {"tent": {"P1": 0.8, "P2": 0.0}, "mat": {"P5": 0.5}}
    assert {k: jl.counts[k] for k in ("pairs", "queries", "rows_read", "rejected", "unmatched")} == {
        "pairs": 3, "queries": 2, "rows_read": 4, "rejected": 1, "unmatched": 1}
    assert jl.rejects["row"].tolist() == [2] and "matched by title" in jl.notes
    assert relevance.get("mine").judgments() == jl.judgments()
    assert relevance.lists()["name"].tolist() == ["mine"]
    # a path works too, read with the given columns
    again = relevance.import_file(f, "again", {"1": 0, "2": 0.5, "3": 0.8, "4": 1}, {"title": "title"}, "skip")
    assert again.judgments() == jl.judgments()


def test_peoples_grades_and_clicks_become_lists_like_any_other(relevance):
    people = relevance.from_people()
    assert people.name == "people" and people.source == "people" and people.gains["S"] == 0.1
    assert people.judgments() == {"tent": {"P1": 1.0, "P2": 0.05}}  # "mat": all irrelevant, not measurable
    assert people.judgments(relevant_only=False)["mat"] == {"P5": 0.0}
    clicks = relevance.from_clicks()
    assert clicks.source == "clicks" and clicks.gains == {}
    assert clicks.judgments() == {"mat": {"P4": 1.0, "P5": 0.5}, "tent": {"P1": 1.0, "P2": 2 / 3, "P3": 2 / 3}}
    assert clicks.counts["queries_dropped"] == 1 and "COEC" in clicks.notes
    assert relevance.lists()["name"].tolist() == ["clicks", "people"]
    split = relevance.split("clicks", seed=13)
    assert set(split) == {"mat", "tent"} and set(split.values()) <= {"train", "val", "test"}
    assert relevance.delete("people") and relevance.lists()["name"].tolist() == ["clicks"]


def test_no_grades_yet_is_said_plainly(tmp_path):
    from ecomrec.services.relevance import Relevance
    from tests.relevance.conftest import catalog

    empty = Relevance(catalog(), tmp_path, lambda: pd.DataFrame(columns=["query", S.PRODUCT_ID, "gain"]))
    with pytest.raises(ValueError, match="grade pairs on the Annotate page"):
        empty.from_people()
    with pytest.raises(ValueError, match="no search clicks"):
        empty.from_clicks()


def test_the_engine_holds_the_service_over_its_data_sets_folder(tmp_path):
    from ecomrec import Engine

    engine = Engine.from_frames(products(), click_events(CLICKS), config=Config(annotation_dir=tmp_path), name="tiny")
    assert engine.relevance.folder == tmp_path / "judgments" / "tiny"
    assert engine.relevance.from_clicks().counts["pairs"] == 5
    assert (tmp_path / "judgments" / "tiny" / "clicks.csv").exists()


@pytest.fixture
def shop(tmp_path):
    data = tmp_path / "relevance-cli-shop"
    write_dataset(data, {"products": products(), "events": click_events(CLICKS)})
    f = tmp_path / "judged.tsv"
    f.write_text("search_term\tproduct_id\tgrade\ntent\tP1\t4\ntent\tP2\t1\nmat\tP5\t3\nmat\tP9\t2\n")
    return data, f


def test_cli_shows_the_proposal_and_refuses_without_a_chosen_table(shop, capsys):
    data, f = shop
    assert main(["judgments", "import", str(f), "--data", str(data), "--name", "mine"]) == 2
    out = capsys.readouterr()
    assert 'proposed gains (numeric): --gains "1=0,2=0.3333,3=0.6667,4=1"' in out.out
    assert "--gains" in out.err and "--accept-proposed-gains" in out.err
    assert main(["judgments", "list", "--data", str(data)]) == 0
    assert "no judgment lists yet" in capsys.readouterr().out


def test_cli_imports_with_a_table_lists_and_builds_from_clicks(shop, capsys):
    data, f = shop
    assert main(["judgments", "import", str(f), "--data", str(data), "--name", "mine",
                 "--accept-proposed-gains"]) == 2  # all or nothing: P9 is no product
    assert "row 5, column 'product_id': unknown product id: 'P9'" in capsys.readouterr().err
    assert main(["judgments", "import", str(f), "--data", str(data), "--name", "mine", "--gains", "1=0,2=.3,3=.7,4=1",
                 "--on-bad-rows", "skip"]) == 0
    out = capsys.readouterr().out
    assert "judgment list 'mine': 3 pairs, 2 queries (2 with a relevant product); 0 unmatched, 1 rejected" in out
    assert main(["judgments", "from-clicks", "--data", str(data), "--name", "from clicks"]) == 0
    assert "judgment list 'from-clicks': 5 pairs, 2 queries from 8 search clicks" in capsys.readouterr().out
    assert main(["judgments", "list", "--data", str(data)]) == 0
    listed = capsys.readouterr().out
    assert "from-clicks" in listed and "mine" in listed
    folder = Config().annotation_dir / "judgments" / data.name
    assert sorted(p.name for p in folder.iterdir()) == ["from-clicks.csv", "from-clicks.json", "mine.csv", "mine.json"]
