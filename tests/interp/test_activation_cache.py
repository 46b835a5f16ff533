import gc

import pytest
import torch
from tests.toy_bridges import ARCHS, random_tokens, toy_bridge

from harness.interp import activation_cache
from harness.interp.activation_cache import ActivationMemo, CleanRun, clean_logits, forward_pass, has_hooks, memory_bound
from harness.interp.hooks import (
    EMBED_HOOK, MLP_OUT_HOOK, NEURON_HOOK, NORM_OUT_HOOK, PATTERN_HOOK, QKV_HOOK, RESID_HOOK, SCALE_HOOK, UNEMBED_IN_HOOK,
    Z_HOOK,
)

NAMES = {Z_HOOK.format(layer=0), PATTERN_HOOK.format(layer=1)}


class PassCounter:
    """Counts the forward passes a model runs (at its embedding, which every pass enters)."""

    def __init__(self, model) -> None:
        self.count = 0
        self.handle = model.embed.register_forward_pre_hook(self.one)

    def one(self, *args) -> None:
        self.count += 1


@pytest.fixture
def model():
    model = toy_bridge("ln-gelu")
    counter = PassCounter(model)
    yield model, counter
    counter.handle.remove()


def expected(model, tokens, names) -> CleanRun:
    return forward_pass(model, tokens, set(names), None, logits=True)


def toolkit_hook_names(model) -> set[str]:
    """Every hook of ``harness.interp.hooks`` the model has, at every layer."""
    per_layer = [Z_HOOK, PATTERN_HOOK, MLP_OUT_HOOK, NEURON_HOOK, *(QKV_HOOK.format(layer="{layer}", kind=k) for k in "qkv"),
                 *(RESID_HOOK.format(layer="{layer}", where=w) for w in ("pre", "mid", "post")),
                 *(NORM_OUT_HOOK.format(layer="{layer}", norm=n) for n in ("ln1", "ln2"))]
    names = {t.format(layer=layer) for t in per_layer for layer in range(model.cfg.n_layers)}
    return {name for name in names | {EMBED_HOOK, SCALE_HOOK, UNEMBED_IN_HOOK} if name in model.hook_dict}


@pytest.mark.parametrize("arch", ARCHS)
def test_a_full_pass_captures_what_run_with_cache_caches(arch):
    model, tokens = toy_bridge(arch), random_tokens(2, 8, 0)
    names = toolkit_hook_names(model)
    run = forward_pass(model, tokens, names, None, logits=True)
    logits, cache = model.run_with_cache(tokens, names_filter=lambda n: n in names)
    assert run.activations.keys() == {name for name in names if name in cache} and len(run.activations) > 10
    for name in run.activations:
        torch.testing.assert_close(run.activations[name], cache[name], rtol=0, atol=0, msg=name)
    torch.testing.assert_close(run.logits, logits, rtol=0, atol=0)
    assert not has_hooks(model)


def test_a_full_pass_leaves_the_callers_own_hooks_in_place():
    model, tokens = toy_bridge(), random_tokens(2, 8, 0)
    seen = []
    with model.hooks(fwd_hooks=[(EMBED_HOOK, lambda act, hook=None: seen.append(act.shape))]):  # gone on exit: the model is shared
        forward_pass(model, tokens, {EMBED_HOOK, Z_HOOK.format(layer=0)}, None, logits=False)
        assert len(seen) == 1 and len(model.hook_dict[EMBED_HOOK].fwd_hooks) == 1


def test_a_repeated_request_runs_no_second_pass(model):
    model, passes = model
    memo, tokens = ActivationMemo(1 << 30), random_tokens(3, 8, 0)
    first = memo.run(model, tokens, NAMES, logits=True)
    again = memo.run(model, tokens.clone(), [Z_HOOK.format(layer=0)])
    assert passes.count == 1 and (memo.hits, memo.misses) == (1, 1)
    reference = expected(model, tokens, NAMES)
    for name in NAMES:
        torch.testing.assert_close(first.activations[name], reference.activations[name])
    torch.testing.assert_close(again.activations[Z_HOOK.format(layer=0)], reference.activations[Z_HOOK.format(layer=0)])
    torch.testing.assert_close(first.logits, reference.logits)


def test_new_names_run_one_pass_for_the_missing_only_and_keep_the_rest(model):
    model, passes = model
    memo, tokens = ActivationMemo(1 << 30), random_tokens(3, 8, 1)
    memo.run(model, tokens, NAMES)
    extra = Z_HOOK.format(layer=1)
    run = memo.run(model, tokens, NAMES | {extra})
    assert passes.count == 2 and set(run.activations) == NAMES | {extra}
    memo.run(model, tokens, NAMES | {extra})
    assert passes.count == 2


def test_other_tokens_or_an_early_stop_are_other_entries(model):
    model, passes = model
    memo = ActivationMemo(1 << 30)
    memo.run(model, random_tokens(3, 8, 2), NAMES)
    memo.run(model, random_tokens(3, 8, 3), NAMES)
    memo.run(model, random_tokens(3, 8, 3), [Z_HOOK.format(layer=0)], stop_at_layer=1)
    assert passes.count == 3


