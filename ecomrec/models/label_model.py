"""A label set's classifier, its method chosen on the label set's own validation split.

Candidates, cheapest first, each scored by macro-F1 on queries its model did not learn from:

* ``tfidf_lr``: TF-IDF of words (1-2) and characters (2-5) + logistic regression, C chosen on validation:
  the classic baseline, strong where labels follow words;
* ``embedding_lr``: logistic regression on the packaged MiniLM's frozen sentence embeddings, C chosen on
  validation: strong from few labels and on unseen phrasings;

  both are tried with and without each label's name as one more example of it (validation chooses): on WANDS'
  28 query classes, about 6 queries each, the names lift both by 0.07-0.12 macro-F1 in cross-validation (its 69
  test queries did not confirm it: README, "Annotation, measured");
* ``joint``: one logistic regression over both at once, the TF-IDF features and the MiniLM embedding side by
  side (C and label names chosen on validation): a word and a meaning can both vote in one weighing, where a blend
  only averages two finished answers. On WANDS' 227 labelled queries of 28 classes, each judged once by 5-fold
  cross-fitting with its settings chosen inside each fold, it is the best single method (0.782 macro-F1; TF-IDF +
  LR 0.769, blend 0.770), though by no more than luck could give; on the sample's new phrasings it leads the
  blend in validation (0.787 vs 0.749) (README, "Annotation, measured");
* ``blend``: ``tfidf_lr`` and ``embedding_lr`` mixed (share chosen on validation);
* ``contrastive``: the SetFit recipe (:meth:`~ecomrec.models.intent.IntentClassifier.contrastive`): MiniLM tuned
  on pairs of labelled queries (same label close, others apart), logistic regression on its new embeddings;
  made for a few labelled queries per label, tried when its pairs fit in the time left;
* ``contrastive_blend``: that model mixed with ``tfidf_lr``;
* ``fine_tune``: the MiniLM classifier fine-tuned (:class:`~ecomrec.models.intent.IntentClassifier`), its head
  started from ``embedding_lr`` (LP-FT), epochs until validation macro-F1 stops rising or the time budget ends;
* ``fine_tune_blend``: the fine-tuned model mixed with ``tfidf_lr``.

The fast candidates are cross-validated over every labelled query (a single validation fifth of a few dozen
queries is too noisy to choose on); the slow ones (contrastive, fine-tuning), too slow to repeat, are scored on
one fold of each view against every fast candidate there and must lead each beyond chance (:func:`choose`). Each
is scored twice and judged on the mean: on folds of random queries (**seen phrasings**) and on folds that hold
out **new phrasings**: each label's non-catalog words ("how do i return my ...", "gift for a dad who loves ...")
are split by meaning into as many groups as folds (:func:`phrasings`), so every fold asks for each label in
words its training rows never used, as a live search box does every day. Measured on the sample shop, whose test
split holds phrasings never used in training: cross-validation over random queries scores TF-IDF + LR 0.96 where
it reaches 0.58 on those phrasings; folds of new phrasings score it 0.67 and LR on frozen embeddings 0.71 (0.79
there). The winner's probabilities are calibrated by a temperature fitted on its held-out predictions in both
views (:mod:`ecomrec.evaluation.calibration`).
Everything is saved as safetensors and JSON (no pickle).
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from ecomrec.config import SEED
from ecomrec.evaluation.calibration import expected_calibration_error, fit_temperature, with_temperature
from ecomrec.evaluation.classification import macro_f1
from ecomrec.evaluation.stats import StatsConfig, macro_f1_p
from ecomrec.models.category import CategoryHead
from ecomrec.models.intent import ContrastiveConfig, IntentClassifier, IntentConfig, IntentPrediction

MODEL_FILE = "label_model.json"
TFIDF_FILE = "tfidf.safetensors"
METHODS = ("tfidf_lr", "embedding_lr", "joint", "blend", "contrastive", "contrastive_blend", "fine_tune",
           "fine_tune_blend")
WORDS = {"tfidf_lr": "TF-IDF + logistic regression", "embedding_lr": "logistic regression on MiniLM embeddings",
         "joint": "one logistic regression on TF-IDF and MiniLM embeddings together",
         "blend": "MiniLM embeddings + TF-IDF, blended",
         "contrastive": "MiniLM tuned on pairs of labelled queries (SetFit)",
         "contrastive_blend": "MiniLM tuned on pairs (SetFit) + TF-IDF, blended", "fine_tune": "fine-tuned MiniLM",
         "fine_tune_blend": "fine-tuned MiniLM + TF-IDF, blended"}
FAST = ("tfidf_lr", "embedding_lr", "joint", "blend")  # cross-validated over every labelled query; the rest: one fold
Encode = Callable[[Sequence[str]], np.ndarray]
Probs = dict[str, np.ndarray]  # validation view -> (N, K) held-out probabilities
Setting = tuple[float, bool]  # a fast candidate's C, and whether label names are examples
JointSetting = tuple[float, bool, float]  # the same, and the ``joint`` candidate's embedding scale


@dataclass(frozen=True)
class SelectionConfig:
    """How the method is chosen."""

    folds: int = 5  # cross-validation folds: every labelled query is judged once (8 per label: ~2 per fold)
    cs: tuple[float, ...] = (1.0, 10.0, 100.0)  # logistic regression's C: the three scales that matter
    shares: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)  # the embedding model's share in a blend
    # each label's own name as one more training example of it, tried off and on for both fast models: a label
    # set's names say what its labels mean ("Coffee & Cocktail Tables"), which few labelled queries cannot;
    # chosen on validation, since names can also be codes ("cat_17")
    label_names: tuple[bool, ...] = (False, True)
    # the ``joint`` regression's embedding scale: 1 gives the embedding the length of one TF-IDF block (of two). A
    # second scale (2) doubles the joint's fits (~30 s of the budget on the sample's 2k queries, taken from
    # fine-tuning) for no clear gain: WANDS 5-fold cross-fitting 0.782 -> 0.789 macro-F1, the sample's validation
    # kept 1. More scales can be listed here; validation chooses among them
    joint_scales: tuple[float, ...] = (1.0,)
    budget_s: float = 120.0  # the whole choice, fine-tuning included, for up to 2,000 labelled queries
    # fine-tuning is scored on one fold only, so it must lead every fast candidate there beyond chance (one-sided
    # paired randomisation test): one fold of a few dozen queries (WANDS: 32 over 28 labels) cannot tell a small
    # lead from luck; the conventional level, not tuned
    fine_tune_p: float = 0.05
    fine_tune: bool = True  # False: the cheap candidates only, no contrastive or fine-tuning (seconds, not minutes)
    seed: int = SEED

    @property
    def settings(self) -> list[Setting]:
        """Every (C, label names as examples) a fast candidate is tried with."""
        return [(c, named) for named in self.label_names for c in self.cs]

    @property
    def joint_settings(self) -> list[JointSetting]:
        """Every (C, label names as examples, embedding scale) the ``joint`` candidate is tried with."""
        return [(c, named, scale) for scale in self.joint_scales for c, named in self.settings]


class TfidfLR:
    """TF-IDF (word 1-2 and character 2-5 grams) + logistic regression, kept as arrays (no pickle).

    With ``dense`` features (the ``joint`` candidate: sentence embeddings, one row per text) the regression reads
    them beside the TF-IDF columns, multiplied by ``dense_scale`` while it learns (a larger scale lets the
    embedding speak louder under the same C); its last ``dense_dim`` weight columns are theirs, the scale folded in.
    """

    def __init__(self, vectorizers: list, weight: np.ndarray, bias: np.ndarray, dense_dim: int = 0) -> None:
        self.vectorizers, self.weight, self.bias, self.dense_dim = vectorizers, weight, bias, dense_dim

    @staticmethod
    def _vectorizers(vocabularies: list[dict] | None = None) -> list:
        from sklearn.feature_extraction.text import TfidfVectorizer

        specs = [dict(ngram_range=(1, 2)), dict(analyzer="char_wb", ngram_range=(2, 5))]
        return [TfidfVectorizer(sublinear_tf=True, **spec, **({} if vocabularies is None else
                                                              {"vocabulary": vocabularies[i]}))
                for i, spec in enumerate(specs)]

    @classmethod
    def fit(cls, texts: Sequence[str], y: np.ndarray, n_labels: int, c: float, seed: int,
            dense: np.ndarray | None = None, dense_scale: float = 1.0) -> TfidfLR:
        """Fit on ``texts`` and label columns ``y`` (0..n_labels-1; labels absent here get no weight), with
        ``dense`` (N, D) features beside the TF-IDF ones when given."""
        from sklearn.linear_model import LogisticRegression

        vecs = cls._vectorizers()
        x = _features([v.fit_transform(list(texts)) for v in vecs], None if dense is None else dense * dense_scale)
        # newton-cg: the same optimum as lbfgs, ~5x faster on these wide sparse rows (0.3 s vs 1.5-2.3 s on 2k
        # queries), which the cross-validation repeats 30 times
        lr = LogisticRegression(C=c, max_iter=2000, class_weight="balanced", solver="newton-cg",
                                random_state=seed).fit(x, y)
        weight, bias = _full_softmax_weights(lr, n_labels)
        dense_dim = 0 if dense is None else dense.shape[1]
        if dense_dim:
            weight[:, -dense_dim:] *= dense_scale  # so predictions take the features as they come
        return cls(vecs, weight, bias, dense_dim)

    def predict_proba(self, texts: Sequence[str], dense: np.ndarray | None = None) -> np.ndarray:
        """(N, K) probabilities; ``dense``: the same kind of features the model was fitted with, if any."""
        if (dense is None) != (self.dense_dim == 0):
            raise ValueError(f"this model reads {self.dense_dim} dense features a text")
        x = _features([v.transform(list(texts)) for v in self.vectorizers], dense)
        return _softmax(np.asarray(x @ self.weight.T) + self.bias)

    def save(self, folder: Path) -> dict:
        save_file({"weight": self.weight, "bias": self.bias,
                   **{f"idf{i}": v.idf_.astype(np.float64) for i, v in enumerate(self.vectorizers)}},
                  str(folder / TFIDF_FILE))
        return {"vocabularies": [{k: int(j) for k, j in v.vocabulary_.items()} for v in self.vectorizers],
                "dense_dim": self.dense_dim}

    @classmethod
    def load(cls, folder: Path, meta: dict) -> TfidfLR:
        t = load_file(str(folder / TFIDF_FILE))
        vecs = cls._vectorizers(meta["vocabularies"])
        for i, v in enumerate(vecs):
            v.idf_ = t[f"idf{i}"]
        return cls(vecs, t["weight"], t["bias"], int(meta.get("dense_dim", 0)))


def _features(blocks: list, dense: np.ndarray | None):
    """The TF-IDF blocks side by side, with ``dense`` columns last when given (CSR)."""
    from scipy import sparse

    return sparse.hstack(blocks + ([] if dense is None else [sparse.csr_matrix(dense)])).tocsr()


def _full_softmax_weights(lr, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, F) weights and (K,) biases over all ``n_labels`` from a fitted LogisticRegression (absent classes:
    -inf bias, so they get probability 0; two classes: sklearn's single row spread over both)."""
    coef, icpt = lr.coef_, lr.intercept_
    if len(lr.classes_) == 2:
        coef, icpt = np.vstack([-coef[0], coef[0]]) / 2, np.array([-icpt[0], icpt[0]]) / 2
    weight = np.zeros((n_labels, coef.shape[1]), dtype=np.float32)
    bias = np.full(n_labels, -1e4, dtype=np.float32)
    weight[lr.classes_], bias[lr.classes_] = coef, icpt
    return weight, bias


