import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformer_lens.head_detector import detect_head
from tests.toy_bridges import toy_bridge, random_tokens

from harness.interp.composition import expand_kv_heads
from harness.interp.heads import (attention_patterns, attention_to_targets_per_example, clear_top_head, attention_to_targets,
                                 bos_targets, copying_scores, offset_induction_targets,
                                 duplicate_token_targets, duplicate_token_scores, heads_above, induction_scores,
                                 induction_targets, ov_copying_accuracy, ov_eigenvalues, ov_pair_ranks, previous_token_scores, previous_token_targets,
                                 top_head)

TL_NAMES = {"previous_token_head": (previous_token_scores, previous_token_targets),
            "duplicate_token_head": (duplicate_token_scores, duplicate_token_targets),
            "induction_head": (induction_scores, induction_targets)}


def repeated(seed: int, half: int = 6) -> torch.Tensor:
    """[1, 2 * half + 1]: BOS-like token 0, then ``half`` distinct tokens twice."""
    first = torch.randperm(39, generator=torch.Generator().manual_seed(seed))[:half] + 1
    return torch.cat([torch.zeros(1, dtype=torch.long), first, first])[None]


def test_targets_on_a_repeated_sequence():
    tokens = repeated(0, half=3)  # positions 1..3 and 4..6 hold the same tokens
    assert previous_token_targets(tokens)[0].nonzero().tolist() == [[q, q - 1] for q in range(1, 7)]
    assert duplicate_token_targets(tokens)[0].nonzero().tolist() == [[4, 1], [5, 2], [6, 3]]
    assert induction_targets(tokens)[0].nonzero().tolist() == [[4, 2], [5, 3], [6, 4]]
    assert bos_targets(tokens)[0].nonzero().tolist() == [[q, 0] for q in range(1, 7)]


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 12))
def test_an_exact_previous_token_pattern_scores_one(seq):
    targets = previous_token_targets(torch.zeros(1, seq, dtype=torch.long))
    pattern = targets.float().clone()
    pattern[0, 0, 0] = 1.0  # the first query can only attend to itself
    scores = attention_to_targets(pattern[None, :, None], targets)  # one layer, one head
    assert scores.item() == pytest.approx(1.0)


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa", "attn-only"])
@pytest.mark.parametrize("head_name", sorted(TL_NAMES))
def test_scores_match_transformer_lens_detect_head(arch, head_name, monkeypatch):
    """TL's "mul" score divides the attention on targets by every query (the pattern's sum);
    ours averages over the queries that have a target: the two differ by that count ratio."""
    model = toy_bridge(arch)
    monkeypatch.setattr(model, "to_tokens", lambda seq, *args, **kwargs: seq)  # native models have no tokenizer
    score_fn, targets_fn = TL_NAMES[head_name]
    for seed in range(3):
        tokens = repeated(seed)
        ours = score_fn(model, tokens)
        with_target = targets_fn(tokens).any(-1).sum().item()
        theirs = detect_head(model, tokens, head_name)
        torch.testing.assert_close(ours * with_target / tokens.shape[1], theirs, atol=1e-5, rtol=1e-4)


