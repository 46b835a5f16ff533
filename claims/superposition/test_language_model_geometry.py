"""Representation geometry in a real residual stream, SmolLM2-135M (issue #18): a circular
day-of-the-week feature (4.17), the digits' embedding geometry (4.25) and a code/prose "genre"
direction (4.27). SmolLM2 has one seed (its weights): each measurement is made on three draws of
its prompt set (``PROMPT_SEEDS``), each an expectation of its own."""

import pytest
import torch
from scipy.stats import spearmanr

from catalog.prompts.natural_language import token_id
from harness import claim
from harness.interp.subspaces import cyclic_order_agreement, plane_angles, principal_axes
from harness.plain import plain

MODELS = ["smollm2-135m"]


@pytest.mark.slow  # 189 forward passes over three prompt draws: 384 s on 2 loaded cores
@claim("4.17", "Days of the week lie on a circle in SmolLM2's residual stream: the per-day means put over half "
       "their variance in 2 principal components, in weekday order round the circle", models=MODELS)
def test_weekdays_lie_on_a_circle(model, weekday_circles, evidence):
    """Engels et al. 2024 ("Not all language model features are linear", Fig. 1, 4) find weekdays
    on a circle in Mistral 7B and Llama 3 8B. Deviations: SmolLM2-135M; the residual stream
    before block 6 of 30 at the day token (chosen before measuring), not their layer sweep; PCA of
    the 7 per-day means over 63 templated prompts, not their SAE clusters. Thresholds (our own,
    set before measuring): top-2 variance share > 0.5 (7 random points in general position: about
    2/6), and every one of the 7 steps Monday -> ... -> Sunday -> Monday is a neighbour step of
    the angular order in one direction (agreement 1)."""
    for seed, circle in weekday_circles.items():
        shares, _ = principal_axes(circle.means)
        evidence.note(f"variance shares of the top 4 components (prompts {seed})", plain(shares[:4], 3))
        evidence.expect(f"top-2 variance share of the per-day means (prompts {seed})", float(shares[:2].sum()), ">", 0.5)
        evidence.expect(f"cyclic order agreement (prompts {seed})", cyclic_order_agreement(plane_angles(circle.means)), ">=", 1.0)


@pytest.mark.slow  # shares the weekday forward passes, plus 6 patched runs of each group
@claim("4.17", "Moving the day token along SmolLM2's weekday circle to another day moves the predicted next day "
       "with it (accuracy above 0.5 against 1/7 chance)", models=MODELS)
def test_moving_along_weekday_circle_shifts_prediction(model, weekday_circles, evidence):
    """Engels et al. 2024 (Sec. 5, Fig. 5) intervene on the circle's plane and shift the model's
    answer to weekday arithmetic. Here: on "<name> said that today is <day>, so tomorrow is" and
    similar prompts, the day token's coordinates in the per-day means' top-2 plane (the
    residual stream before block 6) are set to those of day + k's mean (k = 1..6; the rest of the
    vector kept), and the next-day prediction (argmax over the 7 day tokens) is scored against
    day + k + 1. Deviation: their target points come from a fitted circle, ours are the means.
    Threshold 0.5 (our own, set before measuring); precondition: the clean accuracy is > 0.8 (the
    model does the task)."""
    for seed, circle in weekday_circles.items():
        evidence.require(f"clean next-day accuracy (prompts {seed})", circle.next_day_accuracy(0), ">", 0.8)
        shifted = torch.tensor([circle.next_day_accuracy(k) for k in range(1, 7)])
        evidence.note(f"accuracy per shift k = 1..6 (prompts {seed})", plain(shifted, 3))
        evidence.expect(f"mean next-day accuracy after moving along the circle (prompts {seed})", shifted.mean(), ">", 0.5)


@claim("4.25", "SmolLM2's digit embeddings are ordered: the digits' coordinate on their top principal component "
       "is monotone in the digit's value (|Spearman rho| > 0.9)", models=MODELS)
def test_digit_embeddings_are_ordered(model, evidence):
    """Our own hypothesis, threshold set before measuring, after the ordered number geometry of
    Kantamneni & Tegmark 2025 ("Language models use trigonometry to do addition": a helix with a
    linear component in GPT-J / Pythia / Llama 3.1). The embeddings W_E of the 10 digit tokens
    "0".."9" (SmolLM2 tokenises numbers digit by digit). Weights only: one seed."""
    digits = torch.tensor([token_id(model.tokenizer, str(d)) for d in range(10)])
    points = model.W_E.detach()[digits.to(model.W_E.device)].cpu().double()
    shares, axes = principal_axes(points)
    coordinate = (points - points.mean(0)) @ axes[0]
    evidence.note("variance shares of the top 3 components", plain(shares[:3], 3))
    evidence.expect("|Spearman rho| of digit value and top-component coordinate", abs(spearmanr(range(10), coordinate).statistic),
                    ">", 0.9)


@pytest.mark.slow  # 600 texts through half the model, 425 s on 2 loaded cores
@claim("4.27", "A linear direction separates code from prose in SmolLM2's residual stream: held-out probe accuracy "
       "above 0.9, shuffled-label probe below 0.7", models=MODELS)
def test_code_prose_genre_direction(model, genre_probes, evidence):
    """Our own hypothesis, thresholds set before measuring. A logistic-regression probe
    (scikit-learn) on the mean residual stream before block 15 over 32-token texts: 100 Python
    function bodies and 100 docstring paragraphs from the standard library (a seed draws them and
    the 70/30 split). The same probe fitted on shuffled labels is the control (Hewitt & Liang
    2019): it should stay near chance (0.5)."""
    for seed, probe in genre_probes.items():
        evidence.expect(f"held-out probe accuracy (prompts {seed})", probe.accuracy, ">", 0.9)
        evidence.expect(f"shuffled-label probe accuracy (prompts {seed})", probe.shuffled_accuracy, "<", 0.7)
