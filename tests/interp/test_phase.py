"""Phase-transition measures on synthetic curves with known shapes."""

import numpy as np
import pytest

from harness.interp.phase import (change_point_p_value, change_window, change_windows, fastest_change_step, leader_at_crossing,
                                  onset_ratio, points_within_change, steepest_change_step)

STEPS = np.arange(25, 1001, 25)


def sigmoid(width: float, centre: float = 500) -> np.ndarray:
    return 1 / (1 + np.exp(-(STEPS - centre) / width))


def noisy(curve: np.ndarray, scale: float = 0.02, seed: int = 0) -> np.ndarray:
    return curve + scale * np.random.default_rng(seed).standard_normal(len(curve))


def test_steepest_change_sits_at_the_jump():
    assert abs(steepest_change_step(STEPS, sigmoid(10, centre=300)) - 300) <= 25


def test_vectors_move_fastest_where_their_components_jump_together():
    vectors = np.stack([sigmoid(10, centre=700), -2 * sigmoid(10, centre=700), noisy(0 * STEPS)], axis=1)
    assert abs(fastest_change_step(STEPS, vectors) - 700) <= 25
    assert fastest_change_step(STEPS[::-1], vectors[::-1]) == fastest_change_step(STEPS, vectors)


def test_window_is_small_for_a_sudden_change_and_near_the_share_for_a_steady_one():
    assert change_window(STEPS, sigmoid(10)) < 0.1
    assert change_window(STEPS, STEPS / 1000.0) == pytest.approx(0.8, abs=0.03)
    assert change_window(STEPS, 1 - sigmoid(10)) == change_window(STEPS, sigmoid(10))  # direction-free
    assert change_window(STEPS, np.ones(len(STEPS))) == 0.0


def test_window_ignores_overshoot_beyond_the_end_values():
    overshoot = sigmoid(10).copy()
    overshoot[-5:-1] = 1.3  # a transient above the final value
    assert change_window(STEPS, overshoot) == pytest.approx(change_window(STEPS, sigmoid(10)), abs=0.01)


def test_change_point_found_for_a_step():
    result = change_point_p_value(STEPS, noisy(sigmoid(10)), n_bootstrap=199)
    assert result.p_value < 0.01
    assert abs(result.step - 500) <= 50


@pytest.mark.parametrize("smooth", [STEPS / 1000.0, 1 - np.exp(-STEPS / 200), np.log(STEPS), sigmoid(200)],
                         ids=["linear", "saturating exponential", "log", "wide sigmoid"])
def test_no_change_point_in_smooth_curves(smooth):
    assert change_point_p_value(STEPS, noisy(smooth, 0.05), n_bootstrap=199).p_value > 0.05


def test_p_value_is_seeded():
    curve = noisy(sigmoid(80))
    assert change_point_p_value(STEPS, curve, seed=3).p_value == change_point_p_value(STEPS, curve, seed=3).p_value


def test_bad_curves_are_refused():
    with pytest.raises(ValueError, match=">= 4"):
        change_window([1, 2, 3], [0, 1, 2])
    with pytest.raises(ValueError, match="one shape"):
        steepest_change_step([1, 2, 3, 4], [0, 1])


def test_onset_ratio_tells_a_plateau_from_an_immediate_change():
    steps = np.arange(0, 3001, 10)
    assert onset_ratio(steps, 1 - np.exp(-steps / 300)) == pytest.approx(np.log(1 / 0.9) / np.log(10), abs=0.01)
    assert onset_ratio(steps, steps / 3000.0) == pytest.approx(1 / 9, abs=0.01)
    assert onset_ratio(steps, 1 / (1 + np.exp(-(steps - 1500) / 30))) > 0.8
    with pytest.raises(ValueError, match="no net change"):
        onset_ratio(steps, np.zeros(len(steps)))


def test_points_within_change_counts_the_measurements_that_resolve_it():
    assert points_within_change(STEPS, sigmoid(100)) >= 10
    jump = (STEPS >= 500).astype(float)  # all of it between two measurements
    assert points_within_change(STEPS, jump) == 0


def test_each_curve_gets_its_own_window():
    windows = change_windows(STEPS, [sigmoid(10), STEPS / 1000.0])
    assert windows.shape == (2,) and windows[0] < 0.1 and windows[1] == pytest.approx(0.8, abs=0.03)


def test_the_leader_is_the_first_to_cross_not_the_final_best():
    scores = np.array([[0.1, 0.0, 0.2], [0.3, 0.5, 0.1], [0.9, 0.6, 0.2]])
    assert leader_at_crossing(scores, 0.4) == 1
    assert leader_at_crossing(scores, 0.95) is None
