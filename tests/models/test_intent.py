"""Intent classifier and model registry: train on a few dozen rows, save, load, survive interruption."""
import numpy as np
import pytest

from ecomrec import Engine
from ecomrec import schema as S
from ecomrec.models.intent import IntentClassifier, IntentConfig
from ecomrec.models.registry import Registry

FAST = IntentConfig(epochs=1, batch_size=16, val_fraction=0.25)


@pytest.fixture(scope="module")
def few(sample):
    """48 real labelled queries: 6 of each intent."""
    return sample.queries.groupby(S.INTENT).head(6)


@pytest.fixture(scope="module")
def trained(few):
    return IntentClassifier.train(few[S.TEXT].tolist(), few[S.INTENT].tolist(), FAST)


def test_training_reports_progress_and_predicts_every_label(few):
    seen = []
    clf, info = IntentClassifier.train(few[S.TEXT].tolist(), few[S.INTENT].tolist(), FAST, progress=seen.append)
    assert seen[-1].step == seen[-1].total_steps and seen[-1].val_metric is not None
    assert info["epochs_run"] == 1 and len(info["history"]) == seen[-1].total_steps
    pred = clf.predict(["cheap tent under $50", "where is my order"])
    assert set(pred[0].probabilities) == set(S.INTENTS)
    assert abs(sum(pred[0].probabilities.values()) - 1) < 1e-5
    assert pred[0].confidence == max(pred[0].probabilities.values())


def test_save_load_round_trip_gives_identical_predictions(trained, tmp_path):
    clf, _ = trained
    texts = ["gift for my dad who likes camping", "velora x5 pro vs norvik a2", "tent"]
    clf.save(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    again = IntentClassifier.load(tmp_path, "cpu")
    assert again.labels == clf.labels
    assert np.allclose(again.predict_proba(texts), clf.predict_proba(texts), atol=1e-6)


def test_a_head_started_from_the_embedding_regression_predicts_as_it_before_training(few, encoder):
    """LP-FT's starting point: the classifier reads the packaged encoder as a sentence encoder, so with the
    regression's weights it gives the regression's probabilities (sklearn's LR on the same embeddings)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from ecomrec.config import PACKAGED_MODEL
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.device import resolve_model_path
    from ecomrec.models.intent import PooledClassifier

    texts, labels = few[S.TEXT].tolist(), few[S.INTENT].tolist()
    regression = CategoryHead.fit(encoder.encode(texts), labels, c=10.0)
    path = resolve_model_path(PACKAGED_MODEL)
    model = PooledClassifier(AutoModel.from_pretrained(path), list(regression.labels)).eval()
    model.start_from(regression)
    probe = ["cheap tent under $50", "where is my order", "gift for my dad who likes camping"]
    with torch.inference_mode():
        logits = model(**AutoTokenizer.from_pretrained(path)(probe, padding=True, return_tensors="pt")).logits
    assert np.allclose(torch.softmax(logits, -1).numpy(), regression.predict_proba(encoder.encode(probe)), atol=1e-4)


def test_contrastive_training_pulls_each_label_together_and_its_head_is_the_regression_on_its_embeddings(
        few, encoder, tmp_path):
    """The SetFit recipe: 48 queries, 2 passes -> 2 x 48 x (one partner of the same intent + one of another) = 192
    pairs; afterwards queries of one intent sit closer together than under the packaged encoder, and the head is
    logistic regression on the tuned encoder's own embeddings."""
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.intent import ContrastiveConfig

    texts, labels = few[S.TEXT].tolist(), few[S.INTENT].tolist()
    seen = []
    clf, info = IntentClassifier.contrastive(texts, labels, 10.0, ContrastiveConfig(pairs_per_text=2),
                                             progress=seen.append)
    assert info["pairs"] == 192 and seen[-1].step == seen[-1].total_steps == 12  # 192 pairs / 16 a batch
    y = np.array(labels)
    same = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)

    def within(e: np.ndarray) -> float:  # mean cosine of two queries of the same intent
        return float((e @ e.T)[same].mean())

    tuned = clf.embed(texts)
    assert within(tuned) > within(encoder.encode(texts))
    head = CategoryHead.fit(tuned, labels, 10.0)
    assert np.allclose(clf.predict_proba(texts), head.predict_proba(tuned), atol=1e-4)
    clf.save(tmp_path)
    assert np.allclose(IntentClassifier.load(tmp_path, "cpu").predict_proba(texts), clf.predict_proba(texts),
                       atol=1e-6)


def test_category_head_learns_categories_from_query_embeddings_and_round_trips(sample, encoder, tmp_path):
    from ecomrec.models.category import CategoryHead

    cats = ["Sports & Outdoors > Camping > Tents", "Home & Kitchen > Coffee > Coffee Makers",
            "Electronics > Phones > Smartphones"]  # three or more: sklearn's multinomial path
    q = sample.queries[sample.queries[S.CATEGORY].isin(cats)]
    head = CategoryHead.fit(encoder.encode(q[S.TEXT].tolist()), q[S.CATEGORY].tolist())
    emb = encoder.encode(["4 person tent for camping", "espresso machine with milk frother"])
    assert [c for c, _ in head.predict(emb)] == cats[:2]
    head.save(tmp_path)
    again = CategoryHead.load(tmp_path)
    assert np.allclose(again.weight, head.weight) and np.allclose(again.predict_proba(emb), head.predict_proba(emb))
    assert CategoryHead.load(tmp_path / "nothing-here") is None