def _aligned(probs: np.ndarray, labels: Sequence[str], names: list[str]) -> np.ndarray:
    """(N, len(names)) ``probs`` whose columns follow ``labels``, placed under ``names`` (absent ones 0)."""
    out = np.zeros((len(probs), len(names)), dtype=np.float32)
    out[:, [names.index(lab) for lab in labels]] = probs
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


@dataclass
class LabelModel:
    """The chosen classifier: its method, parts, blend share and temperature, and the candidates' table.

    Attributes:
        candidates: one row per candidate: ``method``, ``val_macro_f1``, ``setting`` (or ``skipped``: why).
    """

    method: str
    labels: list[str]
    temperature: float = 1.0
    share: float = 1.0  # the embedding or fine-tuned part's share in a blend
    tfidf: TfidfLR | None = None  # for ``joint``: the one regression over TF-IDF and ``encode``'s embeddings
    head: CategoryHead | None = None  # embedding_lr: LR on frozen embeddings (``encode`` gives them)
    fine_tuned: IntentClassifier | None = None
    encode: Encode | None = None
    candidates: list[dict] = field(default_factory=list)
    why: str = ""  # why it won, in words

    def raw_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(N, K) probabilities over :attr:`labels` before calibration.

        Args:
            embeddings: (N, D) the texts' embeddings by the encoder :attr:`encode` wraps, when the caller has
                them already (a search embeds its query once for everything that reads it); else computed here.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)

        def embedded() -> np.ndarray:
            return self.encode(texts) if embeddings is None else embeddings

        neural = None
        if self.fine_tuned is not None:
            neural = self.fine_tuned.predict_proba(texts)
        elif self.head is not None:
            neural = self.head.predict_proba(embedded())
        if self.tfidf is None:
            return neural
        if self.tfidf.dense_dim:
            return self.tfidf.predict_proba(texts, embedded())
        words = self.tfidf.predict_proba(texts)
        return words if neural is None else self.share * neural + (1 - self.share) * words

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        """(N, K) calibrated probabilities over :attr:`labels` (``embeddings``: see :meth:`raw_proba`)."""
        return with_temperature(self.raw_proba(texts, embeddings), self.temperature).astype(np.float32)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[IntentPrediction]:
        """Label, calibrated confidence and every label's probability for each text (``embeddings``: see
        :meth:`raw_proba`)."""
        return [IntentPrediction(self.labels[int(p.argmax())], float(p.max()),
                                 {lab: float(v) for lab, v in zip(self.labels, p)})
                for p in self.predict_proba(texts, embeddings)]

    # ---- persistence ----
    @staticmethod
    def saved_in(folder: Path) -> bool:
        """Whether ``folder`` holds a label model (older intent versions hold a bare fine-tuned classifier)."""
        return (Path(folder) / MODEL_FILE).exists()

    def save(self, folder: Path) -> None:
        """Write the parts (fine-tuned model in ``fine_tuned/``, embedding head in ``embedding_head/``)."""
        folder = Path(folder)
        meta = {"method": self.method, "labels": self.labels, "temperature": self.temperature, "share": self.share,
                "candidates": self.candidates, "why": self.why, "parts": []}
        if self.tfidf is not None:
            meta.update(self.tfidf.save(folder))
            meta["parts"].append("tfidf")
        if self.head is not None:
            (folder / "embedding_head").mkdir(exist_ok=True)
            self.head.save(folder / "embedding_head")
            meta["parts"].append("embedding_head")
        if self.fine_tuned is not None:
            (folder / "fine_tuned").mkdir(exist_ok=True)
            self.fine_tuned.save(folder / "fine_tuned")
            meta["parts"].append("fine_tuned")
        (folder / MODEL_FILE).write_text(json.dumps(meta) + "\n")

    @classmethod
    def load(cls, folder: Path, device: str | None = None, encode: Encode | None = None,
             runtime: str = "torch") -> LabelModel:
        """Load what :meth:`save` wrote, its fine-tuned part as ``runtime`` runs it; ``encode`` embeds texts for an
        embedding head (the packaged encoder)."""
        folder = Path(folder)
        meta = json.loads((folder / MODEL_FILE).read_text())
        parts = set(meta["parts"])
        return cls(meta["method"], meta["labels"], meta["temperature"], meta["share"],
                   TfidfLR.load(folder, meta) if "tfidf" in parts else None,
                   CategoryHead.load(folder / "embedding_head") if "embedding_head" in parts else None,
                   IntentClassifier.load(folder / "fine_tuned", device, runtime) if "fine_tuned" in parts else None,
                   encode, meta["candidates"], meta.get("why", ""))


