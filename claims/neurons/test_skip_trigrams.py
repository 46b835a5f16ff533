"""Skip-trigram bugs and how a larger model fixes them (open problems 1.17, 1.18): the 1-layer
members of the family trained here (``lm`` tier) and the TransformerLens originals (hub; skipped
without them). Prompts: ``catalog.prompts.induction_bugs.skip_trigrams`` (Elhage et al. 2021:
"keep ... in mind" and "keep ... at bay" in a 1-layer attention-only model also raise "keep ... in
bay" and "keep ... at mind"), 16 of each with 3 random tokens between (seed 1000 + the prompt seed),
against the same prompts with "keep" replaced by a random token.
"""

import torch

from catalog.prompts.induction_bugs import skip_trigrams
from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.activation_cache import clean_logits

ATTENTION_ONLY = {"lm-gelu-1l": "lm-attn-1l", "lm-solu-1l": "lm-attn-1l", "gelu-1l": "attn-only-1l", "solu-1l": "attn-only-1l"}
LEARNED = 1.0  # nats: "keep" raises the right completion this much, so the model has the skip-trigram


def keep_gains(model, codec, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(right [n], wrong [n]): how much "keep" raises the log-probability of each prompt's own
    completion ("mind" after "in") and of the other trigram's ("bay" after "in"), against the
    prompt without it (nats)."""
    prompts = skip_trigrams(codec, model.cfg.d_vocab, seed=1000 + seed)
    gains = []
    for completion in (prompts.right, prompts.wrong):
        log_probs = [clean_logits(model, t)[:, -1].float().log_softmax(-1).cpu().gather(1, completion[:, None])[:, 0]
                     for t in (prompts.tokens, prompts.control)]
        gains.append(log_probs[0] - log_probs[1])
    return gains[0], gains[1]


@prompt_seeds()
@claim("1.17", "A 1-layer attention-only model has the skip-trigram bug: 'keep ... in' raises 'bay' (and 'keep ... "
       "at' raises 'mind') by more than 0.5 nats", models=["lm-attn-1l", "attn-only-1l"])
def test_one_layer_attention_has_skip_trigram_bug(model, neurons, prompt_seed, evidence):
    """Elhage et al. 2021 ("Skip-trigram bugs"): an attention head that copies "mind" and "bay"
    from "keep" cannot make one depend on whether the current token is "in" or "at". Threshold
    0.5 nats our own, set before measuring. Requires the skip-trigrams learned: "keep" raises
    the right completion by > 1 nat."""
    right, wrong = keep_gains(model, neurons.codec, prompt_seed)
    evidence.require("mean gain of the right completion (nats)", right.mean(), ">", LEARNED)
    evidence.expect("mean gain of the wrong completion (nats)", wrong.mean(), ">", 0.5, per_example=wrong)


@prompt_seeds()
@claim("1.18", "A 1-layer MLP model fixes the skip-trigram bug: 'keep' raises the wrong completion by at least "
       "0.5 nats less than in the 1-layer attention-only model", models=list(ATTENTION_ONLY))
def test_one_layer_mlp_fixes_skip_trigram_bug(model, neurons, target, baseline_neurons, prompt_seed, evidence):
    """Our own hypothesis and threshold (0.5 nats), set before measuring: the MLP reads both
    "keep" (through attention) and the current token, so it can cancel the wrong completion. The
    same prompts for both (one tokenizer per family); the difference of the right completion's
    gains is noted. Requires both models to have the
    skip-trigrams (right gain > 1 nat)."""
    baseline = baseline_neurons(ATTENTION_ONLY[target.model])
    right, wrong = keep_gains(model, neurons.codec, prompt_seed)
    base_right, base_wrong = keep_gains(baseline.model, neurons.codec, prompt_seed)
    evidence.require("smaller mean gain of the right completion (nats)", min(right.mean(), base_right.mean()), ">", LEARNED)
    evidence.note("mean right-completion gain, MLP minus attention-only (nats)", float((right - base_right).mean()))
    fix = base_wrong - wrong
    evidence.expect("wrong-completion gain, attention-only minus MLP (nats)", fix.mean(), ">", 0.5, per_example=fix)
