import torch
from tests.toy_bridges import toy_bridge

from harness.interp.ablation import cache_activations
from harness.interp.embedding import mlp_token_table, token_table_hooks
from harness.interp.hooks import MLP_OUT_HOOK


def test_the_table_is_the_mlp_output_after_bos_and_the_hooks_write_it_at_every_position():
    model, bos = toy_bridge("rms-gqa"), 0
    ids = torch.tensor([4, 9, 17])
    table = mlp_token_table(model, ids, bos, layer=1)
    pairs = torch.stack([torch.zeros_like(ids), ids], 1)
    torch.testing.assert_close(table, cache_activations(model, pairs, [MLP_OUT_HOOK.format(layer=1)])[MLP_OUT_HOOK.format(layer=1)][:, 1])
    tokens = torch.tensor([[bos, 9, 4, 9], [bos, 17, 17, 4]])
    [(name, hook)] = token_table_hooks(model, tokens, bos, layer=1)
    assert name == MLP_OUT_HOOK.format(layer=1)
    written = hook(torch.zeros(2, 4, model.cfg.d_model))
    torch.testing.assert_close(written[0, 1], table[1])
    torch.testing.assert_close(written[1, 3], table[0])
    torch.testing.assert_close(written[0, 1], written[0, 3])
