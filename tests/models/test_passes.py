import torch
from transformer_lens.model_bridge import TransformerBridge

from harness.interp.hooks import Z_HOOK
from harness.models import passes
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
    assert passes.snapshot() == {"toy": {"run": 4, "needed": 3}}
    assert passes.total([passes.snapshot(), {"other": {"run": 2, "needed": 1}}]) == {
        "run": 6, "needed": 4, "per_model": {"other": {"run": 2, "needed": 1}, "toy": {"run": 4, "needed": 3}}}
    assert passes.describe(passes.total([passes.snapshot()])) == "4 run / 3 needed (1.3x)"
    assert passes.describe({}) == "none counted"
