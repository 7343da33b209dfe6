"""A data set's ranking profile: everything a shop can tune about its searches, versioned in its registry.

A profile holds two parts:

* :class:`ProfileSettings`, the retrieval and pool settings (BM25 fields and parameters, fusion, the
  dense similarity floor, candidates per retriever, rerank depth). Every default is the behaviour the
  app had before profiles held them, so an empty profile ranks exactly as before.
* Weight overrides of the general defaults (:class:`ecomrec.ranking.RankingWeights`): per intent
  (``intent_overrides``) and for a search whose intent is unknown (``general_overrides``: no intent
  model, or a label without defaults of its own). An intent the profile does not name starts from
  :func:`ecomrec.ranking.default_weights` (today's defaults for the eight shopping intents).

Profiles are registry versions of the role ``ranking`` (``registry/<data set>/ranking/<version>/``,
``ranking_profile.json`` beside the manifest), so each save is a new version with a manifest, written
atomically; the active one is what searches read, and activating an older one rolls back. Files written
before the settings part existed (only ``intent_overrides``) still load, with every setting at its default.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType

from ecomrec.models.registry import Registry
from ecomrec.ranking import INTENT_WEIGHTS, RankingWeights, default_weights

PROFILE_ROLE = "ranking"  # its registry folder
PROFILE_FILE = "ranking_profile.json"
PROFILE_FORMAT = 2  # 1 (implicit): intent_overrides only; 2: + settings and general_overrides

BM25_FIELDS = ("title", "brand", "category", "description")
"""The product fields the lexical text may hold, in the order they are joined."""
FUSIONS = ("rrf", "weighted", "dense", "bm25")
"""How the candidate pool is formed: reciprocal rank fusion, a weighted sum of normalised scores, or one
retriever's candidates alone (the other retriever's scores still feed their component)."""


@dataclass(frozen=True)
class ProfileSettings:
    """Retrieval and pool settings a search starts from; every default is the behaviour before profiles held it.

    A search preset (``SearchSettings.preset``) still switches parts off (BM25 only, no rerank, ...); these
    supply the parameters of the parts that stay on.
    """

    # every text field: a shopper's words can sit in any of them, and the description holds the long tail
    bm25_fields: tuple[str, ...] = BM25_FIELDS
    bm25_k1: float = 1.5  # bm25s's default: a repeated word stops adding after a few repeats
    bm25_b: float = 0.75  # bm25s's default: long texts are discounted, not ignored
    fusion: str = "rrf"  # ranks, not scores: BM25's unbounded scores and cosines need no common scale
    rrf_k: int = 60  # Cormack et al.'s constant: the top ranks count most without drowning the rest
    # "weighted" fusion: BM25's share α, dense 1 - α, each times 2, so 0.5 is the equal weights 1.0 and 1.0
    alpha: float = 0.5
    candidates: int = 100  # per retriever: leaves room for the price filter before the pool is cut to rerank depth
    # dense hits below this cosine are noise: gibberish scores 0.15-0.28 against the catalog, real queries 0.35+
    min_similarity: float = 0.3
    rerank_depth: int = 30  # pool size: every pooled product is reranked and scored, so cost grows with it
    # the share of the reranked pool kept for products of the category the query is read as (its nearest in
    # meaning, above the dense floor) when the retrievers found fewer, for a category read by a head trained on the
    # shop's labelled queries only: "lantern for sleeping bags" finds only sleeping bags by its words. Chosen on
    # the sample's 248 validation queries (hidden grades) at depth 30: 0, 5, 10, 15, 20, 30 products give NDCG@10
    # 0.763, 0.766, 0.780, 0.780, 0.780, 0.779; 10 is the smallest within 0.005 of the best
    category_share: float = 1 / 3

    def __post_init__(self) -> None:
        chosen = tuple(self.bm25_fields)
        if not chosen or set(chosen) - set(BM25_FIELDS):
            raise ValueError(f"bm25_fields must be a non-empty selection of {list(BM25_FIELDS)}, got {list(chosen)}")
        object.__setattr__(self, "bm25_fields", tuple(f for f in BM25_FIELDS if f in chosen))  # one spelling
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; use one of {list(FUSIONS)}")
        checks = {"bm25_k1": self.bm25_k1 > 0, "bm25_b": 0 <= self.bm25_b <= 1, "rrf_k": self.rrf_k >= 0,
                  "alpha": 0 <= self.alpha <= 1, "candidates": self.candidates >= 1,
                  "min_similarity": -1 <= self.min_similarity <= 1, "rerank_depth": self.rerank_depth >= 1,
                  "category_share": 0 <= self.category_share <= 1}
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"out of range: {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)} "
                             "(k1 > 0, b, alpha and category_share in [0, 1], candidates and rerank depth >= 1, "
                             "rrf_k >= 0)")

    @property
    def lexical_key(self) -> tuple[tuple[str, ...], float, float]:
        """What a lexical index is built from: (fields, k1, b)."""
        return self.bm25_fields, float(self.bm25_k1), float(self.bm25_b)

    def fusion_weights(self) -> tuple[float, float]:
        """(BM25, dense) weights of weighted fusion."""
        return 2.0 * self.alpha, 2.0 * (1.0 - self.alpha)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["bm25_fields"] = list(self.bm25_fields)
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> ProfileSettings:
        """From :meth:`as_dict`'s output; missing names take their defaults, unknown names are ignored (a
        file from a newer version keeps what this one knows)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "bm25_fields" in kw:
            kw["bm25_fields"] = tuple(kw["bm25_fields"])
        return cls(**kw)

    def changes_from(self, other: ProfileSettings) -> dict[str, tuple]:
        """name -> (other's value, this one's) for every setting that differs."""
        return {f.name: (getattr(other, f.name), getattr(self, f.name)) for f in fields(self)
                if getattr(other, f.name) != getattr(self, f.name)}


