import pytest
import torch
from tests.toy_bridges import random_tokens, toy_bridge

from harness.interp.activation_cache import ActivationMemo
from harness.interp.hooks import PATTERN_HOOK, Z_HOOK
from harness.interp.activation_cache import parse_size
from harness.models.activation_store import DiskActivationStore, know_weights

NAMES = [Z_HOOK.format(layer=1), PATTERN_HOOK.format(layer=0)]


@pytest.fixture
def model():
    model = toy_bridge("rms-gqa", seed=3)
    know_weights(model, "weights-a")
    passes = []
    handle = model.embed.register_forward_pre_hook(lambda *a: passes.append(1))
    yield model, passes
    handle.remove()


def memo_on(store) -> ActivationMemo:
    memo = ActivationMemo(1 << 30)
    memo.store = store
    return memo


def test_a_new_process_reads_the_pass_from_disk(model, tmp_path):
    model, passes = model
    store, tokens = DiskActivationStore(tmp_path, 1 << 30), random_tokens(2, 8, 0)
    first = memo_on(store).run(model, tokens, NAMES, logits=True)
    again = memo_on(store).run(model, tokens, NAMES, logits=True)  # a fresh memo: another run
    assert len(passes) == 1
    for name in NAMES:
        torch.testing.assert_close(again.activations[name], first.activations[name], rtol=0, atol=0)
    torch.testing.assert_close(again.logits, first.logits, rtol=0, atol=0)


def test_other_weights_or_missing_names_run_the_pass(model, tmp_path):
    model, passes = model
    store, tokens = DiskActivationStore(tmp_path, 1 << 30), random_tokens(2, 8, 1)
    memo_on(store).run(model, tokens, NAMES[:1])
    memo_on(store).run(model, tokens, NAMES)
    know_weights(model, "weights-b")
    memo_on(store).run(model, tokens, NAMES[:1])
    assert len(passes) == 3


def test_a_corrupt_file_is_a_miss(model, tmp_path):
    model, passes = model
    store, tokens = DiskActivationStore(tmp_path, 1 << 30), random_tokens(2, 8, 2)
    memo_on(store).run(model, tokens, NAMES)
    for path in tmp_path.glob("*.safetensors"):
        path.write_bytes(b"not a tensor file")
    memo_on(store).run(model, tokens, NAMES)
    assert len(passes) == 2


def test_the_store_keeps_to_its_size_least_recently_used_first(model, tmp_path):
    model, _ = model
    one = DiskActivationStore(tmp_path / "probe", 1 << 30)
    memo_on(one).run(model, random_tokens(2, 8, 0), NAMES[:1])
    size = sum(p.stat().st_size for p in (tmp_path / "probe").glob("*.safetensors"))
    store = DiskActivationStore(tmp_path / "bounded", int(4.5 * size))
    for seed in range(8):
        memo_on(store).run(model, random_tokens(2, 8, seed), NAMES[:1])
    files = list((tmp_path / "bounded").glob("*.safetensors"))
    # the last four runs' files (their hook_z and the logits a full pass also keeps)
    assert len(files) == 8 and sum(p.stat().st_size for p in files) <= store.max_bytes


def test_models_not_loaded_by_the_harness_are_not_stored(tmp_path):
    memo_on(DiskActivationStore(tmp_path, 1 << 30)).run(toy_bridge("attn-only", seed=9), random_tokens(2, 8, 0), NAMES[:1])
    assert not list(tmp_path.glob("*.safetensors"))


def test_sizes():
    assert [parse_size(s) for s in ("4G", "500M", "64k", "1000", "2GB")] == [4 << 30, 500 << 20, 64 << 10, 1000, 2 << 30]
    with pytest.raises(ValueError, match="bad size"):
        parse_size("lots")


def test_a_model_edited_in_place_since_loading_is_neither_read_nor_stored(tmp_path):
    model = toy_bridge.__wrapped__("ln-gelu", seed=5)
    know_weights(model, "weights-e")
    store, tokens, name = DiskActivationStore(tmp_path, 1 << 30), random_tokens(2, 8, 0), NAMES[0]
    before = memo_on(store).run(model, tokens, [name]).activations[name]
    with torch.no_grad():
        next(model.parameters()).mul_(3.0)  # the token embedding
    stored = set(tmp_path.glob("*.safetensors"))
    after = memo_on(store).run(model, tokens, [name]).activations[name]
    assert not torch.allclose(before, after) and set(tmp_path.glob("*.safetensors")) == stored
