"""Seed problem 3.27: where does direct logit attribution mislead? In IOI, Wang et al. 2022 found
heads whose direct effect says little about their role: S-inhibition heads act only through the
name movers' queries (no direct effect), and backup name movers make up for an ablated name
mover, so its total effect is smaller than its direct one. Here the two effects of one
intervention are compared head by head: noising the head's output with the ABC prompts, its
effect through the direct path alone (path patching to the logits, Wang et al. figure 3a) and
through every path (activation patching)."""

import torch

from harness import claim, group
from harness.claims.shared import prompt_seeds
from harness.interp.dla import misleading_direct_effects
from harness.interp.heads import top_heads

N_EACH = 5  # heads taken by their direct effect and by attribution patching's estimate of their total effect
NOISE = 0.05  # an effect below 5% of the clean logit difference counts as noise


@prompt_seeds()
@claim("3.27", "Direct logit attribution misleads about some IOI head: among the heads with the largest direct or "
       "estimated total effect, one's total effect has the opposite sign or is more than 10x off its direct effect",
       models=group("causal-lm"))
def test_dla_misleads_about_an_ioi_head(ioi_seeds, prompt_seed, evidence):
    """Our own hypothesis, set before measuring, from the IOI paper's S-inhibition and backup
    heads: at least one of the (up to 10) heads that are in the top ``N_EACH`` by |direct
    effect| or by |attribution-patching estimate| has a total effect of the opposite sign to its
    direct effect, or one more than 10x larger or smaller (the problem's "an order of
    magnitude"); effects below 5% of the clean IO - S logit difference on both paths are not
    counted. Effects are drops of the mean logit difference over the 100 prompts."""
    ioi = ioi_seeds.at(prompt_seed)
    direct = ioi.head_direct_effects
    estimated = ioi.head_attribution.abs()
    heads = list(dict.fromkeys(top_heads(direct.abs(), N_EACH) + top_heads(estimated, N_EACH)))
    chosen, total = torch.stack([direct[head] for head in heads]), ioi.head_total_effects(heads)
    misleading = misleading_direct_effects(chosen, total, NOISE * ioi.clean_logit_diff)
    evidence.note("head: direct / total effect of noising", {
        f"L{layer}H{head}": [round(float(d), 3), round(float(t), 3)] for (layer, head), d, t in zip(heads, chosen, total)})
    evidence.note("misleading heads", [f"L{layer}H{head}" for (layer, head), m in zip(heads, misleading) if m])
    evidence.expect("heads whose direct effect misleads about their total effect", int(misleading.sum()), ">=", 1)
