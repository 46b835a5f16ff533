"""A toy Indirect Object Identification task (seed problems 3.18, 3.19, 3.22) on attention-only
models trained here: ``BOS X Y f f S f TO -> IO``, where S is X or Y and IO the other name
(``toy-ioi-3l``, ``toy-ioi-2l``; catalog/toy_ioi.py). The GPT-2 small circuit (Wang et
al. 2022, "Interpretability in the Wild") has duplicate-token heads (S2 attends to S1),
S-inhibition heads and name movers (the final token attends to IO and copies it).
Evaluation: 512 fresh prompts (seed 1000)."""

from catalog.toy_ioi import IOI_SEQ, ioi_io_targets, ioi_s1_targets, ioi_s2_targets
from harness import claim
from harness.claims.snapshots import TOLERANCE
from harness.interp.ablation import mean_ablate_heads, run_with_hooks
from harness.interp.heads import clear_top_head, head_name, head_scores, top_head
from harness.models.tasks import task_batch
from harness.plain import plain

SEEDS = [0, 1, 2]
THRESHOLD = 0.5  # a head "attends to" a token when most of its attention goes there


def prompts(seed=1000):
    return task_batch("toy-ioi", 512, seed)


def ioi_accuracy(model, hooks=()):
    tokens, _, targets = prompts()
    logits = run_with_hooks(model, tokens, list(hooks))
    return float((logits[:, IOI_SEQ - 2].argmax(-1).cpu() == targets[:, IOI_SEQ - 2]).float().mean())


def attends_most(model, targets):
    """(layer, head) with the most attention on ``targets`` (a ``[batch, query, key]`` mask
    builder), and that attention."""
    scores = head_scores(model, prompts()[0], targets)
    return top_head(scores), float(scores.max())


def name_mover(model):
    """(layer, head) attending most from TO to IO, and its score."""
    return attends_most(model, ioi_io_targets)


@claim("3.22", "A 3-layer attention-only model does the toy IOI task (> 95% accuracy)", models=["toy-ioi-3l"], seeds=SEEDS)
def test_three_layers_do_ioi(model, evidence):
    """Threshold 95% (near-perfect; chance is 50% between the two names)."""
    evidence.expect("IO accuracy", ioi_accuracy(model), ">", 0.95)


@claim("3.19", "A 2-layer attention-only model can learn the toy IOI task (> 95% accuracy)", models=["toy-ioi-2l"], seeds=SEEDS)
def test_two_layers_do_ioi(model, evidence):
    """3.19 asks whether 2 layers suffice. Threshold as for 3 layers."""
    evidence.expect("IO accuracy", ioi_accuracy(model), ">", 0.95)


@claim("3.18", "The model has a name-mover head: at TO it attends mostly to IO, and mean-ablating it drops accuracy below 75%",
       models=["toy-ioi-3l", "toy-ioi-2l"], seeds=SEEDS,
       refuted="the top IO-attending head (attention 0.79 / 0.75 / 0.59 in 3l, 0.84 / 0.84 / 0.36 in 2l, "
               "seeds 0 / 1 / 2) is never necessary: mean-ablating it leaves accuracy at 1.00 on every "
               "model and seed, other heads move the name too")
def test_name_mover_head(model, evidence):
    """Wang et al. 2022 name movers. Thresholds: attention to IO > 0.5; ablation takes accuracy
    below 75%, halfway to chance (the head is needed)."""
    head, score = name_mover(model)
    evidence.note("name mover", head_name(head))
    evidence.expect("name-mover attention to IO", score, ">", THRESHOLD)
    hooks = mean_ablate_heads(model, prompts(seed=2000)[0], [head])
    evidence.expect("accuracy with the name mover mean-ablated", ioi_accuracy(model, hooks), "<", 0.75)


@claim("3.18", "The model has a duplicate-token head: at S2 a head attends mostly to S1, in a layer before the name mover",
       models=["toy-ioi-3l", "toy-ioi-2l"], seeds=SEEDS,
       refuted="the best S2 -> S1 head has only 0.25 / 0.27 / 0.31 attention in 3l and 0.37 / 0.42 / 0.28 "
               "in 2l (seeds 0 / 1 / 2); on 2l seed 1 it is even in the name mover's layer")
def test_duplicate_token_head(model, evidence):
    """GPT-2 small's duplicate-token heads (Wang et al. 2022) feed S-inhibition; threshold 0.5
    on attention from S2 to S1, and the head's layer < the name mover's layer."""
    (layer, head), score = attends_most(model, ioi_s1_targets)
    evidence.note("duplicate-token head", head_name((layer, head)))
    evidence.expect("attention from S2 to S1", score, ">", THRESHOLD)
    evidence.expect("name-mover layer - duplicate-token layer", name_mover(model)[0][0] - layer, ">", 0)


@claim("3.18", "The model has an S-inhibition head: at TO a head attends mostly to S2, in a layer before the name mover",
       models=["toy-ioi-3l", "toy-ioi-2l"], seeds=SEEDS,
       refuted={"toy-ioi-2l-seed2": "seed 2 of 2l: the top TO -> S2 head (L1H1, 0.94) sits in the name mover's "
                "layer; elsewhere a layer-0 or layer-1 head attends 0.66-0.99 to S2 one layer or more earlier"})
def test_s_inhibition_head(model, evidence):
    """GPT-2 small's S-inhibition heads attend from the final token to S2 and tell the name
    movers which name not to copy (Wang et al. 2022 section 3.3). Threshold 0.5 on attention
    from TO to S2, and the head's layer < the name mover's layer."""
    (layer, head), score = attends_most(model, ioi_s2_targets)
    evidence.note("S-inhibition head", head_name((layer, head)))
    evidence.expect("attention from TO to S2", score, ">", THRESHOLD)
    evidence.expect("name-mover layer - S-inhibition layer", name_mover(model)[0][0] - layer, ">", 0)


@claim("3.19", "The solution is the same across seeds: the name mover is in the last layer on every seed",
       models=["toy-ioi-3l"], seeds=SEEDS,
       refuted={"toy-ioi-3l-seed0": "seed 0: the top name mover is in layer 1 of 3 (seeds 1 and 2: layer 2), "
                "so the solution differs across seeds"})
def test_name_mover_in_last_layer(model, evidence):
    """3.19's consistency question, in its simplest observable: the layer of the top name
    mover (GPT-2 small's are in its last layers)."""
    (layer, _), _ = name_mover(model)
    evidence.expect("name-mover layer", layer, "==", model.cfg.n_layers - 1)


@claim("3.19", "The toy IOI heads found on every model and seed are unchanged (regression snapshot)",
       models=["toy-ioi-3l", "toy-ioi-2l"], seeds=SEEDS)
def test_toy_ioi_heads_snapshot(model, evidence, claim_snapshot):
    """Regression guard (our own run): the top name-mover, duplicate-token and S-inhibition
    heads where they beat the runner-up by ``snapshots.TOLERANCE``, with their attention;
    across seeds, the snapshots answer 3.19's "is it the same?" at a glance."""
    roles = {"name mover (TO -> IO)": ioi_io_targets, "duplicate token (S2 -> S1)": ioi_s1_targets,
             "S-inhibition (TO -> S2)": ioi_s2_targets}
    scores = {role: head_scores(model, prompts()[0], targets) for role, targets in roles.items()}
    evidence.matches_snapshot("toy IOI heads", claim_snapshot, plain({
        role: [head_name(head) if (head := clear_top_head(s, TOLERANCE)) else "no clear top head", s.max()]
        for role, s in scores.items()}, 2))
