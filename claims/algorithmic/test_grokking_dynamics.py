"""Training dynamics of grokking (seed problems 5.3-5.6), read off the checkpoints (every 100
steps) of the training runs of ``mod-add-transformer-relu`` and ``mod-add-mlp``
(catalog/modular.py: p = 53, 50% split, full-batch AdamW with weight decay 1, float64 loss;
shrunk from Nanda et al. 2023's p = 113). Progress measures as in Nanda et al. 2023, section 5.1:
restricted loss on all pairs, excluded loss on the training pairs. Claims about what happens
around grokking require the model to have grokked (test accuracy > 99% during training); on a
seed that did not, they are inconclusive."""

import numpy as np
import torch

from catalog.modular import PHASES, SIGNAL_TOP_K, event_steps, training_phases
from harness import claim
from harness.interp.fourier import key_frequencies
from harness.interp.grokking import first_step, label_separation, pca_explained, principal_components, step_or_end
from harness.interp.plots import line_plot
from harness.interp.statistics import n_segmentations, permutation_p_value, random_segments

MODELS = ["mod-add-transformer-relu", "mod-add-mlp"]
SEEDS = [0, 1, 2]


def series(trajectory, name):
    return [m[name] for m in trajectory["measures"]]


@claim("5.6", "The restricted loss (key frequencies only, all pairs) falls below 1 nat before the test loss does",
       models=MODELS, seeds=SEEDS,
       refuted={f"mod-add-mlp-seed{s}": f"seed {s}: the MLP has no key frequency (none above 10% of the norm), so its restricted loss stays at chance (test-loss step minus restricted-loss step {d})" for s, d in ((0, -2800), (1, -2800), (2, -2700))})
def test_restricted_loss_falls_before_test_loss(trajectory, target, evidence, plot_dir):
    """Nanda et al. 2023 Fig. 7: restricted loss starts falling during circuit formation, before
    the test loss, as the progress measure that reveals hidden progress. 1 nat is our level
    (about a quarter of log 53); "before" means strictly earlier at 100-step resolution (an
    event that never happens counts as one checkpoint after the end of training)."""
    steps = trajectory["steps"]
    restricted = first_step(steps, series(trajectory, "restricted loss"), "<", 1.0)
    test = first_step(steps, series(trajectory, "test loss"), "<", 1.0)
    evidence.note("steps (restricted, test) below 1 nat", [restricted, test])
    path = line_plot(plot_dir / f"{target.id}-progress.png", steps,
                     {k: series(trajectory, k) for k in ("train loss", "test loss", "restricted loss", "excluded train loss")},
                     title=f"{target.id}: progress measures", ylabel="loss (nats)", log_y=True)
    evidence.attach(f"{target.id} progress measures", path)
    evidence.expect("test-loss step - restricted-loss step", step_or_end(test, steps) - step_or_end(restricted, steps), ">", 0)


@claim("5.6", "The total weight norm falls by more than 10% between memorisation and grokking (cleanup)",
       models=MODELS, seeds=SEEDS,
       refuted={f"mod-add-mlp-seed{s}": f"seed {s}: the MLP's weight norm rises by 27% from memorisation to grokking" for s in (0, 1, 2)})
def test_weight_norm_falls_during_cleanup(trajectory, evidence):
    """Nanda et al. 2023 Fig. 7 (sum of squared weights falls through circuit formation and
    cleanup, driven by weight decay). Threshold: norm at the grokking step / norm at the
    memorisation step < 0.9 (10%, to be clear of noise; our reading of "falls")."""
    memorised, grokked = event_steps(trajectory)
    norm = dict(zip(trajectory["steps"], trajectory["weight norm"]))
    evidence.note("steps (memorisation, grokking)", [memorised, grokked])
    evidence.require("memorised and grokked during training", int(memorised is not None and grokked is not None), "==", 1)
    evidence.expect("weight norm ratio grokking / memorisation", norm[grokked] / norm[memorised], "<", 0.9)


@claim("5.3", "In the plane of the first two principal components of the checkpoints' full-grid logits, the "
       "training phases (memorisation, circuit formation, cleanup) form separated segments: the share of "
       "variance between phases beats that of random cuts of the same trajectory (p < 0.05)",
       models=MODELS, seeds=SEEDS,
       refuted={f"mod-add-mlp-seed{s}": f"seed {s}: p = {p} against random cuts (between-phase share {share}; "
                f"{sizes} checkpoints per phase); against shuffled labels p = 0.0005"
                for s, p, share, sizes in ((0, 0.51, 0.70, "2, 5, 13"), (1, 0.48, 0.71, "2, 5, 13"),
                                           (2, 0.41, 0.74, "2, 6, 12"))})
