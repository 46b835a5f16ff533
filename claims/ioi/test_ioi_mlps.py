"""Seed problem 2.27: how much do the MLPs after the IOI name movers matter? Wang et al. 2022
study heads only: MLPs are recomputed and count as part of the direct paths, so their share of
the circuit is unmeasured there."""

from harness import claim, group
from harness.claims.shared import prompt_seeds
from harness.interp.ablation import mean_ablation, mlp_sites
from harness.interp.metrics import metric_with_hooks


@prompt_seeds()
@claim("2.27", "The MLPs from the first name-mover layer on matter for IOI: mean-ablating them all removes more than a quarter of the IO - S logit difference",
       models=group("causal-lm"),
       refuted={"smollm2-135m-seed0-prompts0": "mean-ablating MLPs 23-29 removes 12% (3.46 -> 3.05): in SmolLM2 the MLPs "
                                      "after the name movers carry little of the IO - S logit difference",
                "smollm2-135m-seed0-prompts1": "MLPs 23-29 mean-ablated remove 17% (3.42 -> 2.84)",
                "smollm2-135m-seed0-prompts2": "MLPs 23-29 mean-ablated remove 16% (3.61 -> 3.02)"})
def test_mlps_after_the_name_movers_matter(model, ioi_seeds, prompt_seed, evidence):
    """Our own hypothesis, set before measuring: replacing every MLP output from the first
    name-mover layer (DLA name movers, as the other IOI claims) to the last by its per-position
    mean over the ABC prompts (the IOI paper's ablation, applied to MLPs) removes > 25% of the
    clean IO - S logit difference, on each of three IOI prompt draws. Precondition: the model has
    MLPs."""
    evidence.require("MLP layers", 0 if model.cfg.attn_only else model.cfg.n_layers, ">", 0)
    ioi = ioi_seeds.at(prompt_seed)
    first, prompts = min(layer for layer, _ in ioi.name_movers()), ioi.prompts
    hooks = mean_ablation(model, prompts.corrupted, mlp_sites(range(first, model.cfg.n_layers)))
    ablated, clean = metric_with_hooks(model, prompts.tokens, hooks, ioi.io_minus_s), ioi.clean_logit_diff
    evidence.note("MLP layers ablated", [first, model.cfg.n_layers - 1])
    evidence.note("logit diff clean / ablated", [round(clean, 3), round(ablated, 3)])
    evidence.expect("fraction of the logit difference removed", 1 - ablated / clean, ">", 0.25)
