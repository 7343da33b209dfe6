"""A data set's ranking profile: the weights each intent's searches start from, versioned in its registry.

A profile holds only what was saved (an intent's weights as overrides of the general defaults); an
intent it does not name starts from :func:`ecomrec.ranking.default_weights` (today's defaults for the
eight shopping intents, neutral for a shop's own labels). Profiles are registry versions of the role
``ranking`` (``registry/<data set>/ranking/<version>/``), so each save is a new version with a
manifest, written atomically, and the active one is what searches read.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType

from ecomrec.models.registry import Registry
from ecomrec.ranking import RankingWeights, default_weights

PROFILE_ROLE = "ranking"  # its registry folder
PROFILE_FILE = "ranking_profile.json"


def weight_overrides(weights: RankingWeights) -> dict[str, float]:
    """The weights that differ from the general defaults (what an intent changes)."""
    base = asdict(RankingWeights())
    return {k: v for k, v in asdict(weights).items() if base[k] != v}


@dataclass(frozen=True)
class RankingProfile:
    """What searches start from.

    Attributes:
        version: the registry version it was read from (None: nothing saved yet, every default).
        intent_overrides: intent label -> weight overrides of the general defaults.
    """

    version: str | None = None
    intent_overrides: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def weights(self, intent: str | None) -> RankingWeights:
        """The weights a search read as ``intent`` starts from."""
        if intent in self.intent_overrides:
            return RankingWeights().with_overrides(dict(self.intent_overrides[intent]))
        return default_weights(intent)

    def with_intent(self, intent: str, weights: RankingWeights) -> RankingProfile:
        """A copy (unsaved) where ``intent`` starts from ``weights``."""
        return RankingProfile(None, MappingProxyType({**self.intent_overrides, intent: weight_overrides(weights)}))


def active_profile(registry: Registry) -> RankingProfile:
    """The active profile of ``registry``'s data set (every default when none was saved)."""
    version = registry.active(PROFILE_ROLE)
    if version is None:
        return RankingProfile()
    saved = json.loads((registry.path(PROFILE_ROLE, version) / PROFILE_FILE).read_text())
    return RankingProfile(version, MappingProxyType({k: dict(v) for k, v in saved["intent_overrides"].items()}))


def save_profile(registry: Registry, profile: RankingProfile, why: str, dataset_fingerprint: str) -> str:
    """Save ``profile`` as a new version and make it active; returns the version.

    Args:
        why: what made it (e.g. "weights saved on the Search page"), kept in the manifest.
    """
    def write(folder: Path) -> None:
        (folder / PROFILE_FILE).write_text(json.dumps({"intent_overrides": dict(profile.intent_overrides)},
                                                      indent=1, sort_keys=True) + "\n")

    version = registry.save(PROFILE_ROLE, write, {
        "base_model": "", "data_fingerprint": "", "hyperparameters": {"why": why}, "seed": 0, "metrics": {},
        "device": "", "train_s": 0.0, "dataset": registry.root.name, "dataset_fingerprint": dataset_fingerprint})
    registry.activate(PROFILE_ROLE, version)
    return version
