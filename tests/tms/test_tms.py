"""Tests for harness.tms: shapes, determinism, geometry on hand-built matrices, and short real
training runs showing the paper's baseline facts (Elhage et al. 2022, "Toy Models of Superposition").

The training-run thresholds below are the paper's qualitative statements (m features at no
sparsity, more than m at high sparsity, a pentagon for n=5, m=2 when sparse), not tuned numbers.
"""
from __future__ import annotations

import dataclasses
import math
import time

import pytest
import torch

from harness.tms import (
    ComputationModel, ReLUOutputModel, activation_kurtosis, adjacent_pairs, all_pairs,
    angles_between_features, density_sweep, dimensions_per_feature, feature_dimensionality,
    feature_norms, generate_classification_batch, generate_features, importance_weights,
    make_classification_batch_fn, make_computation_batch_fn, make_feature_batch_fn, n_represented,
    nearest_sticky_fraction, neuron_monosemanticity, pair_target, polygon_angles,
    privileged_basis_score, superposition, TMS_TRAINING, train_tms, two_class_density,
)
from harness.tms import (
    abs_target, classification_accuracy, computation_target, grouped_abs_sum, output_r2, represented_sets,
    single_input_r2,
)
from harness.models.training import TrainConfig
from harness.tms.spec import TMSDataConfig, TMSModelConfig, TMSRun, TMSSpec

# Training sizes (see the module report): n=20, m=5 sweep of 7 sparsities, batch 1024, 3000 steps;
# n=5, m=2 pentagon, batch 1024, 3000 steps. lr 1e-3 AdamW as in the paper's notebook. One torch
# thread per run (train_tms runs under harness.models.threads.single_thread).
SWEEP_SPARSITIES = [0.0, 0.7, 0.9, 0.97, 0.99, 0.997, 0.999]
SWEEP_STEPS = 3000
PENTAGON_STEPS = 3000


def training(**changes) -> TrainConfig:
    """The notebook's training (``TMS_TRAINING``) with ``changes``."""
    return dataclasses.replace(TMS_TRAINING, **changes)


def gen(seed: int = 0) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def regular_polygon(k: int, radius: float = 1.0, phase: float = 0.3) -> torch.Tensor:
    """[2, k] columns at the vertices of a regular k-gon."""
    t = phase + 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    return (radius * torch.stack([torch.cos(t), torch.sin(t)])).float()


# ---------------------------------------------------------------- shapes

def test_relu_output_model_shapes():
    model = ReLUOutputModel(n_instances=3, n_features=7, n_hidden=2, seed=0)
    assert model.W.shape == (3, 2, 7)
    assert model.b_final.shape == (3, 7)
    x = generate_features(16, 3, 7, 0.5, generator=gen())
    assert x.shape == (16, 3, 7)
    assert model.hidden(x).shape == (16, 3, 2)
    out = model(x)
    assert out.shape == (16, 3, 7)
    assert (out >= 0).all()
    for act in ("gelu", "none"):
        assert ReLUOutputModel(3, 7, 2, activation=act, seed=0)(x).shape == (16, 3, 7)
    with pytest.raises(ValueError):
        ReLUOutputModel(3, 7, 2, activation="tanh")


def test_relu_output_model_matches_formula():
    model = ReLUOutputModel(2, 5, 3, seed=1)
    with torch.no_grad():
        model.b_final.normal_(generator=gen(2))
    x = torch.rand(4, 2, 5, generator=gen(3))
    for k in range(2):
        W, b = model.W[k], model.b_final[k]
        expected = torch.relu((x[:, k] @ W.T) @ W + b)
        torch.testing.assert_close(model(x)[:, k], expected)


def test_computation_model_shapes():
    for n_layers in (1, 2, 3):
        model = ComputationModel(n_instances=4, n_inputs=6, n_hidden_neurons=5, n_outputs=3,
                                 n_layers=n_layers, seed=0)
        x = generate_features(8, 4, 6, 0.3, "signed_uniform", gen())
        assert model(x).shape == (8, 4, 3)
        acts = model.hidden_activations(x)
        assert len(acts) == n_layers and all(a.shape == (8, 4, 5) for a in acts)
        assert all((a >= 0).all() for a in acts)
        assert model.W_in.shape == (4, 5, 6) and model.W_out.shape == (4, 3, 5)
        assert model.W_hidden.shape == (n_layers - 1, 4, 5, 5)


