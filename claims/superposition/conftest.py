"""The baselines the ReLU-output variants are compared with: the ``sweep_baseline`` and
``repeats_baseline`` fixtures. Claims on the models with ``REPEATS`` instances per sparsity run
seed 0 in CI (its instances already give the uncertainty); seeds 1 and 2 are marked ``slow``."""

import functools
from pathlib import Path

import pytest
import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from catalog.head_superposition import FLAG_RULE_MODELS, FLAGS, RULE_SOURCE, flag_rule_sequences, partner, rule_answers
from catalog.prompts.concepts import WeekdayGroup, genre_texts, weekday_ids, weekday_prompts
from harness.claims.shared import mark_slow_beyond, per_target
from harness.interp.ablation import cache_activations, replace_hook, run_with_hooks
from harness.interp.heads import attention_patterns, attention_to_targets, induction_targets, previous_token_targets
from harness.interp.hooks import ALL, RESID_HOOK
from harness.interp.probes import ProbeResult, linear_probe
from harness.interp.subspaces import principal_axes
from harness.tms import neuron_features

BASELINE = "tms-relu-n20-m5-sweep"
REPEATS_BASELINE = "tms-relu-n20-m5-repeats"
#: Claim models with ``REPEATS`` instances per sparsity (compared with ``REPEATS_BASELINE``).
REPEATS_MODELS = {"tms-relu-n20-m5-dropout-repeats", "tms-relu-n20-m5-discrete123"}
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    mark_slow_beyond(items, HERE, {0}, REPEATS_MODELS | BEYOND_TMS_MODELS | FLAG_RULE_NAMES | PAIRED_TMS_MODELS)


@pytest.fixture
def sweep_baseline(model, model_at_seed):
    """``W`` ``[instances, m, n]`` of the ``BASELINE`` sweep model of the claim's seed, restricted
    to the claim model's densities (its instances trained at the same sparsities)."""
    base = model_at_seed(BASELINE)
    return base.net.W.detach()[[base.instance(float(d)) for d in model.densities]]


@pytest.fixture
def repeats_baseline(model_at_seed):
    """The ``REPEATS_BASELINE`` model (U[0, 1] values, several initialisations per sparsity) of
    the claim's seed."""
    return model_at_seed(REPEATS_BASELINE)


# --- Issue #18 (4.17, 4.21, 4.22, 4.24-4.27): superposition beyond the toy-model paper, on
# SmolLM2-135M and the toy induction models. Seed 0 runs in CI. SmolLM2 has one seed (its
# weights): its measurements are repeated on ``PROMPT_SEEDS`` draws of the prompt sets. ---

BEYOND_TMS_MODELS = {"toy-attn-2l"}
PROMPT_SEEDS = (0, 1, 2)


@per_target
def head_roles(model, target):
    """{"induction", "previous-token": [n_layers, n_heads]} attention scores on 32 repeated-token
    sequences (half length 20, data seed 1000 + the claim's seed), from one forward pass."""
    tokens = repeated_tokens_for(model, batch=32, half_len=REPEAT_HALF_LEN, seed=1000 + target.seed)
    patterns = attention_patterns(model, tokens)
    return {"induction": attention_to_targets(patterns, induction_targets(tokens)).cpu(),
            "previous-token": attention_to_targets(patterns, previous_token_targets(tokens)).cpu()}


WEEKDAY_LAYER = 6  # the residual stream before block 6 of SmolLM2's 30, at the day token (chosen before measuring)
GENRE_LAYER = 15  # the residual stream before block 15, mean over the text's tokens (chosen before measuring)


class WeekdayCircle:
    """Day-of-the-week representations on ``weekday_prompts`` (3 templates x 3 names x 7 days,
    drawn with the seed) at ``WEEKDAY_LAYER``: ``points`` [groups, 7, d_model], the per-day means'
    top-2 principal plane ``plane`` [d_model, 2], and the model's next-day predictions (argmax over
    the 7 day tokens at the last position), clean and after moving the day token's plane
    coordinates to another day's mean."""

    def __init__(self, model, seed: int):
        self.model, self.hook = model, RESID_HOOK.format(layer=WEEKDAY_LAYER, where="pre")
        self.groups = weekday_prompts(model.tokenizer, n_templates=3, n_names=3, seed=seed)
        self.day_ids = weekday_ids(model.tokenizer)

    @functools.cached_property
    def activations(self) -> list[torch.Tensor]:
        """Per group: [7, seq, d_model] float64 at the hook."""
        return [cache_activations(self.model, g.tokens, [self.hook])[self.hook].double().cpu() for g in self.groups]

    @functools.cached_property
    def points(self) -> torch.Tensor:
        return torch.stack([x[:, g.day_position] for g, x in zip(self.groups, self.activations)])

    @functools.cached_property
    def means(self) -> torch.Tensor:
        return self.points.mean(0)  # [7, d_model]

    @functools.cached_property
    def plane(self) -> torch.Tensor:
        return principal_axes(self.means)[1][:2].T

    def predicted_days(self, group: WeekdayGroup, x: torch.Tensor, shift: int = 0) -> torch.Tensor:
        """[7] predicted day index per prompt; with ``shift`` the day token's coordinates in
        ``plane`` are those of the mean of the day ``shift`` later (0: no intervention). x: the
        group's clean activations."""
        hooks = []
        if shift:
            target = self.means.roll(-shift, 0)  # row d: the mean of day d + shift
            moved = x.clone()
            moved[:, group.day_position] += (target - x[:, group.day_position]) @ self.plane @ self.plane.T
            hooks = [(self.hook, replace_hook((ALL, group.day_position), moved.float().to(self.model.cfg.device or "cpu")))]
        logits = run_with_hooks(self.model, group.tokens, hooks)[:, -1].cpu()
        return logits[:, self.day_ids].argmax(-1)

    def next_day_accuracy(self, shift: int) -> float:
        """Share of prompts whose prediction is the day after (day + ``shift``)."""
        expected = (torch.arange(7) + shift + 1) % 7
        return float(torch.stack([self.predicted_days(g, x, shift) == expected for g, x in zip(self.groups, self.activations)]).float().mean())


