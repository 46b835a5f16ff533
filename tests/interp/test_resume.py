import pytest
import torch

from harness.interp import resume
from harness.interp.hooks import RESID_HOOK, UNEMBED_IN_HOOK, Z_HOOK
from harness.interp.resume import ResumedRuns, blocks_from, first_block
from tests.toy_bridges import ARCHS, random_tokens, toy_bridge


def scale_hook(factor: float):
    return lambda act, hook=None: act * factor


def full_run(model, tokens, hooks, **kwargs):
    with torch.inference_mode():
        return model.run_with_hooks(tokens, fwd_hooks=hooks, **kwargs)


def test_the_first_block_is_the_lowest_hooked_one_and_zero_when_an_embedding_is_hooked():
    model = toy_bridge("attn-only")  # 3 layers
    assert first_block(model, [Z_HOOK.format(layer=2), RESID_HOOK.format(layer=1, where="mid")]) == 1
    assert first_block(model, [UNEMBED_IN_HOOK, "ln_final.hook_scale"]) == 3
    assert first_block(model, [Z_HOOK.format(layer=2), "hook_embed"]) == 0
    assert first_block(model, []) == 3


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_a_resumed_run_gives_the_full_runs_logits_exactly(arch):
    model = toy_bridge(arch)
    tokens = random_tokens(3, 8, 0)
    layers = model.cfg.n_layers
    runs = ResumedRuns(model, tokens, [*range(layers)] * 2)  # as many runs from each block
    assert sorted(runs.residuals) == list(range(1, layers))
    for start in range(layers):
        hooks = [(Z_HOOK.format(layer=start), scale_hook(0.5)), (UNEMBED_IN_HOOK, scale_hook(2.0))]
        assert torch.equal(runs.run(hooks), full_run(model, tokens, hooks)), start
        assert torch.equal(runs.run(hooks, replicas=2), full_run(model, tokens.repeat(2, 1), hooks)), start


def test_a_resumed_run_starts_at_the_latest_residual_not_past_its_first_hook():
    model = toy_bridge("attn-only")
    tokens = random_tokens(2, 8, 1)
    runs = ResumedRuns(model, tokens, [1, 1, 1])  # three runs from block 1: they skip a pass's blocks
    entered = []
    handles = [block.register_forward_pre_hook(lambda module, args, i=i: entered.append(i)) for i, block in enumerate(model.blocks)]
    hooks = [(Z_HOOK.format(layer=2), scale_hook(0.0))]
    try:
        resumed = runs.run(hooks)
    finally:
        for handle in handles:
            handle.remove()
    assert entered == [1, 2]
    assert torch.equal(resumed, full_run(model, tokens, hooks))


def test_a_resumed_run_that_stops_early_records_what_the_full_run_records():
    model = toy_bridge("ln-gelu")
    tokens = random_tokens(2, 8, 2)
    recorded = []
    hooks = [(Z_HOOK.format(layer=1), lambda z, hook: recorded.append(z.clone()))]
    ResumedRuns(model, tokens, [1, 1]).run(hooks, stop_at_layer=2)
    full_run(model, tokens, hooks, stop_at_layer=2)
    resumed, full = recorded
    assert torch.equal(resumed, full)


def test_the_block_list_comes_back_after_a_resumed_run_even_when_a_hook_raises():
    model = toy_bridge("ln-gelu")
    blocks = model.original_model.layers

    def broken(act, hook=None):
        raise RuntimeError("hook failed")

    with pytest.raises(RuntimeError, match="hook failed"):
        ResumedRuns(model, random_tokens(1, 4, 3), [1, 1]).run([(Z_HOOK.format(layer=1), broken)])
    assert model.original_model.layers is blocks and len(blocks) == 2
    with blocks_from(model, 1):
        assert list(model.original_model.layers) == [blocks[1]]
    assert model.original_model.layers is blocks


def test_a_model_not_known_to_resume_runs_full_passes(monkeypatch):
    monkeypatch.setattr(resume, "RESUMABLE", frozenset())
    model = toy_bridge("ln-gelu")
    tokens = random_tokens(2, 8, 4)
    runs = ResumedRuns(model, tokens, [1, 1])
    assert runs.residuals == {}
    hooks = [(Z_HOOK.format(layer=1), scale_hook(0.5))]
    assert torch.equal(runs.run(hooks), full_run(model, tokens, hooks))


def test_runs_that_would_skip_less_than_a_pass_do_not_resume():
    model = toy_bridge("attn-only")  # 3 layers
    tokens = random_tokens(2, 8, 5)
    assert ResumedRuns(model, tokens, [0, 1, 1]).residuals == {}
    assert sorted(ResumedRuns(model, tokens, [1, 2]).residuals) == [1, 2]
    assert sorted(ResumedRuns(model, tokens, [1], [Z_HOOK.format(layer=0)]).residuals) == [1]  # the pass runs anyway