def test_feature_generators():
    g = gen(0)
    dens = torch.tensor([1.0, 0.5, 0.1, 0.0])
    x = generate_features(20000, 4, 6, dens, generator=g)
    frac = (x != 0).float().mean(dim=(0, 2))
    torch.testing.assert_close(frac, dens, atol=0.01, rtol=0)
    assert x.min() >= 0 and x.max() <= 1
    vals = {
        "ones": {1.0},
        "discrete123": {1.0, 2.0, 3.0},
    }
    for dist, allowed in vals.items():
        x = generate_features(500, 2, 5, 0.5, dist, g)
        assert set(x[x != 0].unique().tolist()) == allowed
    x = generate_features(2000, 1, 5, 1.0, "uniform_half", g)
    assert x.min() >= 0.5 and x.max() <= 1.0
    x = generate_features(2000, 1, 5, 1.0, "signed_uniform", g)
    assert x.min() < -0.9 and x.max() > 0.9
    # two classes of features with different densities (open problem 4.4)
    p = two_class_density(3, 10, n_dense=4, dense_density=0.5, sparse_density=torch.tensor([0.1, 0.05, 0.01]))
    assert p.shape == (3, 10)
    x = generate_features(20000, 3, 10, p, generator=g)
    frac = (x != 0).float().mean(0)
    torch.testing.assert_close(frac, p, atol=0.02, rtol=0)
    # per-instance densities must be [instances], not ambiguous
    with pytest.raises(ValueError):
        generate_features(4, 3, 10, torch.ones(10), generator=g)


def test_density_sweep_and_importance():
    torch.testing.assert_close(density_sweep(5), 20 ** -torch.linspace(0, 1, 5))
    torch.testing.assert_close(importance_weights(4, 0.9), torch.tensor([1.0, 0.9, 0.81, 0.729]))