def weight_overrides(weights: RankingWeights) -> dict[str, float]:
    """The weights that differ from the general defaults (what an intent changes)."""
    base = asdict(RankingWeights())
    return {k: v for k, v in asdict(weights).items() if base[k] != v}


def _frozen(d: Mapping | None) -> MappingProxyType:
    return MappingProxyType({k: dict(v) if isinstance(v, Mapping) else v for k, v in (d or {}).items()})


@dataclass(frozen=True)
class RankingProfile:
    """What searches start from.

    Attributes:
        version: the registry version it was read from (None: unsaved, or nothing saved yet).
        intent_overrides: intent label -> weight overrides of the general defaults.
        settings: retrieval and pool settings.
        general_overrides: weight overrides of the general defaults for a search whose intent is unknown
            (None, or a label with neither an entry here nor defaults of its own).
    """

    version: str | None = None
    intent_overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    settings: ProfileSettings = field(default_factory=ProfileSettings)
    general_overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def weights(self, intent: str | None) -> RankingWeights:
        """The weights a search read as ``intent`` starts from."""
        if intent in self.intent_overrides:
            return RankingWeights().with_overrides(dict(self.intent_overrides[intent]))
        if intent in INTENT_WEIGHTS:
            return default_weights(intent)
        return RankingWeights().with_overrides(dict(self.general_overrides))

    def with_intent(self, intent: str, weights: RankingWeights) -> RankingProfile:
        """A copy (unsaved) where ``intent`` starts from ``weights``."""
        return replace(self, version=None,
                       intent_overrides=MappingProxyType({**self.intent_overrides, intent: weight_overrides(weights)}))

    def with_general(self, weights: RankingWeights) -> RankingProfile:
        """A copy (unsaved) where a search of unknown intent starts from ``weights``."""
        return replace(self, version=None, general_overrides=MappingProxyType(weight_overrides(weights)))

    def with_settings(self, settings: ProfileSettings) -> RankingProfile:
        """A copy (unsaved) with ``settings``."""
        return replace(self, version=None, settings=settings)

    def same_ranking(self, other: RankingProfile) -> bool:
        """True when both rank every query alike (same settings and weight overrides; versions aside)."""
        return (self.settings == other.settings and dict(self.general_overrides) == dict(other.general_overrides)
                and {k: dict(v) for k, v in self.intent_overrides.items()}
                == {k: dict(v) for k, v in other.intent_overrides.items()})

    def to_dict(self) -> dict:
        """What :data:`PROFILE_FILE` holds."""
        return {"format": PROFILE_FORMAT, "settings": self.settings.as_dict(),
                "general_overrides": dict(self.general_overrides),
                "intent_overrides": {k: dict(v) for k, v in self.intent_overrides.items()}}

    @classmethod
    def from_dict(cls, saved: Mapping, version: str | None = None) -> RankingProfile:
        """From :meth:`to_dict`'s output, or a first-format file (``intent_overrides`` only)."""
        for w in [saved.get("general_overrides") or {}, *(saved.get("intent_overrides") or {}).values()]:
            RankingWeights().with_overrides(dict(w))  # an unknown weight name raises here, naming it
        return cls(version, _frozen(saved.get("intent_overrides")),
                   ProfileSettings.from_dict(saved.get("settings") or {}), _frozen(saved.get("general_overrides")))


def load_profile(registry: Registry, version: str) -> RankingProfile:
    """Version ``version`` of ``registry``'s ranking profile."""
    return RankingProfile.from_dict(json.loads((registry.path(PROFILE_ROLE, version) / PROFILE_FILE).read_text()),
                                    version)


def active_profile(registry: Registry) -> RankingProfile:
    """The active profile of ``registry``'s data set (every default when none was saved)."""
    version = registry.active(PROFILE_ROLE)
    return RankingProfile() if version is None else load_profile(registry, version)


def save_profile(registry: Registry, profile: RankingProfile, why: str, dataset_fingerprint: str,
                 metrics: Mapping[str, float] | None = None, tuned: Mapping | None = None,
                 activate: bool = True) -> str:
    """Save ``profile`` as a new version (active unless ``activate`` is False); returns the version.

    Args:
        why: what made it (e.g. "weights saved on the Search page"), kept in the manifest.
        metrics: measurements kept in the manifest (a tuned profile's validation and test NDCG@10, before
            and after).
        tuned: what a tuner chose and how (parts, trials, seed), kept in the manifest's hyperparameters.
    """
    def write(folder: Path) -> None:
        (folder / PROFILE_FILE).write_text(json.dumps(profile.to_dict(), indent=1, sort_keys=True) + "\n")

    hyper = {"why": why, "settings": profile.settings.as_dict(), **({"tuned": dict(tuned)} if tuned else {})}
    version = registry.save(PROFILE_ROLE, write, {
        "base_model": "", "data_fingerprint": "", "hyperparameters": hyper, "seed": 0,
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "device": "", "train_s": 0.0, "dataset": registry.root.name, "dataset_fingerprint": dataset_fingerprint})
    if activate:
        registry.activate(PROFILE_ROLE, version)
    return version