def test_int8_copy_stays_close_to_fp32_and_leaves_it_alone(trained, sample):
    clf, _ = trained
    texts = sample.queries_test[S.TEXT].head(100).tolist()
    before = clf.predict_proba(texts)
    int8 = clf.quantized().predict_proba(texts)
    # a one-epoch model is nearly uniform, so top-1 agreement says little here (bench measures it on
    # the real model); the probabilities themselves must stay close
    assert np.abs(int8 - before).mean() < 0.02
    assert np.allclose(clf.predict_proba(texts), before)


def test_token_attributions_cover_every_word_and_explain_the_prediction(trained):
    from ecomrec.explain import intent_attributions

    clf, _ = trained
    label, attr = intent_attributions(clf, "cheap tent under 50 dollars")
    assert label == clf.predict(["cheap tent under 50 dollars"])[0].label
    assert [a.token for a in attr] == ["cheap", "tent", "under", "50", "dollars"]
    p_full = clf.predict(["cheap tent under 50 dollars"])[0].probabilities[label]
    p_without_cheap = clf.predict(["tent under 50 dollars"])[0].probabilities[label]
    log_odds = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert attr[0].weight == pytest.approx(log_odds(p_full) - log_odds(p_without_cheap), abs=1e-4)
    with pytest.raises(ValueError, match="empty"):
        intent_attributions(clf, "   ")


def test_lora_trains_and_saves_as_a_plain_model(few, tmp_path):
    cfg = IntentConfig(epochs=1, batch_size=16, val_fraction=0.25, lora=True)
    clf, _ = IntentClassifier.train(few[S.TEXT].tolist(), few[S.INTENT].tolist(), cfg)
    clf.save(tmp_path)
    assert not (tmp_path / "adapter_config.json").exists()  # merged: loads like any version
    assert IntentClassifier.load(tmp_path, "cpu").predict(["tent"])[0].label in S.INTENTS


def test_registry_versions_activation_and_manifest(trained, tmp_path):
    clf, info = trained
    reg = Registry(tmp_path)
    fields = {"base_model": "m", "data_fingerprint": "d", "hyperparameters": {"epochs": 1}, "seed": 1,
              "metrics": {"macro_f1": 0.5}, "device": "cpu", "train_s": 1.0}
    v1 = reg.save("intent", clf.save, fields)
    v2 = reg.save("intent", clf.save, {**fields, "metrics": {"macro_f1": 0.6}})
    assert [m.version for m in reg.versions("intent")] == [v1, v2]
    assert reg.active("intent") is None
    reg.activate("intent", v1)
    assert reg.path("intent") == tmp_path / "intent" / v1
    reg.activate("intent", v2)
    assert reg.manifest("intent").metrics == {"macro_f1": 0.6}
    with pytest.raises(KeyError, match="no version 'v0'"):
        reg.activate("intent", "v0")


def test_interrupted_save_leaves_the_registry_unchanged(trained, tmp_path):
    clf, _ = trained
    reg = Registry(tmp_path)
    fields = {"base_model": "m", "data_fingerprint": "d", "hyperparameters": {}, "seed": 1,
              "metrics": {}, "device": "cpu", "train_s": 1.0}
    good = reg.save("intent", clf.save, fields)
    reg.activate("intent", good)

    def dies_halfway(folder):
        clf.model.save_pretrained(folder)  # weights written, tokenizer never
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reg.save("intent", dies_halfway, fields)
    assert [m.version for m in Registry(tmp_path).versions("intent")] == [good]
    assert reg.active("intent") == good
    assert not list((tmp_path / "intent").glob(".staging-*"))


def test_interrupted_training_writes_nothing(tiny_engine, tmp_path, monkeypatch):
    from dataclasses import replace

    engine = Engine(tiny_engine.catalog.data, replace(tiny_engine.config, registry_dir=tmp_path))

    def stop(progress):
        raise KeyboardInterrupt  # the user pressed stop during the first step

    with pytest.raises(KeyboardInterrupt):
        engine.models.train("intent", FAST, progress=stop)
    assert engine.models.registry.versions("intent") == [] and engine.models.registry.active("intent") is None


def test_engine_trains_evaluates_and_activates_first_version(tmp_path, sample):
    from dataclasses import replace

    from ecomrec.data.loaders import Dataset

    data = Dataset(products=sample.products.head(10), queries=sample.queries.groupby(S.INTENT).head(6),
                   queries_test=sample.queries_test.groupby(S.INTENT).head(2), events=sample.events.head(0),
                   promotions=sample.promotions.head(0), name="few")
    engine = Engine(data, replace(Engine(data).config, registry_dir=tmp_path))
    manifest = engine.models.train("intent", FAST)
    assert engine.models.registry.active("intent") == manifest.version
    assert {"test_accuracy", "test_macro_f1", "val_macro_f1", "test_category_accuracy"} <= set(manifest.metrics)
    assert (engine.models.registry.path("intent") / "category_head.safetensors").exists()
    assert manifest.base_model == FAST.base_model and manifest.hyperparameters["epochs"] == 1
    assert engine.models.intent().predict(["tent"])[0].label in S.INTENTS