def phrasings(texts: Sequence[str], catalog_words: set[str], encode: Encode | None = None,
              labels: np.ndarray | None = None, k: int = 5, seed: int = SEED) -> np.ndarray:
    """(N,) a group number per text: a text's **frame** is its words outside ``catalog_words`` ("how do i return
    my"); texts with the same frame share a group. With ``encode``, each label's frames are split by meaning into
    ``k`` groups (k-means over the frames' sentence embeddings; ``labels`` None: all texts one label): "gift for
    a dad who loves fishing" and "... who loves hiking" land together, "present ideas for ..." elsewhere, so a
    fold of such groups asks for every label in words unlike those it was trained on, as a live search box
    does. A text of catalog words only is a group of its own."""
    frames = [" ".join(w for w in re.findall(r"[a-z']+", text.lower()) if w not in catalog_words) for text in texts]
    labels = np.zeros(len(texts), dtype=np.int64) if labels is None else np.asarray(labels)
    every_frame = sorted({f for f in frames if f})
    vectors = None if encode is None else dict(zip(every_frame, np.asarray(encode(every_frame), dtype=np.float64)))
    group: dict[tuple[int, str], int] = {}
    for lab in np.unique(labels):
        distinct = sorted({f for f, y in zip(frames, labels) if f and y == lab})
        clusters = np.arange(len(distinct))
        if vectors is not None and len(distinct) > k:
            from sklearn.cluster import KMeans

            clusters = KMeans(k, n_init=3, random_state=seed).fit_predict(np.stack([vectors[f] for f in distinct]))
        base = len(group)
        group.update({(int(lab), f): base + int(c) for f, c in zip(distinct, clusters)})
    return np.array([group[(int(y), f)] if f else -1 - i for i, (f, y) in enumerate(zip(frames, labels))],
                    dtype=np.int64)


