"""The model service: one data set's registry, its loaded versions, their status, training and activation.

Searches read the active models as one frozen :class:`~ecomrec.search.searcher.SearchModels`, resolved
again only when the registry's active versions change.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import first_run
from ecomrec import schema as S
from ecomrec.models.registry import MANIFEST, Manifest, Registry
from ecomrec.roles import ROLES
from ecomrec.search.ranking_profile import PROFILE_ROLE, active_profile
from ecomrec.search.searcher import SearchModels, remedy
from ecomrec.services.catalog import Catalog
from ecomrec.trainers import train_reranker_on_judgments

if TYPE_CHECKING:
    from ecomrec.data.qrels import Judgments
    from ecomrec.explain import TokenAttribution
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.intent import IntentClassifier
    from ecomrec.models.label_model import LabelModel
    from ecomrec.models.reranker import CrossEncoderReranker
    from ecomrec.models.sequential import SequentialRecommender
    from ecomrec.models.training import CancelFn, ProgressFn
    from ecomrec.trainers import TrainingInputs


class Models:
    """Trained models of one data set.

    Args:
        registry: the data set's registry.
        catalog: the data set (its held-out queries, its fingerprint).
        device: where models run (None: cuda when available, else cpu).
        runtime: how a CPU runs the intent model and the reranker (:data:`ecomrec.models.hf.RUNTIMES`).
        inputs: builds what the trainers read (the engine's composition of catalog, embeddings and labels).
        lock: the engine's lock (loaded models are shared by every browser session).
    """

    def __init__(self, registry: Registry, catalog: Catalog, device: str | None, runtime: str,
                 inputs: Callable[[], TrainingInputs], lock: threading.RLock) -> None:
        self.registry = registry
        self.catalog = catalog
        self.device = device
        self.runtime = runtime
        self._inputs = inputs
        self._lock = lock
        self._loaded: dict[tuple[Path, str], object] = {}  # (version folder, model kind) -> model
        self._bundles: dict[tuple, SearchModels] = {}  # active versions -> what searches read
        self._usable: dict[tuple[str, str], tuple[str | None, str | None]] = {}  # (role, active) -> usable()
        self._readiness: dict[str, str | None] | None = None

    # ---- versions ----
    def active(self, role: str) -> str | None:
        """The active version of ``role``, or None."""
        return self.registry.active(role)

    def versions(self, role: str) -> list[Manifest]:
        """Every version of ``role``, oldest first."""
        return self.registry.versions(role)

    def manifest(self, role: str, version: str | None = None) -> Manifest:
        """The manifest of ``version`` (default: the active one)."""
        return self.registry.manifest(role, version)

    def activate(self, role: str, version: str) -> None:
        """Make ``version`` of ``role`` the active one; searches and recommendations use it from the next call."""
        self.registry.activate(role, version)

    def cannot_train(self, role: str) -> str | None:
        """Why this data set cannot train ``role`` (None when it can); computed once per role (data never changes)."""
        with self._lock:
            if self._readiness is None:
                self._readiness = {name: r.cannot_train(self.catalog.data) for name, r in ROLES.items()}
            return self._readiness[role]

    def status(self) -> list[dict]:
        """Per trainable role: its label, the active version (None), the data set it was trained on, whether
        that data has changed since (fingerprint), why this data set cannot train it (None) and what the
        app does without it."""
        out = []
        for role in ROLES.values():
            version = self.active(role.name)
            m = next((v for v in self.versions(role.name) if v.version == version), None)
            stale = bool(m and m.dataset_fingerprint and m.dataset_fingerprint != self.catalog.fingerprint)
            out.append({"role": role.name, "label": role.label, "version": version,
                        "dataset": m.dataset if m else None, "stale": stale,
                        "cannot_train": self.cannot_train(role.name), "without": role.without})
        return out

    def train(self, role: str, config=None, progress: ProgressFn | None = None, activate: bool | None = None,
              cancel: CancelFn | None = None) -> Manifest:
        """Train a new version of ``role`` (a name in :data:`ecomrec.roles.ROLES`) and register it.

        Metrics are measured on the held-out test queries; choices are made on validation. The new version
        becomes active when ``activate`` is True, or when it is None and no version is active yet (the
        bi-encoder only when it beats the packaged model).

        Args:
            config: the role's config dataclass (default: its defaults with the engine's seed).
            progress: called with a :class:`~ecomrec.models.training.TrainProgress` after every step.
            cancel: returns True to stop; raises :class:`~ecomrec.models.training.TrainingCancelled`.

        Raises:
            ValueError: for an unknown role, or naming what this data set lacks to train it.
        """
        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r}; trainable: {list(ROLES)}")
        return ROLES[role].train(self._inputs(), config, progress, activate, cancel)

    def train_reranker_on_judgments(self, train: Judgments, val: Judgments, config=None,
                                    progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                                    pipeline_val: Callable[[object | None], float] | None = None) -> Manifest:
        """Train the reranker from a judgment list's train queries; activated only when ``pipeline_val`` (the
        search pipeline's validation NDCG@10 with a reranker, or None for without) says it helps. See
        :func:`ecomrec.trainers.train_reranker_on_judgments`."""
        return train_reranker_on_judgments(self._inputs(), train, val, config, progress, cancel, pipeline_val)

    # ---- loaded models ----
    def intent(self, version: str | None = None) -> LabelModel | IntentClassifier:
        """The intent classifier of ``version`` (default: the active one), loaded once per version: the label
        model its training chose, or (versions saved before methods were chosen) a bare fine-tuned classifier."""
        from ecomrec.models.intent import IntentClassifier
        from ecomrec.models.label_model import LabelModel

        if LabelModel.saved_in(self.registry.path("intent", version)):
            # the encoder loads only when an embedding head first needs it (a TF-IDF model never does)
            return self._load("intent", version, LabelModel,
                              encode=lambda texts: self._inputs().base_encoder().encode(texts))
        return self._load("intent", version, IntentClassifier)

    def category_head(self, version: str | None = None) -> CategoryHead | None:
        """The category head saved with intent ``version`` (default: active); None when it has none."""
        from ecomrec.models.category import CategoryHead

        return self._load("intent", version, CategoryHead, runtime_applies=False)

    def reranker(self, version: str | None = None) -> CrossEncoderReranker:
        """The cross-encoder reranker of ``version`` (default: the active one), loaded once per version."""
        from ecomrec.models.reranker import CrossEncoderReranker

        return self._load("reranker", version, CrossEncoderReranker)

    def sequential(self, version: str | None = None) -> SequentialRecommender:
        """The sequential recommender of ``version`` (default: the active one), loaded once per version."""
        from ecomrec.models.sequential import SequentialRecommender

        return self._load("sequential", version, SequentialRecommender, runtime_applies=False)  # small already

    def active_intent(self) -> LabelModel | IntentClassifier | None:
        """The active intent classifier, or None when none is active or the active version holds only a
        category head (a data set whose queries carry categories but no intents)."""

        return self.intent() if self.holds_classifier() else None

    def _load(self, role: str, version: str | None, kind: type, runtime_applies: bool = True, **extra):
        """``kind.load`` of a registry version (the :class:`~ecomrec.models.contract.SavedModel` contract; ``extra``
        goes to it), once per (folder, kind); in the configured runtime when ``runtime_applies`` (the classifiers;
        small models stay as they are)."""
        folder = self.registry.path(role, version)
        key = (folder, kind.__qualname__)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = kind.load(folder, self.device, **extra, runtime=self.runtime) \
                    if runtime_applies else kind.load(folder, self.device, **extra)
            return self._loaded[key]

    def search_models(self) -> SearchModels:
        """The active intent model, category head, reranker and ranking profile, resolved once per change of
        the active versions; a version whose files cannot be read is replaced by its last good one
        (:meth:`usable`) and the search says so; the roles the first run is training in the background now."""
        versions = (self.active("intent"), self.active("reranker"), self.active(PROFILE_ROLE))
        with self._lock:
            if versions not in self._bundles:
                intent, why_intent = self.usable("intent", lambda v: (self.category_head(v),
                                                                      self.holds_classifier(v) and self.intent(v)))
                reranker, why_reranker = self.usable("reranker", self.reranker)
                self._bundles[versions] = SearchModels(
                    intent=self.intent(intent) if intent and self.holds_classifier(intent) else None,
                    category=self.category_head(intent) if intent else None,
                    reranker=self.reranker(reranker) if reranker else None, profile=active_profile(self.registry),
                    versions=(intent, reranker, versions[2]),
                    notices=tuple(n for n in (why_intent, why_reranker) if n))
            bundle = self._bundles[versions]
        training = self.training_now()
        return replace(bundle, training=training) if training else bundle

    def training_now(self) -> frozenset[str]:
        """The roles the first run is still training in the background (read each time: it ends without a version
        change)."""
        background = first_run.active(self.registry.root)
        return frozenset() if background is None else frozenset(background.stages) - set(background.done)

    def remedy(self, role: str) -> str:
        """What a person can do about ``role`` having no model now: wait for the background run, or train one."""
        return remedy(role, self.training_now())

    def usable(self, role: str, load: Callable[[str], object]) -> tuple[str | None, str | None]:
        """The version of ``role`` to use, and what to tell people about it (None when all is well).

        The active version when ``load(version)`` reads it. When its files are corrupt or half-copied (a disk
        filled up, a folder copied by hand), the newest other version that loads, with a notice naming both; the
        ACTIVE marker is left alone (retraining or activating another is the user's call, on the Train page).
        (None, notice) when no version loads; (None, None) when none is active. Decided once per active version.
        """
        active = self.active(role)
        if active is None:
            return None, None
        with self._lock:
            if (role, active) not in self._usable:
                self._usable[role, active] = self._first_readable(role, active, load)
            return self._usable[role, active]

    def _first_readable(self, role: str, active: str, load: Callable[[str], object]) -> tuple[str | None, str | None]:
        label = ROLES[role].label if role in ROLES else role
        complete = [m.version for m in reversed(self.versions(role))]  # newest first; an unreadable manifest is not
        problem = None if active in complete else f"its {MANIFEST} cannot be read"
        for version in [active, *(v for v in complete if v != active)]:
            if version not in complete:
                continue
            try:
                load(version)
            except Exception as exc:  # noqa: BLE001 - a damaged version raises whatever its file reader raises
                problem = problem or f"{type(exc).__name__}: {str(exc)[:160]}"
                continue
            if version == active:
                return active, None
            return version, (f"The active {label} version {active} cannot be read ({problem}), so the last good "
                             f"version {version} is used. Retrain it, or activate another, on the Train page.")
        return None, (f"No {label} version can be read (the active one, {active}: {problem}), so the app works "
                      "without it. Retrain it on the Train page.")

    # ---- what a version does ----
    def intent_test_predictions(self, version: str | None = None) -> pd.DataFrame:
        """Held-out test queries with true and predicted intent for ``version`` (default: active)."""
        test = self.catalog.queries_test.dropna(subset=[S.INTENT])
        with self._lock:
            pred = [p.label for p in self.intent(version).predict(test[S.TEXT].tolist())]
        return pd.DataFrame({S.TEXT: test[S.TEXT].to_numpy(), "true": test[S.INTENT].to_numpy(), "pred": pred})

    def label_choice(self, version: str | None = None) -> LabelModel | None:
        """The intent version's label model (its method, the candidates validation scored, why it won); None for
        versions saved before methods were chosen, or holding only a category head."""
        from ecomrec.models.label_model import LabelModel

        model = self.intent(version) if self.holds_classifier(version) else None
        return model if isinstance(model, LabelModel) else None

    def holds_classifier(self, version: str | None = None) -> bool:
        """Whether intent ``version`` (default: active) holds a classifier (not a category head alone)."""
        from ecomrec.models.intent import IntentClassifier
        from ecomrec.models.label_model import LabelModel

        if version is None and self.active("intent") is None:
            return False
        folder = self.registry.path("intent", version)
        return LabelModel.saved_in(folder) or IntentClassifier.saved_in(folder)

    def label_learning_curve(self) -> list[dict]:
        """How validation macro-F1 grows with labelled queries per label, for the intent training rows the
        trainer would read (:func:`ecomrec.models.label_model.learning_curve`; the test split never read)."""
        from ecomrec.models.label_model import learning_curve
        from ecomrec.trainers import catalog_words, intent_training_rows

        inputs = self._inputs()
        rows, _ = intent_training_rows(inputs.data, inputs.annotations())
        if rows[S.INTENT].nunique() < 2:
            return []
        return learning_curve(rows[S.TEXT].tolist(), rows[S.INTENT].tolist(), inputs.base_encoder().encode,
                              catalog_words(inputs.data.products))

    def intent_reliability(self, version: str | None = None) -> tuple[pd.DataFrame, float]:
        """The reliability table and expected calibration error of ``version``'s confidences on the held-out
        test queries (:mod:`ecomrec.evaluation.calibration`); an empty table without labelled test queries."""
        from ecomrec.evaluation.calibration import expected_calibration_error, reliability

        model = self.intent(version)
        test = self.catalog.queries_test.dropna(subset=[S.INTENT])
        test = test[test[S.INTENT].isin(model.labels)]
        if test.empty:
            return pd.DataFrame(columns=["bin", "confidence", "accuracy", "count", "low", "high"]), 0.0
        with self._lock:
            probs = model.predict_proba(test[S.TEXT].tolist())
        y = np.array([model.labels.index(lab) for lab in test[S.INTENT]])
        return reliability(probs, y), expected_calibration_error(probs, y)

    def explain_intent(self, text: str, label: str | None = None) -> tuple[str, list[TokenAttribution]]:
        """Which words of ``text`` drove the active intent model to ``label`` (default: its prediction).

        Returns:
            (the label explained, one attribution per word); see :func:`ecomrec.explain.intent_attributions`.

        Raises:
            KeyError: when no intent model is active (the message says how to train one).
        """
        from ecomrec.explain import intent_attributions

        with self._lock:
            return intent_attributions(self.intent(), text, label)
