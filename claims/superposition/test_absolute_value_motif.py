"""The asymmetric superposition motif (open problem 4.34) where the paper found it: the
absolute-value model of "Computation in Superposition" (``tms-abs-n20-m10``), read by the same
detector as the language models' MLPs (``claims/neurons/test_asymmetric_motif.py``)."""

import torch

from harness import claim
from harness.interp.motifs import motif_shares
from harness.plain import plain
from harness.tms.evaluate import single_input_neurons
from harness.tms.spec import TMSRun

SPARSE = 0.01  # S = 0.99


@claim("4.34", "The absolute-value model at S=0.99 has the asymmetric superposition motif beyond chance: the share of "
       "signed inputs that are the weak feature of a motif is above twice that with the output weights' neurons "
       "shuffled", models=["tms-abs-n20-m10"], seeds=[0, 1, 2],
       refuted="share 0.075 / 0.175 / 0.125 (seeds 0-2) against 0.500 / 0.475 / 0.525 shuffled: motifs are found "
               "(3 to 7 weak inputs a seed) but the shuffled weights, whose interference nothing was trained to "
               "reduce, give many more chance ones; the control, not only the language models, fails the form")
def test_absolute_value_model_has_asymmetric_motif(model: TMSRun, target, evidence):
    """Elhage et al. 2022 ("Toy Models of Superposition", section "The Asymmetric Superposition
    Motif"), in this model (20 inputs U[-1, 1], 10 ReLU neurons, ReLU outputs |x_i|). Features:
    each input at +1 and at -1 alone (``single_input_neurons``, activations relative to x = 0),
    read out by the output |x_i|; motifs between the two signs of one input are left out (their
    "interference" is the right answer). Criteria and threshold as the language-model claim
    (``asymmetric_superposition``; 2x the shuffled control), set before measuring."""
    acts, out = single_input_neurons(model.net, model.instance(SPARSE))
    share, control, found = motif_shares(acts, out, seed=target.seed, groups=torch.arange(len(acts)) // 2)
    evidence.note("motifs found (i, j, k, l), first 10", plain(found[:10]))
    evidence.note("share of signed inputs with a motif, and with the output weights shuffled",
                  [round(share, 4), round(control, 4)])
    evidence.expect("share of signed inputs with a motif - 2 x shuffled control", share - 2 * control, ">", 0.0)
