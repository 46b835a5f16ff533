"""Induction, previous-token and duplicate-token heads in real language models (the ``causal-lm``
group; first SmolLM2-135M-Instruct, 4-bit quantised, dequantised to float32), problems 2.11, 2.26 and 2.21.

Data (Olsson et al. 2022): BOS, 20 uniform random tokens, the same 20 again; 32 sequences.
"""

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from harness import claim, group
from harness.interp.ablation import mean_ablate_heads
from harness.interp.heads import DETECTOR_THRESHOLD, head_name, heads_above, named_scores
from harness.interp.metrics import repeated_halves_loss
from harness.plain import plain

MODELS = group("causal-lm")


def heads_of(repeat_scores, kind):
    return heads_above(repeat_scores[kind], DETECTOR_THRESHOLD)


def check_heads_exist(repeat_scores, evidence, kind):
    """Threshold 0.4 on the best head's score (ARENA detector convention); the heads above it
    are noted."""
    evidence.note(f"{kind} heads", [head_name(h) for h in heads_of(repeat_scores, kind)])
    evidence.expect(f"max {kind} score", repeat_scores[kind].max(), ">", DETECTOR_THRESHOLD)


@claim("2.11", "The language model has induction heads on repeated random tokens", models=MODELS)
def test_smollm2_has_induction_heads(model, repeat_scores, evidence):
    """Threshold 0.4 on the induction score (Olsson et al. 2022), ARENA's detector threshold."""
    check_heads_exist(repeat_scores, evidence, "induction")


@claim("2.11", "Mean-ablating the model's induction heads raises its loss on the repeated half by more than 1 nat", models=MODELS)
def test_ablating_induction_heads_raises_repeated_half_loss(model, repeat_scores, evidence):
    """Threshold +1 nat (the design brief's induction hypothesis). The heads above the 0.4
    induction score are mean-ablated with means over a second repeated-token batch; a model
    without such heads cannot test the hypothesis (a precondition)."""
    evidence.require("induction heads above 0.4", len(heads_of(repeat_scores, "induction")), ">", 0)
    tokens = repeated_tokens_for(model, batch=32, half_len=REPEAT_HALF_LEN, seed=1000)
    _, clean = repeated_halves_loss(model, tokens, REPEAT_HALF_LEN)
    hooks = mean_ablate_heads(model, repeated_tokens_for(model, batch=32, half_len=REPEAT_HALF_LEN, seed=2000), heads_of(repeat_scores, "induction"))
    _, ablated = repeated_halves_loss(model, tokens, REPEAT_HALF_LEN, hooks)
    evidence.note("repeated-half loss clean / ablated", [round(clean, 3), round(ablated, 3)])
    evidence.expect("repeated-half loss increase (nats)", ablated - clean, ">", 1.0)


@claim("2.11", "The model's first induction head comes after its first previous-token head (K-composition needs the earlier head)",
       models=MODELS)
def test_previous_token_heads_precede_induction_heads(model, repeat_scores, evidence):
    """Elhage et al. 2021: an induction head reads the previous token written by an earlier
    previous-token head. Heads above 0.4 (ARENA); the layers are compared, where both kinds exist
    (a precondition)."""
    induction, previous = heads_of(repeat_scores, "induction"), heads_of(repeat_scores, "previous-token")
    evidence.require("induction heads above 0.4", len(induction), ">", 0)
    evidence.require("previous-token heads above 0.4", len(previous), ">", 0)
    evidence.expect("first induction layer - first previous-token layer", induction[0][0] - previous[0][0], ">", 0)


@claim("2.26", "The language model has a sharp previous-token head (score > 0.4)", models=MODELS)
def test_smollm2_has_previous_token_heads(model, repeat_scores, evidence):
    """Analog of GPT-2 small's L4H11 (2.26); threshold 0.4 (ARENA detector convention)."""
    check_heads_exist(repeat_scores, evidence, "previous-token")


@claim("2.21", "The language model has duplicate-token heads on repeated random tokens (score > 0.4)", models=MODELS)
def test_smollm2_has_duplicate_token_heads(model, repeat_scores, evidence):
    """Wang et al. 2022 (duplicate-token heads attend to an earlier copy of the current token);
    threshold 0.4 (ARENA detector convention)."""
    check_heads_exist(repeat_scores, evidence, "duplicate-token")


@claim("2.11", "SmolLM2's induction, previous-token and duplicate-token head sets are unchanged (regression snapshot)", models=["smollm2-135m"])
def test_smollm2_head_sets_snapshot(model, repeat_scores, evidence, claim_snapshot):
    """Regression guard (our own run): heads above 0.4 of each kind, scores rounded to 0.01 and
    matched within ``snapshots.TOLERANCE``."""
    sets = {kind: named_scores(repeat_scores[kind], heads_of(repeat_scores, kind)) for kind in repeat_scores}
    evidence.matches_snapshot("head sets", claim_snapshot, plain(sets, 2))
