"""The one macro-F1: scikit-learn's numbers, exactly, and nothing else in the package computes its own."""
import ast
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from ecomrec.evaluation.classification import classification_metrics, macro_f1

PACKAGE = Path(__file__).resolve().parents[2] / "ecomrec"


def _cases(n: int = 200):
    rng = np.random.default_rng(3)
    names = np.array(list("abcdefgh"))
    for _ in range(n):
        k, m = int(rng.integers(1, 6)), int(rng.integers(1, 40))
        t = rng.integers(0, k, m)
        p = np.where(rng.random(m) < rng.random(), t, rng.integers(0, k + 2, m))  # some labels only predicted
        yield t, p, names[t].tolist(), names[p].tolist()


def test_macro_f1_is_scikit_learns_for_strings_integers_and_codes():
    for t, p, ts, ps in _cases():
        ref = float(f1_score(ts, ps, average="macro", zero_division=0))
        assert macro_f1(ts, ps) == ref
        assert macro_f1(t, p) == ref
        assert macro_f1(t, p, n_labels=int(max(t.max(), p.max())) + 3) == ref  # codes never seen count for nothing


def test_macro_f1_by_hand():
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx(2 / 3)  # F1 of a and of b: 2/3
    assert macro_f1(["a", "b"], ["a", "c"]) == pytest.approx(1 / 3)  # a: 1, b (never predicted): 0, c (never true): 0
    assert macro_f1([], []) == 0.0


def test_classification_metrics_are_scikit_learns():
    for _, _, ts, ps in _cases(100):
        got = classification_metrics(ts, ps)
        labels = sorted(set(ts) | set(ps))
        per_label = f1_score(ts, ps, labels=labels, average=None, zero_division=0)
        assert got == {"accuracy": float(accuracy_score(ts, ps)),
                       "macro_f1": float(f1_score(ts, ps, average="macro", zero_division=0)),
                       **{f"f1/{lab}": float(v) for lab, v in zip(labels, per_label)}}


def test_no_module_computes_its_own_f1():
    users = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                   for node in ast.walk(ast.parse(p.read_text()))
                   if isinstance(node, ast.ImportFrom) and node.module == "sklearn.metrics"
                   and any(a.name.startswith("f1") or a.name.endswith("_f1") for a in node.names))
    assert users == []
