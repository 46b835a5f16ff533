"""A small Othello-GPT (3.20, 3.30-3.33): ``othello-gpt-4l`` (catalog/othello.py), 4 layers,
d_model 64, trained for 4000 steps of 64 synthetic games of uniformly random legal moves to
predict the legal next moves. Li et al. 2023 ("Emergent world representations") trained 8
layers of d_model 512 on millions of games; ours is sized to train on a loaded 2-core CPU, so
every seed is ``slow``. The budget changed after a first measurement: 1000 steps gave top-1 legal
0.774 on seed 0 (final loss 2.861; 3.20 refuted, 3.30-3.33 inconclusive), too little to test the
probe claims (precondition 0.8), so a 4000-step trial was run on seed 0 (0.892), and 4000 steps is
the budget for every seed; no threshold changed. Deviation: it is trained on the uniform
distribution over the legal next moves (the optimum of Li et al.'s next-move loss on random
games, with less noise per game). Evaluation: 300 held-out random games (seed 1000); probes are
fitted on 70% of the games and scored on the other 30%. Thresholds are ours, set before measuring, unless a paper is named."""

import pytest
import torch

from catalog.othello import OTHELLO_MODEL, earlier_moves
from harness import claim

SEEDS = [0, 1, 2]
LEARNED = 0.8  # precondition of the probe claims: top-1 legal far above chance (about 0.14)
MIDDLE = 3  # the residual after 3 of 4 blocks: Nanda 2023 probes a late-middle layer too
pytestmark = pytest.mark.slow


@claim("3.20", "A 4-layer Othello-GPT trained on random games predicts a legal next move: top-1 legal on > 90% of held-out positions",
       models=[OTHELLO_MODEL], seeds=SEEDS,
       refuted={f"othello-gpt-4l-seed{seed}": f"top-1 legal {legal} after 4000 steps of 64 games: close to the rules, "
                "not at 0.9" for seed, legal in ((0, 0.892), (1, 0.891), (2, 0.895))})
def test_predicts_legal_moves(othello_gpt, evidence):
    """Threshold 0.9 (ours: the rules learned, not guessed; a uniformly random square is legal
    about 14% of the time). Li et al. 2023's 8-layer model errs on 0.01% of synthetic positions."""
    evidence.expect("top-1 legal-move accuracy", othello_gpt.legal_accuracy(), ">", 0.9)


@claim("3.30", "The board is linear as mine / theirs / empty, not as black / white / empty: a linear probe of the residual after 3 of 4 blocks does better on the first",
       models=[OTHELLO_MODEL], seeds=SEEDS)
def test_board_is_linear_relative_to_the_player(othello_gpt, evidence):
    """Nanda 2023's comparison: linear probes of each square's state relative to the player to
    move reach ~99% where probes of black / white do far worse. Threshold: the relative probe's
    held-out accuracy (mean over 64 squares) above the absolute one's. Precondition: top-1 legal
    > 0.8."""
    evidence.require("top-1 legal-move accuracy", othello_gpt.legal_accuracy(), ">", LEARNED)
    relative, absolute = othello_gpt.board_accuracy(MIDDLE, True), othello_gpt.board_accuracy(MIDDLE, False)
    evidence.note("black / white / empty probe accuracy", absolute)
    evidence.expect("mine / theirs / empty minus black / white / empty probe accuracy", relative - absolute, ">", 0)


@claim("3.31", "The board is computed by the middle and used at the end: probe accuracy after 2 of 4 blocks is within 0.05 of its best, and the last MLP matters more than the last attention",
       models=[OTHELLO_MODEL], seeds=SEEDS)
def test_layers_compute_then_use_the_board(othello_gpt, model, evidence):
    """Our hypothesis: early blocks compute the board (the mine / theirs probe accuracy after 2
    of 4 blocks within 0.05 of its best over depths) and the last block reads legal moves off
    it through its MLP (Nanda 2023 finds late MLP neurons that read the board into legal
    moves): mean-ablating the last MLP lowers top-1 legal accuracy more than mean-ablating the
    last attention layer. Precondition: top-1 legal > 0.8."""
    clean = othello_gpt.legal_accuracy()
    evidence.require("top-1 legal-move accuracy", clean, ">", LEARNED)
    by_depth = [othello_gpt.board_accuracy(blocks, True) for blocks in range(model.cfg.n_layers + 1)]
    evidence.note("mine / theirs / empty probe accuracy after 0..4 blocks", [round(a, 3) for a in by_depth])
    evidence.expect("probe accuracy after 2 blocks minus the best", by_depth[2] - max(by_depth), ">", -0.05)
    drops = {c: clean - othello_gpt.ablated_accuracy(c) for c in ("attn", "mlp")}
    evidence.note("legal accuracy drop, last attention mean-ablated", drops["attn"])
    evidence.expect("drop with the last MLP minus drop with the last attention ablated", drops["mlp"] - drops["attn"], ">", 0)


