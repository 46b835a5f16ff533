"""Lottery tickets of the modular-addition MLP (problem 3.28; Frankle and Carbin 2019, "The
Lottery Ticket Hypothesis", ICLR 2019): ``mod-add-mlp`` is pruned one-shot to a share of each
layer's weights by magnitude (``mod-add-mlp-ticket<keep>-magnitude``) or at random (its control,
``...-random``), rewound to its own initial weights with the mask, and retrained
(``catalog.modular_variants``, ``harness.models.lottery``). Two sparsities: keeping 50% with the
dense model's 4000 steps, and keeping 80% with 8000.

Deviations from the paper: one-shot pruning instead of iterative (one retraining per ticket); the
control is a random mask on the same initial weights (the issue's question), the paper's is the
same mask re-initialised; the 80% tickets train twice the dense model's steps. "Reaches the
accuracy" is the first checkpoint (every 100 steps) with held-out accuracy > 0.99, the level the
dense model reaches. A ticket that does not reach it could not be tested: the claims are
inconclusive there. Measured at 50%: no ticket reached it in 4000 steps (final held-out accuracy
0.31 / 0.51 / 0.21 on seeds 0 / 1 / 2; the random masks 0.0; the dense model groks by step 2200),
so the 80% pair was added, whose seed-0 ticket passed 0.99 at step 6000 in a trial.

Seed 0 of the 80% pair runs in the default tier (two retrainings, about 65 s each); the 50% pair,
inconclusive on its first two claims, is slow on every seed (``claims/algorithmic/conftest.py``).
"""

from catalog.modular import modular_problem
from catalog.modular_variants import RANDOM_CONTROL, frequency_agreement, held_out_accuracy
from harness import claim
from harness.interp.grokking import step_or_end

TICKETS = list(RANDOM_CONTROL)
SEEDS = [0, 1, 2]


def require_ticket_generalises(model, target, evidence):
    evidence.require("ticket's final held-out accuracy", held_out_accuracy(model, modular_problem(target.model)), ">", 0.99)


@claim("3.28", "The magnitude-pruned ticket reaches > 99% held-out accuracy at an earlier step than a random mask of "
       "the same sparsity on the same initial weights", models=TICKETS, seeds=SEEDS)
def test_ticket_generalises_sooner_than_random_mask(model, target, ticket_grok_steps, evidence):
    """Frankle and Carbin 2019 (figures 1 and 4: winning tickets reach their early-stopping point
    sooner than random controls). Threshold: an earlier step (a random mask that never gets
    there counts as one interval after the end); ours, set before measuring."""
    require_ticket_generalises(model, target, evidence)
    steps, checkpoint_steps = ticket_grok_steps
    evidence.note("steps to > 99% held-out accuracy (dense, ticket, random mask)", list(steps.values()))
    random_step = step_or_end(steps[RANDOM_CONTROL[target.model]], checkpoint_steps)
    evidence.expect("ticket's step / random mask's step", steps[target.model] / random_step, "<", 1)


@claim("3.28", "The ticket uses the dense model's frequencies: more than half of the neurons live in both have the same "
       "top input frequency, and more than in the random-mask model", models=TICKETS, seeds=SEEDS)
def test_ticket_keeps_the_dense_frequencies(model, target, model_at_seed, evidence):
    """Neuron ``i`` of the ticket against neuron ``i`` of the dense model (one initialisation);
    thresholds 0.5 and the random-mask model's agreement: ours, set before measuring."""
    require_ticket_generalises(model, target, evidence)
    problem, dense = modular_problem(target.model), model_at_seed("mod-add-mlp")
    random_agreement = frequency_agreement(model_at_seed(RANDOM_CONTROL[target.model]), dense, problem)
    agreement = frequency_agreement(model, dense, problem)
    evidence.expect("ticket: share of neurons with the dense top frequency", agreement, ">", 0.5)
    evidence.expect("ticket minus random mask: share with the dense top frequency", agreement - random_agreement, ">", 0)


@claim("3.28", "The magnitude-pruned ticket generalises better than a random mask of the same sparsity: its final "
       "held-out accuracy is higher by > 0.1", models=TICKETS, seeds=SEEDS)
def test_ticket_generalises_better_than_random_mask(model, target, model_at_seed, evidence):
    """Follow-up written after seed 0's tickets did not reach 99% (ticket 0.31, random mask 0.0
    held-out accuracy after 4000 steps; the two claims above are inconclusive there): a
    comparison that needs no grokking. Threshold 0.1 ours; seeds 1 and 2 and the 80% tickets
    were measured after it was set. The dense model's accuracy is noted."""
    problem = modular_problem(target.model)
    dense, random_mask = (held_out_accuracy(model_at_seed(name), problem)
                          for name in ("mod-add-mlp", RANDOM_CONTROL[target.model]))
    evidence.note("final held-out accuracy (dense, random mask)", [round(dense, 3), round(random_mask, 3)])
    evidence.expect("ticket minus random mask: final held-out accuracy", held_out_accuracy(model, problem) - random_mask, ">", 0.1)
