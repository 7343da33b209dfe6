"""The embedding service: the retrieval encoder, the catalog's embeddings (cached on disk), nearest
products and the 2-D map of the catalog."""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.config import PACKAGED_MODEL, EncoderConfig
from ecomrec.services.catalog import Catalog

if TYPE_CHECKING:
    from ecomrec.models.encoder import Encoder

ProgressFn = Callable[[int, int], None]


class Embeddings:
    """Encoders and the catalog's embeddings.

    Args:
        catalog: the products to embed.
        config: the configured (by default the packaged) encoder.
        fine_tuned: the active fine-tuned bi-encoder's folder, or None: retrieval then uses ``config``'s model.
        cache_dir: where catalog embeddings and maps are cached.
        map_points: catalogs larger than this are mapped through a seeded sample of this many products.
        seed: the map's sample and t-SNE seed.
        lock: the engine's lock (tokenizers are not safe to call from two threads at once).
        encoder: an already loaded encoder to use (engines over several data sets then share one model).
        onnx: whether the encoders run queries in ONNX Runtime (exported into ``cache_dir/onnx``) on a CPU.
    """

    def __init__(self, catalog: Catalog, config: EncoderConfig, fine_tuned: Path | None, cache_dir: Path,
                 map_points: int, seed: int, lock: threading.RLock, encoder: Encoder | None = None,
                 onnx: bool = False) -> None:
        self.catalog = catalog
        self.config = config
        self._retrieval_config = config if fine_tuned is None or config.model != PACKAGED_MODEL \
            else replace(config, model=str(fine_tuned))
        self.cache_dir = Path(cache_dir)
        self._onnx_dir = self.cache_dir / "onnx" if onnx else None
        self.map_points = map_points
        self.seed = seed
        self._lock = lock
        if encoder is not None:
            self.__dict__["encoder"] = encoder  # fills the cached property
        self._embeddings: np.ndarray | None = None
        self.from_cache: bool | None = None  # None until the catalog's embeddings were computed or read

    @cached_property
    def encoder(self) -> Encoder:  # imported lazily so data-only use never loads torch
        """The retrieval bi-encoder, loaded on first use: the active fine-tuned version when there is one,
        else the configured (by default the packaged) model."""
        from ecomrec.models.encoder import Encoder

        return Encoder(self._retrieval_config, onnx_dir=self._onnx_dir)

    @cached_property
    def base_encoder(self) -> Encoder:
        """The packaged (or configured) encoder, never a fine-tuned one: what the category head reads.
        The same object as :attr:`encoder` unless a fine-tuned bi-encoder is active."""
        from ecomrec.models.encoder import Encoder

        return self.encoder if self.model == self.config.model else Encoder(self.config, onnx_dir=self._onnx_dir)

    @property
    def model(self) -> str:
        """The retrieval encoder's model id or folder (what is loaded, or will be)."""
        return self.encoder.config.model if "encoder" in self.__dict__ else self._retrieval_config.model

    @property
    def ready(self) -> bool:
        """Whether the catalog's embeddings are in memory (no encoding or disk read needed)."""
        return self._embeddings is not None

    def cache_file(self) -> Path:
        """Where this catalog's embeddings under the retrieval encoder are (or would be) cached."""
        return self.encoder.cache_path(self.catalog.products[S.PRODUCT_ID].tolist(), self.catalog.product_texts(),
                                       self.cache_dir)

    def on_disk(self) -> bool:
        """Whether the catalog's embeddings are in memory or in the disk cache (reading them encodes nothing)."""
        return self.ready or self.cache_file().exists()

    def catalog_embeddings(self, progress: ProgressFn | None = None) -> np.ndarray:
        """Unit-normalised product embeddings (N, D), from the disk cache when up to date."""
        with self._lock:
            if self._embeddings is None:
                self._embeddings, self.from_cache = self.encoder.encode_cached(
                    self.catalog.products[S.PRODUCT_ID].tolist(), self.catalog.product_texts(), self.cache_dir,
                    progress)
            return self._embeddings

    def dense_retrieve(self, texts: list[str], k: int) -> np.ndarray:
        """Row positions (Q, k) of each text's ``k`` nearest products by embedding cosine, best first."""
        from ecomrec.evaluation.ranking import top_k

        with self._lock:
            return top_k(self.encoder.encode(texts) @ self.catalog_embeddings().T, k)  # scores (Q, N)

    def similar_products(self, product_id: str, k: int = 5) -> pd.DataFrame:
        """The ``k`` products whose embeddings are closest to ``product_id``'s (cosine), with ``similarity``.

        Raises:
            KeyError: naming the unknown id.
        """
        self.catalog.product(product_id)  # raises a clear KeyError for unknown ids
        emb = self.catalog_embeddings()
        i = self.catalog.index.get_loc(product_id)
        sims = emb @ emb[i]  # (N,)
        sims[i] = -np.inf
        top = np.argsort(-sims)[:k]
        out = self.catalog.products.iloc[top].copy()
        out["similarity"] = sims[top]
        return out

    def embedding_map(self, progress: ProgressFn | None = None) -> pd.DataFrame:
        """A 2-D t-SNE map of the catalog embeddings, cached on disk beside them.

        Catalogs over ``map_points`` products are mapped through a random sample of that many (seeded, so
        the same on every start): t-SNE of all 50,000 would take minutes.

        Returns:
            the mapped products' id, title, brand, price, category and department with columns ``x``, ``y``.
        """
        emb = self.catalog_embeddings(progress)
        rows = np.arange(len(emb))
        if len(rows) > self.map_points:
            rng = np.random.default_rng(self.seed)
            rows = np.sort(rng.choice(len(emb), self.map_points, replace=False))
        emb = emb[rows]
        key = hashlib.sha256(emb.tobytes()).hexdigest()[:16]
        path = self.cache_dir / "maps" / f"tsne-{key}.npy"
        if path.exists():
            xy = np.load(path, allow_pickle=False)
        else:
            xy = _tsne(emb, self.seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, xy, allow_pickle=False)
            os.replace(tmp, path)
        p = self.catalog.products.iloc[rows]
        return pd.DataFrame({S.PRODUCT_ID: p[S.PRODUCT_ID], S.TITLE: p[S.TITLE], S.BRAND: p[S.BRAND],
                             S.PRICE: p[S.PRICE], S.CATEGORY: p[S.CATEGORY],
                             "department": p[S.CATEGORY].map(S.department),
                             "x": xy[:, 0], "y": xy[:, 1]}).reset_index(drop=True)

    def status(self) -> dict[str, str]:
        """The encoder in use, where it lies, the device and the state of the catalog's embeddings."""
        from ecomrec.models.device import pick_device, resolve_model_path

        cached = "not built"
        if self._embeddings is not None:
            cached = "loaded from cache" if self.from_cache else "computed this session"
        return {"encoder": self.model, "encoder path": resolve_model_path(self.model),
                "device": pick_device(self.config.device), "catalog embeddings": cached}


def _tsne(emb: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = len(emb)
    if n < 5:  # t-SNE needs more points than its perplexity; a line is honest for tiny catalogs
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    reduced = PCA(n_components=min(50, n - 1, emb.shape[1]), random_state=seed).fit_transform(emb)
    perplexity = float(min(30, max(2, (n - 1) // 3)))
    return TSNE(2, init="pca", perplexity=perplexity, random_state=seed, max_iter=500).fit_transform(reduced)