def folds(texts: Sequence[str], y: np.ndarray, catalog_words: set[str] | None, config: SelectionConfig,
          encode: Encode | None = None) -> np.ndarray:
    """(N,) a fold number per text, 0 .. ``config.folds`` - 1: stratified by label and, with ``catalog_words``,
    whole phrasings to a fold (:func:`phrasings`, by meaning with ``encode``); plain stratified folds when
    phrasings leave a fold without some label in training, unstratified ones when a label has fewer queries
    than folds."""
    from sklearn.model_selection import KFold, StratifiedGroupKFold, StratifiedKFold

    idx = np.arange(len(texts))
    k = max(2, min(config.folds, len(texts)))
    splitters = []
    if catalog_words and np.bincount(y).min() >= k:
        splitters.append((StratifiedGroupKFold(k, shuffle=True, random_state=config.seed),
                          phrasings(texts, catalog_words, encode, y, k, config.seed)))
    if np.bincount(y).min() >= k:
        splitters.append((StratifiedKFold(k, shuffle=True, random_state=config.seed), None))
    splitters.append((KFold(k, shuffle=True, random_state=config.seed), None))
    for splitter, groups in splitters:
        out = np.full(len(texts), -1)
        for f, (_, held) in enumerate(splitter.split(idx, y, groups)):
            out[held] = f
        if all(set(y[out != f]) == set(y) for f in range(k)) or splitter is splitters[-1][0]:
            return out
    return out


