"""Security: nothing a user supplies is unpickled, evaluated, rendered as HTML or written outside its folder, and
uploads are capped. The code scan reads the source as Python syntax (not text), so a comment cannot hide a call."""
import ast
import json
import pickle
import tomllib
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ecomrec import Engine
from ecomrec.config import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "ecomrec").rglob("*.py"), *(ROOT / "app_pages").glob("*.py"), ROOT / "app.py"])
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            yield node, owner, name, {k.arg: k.value for k in node.keywords}


def _is(value, constant) -> bool:
    return isinstance(value, ast.Constant) and value.value is constant


def _findings(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(root)
    found = []
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [f"{where}:{node.lineno} imports {n}" for n in names if n.split(".")[0] in UNSAFE_MODULES]
    for node, owner, name, kw in _calls(tree):
        at = f"{where}:{node.lineno}"
        if isinstance(node.func, ast.Name) and name in {"eval", "exec", "compile", "__import__"}:
            found.append(f"{at} calls {name}()")
        if name == "load" and owner == "torch" and not _is(kw.get("weights_only"), True):
            found.append(f"{at} torch.load without weights_only=True")
        if name == "load" and owner == "np" and not _is(kw.get("allow_pickle"), False):
            found.append(f"{at} np.load without allow_pickle=False")
        if name in {"read_pickle", "to_pickle"}:
            found.append(f"{at} {name}()")
        if name == "load" and owner == "yaml":
            found.append(f"{at} yaml.load (use yaml.safe_load)")
        if _is(kw.get("unsafe_allow_html"), True) or (owner in {"st", "components"} and name == "html"):
            found.append(f"{at} renders HTML")
    return found


def test_no_code_unpickles_evaluates_or_renders_html():
    assert len(SOURCES) > 40  # the scan reads the whole package and every page
    assert [f for path in SOURCES for f in _findings(path)] == []


def test_the_scan_catches_each_unsafe_call(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nfrom joblib import load\nimport torch, numpy as np, streamlit as st\n"
                   "torch.load('m.bin')\nnp.load('x.npy')\neval(q)\nst.markdown(q, unsafe_allow_html=True)\n"
                   "st.html(q)\nmodel.eval()\ntorch.load('m.bin', weights_only=True)\n")
    got = [f.split(" ", 1)[1] for f in sorted(_findings(bad, tmp_path), key=lambda f: int(f.split(":")[1].split()[0]))]
    assert got == ["imports pickle", "imports joblib", "torch.load without weights_only=True",
                   "np.load without allow_pickle=False", "calls eval()", "renders HTML", "renders HTML"]


class _Payload:
    """Unpickling this writes a file: proof that a loader ran code from a model folder."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def test_a_pickled_model_file_planted_in_a_version_is_never_run(search_env, encoder, tmp_path):
    import shutil

    from ecomrec.models.registry import ACTIVE, MANIFEST

    data, registry = search_env
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    marker = tmp_path / "pwned.txt"
    for role in ("intent", "reranker"):  # a newer version whose weights are a pickle, made active
        base = root / data.name / role
        good = (base / ACTIVE).read_text().strip()
        bad = good + "-planted"
        shutil.copytree(base / good, base / bad)
        manifest = json.loads((base / bad / MANIFEST).read_text())
        (base / bad / MANIFEST).write_text(json.dumps({**manifest, "version": bad}))
        for weights in (base / bad).rglob("*.safetensors"):
            weights.unlink()
            (weights.parent / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
        (base / ACTIVE).write_text(bad + "\n")
    engine = Engine.load(data)
    engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=root), encoder)
    result = engine.search("waterproof tent", k=3)
    assert result.items and not marker.exists()
    assert any("-planted cannot be read" in n for n in result.notices)  # the last good version is used instead


def test_the_upload_limit_in_the_app_is_the_servers():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB == 200


def _inside(folder: Path, name: str) -> bool:
    path = (folder / name).resolve()
    return path.parent == folder.resolve() and not name.startswith(".")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_no_name_a_user_types_leaves_its_folder(tmp_path_factory, text):
    from ecomrec.data.mapping import safe_name as data_set_name
    from ecomrec.evidence import file_name
    from ecomrec.relevance.lists import safe_name as list_name

    folder = tmp_path_factory.getbasetemp()
    for make in (data_set_name, list_name):
        try:
            name = make(text)
        except ValueError:  # nothing usable was left: the user is asked for another name
            continue
        assert _inside(folder, name) and name not in {".", ".."}
    assert _inside(folder, file_name("search", text))


def test_an_exported_label_file_stays_in_its_folder(tmp_path):
    from ecomrec.annotation.exchange import export_labels
    from ecomrec.annotation.store import Store

    store = Store(tmp_path / "labels.db")
    out = tmp_path / "exports"
    for name in ("../../etc/passwd", "/tmp/evil", "..\\..\\evil", ".hidden"):
        path = export_labels(store, "intent", out, name, "csv")
        assert path.resolve().parent == out.resolve() and not path.name.startswith(".")


HOSTILE = ["__import__('os').system('touch pwned')", "{0.__class__.__mro__}", "<script>alert(1)</script>",
           "%(x)s ${x} {{7*7}}"]


def test_scenario_text_is_kept_as_written_and_never_run(tmp_path):
    from ecomrec import scenarios

    (tmp_path / scenarios.FILE).write_text(json.dumps([
        {"id": f"s{i}", "title": text, "page": "search", "narrative": text, "point_at": text, "search": {"q": text}}
        for i, text in enumerate(HOSTILE)]))
    loaded = scenarios.load(tmp_path)
    assert [(s.title, s.narrative, s.point_at, s.search["q"]) for s in loaded] == [(t, t, t, t) for t in HOSTILE]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_evidence_cards_show_hostile_text_escaped_and_unformatted():
    import html

    from ecomrec.evidence import EvidenceCard, render

    for text in HOSTILE:
        page = render(EvidenceCard(page="Search", title=text, subject={"Query": text}, dataset="shop",
                                   fingerprint="abc", seed=0, models={}))
        assert page.count(html.escape(text)) >= 3  # title, heading and the query row, as typed
        assert "<script>alert" not in page