def test_attention_patterns_shape_and_rows_sum_to_one():
    model = toy_bridge("rms-gqa")
    patterns = attention_patterns(model, random_tokens(3, 7, seed=0))
    assert patterns.shape == (2, 3, 4, 7, 7)
    torch.testing.assert_close(patterns.sum(-1), torch.ones(2, 3, 4, 7))


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_copying_eigenvalues_match_the_full_vocabulary_circuit(arch):
    """The d_head x d_head shortcut has the non-zero eigenvalues of W_E W_V W_O W_U."""
    model = toy_bridge(arch)
    eigenvalues = ov_eigenvalues(model)
    w_v = model.W_V.detach().double().repeat_interleave(model.cfg.n_heads // model.W_V.shape[1], dim=1)
    for layer, head in [(0, 0), (1, 3)]:
        full = model.W_E.detach().double() @ w_v[layer, head] @ model.W_O[layer, head].detach().double() @ model.W_U.detach().double()
        full_eig = torch.linalg.eigvals(full)
        top = full_eig[full_eig.abs().argsort(descending=True)][: model.cfg.d_head]
        ours = eigenvalues[layer, head]
        torch.testing.assert_close(ours.abs().sort().values, top.abs().sort().values, atol=1e-8, rtol=1e-6)
        torch.testing.assert_close(ours.real.sum(), full_eig.real.sum(), atol=1e-8, rtol=1e-6)
    scores = copying_scores(model)
    assert scores.shape == (2, 4) and scores.abs().max() <= 1.0


def test_top_head_and_heads_above():
    scores = torch.tensor([[0.1, 0.9, 0.2], [0.5, 0.3, 0.95]])
    assert top_head(scores) == (1, 2)
    assert top_head(scores, layer=0) == (0, 1)
    assert heads_above(scores, 0.4) == [(0, 1), (1, 0), (1, 2)]


def test_clear_top_head_only_when_it_beats_the_runner_up_by_the_margin():
    scores = torch.tensor([[0.1, 0.9], [0.84, 0.2]])
    assert clear_top_head(scores, 0.05) == (0, 1)
    assert clear_top_head(scores, 0.07) is None


def test_offset_induction_targets_point_k_after_the_earlier_copy():
    tokens = repeated(1, half=4)  # positions 1..4 and 5..8 hold the same tokens
    assert torch.equal(offset_induction_targets(tokens, 1), induction_targets(tokens))
    targets = offset_induction_targets(tokens, 2)[0]
    for query in range(5, 9):  # the copy of the query token is at query - 4, its key at query - 2
        assert targets[query].nonzero().flatten().tolist() == [query - 2]
    assert not targets[:5].any()


def test_per_example_scores_average_to_the_pooled_score_when_every_example_has_as_many_targets():
    model = toy_bridge("rms-gqa")
    tokens = torch.cat([repeated(seed) for seed in range(3)])
    patterns, targets = attention_patterns(model, tokens), induction_targets(tokens)
    per_example = attention_to_targets_per_example(patterns, targets)
    assert per_example.shape == (model.cfg.n_layers, 3, model.cfg.n_heads)
    torch.testing.assert_close(per_example.mean(1), attention_to_targets(patterns, targets))


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_ov_copying_accuracy_matches_dense_ov_circuit(arch):
    model = toy_bridge(arch)
    tokens = torch.arange(1, model.cfg.d_vocab)
    heads = [(0, 0), (1, 3)]
    accuracy = ov_copying_accuracy(model, heads, tokens, k=3)
    with torch.inference_mode():
        w_v = expand_kv_heads(model.W_V, model.cfg.n_heads)
        for i, (layer, head) in enumerate(heads):
            circuit = model.W_E @ w_v[layer, head] @ model.W_O[layer, head] @ model.W_U  # [d_vocab, d_vocab]
            in_top = (circuit[tokens].topk(3, dim=1).indices == tokens[:, None]).any(1)
            assert abs(float(accuracy[i]) - float(in_top.float().mean())) < 1e-6
    assert (ov_copying_accuracy(model, heads, tokens, k=model.cfg.d_vocab) == 1).all()


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_ov_pair_ranks_rank_each_partner_in_the_dense_ov_circuit(arch):
    model = toy_bridge(arch)
    sources, targets = torch.arange(1, 11), torch.randperm(model.cfg.d_vocab, generator=torch.Generator().manual_seed(0))[:10]
    ranks = ov_pair_ranks(model, (1, 3), sources, targets)
    with torch.inference_mode():
        w_v = expand_kv_heads(model.W_V, model.cfg.n_heads)
        block = (model.W_E @ w_v[1, 3] @ model.W_O[1, 3] @ model.W_U)[sources][:, targets]  # [10, 10]
    order = block.argsort(1, descending=True)
    assert ranks.tolist() == [int((order[i] == i).nonzero()) for i in range(10)]