def test_understand_returns_intent_and_slots_and_rejects_empty(tmp_path, sample):
    from dataclasses import replace

    from ecomrec.data.loaders import Dataset

    data = Dataset(products=sample.products, queries=sample.queries.groupby(S.INTENT).head(6),
                   queries_test=sample.queries_test.head(0), events=sample.events.head(0),
                   promotions=sample.promotions.head(0), name="few")
    engine = Engine(data, replace(Engine(data).config, registry_dir=tmp_path))
    before = engine.searches.understand("tent")  # no model yet: no intent, the category read from the catalog's names
    assert before.intent is None and before.category_source == "catalog names"
    assert before.category in set(sample.products[S.CATEGORY])
    engine.models.train("intent", FAST)
    brand = sample.products[S.BRAND].iloc[0]
    u = engine.searches.understand(f"cheap {brand} tent under $90")
    assert u.intent.label in S.INTENTS and u.category in set(sample.queries[S.CATEGORY].dropna())
    assert u.slots.price_max == 90.0 and u.slots.brand == brand
    with pytest.raises(ValueError, match="the query is empty"):
        engine.searches.understand("   ")


def test_each_data_set_has_its_own_models(tiny_engine, tmp_path):
    from dataclasses import replace

    cfg = replace(tiny_engine.config, registry_dir=tmp_path)
    shop = Engine(tiny_engine.catalog.data, cfg, tiny_engine.embeddings.encoder)
    other = Engine(replace(tiny_engine.catalog.data, name="other_shop"), cfg, tiny_engine.embeddings.encoder)
    manifest = shop.models.train("intent", FAST)
    assert shop.models.registry.active("intent") == manifest.version and other.models.registry.active("intent") is None
    assert (manifest.dataset, manifest.dataset_fingerprint) == (shop.catalog.data.name, shop.catalog.data.fingerprint())
    assert other.searches.understand("tent").intent is None  # the other data set never reads this one's model
    status = {s["role"]: s for s in shop.models.status()}
    assert (status["intent"]["version"], status["intent"]["dataset"], status["intent"]["stale"]) == \
        (manifest.version, shop.catalog.data.name, False)
    assert status["reranker"]["version"] is None and status["reranker"]["without"].startswith("Search ranks")


def test_onnx_runtime_gives_the_intent_probabilities_pytorch_gives(trained, sample, tmp_path):
    from ecomrec.models.intent import IntentClassifier
    from ecomrec.models.onnx_runtime import OnnxForward

    clf, _ = trained
    clf.save(tmp_path)
    loaded = IntentClassifier.load(tmp_path, "cpu")
    texts = sample.queries_test[S.TEXT].head(20).tolist()
    np.testing.assert_allclose(loaded.in_runtime("onnx", tmp_path).predict_proba(texts), clf.predict_proba(texts),
                               atol=1e-4)
    alone = IntentClassifier.load(tmp_path, "cpu", runtime="onnx")  # a new process: the export alone
    assert alone.labels == clf.labels and isinstance(alone.model, OnnxForward)
    np.testing.assert_allclose(alone.predict_proba(texts), clf.predict_proba(texts), atol=1e-4)


def test_choosing_the_method_reads_training_queries_only_and_embeds_each_once(tmp_path, sample, monkeypatch):
    """The method is chosen among training queries: no test query reaches the choice (its validation folds are cut
    from the training queries), and one training run embeds each distinct text once, whoever asks."""
    from dataclasses import replace

    from ecomrec.data.loaders import Dataset
    from ecomrec.models import label_model
    from ecomrec.models.encoder import Encoder

    data = Dataset(products=sample.products.head(10), queries=sample.queries.groupby(S.INTENT).head(6),
                   queries_test=sample.queries_test.groupby(S.INTENT).head(2), events=sample.events.head(0),
                   promotions=sample.promotions.head(0), name="few")
    seen: list[str] = []
    choose = label_model.choose

    def spy(texts, labels, encode, *args, **kwargs):
        seen.extend(texts)
        return choose(texts, labels, encode, *args, **kwargs)

    embedded: list[str] = []
    encode = Encoder.encode

    def counting(self, texts, progress=None):
        embedded.extend(texts)
        return encode(self, texts, progress)

    monkeypatch.setattr(label_model, "choose", spy)
    monkeypatch.setattr(Encoder, "encode", counting)
    engine = Engine(data, replace(Engine(data).config, registry_dir=tmp_path))
    engine.models.train("intent", FAST)
    assert sorted(seen) == sorted(data.queries[S.TEXT]) and not set(seen) & set(data.queries_test[S.TEXT])
    assert len(embedded) == len(set(embedded))  # the choice, the category head and the test scores share them
