"""Toy models of superposition (Elhage et al. 2022) used by claims/superposition.

Every model is one training run per seed of several instances side by side (usually one per
feature density, so a sparsity sweep is one run). Sizes are chosen so that the whole pack trains
in a few minutes on 2 CPU cores: n=20 features, m=5 hidden dimensions (the paper's notebook
setting), 3000 AdamW steps at lr 1e-3 and batch 1024 (the notebook trains 10k steps; 3000 already
give the paper's qualitative results for these sizes).
"""
from __future__ import annotations

import dataclasses

from harness.models.registry import register_model
from harness.tms.spec import TMSDataConfig, TMSModelConfig, TMSSpec
from harness.tms.train import TMS_TRAINING

#: The paper's sparsities S for the n=20, m=5 sweep; densities are 1 - S.
SWEEP_SPARSITIES = (0.0, 0.7, 0.9, 0.97, 0.99, 0.997, 0.999)
SWEEP_DENSITIES = tuple(round(1 - s, 6) for s in SWEEP_SPARSITIES)
#: Sparsities of the variant models, a subset of the sweep so they can be compared with it.
VARIANT_DENSITIES = (0.3, 0.1, 0.03)
N, M = 20, 5
#: Neuron-superposition (computation) models: 20 inputs, 10 hidden ReLU neurons.
ABS_NEURONS = 10
ABS_DENSITIES = (1.0, 0.1, 0.03, 0.01)
PAIR_NEURONS = 5
PAIR_DENSITIES = (0.5, 0.2, 0.1, 0.05)
#: Instances (initialisations) per sparsity of the models that compare counts of represented
#: features with their uncertainty (4.1, 4.8): 8 per seed, 24 over the three seeds.
REPEATS = 8


def repeated(densities) -> tuple[float, ...]:
    """``REPEATS`` instances at each density, grouped: ``(d0, d0, ..., d1, d1, ...)``."""
    return tuple(d for d in densities for _ in range(REPEATS))


def relu_output(name: str, description: str, densities=SWEEP_DENSITIES, decay: float = 0.7,
                distribution: str = "uniform", **model) -> TMSSpec:
    """An n=20, m=5 ReLU output model (x -> ReLU(W^T W x + b)) autoencoding sparse features."""
    return TMSSpec(name, description, TMSModelConfig("relu_output", N, M, **model),
                   TMSDataConfig(densities, distribution=distribution, importance_decay=decay))


def computation(name: str, description: str, target: str, densities, n_hidden: int, n_outputs=None,
                **model) -> TMSSpec:
    """A ComputationModel over 20 sparse inputs trained (uniform importance) to compute ``target``."""
    return TMSSpec(name, description,
                   TMSModelConfig("computation", N, n_hidden, n_outputs=n_outputs, **model),
                   TMSDataConfig(densities, task="compute", target=target,
                                 n_groups=n_outputs if target == "group_abs_sum" else None))