def choose(texts: Sequence[str], labels: Sequence[str], encode: Encode, config: SelectionConfig = SelectionConfig(),
           intent_config: IntentConfig | None = None, progress=None, cancel=None,
           catalog_words: set[str] | None = None, contrastive_config: ContrastiveConfig | None = None) -> LabelModel:
    """Score every candidate on held-out queries of ``texts`` (never any other split) and keep the best.

    Validation has two views, each a cross-validation over every labelled query: **new phrasings** (folds of
    whole phrasings, :func:`folds` with ``catalog_words``) and **seen phrasings** (folds of random queries). A
    candidate's score is its mean macro-F1 over the two, since a live search box gets both the queries
    annotators labelled and new ways of asking; without ``catalog_words`` the two views are one. The fast
    candidates' settings (C, blend share) are chosen on that score. The slow candidates (contrastive first,
    then fine-tuning, each when it fits in the time left) are too slow to repeat per fold: they train on the
    queries outside fold 0 of every view and are scored on those folds 0, against every fast candidate's
    predictions on the same queries; the best of them wins only when ahead of each beyond chance
    (``config.fine_tune_p``).

    Args:
        encode: texts -> (N, D) frozen sentence embeddings (the packaged encoder).
        intent_config: the fine-tuning recipe; its epochs are an upper bound: the schedule is sized to the
            epochs the time left allows (timed by the frozen encoding) and validation stops it earlier.
        catalog_words: the catalog's title, brand and category words (lower case): folds hold out phrasings.
        contrastive_config: the contrastive (SetFit) recipe; default :class:`ContrastiveConfig`.
    """
    t0 = time.perf_counter()
    deadline = t0 + config.budget_s
    texts = list(texts)
    names = sorted(set(labels))
    y = np.array([names.index(lab) for lab in labels])
    views = {"new": folds(texts, y, catalog_words, config, encode)}
    seen = folds(texts, y, None, config)
    if not np.array_equal(seen, views["new"]):  # phrasings that could not be held out give the same folds
        views["seen"] = seen
    every = {v: np.ones(len(y), bool) for v in views}
    firsts = {v: fold == 0 for v, fold in views.items()}
    def view_f1(p: Probs, rows: dict[str, np.ndarray]) -> dict[str, float]:
        return {v: round(macro_f1(y[rows[v]], p[v][rows[v]].argmax(axis=1)), 4) for v in views}

    def f1(p: Probs, rows: dict[str, np.ndarray] = every) -> float:
        return round(float(np.mean(list(view_f1(p, rows).values()))), 4)

    def out_of_fold(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Probs:
        out = {}
        for v, fold in views.items():
            out[v] = np.zeros((len(y), len(names)), dtype=np.float32)
            for f in range(int(fold.max()) + 1):
                train, held = fold != f, fold == f
                if len(set(y[train])) < 2:  # a tiny set: a fold whose training rows hold one label predicts it
                    out[v][np.ix_(held, [int(y[train][0])])] = 1.0
                else:
                    out[v][held] = fit_predict(train, held)
        return out

    pick = lambda m: [t for t, r in zip(texts, m) if r]  # noqa: E731
    grid = config.settings

    def tfidf_fit(rows: np.ndarray, setting: Setting) -> TfidfLR:
        return _tfidf_fit(pick(rows), y[rows], names, setting, config.seed)

    tfidf = {g: out_of_fold(lambda tr, te, g=g: tfidf_fit(tr, g).predict_proba(pick(te))) for g in grid}
    tfidf_setting = max(grid, key=lambda g: f1(tfidf[g]))
    t_encode = time.perf_counter()
    emb = encode(texts)
    encode_s = time.perf_counter() - t_encode
    name_emb = encode(label_texts(names))

    def head_fit(rows: np.ndarray, setting: Setting) -> CategoryHead:
        return _head_fit(emb[rows], y[rows], names, name_emb, setting, config.seed)

    def head_probs(head: CategoryHead, rows: np.ndarray) -> np.ndarray:
        return _aligned(head.predict_proba(emb[rows]), head.labels, names)

    heads = {g: out_of_fold(lambda tr, te, g=g: head_probs(head_fit(tr, g), te)) for g in grid}
    head_setting = max(grid, key=lambda g: f1(heads[g]))

    def joint_fit(rows: np.ndarray, setting: JointSetting) -> TfidfLR:
        return _joint_fit(pick(rows), y[rows], emb[rows], names, name_emb, setting, config.seed)

    joints = {g: out_of_fold(lambda tr, te, g=g: joint_fit(tr, g).predict_proba(pick(te), emb[te]))
              for g in config.joint_settings}
    joint_setting = max(config.joint_settings, key=lambda g: f1(joints[g]))
    probs: dict[str, Probs] = {"tfidf_lr": tfidf[tfidf_setting], "embedding_lr": heads[head_setting],
                               "joint": joints[joint_setting]}
    shares: dict[str, float] = {}

    def blend(neural: str, name: str, rows: dict[str, np.ndarray] = every) -> None:
        def mixed(s: float) -> Probs:
            return {v: s * probs[neural][v] + (1 - s) * probs["tfidf_lr"][v] for v in views}

        shares[name] = max(config.shares, key=lambda s: f1(mixed(s), rows))
        probs[name] = mixed(shares[name])

    def row(method: str, rows: dict[str, np.ndarray], setting: str, cross_validated: bool) -> dict:
        score = f1(probs[method], rows)
        return {"method": method, "val_macro_f1": score, "cv_macro_f1": score if cross_validated else None,
                "fold0_macro_f1": f1(probs[method], firsts), "setting": setting,
                **({f"{v}_phrasings_macro_f1": x for v, x in view_f1(probs[method], rows).items()}
                   if len(views) > 1 else {})}

    def stacked(m: str, on: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Every view's held-out predictions of ``m`` (on ``on``'s rows), one below another, and their truth."""
        on = on or (firsts if m.removesuffix("_blend") in ("contrastive", "fine_tune") else every)
        return np.vstack([probs[m][v][on[v]] for v in views]), np.concatenate([y[on[v]] for v in views])

    def lead_p(a: str, b: str) -> float:
        """One-sided p that ``a`` is not ahead of ``b`` on every view's fold 0 (mean of the views' gaps)."""
        view = np.concatenate([np.full(int(firsts[v].sum()), i) for i, v in enumerate(views)])
        (pa, truth), (pb, _) = stacked(a, firsts), stacked(b, firsts)
        return macro_f1_p(truth, pa.argmax(1), pb.argmax(1), view, "greater", StatsConfig(permutations=2000))

    blend("embedding_lr", "blend")
    settings = {"tfidf_lr": setting_words(tfidf_setting), "embedding_lr": setting_words(head_setting),
                "joint": setting_words(joint_setting), "blend": f"share {shares['blend']:g}"}
    rows = [row(m, every, settings[m], True) for m in FAST]
    fast = max(rows, key=lambda r: r["cv_macro_f1"])  # ties: the cheaper, listed first
    fold0_best = max(r["fold0_macro_f1"] for r in rows)  # a slow model must beat every fast one there
    winner, slow = fast, {}  # slow: method -> its model, trained outside the folds 0
    held = np.logical_or.reduce(list(firsts.values()))
    rest = ~held
    text_s = encode_s / max(len(texts), 1)  # the frozen encoding just timed says how many epochs fit

    def slow_rows(method: str, model: IntentClassifier, setting: str) -> None:
        slow[method] = model
        scored = np.zeros((len(y), len(names)), dtype=np.float32)
        scored[held] = _aligned(model.predict_proba(pick(held)), model.labels, names)
        probs[method] = {v: scored for v in views}
        blend(method, f"{method}_blend", firsts)
        rows.extend([row(method, firsts, setting, False),
                     row(f"{method}_blend", firsts, f"share {shares[f'{method}_blend']:g}", False)])

    def skipped(method: str, why: str) -> None:
        rows.extend({"method": m, "val_macro_f1": None, "cv_macro_f1": None, "fold0_macro_f1": None, "skipped": why}
                    for m in (method, f"{method}_blend"))

    spent = f"time budget ({config.budget_s:g} s) spent"
    if not config.fine_tune:
        skipped("contrastive", "off")
    else:  # few-shot first, in at most half the time left: fine-tuning keeps the rest
        allowance = time.perf_counter() + (deadline - time.perf_counter()) / 2
        try:
            recipe = contrastive_config or ContrastiveConfig(seed=config.seed)
            tuned, info = IntentClassifier.contrastive(pick(rest), [names[j] for j in y[rest]], head_setting[0], recipe,
                                                       _within(allowance, progress), cancel)
            slow_rows("contrastive", tuned, f"{info['pairs']} pairs")
        except _OverBudget:
            skipped("contrastive", f"would not finish in half the time left of the budget ({config.budget_s:g} s)")
    if not config.fine_tune:
        skipped("fine_tune", "off")
    elif time.perf_counter() >= deadline:
        skipped("fine_tune", spent)
    else:
        fine_recipe = intent_config or IntentConfig(seed=config.seed)
        # an epoch: a forward and backward pass (about 3 forwards) over the training rows, a forward over the held-out
        epoch_s = text_s * (3 * rest.sum() + held.sum())
        fits = int((deadline - time.perf_counter()) // max(epoch_s, 1e-3))
        fine_recipe = replace(fine_recipe, epochs=max(1, min(fine_recipe.epochs, fits)))
        # the head starts from the embedding regression (its chosen C) fitted on the same training rows
        fine, info = IntentClassifier.train(pick(rest), [names[j] for j in y[rest]], fine_recipe, progress, cancel,
                                            val=(pick(held), [names[j] for j in y[held]]), deadline=deadline,
                                            start=head_fit(rest, head_setting))
        slow_rows("fine_tune", fine, f"{info['epochs_run']} epoch{'' if info['epochs_run'] == 1 else 's'}")
    tried = ""
    scored_slow = [r for r in rows[len(FAST):] if r["val_macro_f1"] is not None]
    if scored_slow:
        best_fine = max(scored_slow, key=lambda r: r["fold0_macro_f1"])
        best_fine["fold0_p"] = max(lead_p(best_fine["method"], r["method"]) for r in rows[:len(FAST)])
        if best_fine["fold0_macro_f1"] > fold0_best and best_fine["fold0_p"] < config.fine_tune_p:
            winner = best_fine
        lead, luck = best_fine["fold0_macro_f1"] > fold0_best, f"p = {best_fine['fold0_p']:.2f}"
        verdict = (f"beats every fast method there (best {fold0_best:.3f}) by more than luck would ({luck})"
                   if winner is best_fine else
                   f"leads every fast method there (best {fold0_best:.3f}) by no more than luck could ({luck}; "
                   f"needs < {config.fine_tune_p:g})" if lead else
                   f"does not beat the best fast method there ({fold0_best:.3f})")
        tried = (f"; on the {int(held.sum())} queries the slow methods did not learn from, "
                 f"{WORDS[best_fine['method']]} ({best_fine['fold0_macro_f1']:.3f}) {verdict}")
    rows.sort(key=lambda r: METHODS.index(r["method"]))
    method = winner["method"]

    for r in rows:
        if r["val_macro_f1"] is not None:
            r["val_ece"] = round(expected_calibration_error(*stacked(r["method"])), 4)
    temperature = fit_temperature(*stacked(method))
    both = "new and seen phrasings" if len(views) > 1 else "held-out folds"
    why = (f"best macro-F1 of the fast methods over all {len(y)} labelled queries ({both}): "
           f"{WORDS[fast['method']]} {fast['cv_macro_f1']:.3f}{tried}")
    model = LabelModel(method, names, temperature, shares.get(method, 1.0), candidates=rows, why=why, encode=encode)
    everything = np.ones(len(y), bool)  # the fast parts refitted on every labelled query with the chosen settings
    if method == "tfidf_lr" or method.endswith("blend"):
        model.tfidf = tfidf_fit(everything, tfidf_setting)
    if method == "joint":
        model.tfidf = joint_fit(everything, joint_setting)
    if method in ("embedding_lr", "blend"):
        model.head = head_fit(everything, head_setting)
    if method.removesuffix("_blend") in slow:
        model.fine_tuned = slow[method.removesuffix("_blend")]  # trained outside the held-out folds
    return model


def label_texts(names: Sequence[str]) -> list[str]:
    """Each label's name as a query would word it (``deal_seeking`` -> ``deal seeking``)."""
    return [str(n).replace("_", " ") for n in names]


