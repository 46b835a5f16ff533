"""Widening a trained MLP layer (open problem 4.44): every neuron copied ``factor`` times, the
copies' input weights perturbed by noise so that fine-tuning can pull them apart, their output
weights divided by ``factor`` so that, without noise, the widened layer computes the same function.
"""

from __future__ import annotations

import torch


def widen_neurons(w_in: torch.Tensor, b_in: torch.Tensor, w_out: torch.Tensor, factor: int, noise: float,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(w_in [..., factor * neurons, d_in], b_in [..., factor * neurons], w_out [..., d_out,
    factor * neurons]) from a layer's w_in [..., neurons, d_in], b_in [..., neurons] and w_out
    [..., d_out, neurons] (leading dimensions, e.g. instances, are kept). Neuron j's copies are
    the neurons ``j * factor`` ... ``j * factor + factor - 1``; each copy's input weights get
    Gaussian noise of standard deviation ``noise`` x the std of ``w_in`` (drawn from
    ``generator``); output weights are divided by ``factor``."""
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    wide_in = w_in.repeat_interleave(factor, dim=-2)
    draw = torch.randn(wide_in.shape, generator=generator, dtype=w_in.dtype)  # on the CPU, as a CPU generator draws
    wide_in = wide_in + noise * float(w_in.std()) * draw.to(w_in.device)
    return wide_in, b_in.repeat_interleave(factor, dim=-1), w_out.repeat_interleave(factor, dim=-1) / factor