SPECS = [
    relu_output("tms-relu-n20-m5-sweep",
                "ReLU output model n=20, m=5, importance 0.7^i, one instance per sparsity "
                "S = 0, .7, .9, .97, .99, .997, .999 (paper's 'Demonstrating Superposition' sweep)"),
    TMSSpec("tms-pentagon-n5-m2",
            "ReLU output model n=5, m=2, uniform importance, S = 0.95 and 0.97 (paper's pentagon)",
            TMSModelConfig("relu_output", 5, 2), TMSDataConfig((0.05, 0.03))),
    relu_output("tms-relu-n20-m5-dropout", "as tms-relu-n20-m5-sweep with dropout 0.2 on the hidden "
                "layer, S = 0, .9, .99 (open problem 4.1)", densities=(1.0, 0.1, 0.01), hidden_dropout=0.2),
    relu_output("tms-relu-n20-m5-ones", "as tms-relu-n20-m5-sweep with every present feature equal "
                "to 1, S = .7, .9, .97 (4.7)", densities=VARIANT_DENSITIES, distribution="ones"),
    relu_output("tms-relu-n20-m5-repeats", f"as tms-relu-n20-m5-sweep with {REPEATS} instances "
                "(initialisations) at each of S = .7, .9, .97, .99: the baseline of the 4.1 and 4.8 "
                "comparisons with uncertainty", densities=repeated(VARIANT_DENSITIES + (0.01,))),
    relu_output("tms-relu-n20-m5-dropout-repeats", f"as tms-relu-n20-m5-dropout with {REPEATS} instances "
                "at S = .99 (4.1)", densities=repeated((0.01,)), hidden_dropout=0.2),
    relu_output("tms-relu-n20-m5-discrete123", "as tms-relu-n20-m5-sweep with present features "
                f"uniform on {{1, 2, 3}}, {REPEATS} instances at each of S = .7, .9, .97 (4.8)",
                densities=repeated(VARIANT_DENSITIES), distribution="discrete123"),
    relu_output("tms-relu-n20-m5-uniform-half", "as tms-relu-n20-m5-sweep with present features "
                "uniform on [0.5, 1], S = .7, .9, .97 (4.9)", densities=VARIANT_DENSITIES,
                distribution="uniform_half"),
    relu_output("tms-gelu-n20-m5-sweep", "as tms-relu-n20-m5-sweep with GELU in place of the output "
                "ReLU (4.10, 4.11)", activation="gelu"),
    relu_output("tms-relu-n20-m5-two-class", "n=20, m=5, uniform importance; features 0-2 dense "
                "(density 1), features 3-19 sparse at density .03, .01, .003 (4.4)",
                densities=tuple(tuple([1.0] * 3 + [d] * (N - 3)) for d in (0.03, 0.01, 0.003)), decay=1.0),
    relu_output("tms-relu-n20-m5-uniform-dense", "n=20, m=5, uniform importance, density 1, six "
                "instances differing only in initialisation (4.20)", densities=(1.0,) * 6, decay=1.0),
    TMSSpec("tms-classify-n20-m5",
            "ReLU output model n=20, m=5 trained with cross-entropy to output the index of the "
            "largest feature, S = .9, .97, .99 (4.12)",
            TMSModelConfig("relu_output", N, M),
            TMSDataConfig((0.1, 0.03, 0.01), task="classify")),
    computation("tms-abs-n20-m10", "absolute-value model: 20 inputs uniform on [-1, 1], 10 ReLU "
                "neurons, ReLU outputs |x_i|, S = 0, .9, .97, .99 (paper's 'Computation in "
                "Superposition'; 4.2)", "abs", ABS_DENSITIES, ABS_NEURONS, output_activation="relu"),
    computation("tms-square-n20-m10", "as tms-abs-n20-m10 with target x_i^2 (4.3)", "square",
                ABS_DENSITIES, ABS_NEURONS, output_activation="relu"),
    computation("tms-and-n20-m5", "20 binary inputs, 5 ReLU neurons, linear outputs: AND of the 10 "
                "adjacent pairs, densities .5, .2, .1, .05 (4.5)", "and", PAIR_DENSITIES, PAIR_NEURONS,
                n_outputs=N // 2),
    computation("tms-or-n20-m5", "as tms-and-n20-m5 with OR (4.5)", "or", PAIR_DENSITIES, PAIR_NEURONS,
                n_outputs=N // 2),
    computation("tms-max-n20-m5", "20 inputs uniform on [0, 1], 5 ReLU neurons, linear outputs: "
                "max(x, y) of the 10 adjacent pairs, densities .5, .2, .1, .05 (4.6)", "max",
                PAIR_DENSITIES, PAIR_NEURONS, n_outputs=N // 2),
    computation("tms-maxabs-2layer-n20-m8", "20 inputs uniform on [-1, 1], two hidden layers of 8 "
                "ReLU neurons, linear outputs max(|x|, |y|) of the 10 adjacent pairs, S = .9, .97, .99 "
                "(4.14)", "max_abs", (0.1, 0.03, 0.01), 8, n_outputs=N // 2, n_layers=2),
    *(TMSSpec(f"tms-{structure.replace('_', '-')}-n4-m2",
              f"ReLU output model n=4, m=2, uniform importance, density .05, six instances differing only in "
              f"initialisation; features (0, 1) and (2, 3) are {meaning} (4.16, the paper's correlated / "
              f"anticorrelated features)", TMSModelConfig("relu_output", 4, 2),
              TMSDataConfig((0.05,) * 6, distribution=structure))
      for structure, meaning in (("pairs_together", "present together or not at all"),
                                 ("pairs_apart", "never present together"))),
    TMSSpec("tms-triples-together-n9-m3", "ReLU output model n=9, m=3, uniform importance, six instances "
            "differing only in initialisation; features (0, 1, 2), (3, 4, 5), (6, 7, 8) are present together "
            "or not at all, each triple with probability .05 (4.26, the paper's correlated feature sets)",
            TMSModelConfig("relu_output", 9, 3), TMSDataConfig((0.05,) * 6, distribution="triples_together")),
    computation("tms-group-abs-sum-n20-m6", "20 inputs uniform on [-1, 1], 6 ReLU neurons, 2 linear "
                "outputs: sum of |x_i| over each half of the inputs, S = .9, .97, .99 (4.13)",
                "group_abs_sum", (0.1, 0.03, 0.01), 6, n_outputs=2),
]

# The replication tier (claims marked ``replication``): the paper's own settings.
# the notebook's 10k steps; the replication tier trains on the best device (a GPU where there is one)
NOTEBOOK_TRAINING = dataclasses.replace(TMS_TRAINING, steps=10_000, device="best")
#: Equal-importance sparsity sweep for the "Feature Dimensionality" figure (n=400, m=30 as in the
#: paper; the sparsities are our choice of the figure's 1/(1-S) range, one instance each).
STICKY_DENSITIES = (0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.003, 0.001)
#: The lower-sparsity half of the figure, S = 0 ... 0.87 (1/(1-S) = 1 ... 7.9, log-spaced), added after
#: the S >= 0.9 sweep above showed no sticky values (every represented feature at D_i = m / #represented).
LOW_SPARSITY_STICKY_DENSITIES = tuple(round(10 ** (-k / 10), 4) for k in range(10))
REPLICATIONS = [
    dataclasses.replace(SPECS[0], name="tms-relu-n20-m5-sweep-10k", train=NOTEBOOK_TRAINING,
                        description="as tms-relu-n20-m5-sweep, trained the notebook's 10k steps"),
    TMSSpec("tms-relu-n400-m30-equal", "ReLU output model n=400, m=30, uniform importance, S = .9 ... .999 "
            "(paper's 'Feature Dimensionality' setting), 10k steps",
            TMSModelConfig("relu_output", 400, 30), TMSDataConfig(STICKY_DENSITIES), NOTEBOOK_TRAINING),
    TMSSpec("tms-relu-n400-m30-equal-low-sparsity", "as tms-relu-n400-m30-equal at S = 0 ... 0.87 (the "
            "figure's 1/(1-S) from 1 to 7.9)", TMSModelConfig("relu_output", 400, 30),
            TMSDataConfig(LOW_SPARSITY_STICKY_DENSITIES), NOTEBOOK_TRAINING),
]

for spec in SPECS + REPLICATIONS:
    register_model(spec)


# --- Issue #18 (4.41, 4.42): getting rid of superposition. A GELU twin of tms-abs-n20-m10, and the
# absolute-value task at hidden widths 4 x and 100 x the n=20 setups' bottleneck m=5 (20 and 500
# neurons), sparse densities only (where the narrow model superposes). ---

WIDTH_BASE = M  # the analogue of d_model: the n=20 models' hidden dimension
WIDTH_DENSITIES = (0.1, 0.03, 0.01)
GETTING_RID_SPECS = [
    computation("tms-abs-gelu-n20-m10", "as tms-abs-n20-m10 with GELU hidden neurons (4.41)", "abs", ABS_DENSITIES,
                ABS_NEURONS, output_activation="relu", activation="gelu"),
    *(computation(f"tms-abs-n20-h{ratio * WIDTH_BASE}", f"absolute-value model as tms-abs-n20-m10 with "
                  f"{ratio * WIDTH_BASE} ReLU neurons ({ratio} x m=5), S = .9, .97, .99 (4.42)", "abs", WIDTH_DENSITIES,
                  ratio * WIDTH_BASE, output_activation="relu")
      for ratio in (4, 100)),
]
for spec in GETTING_RID_SPECS:
    register_model(spec)
