"""Path patching in the IOI circuit (Wang et al. 2022, "Interpretability in the Wild",
arXiv:2211.00593, section 3): the name movers found by their direct path to the logits, the
S-inhibition heads by their path to the name movers' queries (2.18), and whether the earlier
heads have backup (2.19). Every patch is noising: the IOI run with one path carrying the ABC
output, as in the paper. Name-mover candidates are the top 3 heads by DLA
(``ioi.name_movers()``, claims/ioi/conftest.py); S-inhibition candidates are the 8 heads below them
that attribution patching ranks highest, each then path-patched exactly.
"""

from harness import claim, group
from harness.interp.heads import head_name, named_scores, top_heads
from harness.interp.ioi import backup_share, logit_attribution_with_ablation
from harness.interp.patching import path_patch

N_PER_CLASS = 2  # earlier heads of each class ablated together in 2.19


@claim("2.18", "Path patching to the logits finds the DLA name movers: at least 2 of the 3 heads whose direct path matters most are among the top 3 by DLA",
       models=group("causal-lm"))
def test_path_patching_to_the_logits_finds_the_name_movers(model, ioi, evidence):
    """Wang et al. 2022 figure 3a found the name movers by path patching each head -> logits.
    DLA measures a head's direct effect against zero, path patching against its ABC output;
    "the same heads" read as 2 of 3 (our own threshold, set before the first run)."""
    drop = ioi.clean_logit_diff - ioi.head_paths_to_logits
    by_path, by_dla = top_heads(drop, 3), ioi.name_movers()
    evidence.note("top 3 by path patching (drop in logit diff)", named_scores(drop, by_path, 2))
    evidence.note("top 3 by DLA", [head_name(h) for h in by_dla])
    evidence.expect("heads in both top-3 sets", len(set(by_path) & set(by_dla)), ">=", 2)


@claim("2.18", "S-inhibition heads: the 4 earlier heads whose path to the name movers' queries matters most together remove more than a quarter of the IO - S logit difference through it",
       models=group("causal-lm"),
       refuted={"smollm2-135m-seed0": "L20H0, L19H2, L15H7 and L17H4 together remove 18% (3.46 -> 2.84), "
                "L20H0 alone 14%: in SmolLM2 most of the earlier heads' effect does not pass through the "
                "top-3 name movers' queries (only the 8 attribution-ranked candidates were path-patched)"})
def test_s_inhibition_heads_act_through_name_mover_queries(model, ioi, evidence):
    """Wang et al. 2022 section 3.3: S-inhibition heads (four in GPT-2 small) act through the
    name movers' queries. Threshold: their joint path patch removes > 25% of the clean logit
    difference (our reading of "a substantial share", set before the first run). A model
    with a name mover in layer 0 has no earlier heads to test (a precondition)."""
    evidence.require("heads below the first name-mover layer", ioi.heads_below_name_movers, ">", 0)
    prompts = ioi.prompts
    heads, clean = ioi.s_inhibition_heads(), ioi.clean_logit_diff
    joint = float(path_patch(model, prompts.corrupted, prompts.tokens, heads, ioi.name_movers(),
                             ioi.io_minus_s, "q"))
    evidence.note("single-head path patches (logit diff)", named_scores(ioi.s_inhibition_paths, heads, 2))
    evidence.note("logit diff clean / patched", [round(clean, 3), round(joint, 3)])
    evidence.expect("fraction removed through the name movers' queries", 1 - joint / clean, ">", 0.25)


@claim("2.28", "The head with the largest path effect on the name movers' queries attends from the last token to S2 more than to the IO",
       models=group("causal-lm"))
def test_top_s_inhibition_head_attends_to_s2(model, ioi, evidence):
    """Wang et al. 2022 section 3.3 (S-inhibition heads attend to S2, figure 4); threshold 0.
    Precondition: heads below the name movers."""
    evidence.require("heads below the first name-mover layer", ioi.heads_below_name_movers, ">", 0)
    layer, head = ioi.s_inhibition_heads()[0]
    to_s2, to_io = (ioi.attention_from_to("end", key)[layer, head] for key in ("S2", "IO"))
    evidence.note(f"{head_name((layer, head))} attention to S2 / to IO", [round(float(to_s2), 3), round(float(to_io), 3)])
    evidence.expect(f"{head_name((layer, head))} attention to S2 - to IO", to_s2 - to_io, ">", 0.0)


@claim("2.19", "Earlier IOI heads have backup: when the top duplicate-token, induction or S-inhibition heads are mean-ablated, other heads' direct-effect gains make up more than a fifth of the direct-effect losses",
       models=group("causal-lm"))
def test_earlier_heads_have_backup(model, ioi, evidence):
    """2.19 asks whether duplicate-token, induction and S-inhibition heads have backup like the
    name movers (2.24). Threshold 0.2, as for the name movers' compensation; the damage (share of
    the logit difference lost) is recorded. Two heads per class, ABC means. Precondition: heads
    below the name movers (the S-inhibition candidates)."""
    evidence.require("heads below the first name-mover layer", ioi.heads_below_name_movers, ">", 0)
    prompts = ioi.prompts
    before, clean = ioi.head_dla, ioi.clean_logit_diff
    classes = {kind: top_heads(ioi.attention_from_to("S2", "S1", offset), N_PER_CLASS)
               for kind, offset in (("duplicate-token", 0), ("induction", 1))}
    classes["S-inhibition"] = ioi.s_inhibition_heads()[:N_PER_CLASS]
    for kind, heads in classes.items():
        after = logit_attribution_with_ablation(model, prompts.tokens, prompts.io, prompts.s, heads, prompts.corrupted)
        evidence.note(f"{kind} heads, damage", [[head_name(h) for h in heads], round(1 - float(after.logits.mean()) / clean, 3)])
        evidence.expect(f"{kind}: backup share", backup_share(before, after.heads.mean(-1), heads), ">", 0.2)
