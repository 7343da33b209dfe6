"""The basket transformer: trains on a tiny set of baskets, learns which product completes which, and saves."""
import numpy as np

from ecomrec.evaluation.splits import holdout_baskets
from ecomrec.models.basket import BasketConfig, BasketModel
from ecomrec.recommend import cart_tuning
from ecomrec.recommend.profile import price_quantiles
from tests.recommend.test_cart_tuning import EMB, GROCER

IDS = GROCER["product_id"].tolist()  # milk, milk2, bread, butter, jam
PAIRS = [["bread", "butter"], ["milk", "jam"]] * 60  # bread goes with butter, milk with jam, nothing else


def test_the_basket_model_learns_which_product_completes_a_basket_and_round_trips(tmp_path):
    text = np.random.default_rng(0).normal(size=(5, 16)).astype(np.float32)  # 5 products: a 4-wide item table
    config = BasketConfig(hidden=4, epochs=30, batch_size=16, dropout=0.0, seed=0)
    model, info = BasketModel.train(PAIRS, IDS, text, config)
    assert info["epochs_run"] == 30 and info["best_val_hr@10"] is None  # no validation: every epoch runs
    log_p = model.score([["bread"], ["milk"], ["jam"]])  # (3, 5)
    assert np.allclose(np.exp(log_p).sum(axis=1), 1.0, atol=1e-4)
    best = [IDS[int(np.argmax(np.where(np.arange(5) == IDS.index(own), -np.inf, row)))]
            for own, row in zip(["bread", "milk", "jam"], log_p)]
    assert best == ["butter", "jam", "milk"]
    model.save(tmp_path)
    assert BasketModel.exists(tmp_path)
    np.testing.assert_allclose(BasketModel.load(tmp_path).score([["bread"]]), log_p[:1], atol=1e-5)


class Knows:
    """A basket model that puts all its mass on one product whatever the cart: enough to test the choice."""

    def __init__(self, product: str) -> None:
        self.product_ids = IDS
        self.product = product

    def score(self, baskets):
        out = np.full((len(baskets), len(IDS)), -30.0, np.float32)
        out[:, IDS.index(self.product)] = 0.0
        return out


def test_the_basket_model_joins_the_cart_list_only_when_it_wins_on_validation_baskets():
    train = [["bread", "butter"], ["milk", "butter"], ["bread", "milk"]] * 5
    val = [["bread", "jam"], ["milk", "jam"], ["butter", "jam"]] * 3  # jam: never bought in training baskets
    args = (train, val, GROCER, price_quantiles(GROCER), EMB)
    without = cart_tuning.pick_cart_config(*args, seed=0, k=1)
    right = cart_tuning.pick_cart_config(*args, seed=0, k=1, basket_model=Knows("jam"))
    wrong = cart_tuning.pick_cart_config(*args, seed=0, k=1, basket_model=Knows("milk2"))
    _, held_out = holdout_baskets(val, 0)
    jam = float(np.mean([t == "jam" for t in held_out]))  # carts whose held-out product is jam: hits it alone gets
    assert right.config.basket_model > 0 and right.basket is not None and right.val_hr >= jam > without.val_hr
    assert right.basket_report == {"val_hr_without": without.val_hr, "val_hr_with": right.val_hr, "joined": True}
    assert wrong.config.basket_model == 0 and wrong.basket is None and wrong.basket_report["joined"] is False
    assert wrong.val_hr == without.val_hr


def test_too_few_baskets_train_no_basket_model():
    model, info = cart_tuning.train_basket_model(PAIRS[:10], PAIRS[:4], GROCER, EMB, seed=0)
    assert model is None and info == {"skipped": "10 training baskets of two or more products (needs 200)"}


def test_a_catalog_smaller_than_the_model_width_still_trains():
    model, _ = BasketModel.train(PAIRS[:20], IDS, EMB, BasketConfig(epochs=1, seed=0))  # 5 products, width 64
    assert model.score([["bread"]]).shape == (1, 5)