def test_same_generator_seed_same_batch():
    a = generate_features(64, 3, 8, 0.3, generator=gen(7))
    b = generate_features(64, 3, 8, 0.3, generator=gen(7))
    c = generate_features(64, 3, 8, 0.3, generator=gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_computation_targets():
    x = torch.tensor([[[0.0, -0.5, 1.0, 0.25]]])
    pairs = adjacent_pairs(4)
    assert pairs.tolist() == [[0, 1], [2, 3]]
    assert pair_target(x, pairs, "max_abs").tolist() == [[[0.5, 1.0]]]
    assert pair_target(x, pairs, "max").tolist() == [[[0.0, 1.0]]]
    b = torch.tensor([[[1.0, 1.0, 1.0, 0.0]]])
    assert pair_target(b, pairs, "and").tolist() == [[[1.0, 0.0]]]
    assert pair_target(b, pairs, "or").tolist() == [[[1.0, 1.0]]]
    assert all_pairs(4).shape == (6, 2)
    for target, n_out in (("abs", 6), ("square", 6), ("max_abs", 3), ("and", 3), ("or", 3), ("max", 3)):
        fn = make_computation_batch_fn(32, 2, 6, 0.5, target)
        x, y = fn(gen())
        assert x.shape == (32, 2, 6) and y.shape == (32, 2, n_out)
    x, y = make_computation_batch_fn(64, 1, 6, 0.5, "abs")(gen())
    torch.testing.assert_close(y, x.abs())
    assert (x < 0).any()


def test_classification_batch():
    x, y = generate_classification_batch(256, 2, 6, 0.05, generator=gen())
    assert x.shape == (256, 2, 6) and y.shape == (256, 2) and y.dtype == torch.long
    assert ((x != 0).sum(-1) >= 1).all()
    assert torch.equal(y, x.argmax(-1))


# ---------------------------------------------------------------- geometry on hand-built W

def test_geometry_identity_is_orthogonal():
    W = torch.eye(4)[None]                                     # [1, m=4, n=4]
    torch.testing.assert_close(feature_norms(W), torch.ones(1, 4))
    torch.testing.assert_close(feature_dimensionality(W), torch.ones(1, 4))
    torch.testing.assert_close(superposition(W), torch.zeros(1, 4))
    torch.testing.assert_close(dimensions_per_feature(W), torch.ones(1))
    ang = angles_between_features(W)[0]
    torch.testing.assert_close(ang[~torch.eye(4, dtype=torch.bool)], torch.full((12,), 90.0))
    assert n_represented(W).tolist() == [4]


def test_geometry_pentagon():
    W = regular_polygon(5)
    gaps = polygon_angles(W)
    torch.testing.assert_close(gaps, torch.full((5,), 72.0), atol=1e-4, rtol=0)
    torch.testing.assert_close(feature_dimensionality(W), torch.full((5,), 0.4), atol=1e-5, rtol=0)
    torch.testing.assert_close(dimensions_per_feature(W), torch.tensor(0.4), atol=1e-6, rtol=0)
    # sum_{j != i} cos^2 = 2 cos^2(72) + 2 cos^2(144) = 1.5
    torch.testing.assert_close(superposition(W), torch.full((5,), 1.5), atol=1e-5, rtol=0)
    nearest, dist = nearest_sticky_fraction(feature_dimensionality(W))
    torch.testing.assert_close(nearest, torch.full((5,), 0.4))
    assert dist.max() < 1e-5
    # batched input -> list; unrepresented columns are ignored
    W2 = torch.cat([W, torch.zeros(2, 1)], dim=1)
    batched = polygon_angles(torch.stack([W2, W2]))
    assert len(batched) == 2 and batched[1].shape == (5,)
    # a square plus a small ignored feature
    sq = torch.cat([regular_polygon(4), 0.1 * torch.ones(2, 1)], dim=1)
    torch.testing.assert_close(polygon_angles(sq), torch.full((4,), 90.0), atol=1e-4, rtol=0)


def test_geometry_antipodal_pair():
    W = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]])     # digon in dim 0, dedicated dim 1
    D = feature_dimensionality(W)
    torch.testing.assert_close(D, torch.tensor([0.5, 0.5, 1.0]))
    torch.testing.assert_close(superposition(W), torch.tensor([1.0, 1.0, 0.0]))
    torch.testing.assert_close(angles_between_features(W)[0, 1], torch.tensor(180.0))
    torch.testing.assert_close(dimensions_per_feature(W), torch.tensor(2 / 3))


def test_geometry_unrepresented_feature():
    W = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    D = feature_dimensionality(W)
    assert D[2] == 0 and not torch.isnan(D).any()
    assert n_represented(W).item() == 2


def test_nearest_sticky_fraction():
    nearest, dist = nearest_sticky_fraction(torch.tensor([0.99, 0.74, 0.52, 0.38, 0.02]))
    torch.testing.assert_close(nearest, torch.tensor([1.0, 0.75, 0.5, 0.375, 0.0]))
    torch.testing.assert_close(dist, torch.tensor([0.01, 0.01, 0.02, 0.005, 0.02]), atol=1e-6, rtol=0)
    n, d = nearest_sticky_fraction(0.66)
    assert n.item() == pytest.approx(2 / 3) and d.item() == pytest.approx(2 / 3 - 0.66, abs=1e-6)


def test_neuron_and_basis_measures():
    W = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])     # [neurons=3, features=2]
    torch.testing.assert_close(neuron_monosemanticity(W), torch.tensor([1.0, 1 / math.sqrt(2), 0.0]))
    # privileged_basis_score: [m, n] columns; feature 0 split over two neurons, feature 1 on one
    torch.testing.assert_close(privileged_basis_score(W), torch.tensor([0.5, 1.0]))
    # rotated 45 degrees: no longer axis aligned
    torch.testing.assert_close(privileged_basis_score(regular_polygon(4, phase=math.pi / 4)),
                               torch.full((4,), 0.5), atol=1e-6, rtol=0)
    one_hot = torch.zeros(100, 1, 16)
    one_hot[:, 0, 3] = 1.0
    dense = torch.randn(100, 1, 16, generator=gen())
    assert activation_kurtosis(one_hot).item() > 10
    assert activation_kurtosis(one_hot).shape == (1,)
    assert activation_kurtosis(dense).item() < 5


