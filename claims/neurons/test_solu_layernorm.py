"""SoLU's LayerNorm and superposition (issue #18: open problem 4.39). Elhage et al. 2022 ("Softmax
Linear Units", Sec. 4.3 and 6.3) speculate that the LayerNorm after SoLU lets the model "smuggle
through" superposition: features smeared over many small activations, which SoLU's softmax
suppresses, are scaled back up by the LayerNorm. Measured on the SoLU members of the family
trained here (``lm`` tier; run on the CPU stand-ins in ``tests/claims``) and the TransformerLens
originals (hub; skipped without them), each against the GELU model of the same depth, on the
``neurons`` fixture's 24 probe windows (prompt draw 0; draws 1-2 ``slow``), BOS left out.
"""

import torch

from claims.neurons.test_superposition import SOLU
from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.ablation import run_with_hooks
from harness.interp.metrics import per_token_loss
from harness.interp.neurons import mlp_norm_activations, small_activation_ablation, small_neuron_output_share
from harness.interp.stacked_weights import stacked
from harness.plain import plain

STATEMENT = ("SoLU's LayerNorm smuggles superposition: in each MLP layer of a SoLU model, the neurons below 10% of a "
             "token's largest activation before the LayerNorm write a larger share of the MLP output than they would "
             "without the LayerNorm and than a GELU model's small neurons do, and zeroing them raises the loss by a "
             "larger fraction than zeroing a GELU model's small activations")
SMALL = 0.1  # "small": below this fraction of the token's largest |activation| before the norm


def small_neuron_shares(model, tokens: torch.Tensor, layer: int) -> tuple[float, float]:
    """(with the norm, without it): the mean over tokens of the MLP output share written by its
    small neurons, reading the activations after the MLP's norm (what the model does) or before
    it (the same neurons' output had the norm not rescaled and centred them)."""
    before, after = (acts[:, 1:].flatten(0, 1) for acts in mlp_norm_activations(model, tokens, layer))
    w_out = stacked(model, "W_out")[layer].float().cpu()
    return (float(small_neuron_output_share(before, after, w_out, SMALL).mean()),
            float(small_neuron_output_share(before, before, w_out, SMALL).mean()))


def small_ablation_increase(model, tokens: torch.Tensor, layer: int) -> float:
    """(loss with the layer's small activations zeroed before its norm - clean loss) / clean loss."""
    clean = per_token_loss(run_with_hooks(model, tokens, []), tokens).mean()
    ablated = per_token_loss(run_with_hooks(model, tokens, small_activation_ablation(model, [layer], SMALL)), tokens).mean()
    return float((ablated - clean) / clean)


def expect_layernorm_smuggles(model, gelu, tokens: torch.Tensor, evidence) -> None:
    """The 4.39 measurements on each MLP layer of a SoLU ``model`` against its ``gelu`` twin."""
    for layer in range(model.cfg.n_layers):
        with_norm, without_norm = small_neuron_shares(model, tokens, layer)
        gelu_share, _ = small_neuron_shares(gelu, tokens, layer)
        increases = [small_ablation_increase(m, tokens, layer) for m in (model, gelu)]
        evidence.note(f"layer {layer}: small-neuron share with / without the norm, GELU's",
                      plain([with_norm, without_norm, gelu_share], 3))
        evidence.note(f"layer {layer}: relative loss increase, small activations zeroed, SoLU / GELU", plain(increases, 4))
        evidence.expect(f"layer {layer}: share with - without the LayerNorm", with_norm - without_norm, ">", 0.0)
        evidence.expect(f"layer {layer}: SoLU - GELU share", with_norm - gelu_share, ">", 0.0)
        evidence.expect(f"layer {layer}: SoLU - GELU relative loss increase", increases[0] - increases[1], ">", 0.0)


@prompt_seeds()
@claim("4.39", STATEMENT, models=SOLU)
def test_layernorm_scales_up_small_activations(model, target, model_at_seed, neurons, evidence):
    """Our own operationalisation and thresholds (each difference > 0), set before measuring.
    The share: the projection of the small neurons' part of the output on the whole output
    (``small_neuron_output_share``), mean over tokens. Without the LayerNorm: the same neurons
    read before it (x * softmax(x)) through ``W_out``. GELU has no norm there: its small neurons
    are measured on its own activations. The share after the LayerNorm includes what its
    centring and bias write through the small neurons (-mean / scale * w + b, not carried by
    their activations), so it is an upper bound of what they smuggle; hence the ablation, added
    after the shares were seen on the small models and before it was measured: the small
    activations zeroed before the LayerNorm (``small_activation_ablation``), the next-token loss
    on the windows relative to the clean loss, against GELU's small activations zeroed. Deviation
    from the paper: it gives no measure; these test the mechanism it names."""
    expect_layernorm_smuggles(model, model_at_seed(target.model.replace("solu", "gelu")), neurons.windows[0], evidence)


@prompt_seeds(seeds=(0,), fast=None)  # 6 small models to train (~20 s each here, load 8)
@claim("4.39", f"{STATEMENT} (a small 1-layer SoLU model and its GELU twin trained here)", models=["lm-small-solu-1l"],
       seeds=[0, 1, 2])
def test_layernorm_scales_up_small_activations_in_a_small_model(model, target, model_at_seed, neurons, evidence):
    """As above (same thresholds, set before measuring), on ``catalog.small_lm``'s models: SoLU
    and GELU at the same seed, prompt draw 0 (windows of 31 tokens, their context)."""
    expect_layernorm_smuggles(model, model_at_seed(target.model.replace("solu", "gelu")), neurons.windows[0], evidence)