def setting_words(setting: Setting | JointSetting) -> str:
    """A fast candidate's chosen setting in words: ``C=10``, ``C=10, label names as examples`` or, for ``joint``
    with an embedding scale other than 1, ``C=10, embedding x2``."""
    return (f"C={setting[0]:g}" + (", label names as examples" if setting[1] else "")
            + (f", embedding x{setting[2]:g}" if len(setting) > 2 and setting[2] != 1 else ""))


def _tfidf_fit(texts: list[str], y: np.ndarray, names: list[str], setting: Setting, seed: int) -> TfidfLR:
    """TF-IDF + LR on ``texts`` (label columns ``y``), with each label's name as one more example when asked."""
    c, named = setting
    extra = label_texts(names) if named else []
    return TfidfLR.fit(texts + extra, np.concatenate([y, np.arange(len(extra))]), len(names), c, seed)


def _head_fit(emb: np.ndarray, y: np.ndarray, names: list[str], name_emb: np.ndarray, setting: Setting,
              seed: int) -> CategoryHead:
    """LR on embeddings ``emb`` (label columns ``y``), with each label's embedded name as one more example when
    asked."""
    c, named = setting
    extra = names if named else []
    return CategoryHead.fit(np.vstack([emb, name_emb[:len(extra)]]), [names[j] for j in y] + extra, c, seed)