# ---------------------------------------------------------------- training

def test_train_is_deterministic_and_progress_called():
    def run(seed):
        model = ReLUOutputModel(3, 6, 2, hidden_dropout=0.1, seed=seed)
        calls = []
        fn = make_feature_batch_fn(64, 3, 6, density_sweep(3))
        res = train_tms(model, fn, importance_weights(6, 0.9), training(steps=30, log_every=10), seed,
                        progress=calls.append)
        return model, res, calls

    threads = torch.get_num_threads()
    torch.manual_seed(123)
    before = torch.rand(1)
    m1, r1, calls = run(0)
    m2, r2, _ = run(0)
    m3, _, _ = run(1)
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), before), "train_tms must not disturb the global RNG"
    train_tms(ReLUOutputModel(1, 3, 2, seed=0), make_feature_batch_fn(8, 1, 3, 0.5), None, training(steps=2), 0)
    assert torch.get_num_threads() == threads
    assert torch.equal(m1.W, m2.W) and torch.equal(m1.b_final, m2.b_final)
    assert r1.losses == r2.losses
    assert not torch.equal(m1.W, m3.W)
    assert [step for step, _ in r1.losses] == [10, 20, 30] and all(len(loss) == 3 for _, loss in r1.losses)
    assert len(calls) == 3 and "step 30/30" in calls[-1] and not m1.training


