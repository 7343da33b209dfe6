"""ONNX Runtime paths: the same scores as PyTorch within a tolerance, exports made once per version's weights and
never used for other weights, and the engine's models loaded in the configured runtime."""
import numpy as np
import pytest

from ecomrec.models.hf import RUNTIMES
from ecomrec.models.onnx_runtime import ONNX_DIR, RECORD, weights_digest
from ecomrec.models.reranker import CrossEncoderReranker, RerankerConfig

FAST = RerankerConfig(epochs=1, batch_size=16)
PAIRS = [("two person tent", "Halden Ridge Tent, 2-person, green | Halden | Tents", 1.0),
         ("two person tent", "Calax Tundra Everyday Dog Food, 12kg | Calax | Dog Food", 0.0),
         ("espresso machine", "Brevo Crema Espresso Machine, 15 bar | Brevo | Coffee Makers", 1.0),
         ("espresso machine", "Norvik Trail Sleeping Bag, -5C | Norvik | Sleeping Bags", 0.0)] * 8
DOCS = [p[1] for p in PAIRS[:4]]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    q, d, t = zip(*PAIRS)
    ranker, _ = CrossEncoderReranker.train(q, d, t, [1.0] * len(t), FAST)
    folder = tmp_path_factory.mktemp("reranker")
    ranker.save(folder)
    return CrossEncoderReranker.load(folder, "cpu"), folder


def test_onnx_fp32_scores_as_pytorch_and_int8_keeps_the_order(saved):
    ranker, folder = saved
    torch_scores = ranker.score("two person tent", DOCS)
    fp32 = ranker.in_runtime("onnx", folder).score("two person tent", DOCS)
    int8 = ranker.in_runtime("onnx-int8", folder).score("two person tent", DOCS)
    np.testing.assert_allclose(fp32, torch_scores, atol=1e-4)
    assert np.argmax(int8) == np.argmax(torch_scores) and np.abs(int8 - torch_scores).max() < 0.5
    assert ranker.in_runtime("torch", folder) is ranker  # PyTorch fp32: the model itself
    np.testing.assert_allclose(ranker.score("two person tent", DOCS), torch_scores, atol=1e-6)  # export left it be
    assert not ranker.model.training


def test_an_export_is_made_once_and_never_used_for_other_weights(saved, tmp_path):
    ranker, _ = saved
    ranker.save(tmp_path)
    first = CrossEncoderReranker.load(tmp_path, "cpu")
    first.in_runtime("onnx", tmp_path)
    record, made = tmp_path / ONNX_DIR / RECORD, (tmp_path / ONNX_DIR / "fp32.onnx").stat().st_mtime_ns
    first.in_runtime("onnx", tmp_path)  # same weights: the export is reused
    assert (tmp_path / ONNX_DIR / "fp32.onnx").stat().st_mtime_ns == made
    # other weights in the same folder (a new version written where an old one's export lies): exported again
    q, d, t = zip(*PAIRS)
    other, _ = CrossEncoderReranker.train(q, d, [1.0 - x for x in t], [1.0] * len(t), FAST)
    other.save(tmp_path)
    assert weights_digest(tmp_path) not in record.read_text()  # the export there is the old weights'
    fresh = CrossEncoderReranker.load(tmp_path, "cpu")
    np.testing.assert_allclose(fresh.in_runtime("onnx", tmp_path).score("espresso machine", DOCS),
                               other.score("espresso machine", DOCS), atol=1e-4)
    assert weights_digest(tmp_path) in record.read_text()
    assert not list((tmp_path / ONNX_DIR).glob("*.tmp"))  # nothing half-written left behind


def test_an_unknown_runtime_is_refused_by_name(saved):
    ranker, folder = saved
    with pytest.raises(ValueError, match="unknown runtime 'tensorrt'"):
        ranker.in_runtime("tensorrt", folder)
    assert RUNTIMES == ("torch", "torch-int8", "onnx", "onnx-int8")


def test_the_engine_runs_its_reranker_in_the_configured_runtime_and_still_searches(search_env, encoder):
    from dataclasses import replace

    from ecomrec import Engine
    from ecomrec.config import Config
    from ecomrec.data.loaders import load_dataset
    from ecomrec.models.onnx_runtime import OnnxForward

    data_dir, registry = search_env
    engine = Engine(load_dataset(data_dir), replace(Config(), registry_dir=registry, runtime="onnx-int8"), encoder)
    assert isinstance(engine.models.reranker().model, OnnxForward)
    torch_engine = Engine(load_dataset(data_dir), replace(Config(), registry_dir=registry, runtime="torch"), encoder)
    onnx_ids = [it.product_id for it in engine.search("tent for two", k=5).items]
    torch_ids = [it.product_id for it in torch_engine.search("tent for two", k=5).items]
    assert len(set(onnx_ids) & set(torch_ids)) >= 3  # int8 moves close scores, not the whole list


def test_a_saved_reranker_loads_from_its_export_alone_and_scores_as_pytorch(saved, tmp_path):
    from ecomrec.models.onnx_runtime import OnnxForward

    ranker, _ = saved
    ranker.save(tmp_path)
    first = CrossEncoderReranker.load(tmp_path, "cpu", runtime="onnx")  # no export yet: made from PyTorch
    again = CrossEncoderReranker.load(tmp_path, "cpu", runtime="onnx")  # the export alone
    assert isinstance(again.model, OnnxForward) and again.layers == ranker.layers
    for loaded in (first, again):
        np.testing.assert_allclose(loaded.score("two person tent", DOCS), ranker.score("two person tent", DOCS),
                                   atol=1e-4)
    assert CrossEncoderReranker.load(tmp_path, "cpu", runtime="torch").model.training is False  # PyTorch still


def test_queries_embedded_by_the_exported_encoder_match_sentence_transformers(encoder, tmp_path):
    from ecomrec.models.encoder import Encoder

    texts = ["  red trail running shoes ", "tent", "gift for my dad who likes camping and coffee " * 12]
    expected = encoder.encode(texts)  # sentence-transformers, PyTorch
    first = Encoder(encoder.config, onnx_dir=tmp_path)
    np.testing.assert_allclose(first.encode(texts), expected, atol=1e-5)  # exported on first use
    (export,) = tmp_path.iterdir()
    made = (export / "fp32.onnx").stat().st_mtime_ns
    fresh = Encoder(encoder.config, onnx_dir=tmp_path)
    np.testing.assert_allclose(fresh.encode(texts[::-1]), expected[::-1], atol=1e-5)
    assert "model" not in fresh.__dict__  # the export alone: PyTorch's model never loaded
    assert (export / "fp32.onnx").stat().st_mtime_ns == made and fresh.dim == expected.shape[1]
    (export / RECORD).write_text('{"weights_sha256": "other weights"}')  # an export of other weights: never used
    np.testing.assert_allclose(Encoder(encoder.config, onnx_dir=tmp_path).encode(texts[:1]), expected[:1], atol=1e-5)
    assert (export / "fp32.onnx").stat().st_mtime_ns != made
