"""The asymmetric superposition motif (Elhage et al. 2022, "Toy Models of Superposition",
section "The Asymmetric Superposition Motif"; open problem 4.34): two features share a neuron
with very different input magnitudes, the neuron serves the weaker one, and a second neuron
inhibits the interference the stronger one causes on the weaker one's output.

Features are given as a table of neuron activations per feature (the feature alone on) and of
the neurons' output weights onto each feature's readout, so the same detector reads a toy model
(features = input dimensions) and a language model's MLP (features = tokens, ``token_features``)."""

from __future__ import annotations

import torch

from harness.interp.ablation import cache_activations
from harness.interp.hooks import MLP_OUT_HOOK, NEURON_HOOK
from harness.interp.stacked_weights import stacked


def asymmetric_superposition(acts: torch.Tensor, out: torch.Tensor, ratio: float = 2.0,
                             cancel: float = 0.5) -> torch.Tensor:
    """[M, 4] long rows (i, j, k, l), one per feature pair (i, j) where the motif holds:

    - k serves j: of all neurons, k adds most to j's readout when j is on (``acts[j, k] *
      out[k, j]``, which must be > 0);
    - asymmetric: feature i drives k the same way at least ``ratio`` times as hard (``acts[i, k]
      / acts[j, k] >= ratio``; activations may be signed), so k's interference on j's readout
      when i is on, ``acts[i, k] * out[k, j]``, exceeds j's own signal;
    - l != k inhibits it: ``acts[i, l] * out[l, j] <= -cancel *`` that interference, while it
      takes less than ``cancel`` of j's own signal through k (``acts[j, l] * out[l, j] > -cancel *
      acts[j, k] * out[k, j]``); l is the strongest such inhibitor.

    acts: [n_features, n_neurons] each neuron's activation with one feature on (relative to none
    on, where a model has an "off" input); out: [n_neurons, n_features] each neuron's output
    weight on each feature's readout."""
    acts, out = acts.double(), out.double()
    n_features, n_neurons = acts.shape
    features = torch.arange(n_features)
    own = acts.T * out  # [neurons, features]: neuron n's share of feature f's readout when f is on
    server = own.argmax(0)  # [features] k of each j
    signal = own[server, features]  # [features]
    drive = acts[features, server]  # [features] acts[j, k]
    interference = acts[:, server] * out[server, features][None]  # [i, j] via k_j
    # same sign as j's drive (a gated MLP's activations are signed), ``ratio`` times its size
    asymmetric = (acts[:, server] * drive.sign()[None] >= ratio * drive.abs()[None]) & (drive != 0)[None]
    asymmetric &= (signal > 0)[None]
    asymmetric &= features[:, None] != features[None]
    spares = (own > -cancel * signal[None]) & (torch.arange(n_neurons)[:, None] != server[None])  # [neurons, j]
    found = []
    for i in asymmetric.any(1).nonzero()[:, 0].tolist():
        j = asymmetric[i].nonzero()[:, 0]
        effect = acts[i][:, None] * out[:, j]  # [neurons, len(j)]: neuron n on j's readout when i is on
        inhibits = spares[:, j] & (effect <= -cancel * interference[i, j][None])
        strongest = effect.masked_fill(~inhibits, float("inf")).argmin(0)
        keep = inhibits.any(0)
        found.append(torch.stack([torch.full_like(j[keep], i), j[keep], server[j[keep]], strongest[keep]], 1))
    return torch.cat(found) if found else torch.zeros(0, 4, dtype=torch.long)


def token_features(model, token_ids: torch.Tensor, bos: int, layer: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(acts [n, d_mlp], out [d_mlp, n]) float32 on the CPU for ``asymmetric_superposition`` with
    the tokens ``token_ids`` [n] as features of MLP ``layer`` (the extended-embedding view of an
    early MLP): acts, the neurons' activations at token t of ``[bos, t]``; out, each neuron's
    output weight ``W_out`` on the unit direction of token t's MLP output there, centred over the
    n tokens (its readout)."""
    tokens = torch.stack([torch.full_like(token_ids, bos), token_ids], 1).to(model.W_U.device)
    names = [NEURON_HOOK.format(layer=layer), MLP_OUT_HOOK.format(layer=layer)]
    cache = cache_activations(model, tokens, names, stop_at_layer=layer + 1)
    acts, outputs = (cache[name][:, 1].float().cpu() for name in names)
    readout = outputs - outputs.mean(0)
    readout = readout / readout.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return acts, stacked(model, "W_out")[layer].float().cpu() @ readout.T


def motif_shares(acts: torch.Tensor, out: torch.Tensor, seed: int, groups: torch.Tensor | None = None
                 ) -> tuple[float, float, torch.Tensor]:
    """(share of the features that are the weak feature j of an ``asymmetric_superposition``
    motif, the same share with the rows of ``out`` (neurons) shuffled by ``seed``, the motifs
    [M, 4]). ``groups`` [n_features]: motifs between features of one group (e.g. the two signs of
    one input) are left out. acts [n_features, n_neurons], out [n_neurons, n_features]."""
    def found(weights: torch.Tensor) -> torch.Tensor:
        motifs = asymmetric_superposition(acts, weights)
        return motifs if groups is None else motifs[groups[motifs[:, 0]] != groups[motifs[:, 1]]]

    motifs = found(out)
    shuffled = found(out[torch.randperm(len(out), generator=torch.Generator().manual_seed(seed))])
    return (motifs[:, 1].unique().numel() / len(acts), shuffled[:, 1].unique().numel() / len(acts), motifs)
