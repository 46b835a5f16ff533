"""Two-digit addition in SmolLM2-135M-Instruct (open problem 2.37): "a+b=" after two solved
examples (``catalog.prompts.numbers.two_digit_addition``, 100 prompts per prompt seed, sums
below 100). The answer's two digits are read teacher-forced from one pass, each as the argmax
over the ten digit tokens; the logit lens gives the layer from which each digit is decodable.
"""

import torch

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.lens import first_decodable_layer

MODELS = ["smollm2-135m"]
MIN_SOLVED = 10  # prompts solved, to compare the digits' layers at all


def solved(pack, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """([n] both digits right at the last layer, [n, 2] each digit's first decodable layer)."""
    prompts, lens = pack.addition(seed)
    return (lens[-1] == prompts.answers).all(-1), first_decodable_layer(lens, prompts.answers)


@prompt_seeds()
@claim("2.37", "SmolLM2-135M adds two-digit numbers after two examples: both answer digits right on more than half of the prompts",
       models=MODELS, refuted="both digits right on 14% / 10% / 9% of the sums (prompt seeds 0 / 1 / 2)")
def test_two_digit_addition_accuracy(model, pack, prompt_seed, evidence):
    """Our own hypothesis, set before measuring: threshold 0.5 of the prompts with both digits
    right (each the argmax over the digit tokens, the tens digit given when the units digit is
    predicted)."""
    right, _ = solved(pack, prompt_seed)
    evidence.expect("share of sums with both digits right", right.float().mean(), ">", 0.5)


@prompt_seeds()
@claim("2.37", "SmolLM2 computes the tens and the units digit of a sum at different layers (logit-lens medians at least 2 layers apart)",
       models=MODELS, refuted={"smollm2-135m-seed0-prompts0": "on the 14 solved sums of prompt seed 0 the tens digit becomes "
                              "decodable at median layer 26, the units digit at 25: 1 layer apart (prompt seed 1: 27 and 25 on 10 "
                              "solved sums, it holds; prompt seed 2: 9 solved sums, inconclusive)"})
def test_addition_digits_are_computed_at_different_layers(model, pack, prompt_seed, evidence):
    """Our own hypothesis and threshold (2 of 30 layers), set before measuring: the layer from
    which the logit lens (argmax over the digits) gives the right digit and keeps it, median over
    the solved prompts (at least ``MIN_SOLVED``), tens digit against units digit."""
    right, layers = solved(pack, prompt_seed)
    evidence.require("solved prompts", right.sum(), ">=", MIN_SOLVED)
    tens, units = layers[right].float().T
    evidence.note("median decodable layer tens / units", [float(tens.median()), float(units.median())])
    evidence.expect("|median layer tens - units|", (tens.median() - units.median()).abs(), ">=", 2, per_example=tens - units)