@claim("3.32", "Last-layer neurons are square detectors: > 10% have AUROC > 0.9 for one square's state, legality, flip or play, and legality is the commonest best feature",
       models=[OTHELLO_MODEL], seeds=SEEDS,
       refuted={f"othello-gpt-4l-seed{seed}": f"{share} of last-layer neurons read a square (> 0.1 holds), but "
                f"'empty' is the commonest best feature, not 'legal' ({empty} empty / {legal} legal readers)"
                for seed, share, empty, legal in ((0, 0.172, 25, 19), (1, 0.195, 32, 15), (2, 0.207, 26, 26))})
def test_last_layer_neurons_read_single_squares(othello_gpt, evidence):
    """Our hypothesis, after Nanda 2023's finding of interpretable late neurons (e.g. "this
    square is legal"): a neuron "reads one square" when its activation separates one binary
    feature of one square with AUROC > 0.9 (either sign); more than 10% of the last layer's
    neurons do, and among them "legal next" is the commonest best feature. Precondition: top-1
    legal > 0.8."""
    evidence.require("top-1 legal-move accuracy", othello_gpt.legal_accuracy(), ">", LEARNED)
    best = {kind: auroc.nan_to_num(0.5).max(0).values for kind, auroc in othello_gpt.neuron_aurocs.items()}
    kinds = list(best)
    top = torch.stack([best[k] for k in kinds])  # [kind, d_mlp]
    readers = top.max(0).values > 0.9
    counts = {k: int((top.argmax(0)[readers] == i).sum()) for i, k in enumerate(kinds)}
    evidence.note("square readers by best feature", counts)
    evidence.expect("share of last-layer neurons with AUROC > 0.9 for one square feature", readers.float().mean(), ">", 0.1)
    evidence.expect("legal readers minus the commonest other kind", counts["legal"] - max(v for k, v in counts.items() if k != "legal"), ">", 0)


@claim("3.33", "Memory decays in the residual stream: the move k back is linearly decodable after 3 of 4 blocks at > 50% for k = 1, less at each k up to 4",
       models=[OTHELLO_MODEL], seeds=SEEDS,
       refuted={f"othello-gpt-4l-seed{seed}": f"the move 1..4 back is decoded at {accuracy}: far below 0.5 at k = 1, "
                "and not falling from k = 3 to 4" for seed, accuracy in
                ((0, "0.177 / 0.147 / 0.100 / 0.110"), (1, "0.171 / 0.153 / 0.111 / 0.120"),
                 (2, "0.177 / 0.151 / 0.101 / 0.119"))})
def test_recent_moves_fade_from_the_residual(othello_gpt, evidence):
    """Our conjecture, set before measuring: the residual stream keeps a record of recent moves
    that fades with distance. A 64-way linear probe of the square played k moves back (k = 1..4)
    from the residual after 3 of 4 blocks: held-out accuracy > 0.5 at k = 1 (chance 1/60), and
    strictly lower at each next k. Precondition: top-1 legal > 0.8."""
    evidence.require("top-1 legal-move accuracy", othello_gpt.legal_accuracy(), ">", LEARNED)
    labels = torch.stack([earlier_moves(othello_gpt.games, back) for back in range(1, 5)], dim=-1)
    accuracy = othello_gpt.probe(MIDDLE, labels, 64)
    evidence.note("accuracy for the move 1..4 back", [round(float(a), 3) for a in accuracy])
    evidence.expect("accuracy for the previous move", accuracy[0], ">", 0.5)
    evidence.expect("smallest drop from k to k + 1", (accuracy[:-1] - accuracy[1:]).min(), ">", 0)
