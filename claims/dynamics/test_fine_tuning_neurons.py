"""How fine-tuning changes what neurons respond to (seed problem 5.19): ``mod-add-mlp-ft-sub``, the
one-hidden-layer MLP trained on (a + b) mod 53 (``mod-add-mlp``) fine-tuned for 1000 full-batch
steps on (a - b) mod 53 (``catalog.fine_tuning``). A neuron's max-activating inputs are the
(a, b) pairs, of all 53 x 53, on which its hidden activation is largest.
"""

import torch

from catalog.fine_tuning import ADD_TO_SUB_MLP
from catalog.modular import MOD_PROBLEMS
from catalog.modular_variants import held_out_accuracy
from harness import claim
from harness.interp.neurons import top_k_overlap


@claim("5.19", "Fine-tuning from modular addition to subtraction changes what the neurons respond to: the median "
       "live hidden neuron keeps fewer than half of its 20 max-activating (a, b) inputs",
       models=[ADD_TO_SUB_MLP.name], seeds=[0, 1, 2])
def test_fine_tuning_moves_max_activating_inputs(model, model_at_seed, evidence):
    """Our own hypothesis and threshold (0.5), set before measuring: a hidden neuron's
    pre-activation is a sum of an a-part and a b-part, and subtraction needs the b-part mirrored
    (b -> -b), so its strongest pairs should move. Live: the neuron fires on some pair in both
    models. Precondition: the fine-tuned model does subtraction (held-out accuracy > 0.9)."""
    problem, old = MOD_PROBLEMS["sub"], model_at_seed(ADD_TO_SUB_MLP.parent.name)
    evidence.require("fine-tuned model's held-out subtraction accuracy", held_out_accuracy(model, problem), ">", 0.9)
    with torch.no_grad():
        before, after = old.hidden(problem.one_hot), model.hidden(problem.one_hot)
    live = (before.amax(0) > 0) & (after.amax(0) > 0)
    kept = top_k_overlap(before[:, live], after[:, live], k=20)
    evidence.note("live neurons", int(live.sum()))
    evidence.expect("median share of the top-20 inputs kept", kept.median(), "<", 0.5, per_example=kept)
