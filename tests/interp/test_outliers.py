import torch

from harness.interp.outliers import outlier_features


def hidden_with(dim_layers: list[int], positions: slice, value: float = 8.0) -> torch.Tensor:
    """[8 layers, 2 sublayers, 4 examples, 25 positions, 16 dims] of small values, ``value`` in
    dim 3 at ``positions`` of example 0 in ``dim_layers``."""
    hidden = torch.randn(8, 2, 4, 25, 16, generator=torch.Generator().manual_seed(0)).clamp(-2, 2)
    for layer in dim_layers:
        hidden[layer, 1, 0, positions, 3] = -value
    return hidden


def test_a_dimension_large_in_enough_layers_and_positions_is_an_outlier():
    found = outlier_features(hidden_with([0, 2, 5], slice(0, 7)))  # 3/8 layers, 7/100 positions
    assert found.dims == [3] and found.layers == {3: [0, 2, 5]}
    assert found.layer_share[3] == 3 / 8 and found.position_share[3] == 7 / 100


def test_too_few_layers_or_positions_is_not_an_outlier():
    assert outlier_features(hidden_with([0], slice(0, 20))).dims == []  # 1/8 layers
    assert outlier_features(hidden_with([0, 1, 2, 3], slice(0, 5))).dims == []  # 5% of positions
    assert outlier_features(hidden_with([0, 1, 2, 3], slice(0, 20), value=5.0)).dims == []  # below 6
