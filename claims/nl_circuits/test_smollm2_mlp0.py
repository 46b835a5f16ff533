"""SmolLM2-135M-Instruct's first MLP (open problem 2.30): does ablating it ruin the model, as it
ruins GPT-2 small, and is it an "extended embedding", a function of the current token alone?
Data: per prompt seed, 100 windows of 32 tokens of prose (``catalog.prompts.text.docstring_corpus``);
loss is the mean next-token loss per window.
"""

from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.metrics import fraction_recovered

MODELS = ["smollm2-135m"]


@prompt_seeds()
@claim("2.30", "Mean-ablating SmolLM2's first MLP raises its loss on prose by more than 1 nat", models=MODELS)
def test_ablating_mlp0_ruins_smollm2(model, pack, prompt_seed, evidence):
    """Our own threshold, set before measuring (1 nat: "ruins", GPT-2 small's behaviour in the
    problem statement); MLP0's output is replaced by its per-position mean over the corpus."""
    losses = pack.corpus_losses(prompt_seed)
    increase = losses["MLP0 mean-ablated"] - losses["clean"]
    evidence.note("mean loss clean / ablated", [round(float(losses[k].mean()), 3) for k in ("clean", "MLP0 mean-ablated")])
    evidence.expect("loss increase (nats)", increase.mean(), ">", 1.0, per_example=increase)


@prompt_seeds()
@claim("2.30", "SmolLM2's first MLP is an extended embedding: a per-token lookup table in its place recovers more than 80% of the loss",
       models=MODELS, refuted="the table recovers 72% / 75% / 76% of the loss lost by mean-ablating MLP0 (prompt "
                              "seeds 0 / 1 / 2; mean loss clean 4.35 / 4.14 / 4.24, ablated 8.80 / 8.68 / 8.86, table "
                              "5.60 / 5.28 / 5.35)")
def test_mlp0_is_an_extended_embedding(model, pack, prompt_seed, evidence):
    """Our own threshold, set before measuring: (ablated - table) / (ablated - clean) loss
    > 0.8, the table being MLP0's output at the token after BOS alone
    (``harness.interp.embedding``); requires the ablation to cost at least 0.1 nat."""
    losses = pack.corpus_losses(prompt_seed)
    clean, ablated, table = (losses[k] for k in ("clean", "MLP0 mean-ablated", "MLP0 token table"))
    evidence.require("loss increase when ablated (nats)", (ablated - clean).mean(), ">", 0.1)
    evidence.note("mean loss with the lookup table", round(float(table.mean()), 3))
    evidence.expect("loss recovered", fraction_recovered(table.mean(), clean.mean(), ablated.mean()), ">", 0.8,
                    per_example=fraction_recovered(table, clean, ablated))
