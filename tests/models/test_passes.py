import torch
from transformer_lens.model_bridge import TransformerBridge

from harness.interp.hooks import Z_HOOK
from harness.interp.resume import ResumedRuns
from harness.models import passes
from harness.models.flops import forward_flops, layer_flops, unembed_flops
from tests.toy_bridges import ARCHS, BASE


def test_repeated_clean_passes_are_counted_as_not_needed_and_patched_ones_as_needed(monkeypatch):
    monkeypatch.setattr(passes, "_counts", {})
    model = TransformerBridge.boot_native(dict(BASE, **ARCHS["attn-only"], seed=0)).eval()  # not the shared one: hooked here
    passes.watch(model, "toy")
    tokens, other = torch.arange(8)[None], torch.arange(1, 9)[None]
    with torch.no_grad():
        model(tokens)
        model.run_with_cache(tokens)  # could have been served by the first pass
        model.run_with_cache(other)
        model.run_with_hooks(tokens, fwd_hooks=[(Z_HOOK.format(layer=0), lambda z, hook: z * 0)])
    # the needed passes' tokens and FLOPs: two passes over ``tokens`` (clean, patched), one over ``other``
    toy = {"run": 4, "needed": 3, "needed_tokens": 24, "needed_flops": 3 * forward_flops(model, tokens)}
    assert passes.snapshot() == {"toy": toy}
    other = {"run": 2, "needed": 1, "needed_tokens": 0, "needed_flops": 0}
    assert passes.total([passes.snapshot(), {"other": {"run": 2, "needed": 1}}]) == {
        "run": 6, "needed": 4, "needed_tokens": 24, "needed_flops": toy["needed_flops"],
        "per_model": {"other": other, "toy": toy}}
    assert passes.describe(passes.total([passes.snapshot()])) == "4 run / 3 needed (1.3x)"
    assert passes.describe({}) == "none counted"


def test_a_block_run_on_its_own_before_any_pass_adds_nothing(monkeypatch):
    monkeypatch.setattr(passes, "_counts", {})
    model = TransformerBridge.boot_native(dict(BASE, **ARCHS["attn-only"], seed=0)).eval()  # not the shared one: hooked here
    passes.watch(model, "toy")
    passes.count_block("toy", model)
    assert passes.snapshot() == {"toy": {"run": 0, "needed": 0, "needed_tokens": 0, "needed_flops": 0}}


def test_a_resumed_pass_counts_once_with_the_flops_of_the_blocks_it_runs(monkeypatch):
    monkeypatch.setattr(passes, "_counts", {})
    model = TransformerBridge.boot_native(dict(BASE, **ARCHS["attn-only"], seed=0)).eval()  # 3 layers; hooked here
    passes.watch(model, "toy")
    tokens = torch.arange(8)[None]
    runs = ResumedRuns(model, tokens, [1, 2])  # one clean pass, for the residuals entering blocks 1 and 2
    runs.run([(Z_HOOK.format(layer=2), lambda z, hook: z * 0)])
    one_block = layer_flops(model.cfg, 1, 8) + unembed_flops(model.cfg, 8)
    assert passes.snapshot() == {"toy": {"run": 2, "needed": 2, "needed_tokens": 16,
                                         "needed_flops": forward_flops(model, tokens) + one_block}}