def test_a_pass_with_hooks_on_the_model_is_not_memoised(model):
    model, passes = model
    memo, tokens, name = ActivationMemo(1 << 30), random_tokens(3, 8, 4), Z_HOOK.format(layer=0)
    clean = memo.run(model, tokens, [name]).activations[name]
    with model.hooks(fwd_hooks=[(name, lambda act, hook: act * 0)]):
        zeroed = memo.run(model, tokens, [name]).activations[name]
    assert zeroed.abs().max() == 0 and clean.abs().max() > 0
    assert memo.run(model, tokens, [name]).activations[name] is clean
    assert passes.count == 2


def test_an_in_place_edit_of_the_weights_is_seen():
    model = toy_bridge("attn-only", seed=7)
    memo, tokens = ActivationMemo(1 << 30), random_tokens(3, 8, 5)
    before = memo.run(model, tokens, (), logits=True).logits
    with torch.no_grad():
        model.W_U.mul_(2.0)
    after = memo.run(model, tokens, (), logits=True).logits
    with torch.no_grad():
        model.W_U.div_(2.0)
    assert not torch.allclose(before, after)


def test_the_least_recently_used_entries_go_beyond_the_memory_bound(model):
    model, passes = model
    one = expected(model, random_tokens(3, 8, 0), NAMES)
    memo, passes.count = ActivationMemo(int(4.5 * CleanRun(one.activations).nbytes)), 0
    for seed in range(6):
        memo.run(model, random_tokens(3, 8, seed), NAMES)
    assert len(memo.entries) == 4 and memo.nbytes <= memo.max_bytes
    memo.run(model, random_tokens(3, 8, 5), NAMES)
    memo.run(model, random_tokens(3, 8, 0), NAMES)
    assert passes.count == 7  # six, then seed 5 remembered and seed 0 evicted


def test_a_collected_model_leaves_no_entries():
    memo = ActivationMemo(1 << 30)
    model = toy_bridge.__wrapped__("attn-only", seed=11)
    memo.run(model, random_tokens(2, 8, 0), [PATTERN_HOOK.format(layer=0)])
    assert len(memo.entries) == 1
    del model
    gc.collect()
    assert len(memo.entries) == 0


def test_clean_logits_of_a_model_without_run_with_cache():
    mlp = torch.nn.Linear(4, 3)
    x = torch.randn(2, 4)
    torch.testing.assert_close(clean_logits(mlp, x), mlp(x).detach())


def test_the_memory_bound_reads_sizes_and_names_a_bad_one(monkeypatch):
    monkeypatch.setenv("MI_CLAIMS_ACTIVATION_MEMORY", "500M")
    assert memory_bound() == 500 << 20
    monkeypatch.setenv("MI_CLAIMS_ACTIVATION_MEMORY", "lots")
    with pytest.raises(ValueError, match="MI_CLAIMS_ACTIVATION_MEMORY"):
        memory_bound()


def test_a_tokens_tensor_is_copied_to_the_host_once_until_edited_in_place(monkeypatch):
    hashed = []
    monkeypatch.setattr(activation_cache, "bytes_digest", lambda t: hashed.append(t) or f"{t.sum().item()}")
    tokens = random_tokens(2, 5, 0)
    first = activation_cache.tokens_digest(tokens)
    assert activation_cache.tokens_digest(tokens) == first and len(hashed) == 1
    assert activation_cache.tokens_digest(tokens.clone()) == first and len(hashed) == 2  # another object: hashed
    tokens[0, 0] += 1
    assert activation_cache.tokens_digest(tokens) != first and len(hashed) == 3
    with torch.inference_mode():
        frozen = random_tokens(2, 5, 0) + 0
    activation_cache.tokens_digest(frozen), activation_cache.tokens_digest(frozen)
    assert len(hashed) == 5  # inference tensors keep no version counter: hashed each time


def test_one_size_rule_drops_logits_first_and_keeps_no_run_over_a_quarter_of_the_bound():
    memo, key = ActivationMemo(64 * 400), ("model", "tokens")
    activations, logits = {"a": torch.zeros(10)}, torch.zeros(101)  # 40 and 404 bytes
    run = CleanRun(activations, logits)
    assert memo.fit(run, logits=False).logits is None  # 404 bytes of logits, over 1/64 of the bound: not asked, dropped
    assert memo.fit(run, logits=True) is run  # asked for and within a quarter: kept
    small = CleanRun({"a": torch.zeros(1000)}, torch.zeros(10))
    assert memo.fit(small, logits=False) is small  # 40 bytes of logits, within 1/64: kept even unasked
    big = CleanRun({"a": torch.zeros(64 * 100 // 4)}, logits)  # the activations alone fill a quarter
    assert memo.fit(big, logits=True).logits is None
    memo.remember(torch.nn.Linear(1, 1), key, CleanRun({"a": torch.zeros(64 * 100 // 4 + 1)}), logits=False)
    assert not memo.entries  # still over a quarter: not kept
