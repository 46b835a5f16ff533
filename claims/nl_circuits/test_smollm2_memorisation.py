"""Memorisation in SmolLM2-135M-Instruct (open problem 2.10): famous passages (digits of pi and
e, licences, speeches, nursery rhymes, opening lines; ``catalog.prompts.text``) cut at seeded
points, 100 prompts per prompt seed. A prompt is completed verbatim when the greedy continuation
gives the next 8 tokens of the passage (teacher-forced argmax = greedy while it is right). The
logit lens gives the layer from which each memorised token is decodable.
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.lens import first_decodable_layer

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.10", "SmolLM2-135M completes at least half of the famous-passage prompts verbatim for 8 tokens", models=MODELS,
       refuted="1% / 2% / 0% of the prompts are completed verbatim (prompt seeds 0 / 1 / 2); 49% / 50% of the "
               "continuation tokens are right (prompt seeds 0 / 1)")
def test_smollm2_completes_famous_passages_verbatim(model, pack, prompt_seed, evidence):
    """Our own hypothesis, set before measuring: threshold 0.5 of the prompts (passages chosen as
    ones most web text repeats). The spread is each prompt's share of right tokens."""
    predicted, truth, _ = pack.memorised(prompt_seed)
    right = (predicted == truth).float()
    evidence.note("share of continuation tokens right", round(float(right.mean()), 3))
    evidence.expect("share of prompts completed verbatim", right.all(-1).float().mean(), ">=", 0.5, per_example=right.mean(-1))


@prompt_seeds()
@claim("2.10", "A memorised continuation becomes decodable by the logit lens only in SmolLM2's second half (median layer >= 15 of 30)",
       models=MODELS)
def test_memorised_tokens_are_decodable_late(model, pack, prompt_seed, evidence):
    """Our own hypothesis, set before measuring: the lens's top-1 is the memorised token from a
    layer >= 15 on (median over the continuation tokens of the verbatim prompts); requires 10
    verbatim prompts."""
    predicted, truth, lens = pack.memorised(prompt_seed)
    verbatim = (predicted == truth).all(-1)
    evidence.require("verbatim prompts", verbatim.sum(), ">=", 10)
    layers = first_decodable_layer(lens[:, verbatim], truth[verbatim]).flatten().float()
    evidence.expect("median first decodable layer", layers.median(), ">=", model.cfg.n_layers // 2, per_example=layers)
