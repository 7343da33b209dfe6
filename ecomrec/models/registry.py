"""Versioned model store: one folder per version, a manifest beside the weights, an active version per role.

Layout::

    registry/<data set>/<role>/<version>/        # Hugging Face / sentence-transformers format (safetensors)
    registry/<data set>/<role>/<version>/manifest.json
    registry/<data set>/<role>/ACTIVE            # the active version's name

A version is written into a hidden staging folder and renamed into place only when complete, so a
run interrupted halfway leaves no half-written version (stale staging folders are swept on open).
Nothing is loaded with pickle. The registry stores any role whose name is a plain folder name; which roles
exist is the role table's business (:data:`ecomrec.roles.ROLES`), above this layer.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from ecomrec.config import default_registry_dir

ROLE_NAME = re.compile(r"[a-z_]+")  # a role is one folder: lowercase letters and underscores, never a path
MANIFEST = "manifest.json"
ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Manifest:
    """What a model version is: where it came from, how it was trained, how well it does."""

    role: str
    version: str
    base_model: str
    data_fingerprint: str
    hyperparameters: dict
    seed: int
    metrics: dict[str, float]
    device: str
    train_s: float
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M:%S"))
    dataset: str = ""  # the data set it was trained on (its folder name)
    dataset_fingerprint: str = ""  # :meth:`ecomrec.data.loaders.Dataset.fingerprint` at training time


class Registry:
    """Save, list, activate and locate model versions.

    Example:
        >>> reg = Registry()
        >>> version = reg.save("intent", model.save, manifest_fields)
        >>> reg.activate("intent", version)
        >>> reg.path("intent")  # the active version's folder
    """

    @classmethod
    def for_dataset(cls, name: str, root: str | Path | None = None) -> Registry:
        """The registry of data set ``name`` (its folder name): ``<root>/<name>/``. Each data set has its own,
        so a model trained on one is never used on another."""
        return cls(Path(root or default_registry_dir()) / name)

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root else default_registry_dir()
        for stale in self.root.glob("*/.staging-*"):  # left by a run that died mid-save
            shutil.rmtree(stale, ignore_errors=True)

    def _role_dir(self, role: str) -> Path:
        if not ROLE_NAME.fullmatch(role):
            raise ValueError(f"bad model role name {role!r}: lowercase letters and underscores only")
        return self.root / role

    def save(self, role: str, write: Callable[[Path], None], manifest: dict) -> str:
        """Write a new version of ``role``: ``write(folder)`` puts the model files in ``folder``.

        Args:
            role: the role's name (its folder: lowercase letters and underscores).
            write: saves the model into the folder it is given.
            manifest: :class:`Manifest` fields except role and version.

        Returns:
            The new version's name (sortable by time).
        """
        base = self._role_dir(role)
        base.mkdir(parents=True, exist_ok=True)
        version = datetime.now().strftime("v%Y%m%d-%H%M%S-%f")  # sorts by time, unique per save
        staging = base / f".staging-{version}"
        staging.mkdir()
        try:
            write(staging)
            record = Manifest(role=role, version=version, **manifest)
            (staging / MANIFEST).write_text(json.dumps(asdict(record), indent=2) + "\n")
            os.replace(staging, base / version)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return version

    def versions(self, role: str) -> list[Manifest]:
        """Every complete version of ``role``, oldest first (a version whose manifest cannot be read is not
        complete: a damaged folder is skipped, never fatal)."""
        base = self._role_dir(role)
        found = []
        for d in sorted(base.glob("v*")) if base.exists() else []:
            try:
                found.append(Manifest(**json.loads((d / MANIFEST).read_text())))
            except (OSError, ValueError, TypeError):  # missing, cut short or not ours
                continue
        return found

    def manifest(self, role: str, version: str | None = None) -> Manifest:
        """The manifest of ``version`` (default: the active one)."""
        folder = self.path(role, version)
        return Manifest(**json.loads((folder / MANIFEST).read_text()))

    def active(self, role: str) -> str | None:
        """The active version of ``role``, or None when nothing was activated."""
        marker = self._role_dir(role) / ACTIVE
        return marker.read_text().strip() if marker.exists() else None

    def activate(self, role: str, version: str) -> None:
        """Make ``version`` the active one: an atomic swap of one small file."""
        base = self._role_dir(role)
        if not (base / version / MANIFEST).exists():
            raise KeyError(f"no version {version!r} of {role}; known: {[m.version for m in self.versions(role)]}")
        tmp = base / f".{ACTIVE}.{uuid.uuid4().hex}"
        tmp.write_text(version + "\n")
        os.replace(tmp, base / ACTIVE)

    def path(self, role: str, version: str | None = None) -> Path:
        """Folder of ``version`` (default: the active one).

        Raises:
            KeyError: when there is no such version or none is active.
        """
        version = version or self.active(role)
        if version is None:
            raise KeyError(f"no active {role} model: train one with `python -m ecomrec train {role}`")
        folder = self._role_dir(role) / version
        if not (folder / MANIFEST).exists():
            raise KeyError(f"no version {version!r} of {role}")
        return folder
