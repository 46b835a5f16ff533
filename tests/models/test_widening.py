import pytest
import torch

from harness.models.widening import widen_neurons


def layer(w_in, b_in, w_out, x):
    """[batch, d_out]: a ReLU layer's output for x [batch, d_in]."""
    return torch.relu(x @ w_in.T + b_in) @ w_out.T


def test_widening_without_noise_keeps_the_function_and_copies_each_neuron():
    gen = torch.Generator().manual_seed(0)
    w_in, b_in, w_out = torch.randn(3, 5, generator=gen), torch.randn(3, generator=gen), torch.randn(2, 3, generator=gen)
    wide_in, wide_b, wide_out = widen_neurons(w_in, b_in, w_out, factor=4, noise=0.0)
    assert wide_in.shape == (12, 5) and wide_b.shape == (12,) and wide_out.shape == (2, 12)
    torch.testing.assert_close(wide_in[4:8], w_in[1].expand(4, 5))  # neuron 1's copies
    x = torch.randn(16, 5, generator=gen)
    torch.testing.assert_close(layer(wide_in, wide_b, wide_out, x), layer(w_in, b_in, w_out, x))


def test_noise_perturbs_the_copies_apart_and_keeps_leading_dimensions():
    gen = torch.Generator().manual_seed(1)
    w_in, b_in, w_out = torch.randn(2, 3, 5), torch.zeros(2, 3), torch.randn(2, 4, 3)  # two instances
    wide_in, _, wide_out = widen_neurons(w_in, b_in, w_out, factor=10, noise=0.1, generator=gen)
    assert wide_in.shape == (2, 30, 5) and wide_out.shape == (2, 4, 30)
    deviation = (wide_in - w_in.repeat_interleave(10, dim=-2)).std()
    assert 0.05 * w_in.std() < deviation < 0.2 * w_in.std()
    assert not torch.equal(wide_in[:, 0], wide_in[:, 1])
    with pytest.raises(ValueError):
        widen_neurons(w_in, b_in, w_out, factor=0, noise=0.0)