def test_logit_pca_separates_the_phases(trajectory, evidence):
    """5.3: a 2D PCA of the logits over training shows its phases. Phases: Nanda et al. 2023
    section 5.2, from the progress measures (``catalog.modular.training_phases``), on the
    checkpoints up to grokking. Score: share of the PC1-2 variance between phases
    (``label_separation``). Baseline: the same score for random cuts of the same time-ordered
    checkpoints into three runs of >= 2 (shuffled labels are too weak a baseline: any cut of a
    smooth trajectory into time segments beats them, so their p-value is only a note).
    Threshold ours, set before measuring: one-sided permutation p < 0.05 over 2000 random cuts.
    Requires grokking, >= 2 checkpoints per phase and >= 20 distinct cuts (else p < 0.05 cannot
    be reached: too few checkpoints before grokking to test). The old measure, the variance share of
    PC1-2 over all checkpoints, is only noted: any smooth trajectory puts > 50% there (0.97 on a
    seed that did not grok), so it tests nothing."""
    logits = torch.stack(trajectory["logits"])
    evidence.note("variance share of PC1-2, all checkpoints (the old measure)", round(pca_explained(logits, 2), 3))
    phases = training_phases(trajectory)
    evidence.require("memorised and grokked during training", int(phases is not None), "==", 1)
    labels = np.array(phases)
    evidence.require("checkpoints in the smallest phase", np.bincount(labels, minlength=len(PHASES)).min(), ">=", 2)
    evidence.require("distinct random cuts (p < 0.05 attainable)", n_segmentations(len(labels), len(PHASES), 2), ">=", 20)
    plane, _ = principal_components(logits[:len(labels)], 2)
    score = lambda lab: label_separation(plane, torch.as_tensor(lab))
    evidence.note("checkpoints per phase", dict(zip(PHASES, np.bincount(labels).tolist())))
    evidence.note("between-phase variance share in PC1-2", round(score(labels), 3))
    evidence.note("p against shuffled phase labels", permutation_p_value(score, labels, lambda rng: rng.permutation(labels)))
    p = permutation_p_value(score, labels, lambda rng: random_segments(rng, len(labels), len(PHASES), 2))
    evidence.expect("p against random cuts of the trajectory", p, "<", 0.05)


@claim("5.4", f"Grokking is predicted without future information: the embedding's top-{SIGNAL_TOP_K} Fourier share exceeds 0.5 at least 20% of the grokking step before test accuracy exceeds 99%",
       models=MODELS, seeds=SEEDS,
       refuted={f"mod-add-mlp-seed{s}": f"seed {s}: the MLP's embedding never gets 50% of its norm into 6 frequencies, so the signal never fires (lead -1.05)" for s in (0, 1, 2)})
def test_fourier_sparsity_predicts_grokking(trajectory, evidence):
    """Our attempt at 5.4. Signal: the share of the embedding's Fourier norm in that
    checkpoint's own top 6 frequencies (no future information), which Nanda et al. 2023's
    picture says grows during circuit formation, before grokking. Threshold: it crosses 0.5
    (a majority) at least 20% of the grokking step ahead (a useful lead, decided up front); a
    signal that never fires counts as one checkpoint after training. Requires grokking."""
    _, grokked = event_steps(trajectory)
    signal = first_step(trajectory["steps"], trajectory["top share"], ">", 0.5)
    evidence.note("steps (signal, grokking)", [signal, grokked])
    evidence.require("grokked during training", int(grokked is not None), "==", 1)
    lead = (grokked - step_or_end(signal, trajectory["steps"])) / grokked
    evidence.expect("lead time / grokking step", lead, ">=", 0.2)


@claim("5.5", "The key frequencies do not switch after circuit formation: the top 3 at the first checkpoint with test accuracy > 50% are all final key frequencies",
       models=MODELS, seeds=SEEDS,
       refuted={**{f"mod-add-mlp-seed{s}": f"seed {s}: the MLP has no final key frequency (none above 10%): 0 of 3 kept" for s in (0, 1, 2)}, "mod-add-transformer-relu-seed0": "seed 0: 2 of the top 3 at 50% test accuracy are final key frequencies"})
def test_key_frequencies_are_chosen_early(trajectory, evidence):
    """5.5 asks why frequencies are chosen and whether they switch mid-training. Hypothesis:
    once test accuracy passes 50% (precondition) the choice is made. Threshold: 3 of the 3
    strongest frequencies then are among the final key frequencies (each > 10% of the final
    embedding's Fourier norm, ``catalog.modular.KEY_FREQUENCY_SHARE``)."""
    halfway = first_step(trajectory["steps"], series(trajectory, "test accuracy"), ">", 0.5)
    evidence.require("test accuracy passed 50% during training", int(halfway is not None), "==", 1)
    early = key_frequencies(trajectory["frequency norms"][trajectory["steps"].index(halfway)], 3)
    final = set(trajectory["final key frequencies"])
    evidence.note("final key frequencies", sorted(final))
    evidence.expect("top-3 frequencies at 50% test accuracy kept", len(set(early) & final), "==", 3)