def _joint_fit(texts: list[str], y: np.ndarray, emb: np.ndarray, names: list[str], name_emb: np.ndarray,
               setting: JointSetting, seed: int) -> TfidfLR:
    """One LR over TF-IDF of ``texts`` and their embeddings ``emb`` (label columns ``y``), with each label's name
    (and its embedding) as one more example when asked."""
    c, named, scale = setting
    extra = label_texts(names) if named else []
    return TfidfLR.fit(texts + extra, np.concatenate([y, np.arange(len(extra))]), len(names), c, seed,
                       dense=np.vstack([emb, name_emb[:len(extra)]]), dense_scale=scale)


class _OverBudget(Exception):
    """A slow candidate would not finish in its time."""


def _within(deadline: float, progress=None, after: int = 5):
    """A training progress callback that passes reports on to ``progress`` and raises :class:`_OverBudget` as soon
    as the pace of steps 2 to ``after`` (the first one pays for warming up) says the run would end after
    ``deadline``; a few steps are lost."""
    first: list[float] = []

    def report(p) -> None:
        if progress is not None:
            progress(p)
        now = time.perf_counter()
        if p.step == 1:
            first.append(now)
        elif first and p.step >= after and now + (now - first[0]) / (p.step - 1) * (p.total_steps - p.step) > deadline:
            raise _OverBudget
    return report