@per_target
def weekday_circles(model):
    """{prompt seed: WeekdayCircle} over ``PROMPT_SEEDS``."""
    return {seed: WeekdayCircle(model, seed) for seed in PROMPT_SEEDS}


def genre_probe(model, seed: int) -> ProbeResult:
    """``linear_probe`` of code (1) against prose (0): 100 standard-library texts of each genre
    (32 tokens, drawn with ``seed``), features the mean residual stream at ``GENRE_LAYER``."""
    tokens, labels = genre_texts(model.tokenizer, n_per_genre=100, n_tokens=32, seed=seed)
    hook = RESID_HOOK.format(layer=GENRE_LAYER, where="pre")
    features = torch.cat([cache_activations(model, batch, [hook])[hook][:, 1:].mean(1).cpu() for batch in tokens.split(50)])
    return linear_probe(features, labels, seed=seed)


@per_target
def genre_probes(model):
    """{prompt seed: ``genre_probe``} over ``PROMPT_SEEDS``."""
    return {seed: genre_probe(model, seed) for seed in PROMPT_SEEDS}


# --- Issue #18, section 4 continued (4.15 attention-head superposition, 4.16 simultaneous
# interference, 4.19 non-decomposable network). Seed 0 runs in CI, seeds 1-2 are slow. ---

FLAG_RULE_NAMES = {spec.name for spec in FLAG_RULE_MODELS.values()}
PAIRED_TMS_MODELS = {"tms-pairs-together-n4-m2", "tms-pairs-apart-n4-m2"}
FLAG_RULE_EVAL = 512  # sequences per rule


class FlagRuleBehaviour:
    """A ``flag-rules`` model (``catalog.head_superposition``) on ``FLAG_RULE_EVAL`` sequences
    per rule (drawn with 1000 + seed), each without its answer: per rule, the accuracy, the
    margin of the answer's logit over its pair partner's, and each head's attention from the
    flag to the rule's source position."""

    def __init__(self, model, seed: int):
        self.model = model
        self.tokens = {rule: flag_rule_sequences(torch.Generator().manual_seed(1000 + seed), FLAG_RULE_EVAL, flag)[:, :-1]
                       for rule, flag in FLAGS.items()}

    @functools.cached_property
    def logits(self) -> dict[str, torch.Tensor]:
        """{rule: [batch, d_vocab]} at the flag."""
        return {rule: run_with_hooks(self.model, tokens, [])[:, -1].detach().cpu() for rule, tokens in self.tokens.items()}

    def accuracy(self, rule: str) -> float:
        return float((self.logits[rule].argmax(-1) == rule_answers(self.tokens[rule])).float().mean())

    def pair_margin(self, rule: str) -> torch.Tensor:
        """[batch] logit(answer) - logit(partner(answer)): the candidate the other OV map gives."""
        answers = rule_answers(self.tokens[rule])
        return self.logits[rule].gather(1, answers[:, None])[:, 0] - self.logits[rule].gather(1, partner(answers)[:, None])[:, 0]

    def source_attention(self, rule: str) -> torch.Tensor:
        """[n_heads] mean attention from the flag to ``RULE_SOURCE[rule]``."""
        return attention_patterns(self.model, self.tokens[rule])[0, :, :, -1, RULE_SOURCE[rule]].mean(0).cpu()


@per_target
def flag_rules(model, target):
    """``FlagRuleBehaviour`` of the claim's model."""
    return FlagRuleBehaviour(model, target.seed)


@pytest.fixture
def flag_rules_control(model_at_seed, target):
    """``FlagRuleBehaviour`` of the control with one head per rule, at the claim's seed."""
    return FlagRuleBehaviour(model_at_seed(FLAG_RULE_MODELS[2].name), target.seed)


# --- Issue #18 (4.41, 4.42, 4.44): getting rid of superposition, on the absolute-value toy. One
# measure for all three: the monosemantic share of the live neurons of the sparse instances. ---

SPARSE_DENSITY = 0.1  # instances at S >= 0.9: features rarely co-occur, and the narrow models superpose
RATING_BATCH = 8192  # inputs of the training distribution (density 0.01: ~80 examples per feature)


@pytest.fixture
def neuron_rating():
    """``neuron_rating(run, net=None)``: {"monosemantic share", "features with a neuron", "live
    neurons"} of ``net`` (default: the run's own) on ``RATING_BATCH`` fresh inputs of the ``TMSRun``'s
    distribution, over its instances at density <= ``SPARSE_DENSITY`` (``neuron_features``):
    the share of live neurons that look monosemantic (80% of their top 20 inputs have the same
    largest feature), and the number of (instance, feature) pairs with a monosemantic neuron."""
    def rate(run, net=None) -> dict[str, float]:
        features = neuron_features(run.net if net is None else net, run.eval_batch(RATING_BATCH)[0])
        rated = [f for f, d in zip(features, run.densities.tolist()) if d <= SPARSE_DENSITY + 1e-6]  # float32 densities
        live = torch.cat(rated)
        return {"monosemantic share": float((live >= 0).float().mean()),
                "features with a neuron": sum(len(f[f >= 0].unique()) for f in rated), "live neurons": len(live)}

    return rate