def test_train_computation_and_cross_entropy_run():
    model = ComputationModel(2, 6, 4, n_outputs=3, n_layers=2, seed=0)
    res = train_tms(model, make_computation_batch_fn(64, 2, 6, 0.2, "max_abs"), None, training(steps=20), 0)
    assert len(res.losses[-1][1]) == 2 and all(math.isfinite(loss) for loss in res.losses[-1][1])
    model = ReLUOutputModel(2, 5, 2, activation="none", seed=0)
    fn = make_classification_batch_fn(64, 2, 5, 0.1)
    res = train_tms(model, fn, importance_weights(5, 0.9), training(steps=100, lr=1e-2, lr_schedule="cosine"), 0,
                    loss="cross_entropy")
    assert len(res.losses[-1][1]) == 2 and all(loss < math.log(5) for loss in res.losses[-1][1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparsity_sweep_n20_m5(seed, record_property):
    """Paper, "Demonstrating Superposition": n=20, m=5, importance 0.7**i. At density 1 the model
    represents (about) the m=5 most important features; at S >= 0.99 it represents more than m."""
    n, m = 20, 5
    dens = torch.tensor([1 - s for s in SWEEP_SPARSITIES])
    model = ReLUOutputModel(len(dens), n, m, seed=seed)
    t0 = time.perf_counter()
    train_tms(model, make_feature_batch_fn(1024, len(dens), n, dens), importance_weights(n, 0.7),
              training(steps=SWEEP_STEPS, log_every=0), seed)
    elapsed = time.perf_counter() - t0
    W = model.W.detach()
    counts = n_represented(W, threshold=0.5).tolist()
    record_property("n_represented", dict(zip(SWEEP_SPARSITIES, counts)))
    record_property("seconds", round(elapsed, 1))
    print(f"seed {seed}: n_represented per S {dict(zip(SWEEP_SPARSITIES, counts))}; "
          f"D* {[round(v, 2) for v in dimensions_per_feature(W).tolist()]}; {elapsed:.1f}s")
    assert counts[0] == m
    for s, c in zip(SWEEP_SPARSITIES, counts):
        if s >= 0.99:
            assert c > m, (s, counts)
    # with no sparsity the represented features are the most important ones, orthogonal
    norms = feature_norms(W[0])
    assert (norms[:m] > 0.5).all()
    assert superposition(W[0])[:m].max() < 0.1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pentagon_n5_m2(seed, record_property):
    """Paper, introduction figure / "Superposition as a Phase Change": n=5, m=2 with sparse,
    equally important features arranges all 5 feature directions as a regular pentagon."""
    n, m, density = 5, 2, 0.05                                 # S = 0.95
    model = ReLUOutputModel(1, n, m, seed=seed)
    t0 = time.perf_counter()
    train_tms(model, make_feature_batch_fn(1024, 1, n, density), importance_weights(n, 1.0),
              training(steps=PENTAGON_STEPS, log_every=0), seed)
    elapsed = time.perf_counter() - t0
    W = model.W.detach()[0]
    gaps = polygon_angles(W)
    D = feature_dimensionality(W)
    record_property("gaps", [round(g, 1) for g in gaps.tolist()])
    record_property("seconds", round(elapsed, 1))
    print(f"seed {seed}: gaps {[round(g, 1) for g in gaps.tolist()]}; D {[round(d, 3) for d in D.tolist()]}; "
          f"{elapsed:.1f}s")
    assert gaps.shape == (5,)
    assert (gaps - 72.0).abs().max() < 10.0
    assert (D - 0.4).abs().max() < 0.05


def test_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    from harness.tms.plots import plot_dimensionality_vs_sparsity, plot_feature_columns

    W = torch.stack([regular_polygon(5), torch.cat([regular_polygon(2), torch.zeros(2, 3)], 1)])
    p1 = plot_feature_columns(W, tmp_path / "cols.png", importance=importance_weights(5, 0.9),
                              titles=["pentagon", "digon"])
    dens = density_sweep(4)
    D = torch.rand(4, 10, generator=gen())
    p2 = plot_dimensionality_vs_sparsity(D, dens, tmp_path / "sub" / "dim.png",
                                         dims_per_feature=D.mean(1))
    for p in (p1, p2):
        with open(p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- behaviour measures, specs

def test_output_r2():
    target = torch.randn(100, 2, 3)
    r2 = output_r2(target, target)
    assert r2.shape == (2, 3) and torch.allclose(r2, torch.ones(2, 3))
    mean_pred = target.mean(0, keepdim=True).expand_as(target)
    assert torch.allclose(output_r2(mean_pred, target), torch.zeros(2, 3), atol=1e-5)
    assert output_r2(torch.zeros(4, 1, 1), torch.zeros(4, 1, 1)).item() == 1.0


def test_grouped_abs_sum_and_computation_targets():
    x = torch.tensor([[1.0, -2.0, 3.0, -4.0]])
    assert grouped_abs_sum(x, 2).tolist() == [[3.0, 7.0]]
    assert computation_target("group_abs_sum", 4, n_groups=1)(x).tolist() == [[10.0]]
    assert computation_target("abs", 4)(x).tolist() == [[1.0, 2.0, 3.0, 4.0]]
    assert computation_target("max_abs", 4)(x).tolist() == [[2.0, 4.0]]
    with pytest.raises(ValueError):
        grouped_abs_sum(x, 3)
    with pytest.raises(ValueError):
        computation_target("cube", 4)
    x2, y2 = make_computation_batch_fn(8, 3, 4, 0.5, target="group_abs_sum", n_groups=2)(gen())
    assert y2.shape == (8, 3, 2) and torch.allclose(y2, grouped_abs_sum(x2, 2))


class _Exact(torch.nn.Module):
    """Computes |x| exactly for its first instance and outputs 0 for its second."""

    def forward(self, x):
        return torch.stack([x[:, 0].abs(), torch.zeros_like(x[:, 1])], dim=1)


def test_single_input_r2():
    r2 = single_input_r2(_Exact(), abs_target, n_inputs=3, n_instances=2, values=torch.linspace(-1, 1, 11))
    assert r2.shape == (2, 3)
    assert torch.allclose(r2[0], torch.ones(3))
    assert (r2[1] < 0).all()                              # outputting 0 is worse than the mean


def test_classification_accuracy_and_represented_sets():
    logits = torch.tensor([[[0.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]])   # [batch 2, inst 2, C 2]
    labels = torch.tensor([[1, 0], [1, 0]])
    assert classification_accuracy(logits, labels).tolist() == [0.5, 1.0]
    W = torch.tensor([[[1.0, 0.0, 0.1]], [[0.0, 0.9, 0.6]]])                          # [2, m=1, n=3]
    assert represented_sets(W) == [frozenset({0}), frozenset({1, 2})]


def _tiny_spec(name="tms-test-tiny", steps=60, **data):
    return TMSSpec(name, "tiny test model", TMSModelConfig("relu_output", 5, 2),
                   TMSDataConfig(data.pop("densities", (1.0, 0.05)), **data),
                   training(steps=steps, batch_size=64, log_every=0))


def test_spec_load_is_cached_and_deterministic(tmp_path):
    spec = _tiny_spec()
    run = spec.load(0, tmp_path)
    assert isinstance(run, TMSRun) and run.net.W.shape == (2, 2, 5)
    assert run.meta["densities"] == pytest.approx([1.0, 0.05])
    assert [(step, len(loss)) for step, loss in run.meta["losses"]] == [(60, 2)] and run.meta["train_seconds"] >= 0
    entries = [p for p in tmp_path.iterdir() if p.is_dir()]
    again = spec.load(0, tmp_path)                                   # from the cache
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == entries
    assert torch.equal(again.net.W, run.net.W)
    fresh = spec.load(0, tmp_path / "other")                          # retrained: same weights
    assert torch.equal(fresh.net.W, run.net.W)
    assert not torch.equal(spec.load(1, tmp_path).net.W, run.net.W)
    assert spec.payload(0) != _tiny_spec(steps=61).payload(0)
    assert run.instance(0.05) == 1 and run.labels() == ["S=0", "S=0.95"]
    assert run.by_sparsity(torch.tensor([1.23456, 2.0])) == {"S=0": 1.235, "S=0.95": 2.0}
    with pytest.raises(KeyError):
        run.instance(0.5)
    x = run.eval_batch(32)
    assert x.shape == (32, 2, 5) and torch.equal(x, run.eval_batch(32))


def test_spec_computation_run_measures(tmp_path):
    spec = TMSSpec("tms-test-abs", "tiny abs model", TMSModelConfig("computation", 4, 4, output_activation="relu"),
                   TMSDataConfig((0.1,), task="compute", target="abs"), training(steps=30, batch_size=64))
    run = spec.load(0, tmp_path)
    assert run.computed_r2(512).shape == (1, 4)
    assert run.single_input_r2(9).shape == (1, 4)
    classifier = TMSSpec("tms-test-classify", "tiny classifier", TMSModelConfig("relu_output", 5, 2),
                         TMSDataConfig((0.1,), task="classify"), training(steps=5, batch_size=16))
    with pytest.raises(ValueError):
        classifier.load(0, tmp_path).target_fn()


def test_run_instances_and_convergence_from_the_logged_losses():
    spec = TMSSpec("tms-test-repeats", "repeated densities", TMSModelConfig("relu_output", 5, 2),
                   TMSDataConfig((0.1, 0.1, 0.05)))
    meta = {"losses": [(1000, [1.0, 2.0, 4.0]), (2000, [1.0, 1.0, 2.0])]}
    run = TMSRun(spec, 0, spec.build(0), meta)
    assert run.instances(0.1) == [0, 1] and run.instances(0.05) == [2] and run.instances(0.5) == []
    assert run.loss_change(1) == 1.0
    assert run.unconverged([0]) == 0.0                                     # no change at all
    noise = run.batch_loss_noise() * 2 ** 0.5
    assert noise.shape == (3,) and (noise > 0).all()
    assert run.unconverged(range(3)) == pytest.approx(max((2.0 - 0.1) / noise[2], (1.0 - 0.05) / noise[1]).item())