CURVE_STEPS = (2, 4, 8, 16, 32, 64, 128)  # labelled queries per label; a step past the largest label is left out


def learning_curve(texts: Sequence[str], labels: Sequence[str], encode: Encode,
                   catalog_words: set[str] | None = None, config: SelectionConfig = SelectionConfig(),
                   steps: Sequence[int] = CURVE_STEPS) -> list[dict]:
    """Validation macro-F1 of TF-IDF + LR, the joint regression and the embedding blend (the fast candidates,
    each with its best setting, label names as examples included) trained on at most ``n`` queries per label,
    for each ``n`` of ``steps``: where more labels stop paying. Validation is :func:`choose`'s fold 0, never
    shrunk; the training rows kept per label are a seeded sample of the others.

    Returns:
        rows ``per_label``, ``method`` (words), ``val_macro_f1``.
    """
    names = sorted(set(labels))
    y = np.array([names.index(lab) for lab in labels])
    fold = folds(texts, y, catalog_words, config, encode)
    fit_i, val_i = np.flatnonzero(fold != 0), np.flatnonzero(fold == 0)
    emb = encode(list(texts))
    name_emb = encode(label_texts(names))
    grid = config.settings
    val_t = [texts[i] for i in val_i]
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(fit_i)
    most = int(np.bincount(y[fit_i], minlength=len(names)).max())
    out = []
    for n in [s for s in steps if s < most] + [most]:
        kept = np.sort(np.concatenate([order[y[order] == k][:n] for k in range(len(names))]))
        if len(set(y[kept])) < 2:
            continue

        def f1(p: np.ndarray) -> float:
            return round(macro_f1(y[val_i], p.argmax(axis=1)), 4)

        words = max((_tfidf_fit([texts[i] for i in kept], y[kept], names, g, config.seed).predict_proba(val_t)
                     for g in grid), key=f1)
        heads = [_head_fit(emb[kept], y[kept], names, name_emb, g, config.seed) for g in grid]
        neural = [_aligned(head.predict_proba(emb[val_i]), head.labels, names) for head in heads]
        blended = max((s * p + (1 - s) * words for p in neural for s in config.shares), key=f1)
        joint = max((_joint_fit([texts[i] for i in kept], y[kept], emb[kept], names, name_emb, g, config.seed)
                     .predict_proba(val_t, emb[val_i]) for g in config.joint_settings), key=f1)
        out += [{"per_label": n, "method": WORDS[m], "val_macro_f1": f1(p)}
                for m, p in (("tfidf_lr", words), ("joint", joint), ("blend", blended))]
    return out
