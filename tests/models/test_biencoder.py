"""Bi-encoder fine-tuning through sentence-transformers' trainer, and the keep-only-if-better rule."""
from dataclasses import replace

import numpy as np
import pytest

from ecomrec import Engine
from ecomrec.models.biencoder import BiencoderConfig, finetune_biencoder

FAST = BiencoderConfig(epochs=1, batch_size=8)


@pytest.mark.slow
def test_finetuning_moves_queries_towards_their_clicked_products():
    queries = ["tent for two", "coffee filters", "dog food for puppies", "phone case"] * 4
    docs = ["Halden Ridge Tent, 2-person | Tents", "Brevo Paper Filters, size 4 | Coffee Filters",
            "Calax Puppy Dog Food, 2kg | Dog Food", "Velora Slim Case for X5 | Phone Cases"] * 4
    seen = []
    enc, info = finetune_biencoder(queries, docs, FAST, progress=seen.append)
    assert seen and seen[-1].step == seen[-1].total_steps and len(info["history"]) == len(seen)
    q, d = enc.encode(queries[:4]), enc.encode(docs[:4])
    assert (np.argmax(q @ d.T, axis=1) == np.arange(4)).all()
    assert enc.fingerprint != finetune_biencoder(queries[:8], docs[:8], FAST)[0].fingerprint


@pytest.mark.slow
def test_engine_keeps_the_packaged_encoder_unless_the_new_one_is_better_on_validation(tiny_engine, tmp_path):
    engine = Engine(tiny_engine.catalog.data, replace(tiny_engine.config, registry_dir=tmp_path),
                    tiny_engine.embeddings.encoder)
    manifest = engine.models.train("biencoder", FAST)
    m = manifest.metrics
    assert {"val_ndcg@10", "baseline_packaged_val_ndcg@10", "beats_base"} <= set(m)
    # the choice is made on validation queries, never on the test split
    assert m["beats_base"] == (m["val_ndcg@10"] > m["baseline_packaged_val_ndcg@10"])
    assert engine.models.registry.active("biencoder") == (manifest.version if m["beats_base"] else None)
    assert (engine.models.registry.path("biencoder", manifest.version) / "model.safetensors").exists()
    if m["beats_base"]:  # a fresh engine retrieves with the fine-tuned encoder
        assert Engine(tiny_engine.catalog.data, engine.config).status()["encoder"].endswith(manifest.version)
