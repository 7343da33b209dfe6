"""Expected calibration error by hand, and temperature scaling that lowers it on a fixed over-confident example."""
import numpy as np
import pytest

from ecomrec.evaluation.calibration import expected_calibration_error, fit_temperature, reliability, with_temperature


def test_ece_is_the_count_weighted_gap_per_confidence_bin():
    probs = np.array([[0.95, 0.05], [0.95, 0.05], [0.6, 0.4], [0.35, 0.65]])
    y = np.array([0, 1, 0, 1])
    # bin 9 (0.9-1.0): confidence 0.95, accuracy 0.5; bin 6: 0.6 and 1.0 (twice: 0.6 and 0.65, both right)
    assert expected_calibration_error(probs, y) == pytest.approx((2 * 0.45 + abs(0.625 - 1.0) * 2) / 4)
    table = reliability(probs, y)
    assert table["bin"].tolist() == [6, 9] and table["count"].tolist() == [2, 2]


def test_a_temperature_fitted_on_validation_softens_an_over_confident_model():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 3, size=n)
    right = rng.random(n) < 0.7  # right 70 % of the time ...
    top = np.where(right, y, (y + 1) % 3)
    probs = np.full((n, 3), 0.01)
    probs[np.arange(n), top] = 0.98  # ... but always 98 % sure
    before = expected_calibration_error(probs, y)
    t = fit_temperature(probs, y)
    after = expected_calibration_error(with_temperature(probs, t), y)
    assert before == pytest.approx(0.28, abs=0.03) and t > 1 and after < 0.05
    assert np.allclose(with_temperature(probs, 1.0), probs / probs.sum(axis=1, keepdims=True))


def test_no_temperature_is_fitted_on_few_rows_or_when_nothing_is_wrong():
    probs = np.tile([[0.6, 0.4]], (40, 1))
    assert fit_temperature(probs[:10], np.zeros(10, int)) == 1.0  # under 30 rows
    assert fit_temperature(probs, np.zeros(40, int)) == 1.0  # every prediction right: T would run to its bound
