"""The packaged MiniLM embeds real text offline, and catalog embeddings are cached on disk."""
import numpy as np

from ecomrec.models.device import pick_device
from ecomrec.models.encoder import Encoder


def test_encoder_embeds_text_by_meaning(encoder):
    emb = encoder.encode(["trail running shoes", "lightweight sneakers for jogging", "drip coffee maker"])
    assert emb.shape == (3, 384)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.2


def test_device_defaults_to_cpu_without_gpu():
    import torch

    assert pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == "cpu"


def test_catalog_cache_is_reused_and_invalidated_by_text_changes(encoder: Encoder, tmp_path):
    ids, texts = ["a", "b"], ["red tent", "blue lantern"]
    calls = []
    first, cached = encoder.encode_cached(ids, texts, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert not cached and calls[-1] == (2, 2)
    again, cached = encoder.encode_cached(ids, texts, tmp_path)
    assert cached and np.array_equal(first, again)
    _, cached = encoder.encode_cached(ids, ["red tent", "green lantern"], tmp_path)
    assert not cached  # an edited title is encoded afresh
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 2


def test_a_corrupt_cache_file_is_rebuilt(encoder: Encoder, tmp_path):
    ids, texts = ["a"], ["red tent"]
    path = encoder.cache_path(ids, texts, tmp_path)
    path.parent.mkdir(parents=True)
    np.save(path, np.zeros((5, 3), dtype=np.float32))
    emb, cached = encoder.encode_cached(ids, texts, tmp_path)
    assert not cached and emb.shape == (1, 384)


def test_another_model_path_can_be_configured(encoder, tmp_path):
    from ecomrec.config import EncoderConfig

    other = Encoder(EncoderConfig(model=encoder.path))  # the same weights, named by a local path
    assert other.name == encoder.path and other.fingerprint != encoder.fingerprint
    assert np.allclose(other.encode(["red tent"]), encoder.encode(["red tent"]), atol=1e-5)


def test_an_interrupted_catalog_encoding_resumes_without_encoding_saved_chunks(encoder: Encoder, tmp_path,
                                                                               monkeypatch):
    import ecomrec.models.encoder as module

    monkeypatch.setattr(module, "CACHE_CHUNK", 2)
    ids = [f"p{i}" for i in range(5)]
    texts = ["red tent", "blue lantern", "camp stove", "down sleeping bag", "trail shoes"]

    def stop_after_first_chunk(done: int, total: int) -> None:
        if done > 2:  # while encoding the second chunk
            raise KeyboardInterrupt  # the user closed the tab / pressed Ctrl-C

    try:
        encoder.encode_cached(ids, texts, tmp_path, stop_after_first_chunk)
    except KeyboardInterrupt:
        pass
    encoded: list[str] = []
    real_encode = encoder._encode_torch
    monkeypatch.setattr(encoder, "_encode_torch",
                        lambda batch, progress=None: encoded.extend(batch) or real_encode(batch))
    emb, cached = encoder.encode_cached(ids, texts, tmp_path)
    assert encoded == texts[2:]  # the first chunk came from disk
    assert not cached and np.allclose(emb, real_encode(texts), atol=1e-5)
    assert not list((tmp_path / "embeddings").glob("*.parts"))  # chunks joined into one file and removed


def test_two_processes_encoding_one_catalog_both_finish_with_the_same_embeddings(encoder: Encoder, tmp_path,
                                                                                 monkeypatch):
    """While this process encodes its first chunk, another one (a second app, build-cache) finishes the catalog:
    joins the chunks and removes their folder. This one does not fail on the missing folder: it takes the
    finished file."""
    import ecomrec.models.encoder as module

    monkeypatch.setattr(module, "CACHE_CHUNK", 2)
    ids = [f"p{i}" for i in range(5)]
    texts = ["red tent", "blue lantern", "camp stove", "down sleeping bag", "trail shoes"]
    other = Encoder(encoder.config)
    real_encode = encoder._encode_torch
    finished: list[bool] = []

    def meanwhile_the_other_finishes(batch, progress=None):
        out = real_encode(batch)
        if not finished:
            finished.append(True)
            other.encode_cached(ids, texts, tmp_path)  # it joins every chunk and removes the parts folder
        return out

    monkeypatch.setattr(encoder, "_encode_torch", meanwhile_the_other_finishes)
    emb, _ = encoder.encode_cached(ids, texts, tmp_path)
    assert np.allclose(emb, real_encode(texts), atol=1e-5)
    assert not list((tmp_path / "embeddings").glob("*.parts"))
