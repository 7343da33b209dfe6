"""Export resolved labels, import them back; names cannot escape the folder; unknown labels are offered."""
import pandas as pd
import pytest

from ecomrec.annotation.exchange import export_labels, import_labels, read_label_file
from ecomrec.annotation.store import Label, Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.sqlite")
    s.create_label_set("types", "custom", [Label("product"), Label("question")])
    s.add_records(["red tent", "is this tent warm", "blue tent"], source="test")
    ids = dict(zip(s.records()["text"], s.records()["id"]))
    s.respond(ids["red tent"], "types", "ana", "product")
    s.respond(ids["is this tent warm"], "types", "ana", "question")
    s.respond(ids["is this tent warm"], "types", "ben", "product")
    s.resolve(ids["is this tent warm"], "types", "question", "lead")
    s.respond(ids["blue tent"], "types", "ana", "product")
    s.respond(ids["blue tent"], "types", "ben", "question")  # a tie, unresolved: not exported
    return s


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "hf"])
def test_export_then_import_round_trips(store, tmp_path, fmt):
    path = export_labels(store, "types", tmp_path / "out", "my labels", fmt)
    if fmt == "hf":
        import datasets

        ds = datasets.load_from_disk(str(path))
        names = ds.features["label"].names
        got = {t: names[lab] for t, lab in zip(ds["text"], ds["label"])}
    else:
        other = Store(tmp_path / "b.sqlite")
        other.create_label_set("types", "custom", [Label("product"), Label("question")])
        file = read_label_file(path, ["product", "question"])
        assert import_labels(other, "types", file, "import", path.name) == {
            "records_added": 2, "answers": 2, "labels_created": 0}
        got = dict(zip(other.responses("types")["text"], other.responses("types")["label"]))
    assert got == {"red tent": "product", "is this tent warm": "question"}


def test_an_export_name_cannot_leave_the_folder(store, tmp_path):
    path = export_labels(store, "types", tmp_path / "out", "../../etc/passwd", "csv")
    assert path.parent == tmp_path / "out" and path.name == "passwd.csv"


def test_unknown_labels_are_offered_not_refused_silently(store, tmp_path):
    f = tmp_path / "theirs.csv"
    pd.DataFrame({"query": ["tent pegs", "", "kettle"], "query_class": ["Tent Stakes", "Kettles", "Kettles"]}
                 ).to_csv(f, index=False)
    file = read_label_file(f, ["product", "question"])
    assert file.unknown_labels == ["Kettles", "Tent Stakes"]
    assert file.problems == ["theirs.csv row 3, column 'query': empty query"]
    with pytest.raises(ValueError, match="2 label\\(s\\) are not in 'types'"):
        import_labels(store, "types", file, "import", f.name)
    assert import_labels(store, "types", file, "import", f.name, create_unknown=True)["labels_created"] == 2
    assert [lab.name for lab in store.labels("types")] == ["product", "question", "Kettles", "Tent Stakes"]
