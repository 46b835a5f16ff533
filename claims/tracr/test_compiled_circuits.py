"""Compiled transformers with known circuits (tracr, Lindner et al. 2023): claims whose answer is
known from the RASP program, and the toolkit measured against that ground truth.

Mechanism claims use problem 3.17 ("Choose your own adventure! Find your own algorithmic
problem"): the programs (reverse, sort, histogram, fraction of previous tokens) are algorithmic
problems of tracr's library; no problem of the list is about compiled models, and 3.17 is the
closest honest one. The method-vs-ground-truth claim uses 3.27 (is direct logit attribution,
and here patching, misleading?)."""

from catalog.tracr import SELECTED_KEYS, TRACR_MODELS
from harness import claim
from harness.interp.circuits import ranking_against_truth
from harness.interp.heads import attention_patterns



@claim("3.17", "Zero-ablating any one component of a compiled program's circuit changes its output",
       models=TRACR_MODELS, seeds=[0])
def test_circuit_components_are_necessary(tracr, evidence):
    """Threshold: accuracy (agreement with the unablated model on 64 random inputs of each length) < 1.0 for
    each circuit component, i.e. the accuracy drops; the issue's statement, set before measuring."""
    for name in sorted(tracr.circuit):
        evidence.expect(f"accuracy with {name} zero-ablated", tracr.ablations[name]["accuracy"], "<", 1.0)


@claim("3.17", "The head of a program's last select attends from each query to the key the RASP selector selects",
       models=sorted(SELECTED_KEYS), seeds=[0])
def test_attention_implements_select(model, tracr, evidence):
    """Threshold: the smallest attention weight (over 64 inputs of each length, every query) of the
    circuit's last head on the selected key > 0.9 (the issue's statement, set before
    measuring). Reverse: index i selects n - 1 - i; sort: index i selects the i-th smallest."""
    layer, head = tracr.last_circuit_head()
    weights = []
    for tokens in tracr.clean.values():
        pattern = attention_patterns(model, tokens)[layer][:, head, 1:]  # [batch, query, key]
        weights.append(pattern.gather(-1, SELECTED_KEYS[model.cfg.model_name](tokens).to(pattern.device)[..., None]).min().item())
    evidence.expect(f"min attention of L{layer}H{head} on the selected key", min(weights), ">", 0.9)


@claim("3.27", "Activation and attribution patching find every component of a compiled circuit",
       models=TRACR_MODELS, seeds=[0], refuted={
           "tracr-reverse-seed0": "activation and attribution patching recall 0.2: only L3H0 (the flip) is found; "
                                  "L0H0 and MLP0-2 compute length and opp_idx, which a corrupted input of the same "
                                  "length shares, so patching them changes nothing (zero-ablating each drops "
                                  "accuracy to 0.61-0.68)",
           "tracr-sort-unique-seed0": "attribution patching recall 0.33 (only L1H0; activation patching 1.0): L0H0 "
                                      "and MLP0 reach the output through L1H0's saturated softmax and MLP0's "
                                      "step-function decoder, whose gradients are 0",
           "tracr-hist-seed0": "attribution patching recall 0.5: L0H0 scores 0.0 (activation patching 0.75); its "
                               "output is read by MLP0, tracr's step-function decoder of the selector width, "
                               "whose gradient is 0",
       })
def test_toolkit_finds_known_circuit(model, tracr, evidence):
    """Each method scores each head (hook_z) and MLP (hook_mlp_out) by the change of minus the
    mean squared distance to the clean outputs when patched from the clean (64 random inputs of
    each length) into the corrupted run (64 other random inputs of the same length), summed
    over the lengths; a component is found
    when its |score| exceeds 1% of the whole clean-vs-corrupted effect. Threshold: recall 1.0
    for exact activation patching and for attribution patching alike (the issue: a method
    missing a known component is a bug or a documented limitation; the issue's requirement,
    though this claim was written after a prototype run had shown the values). Documented limitation:
    a component whose activation is the same on both inputs (``length`` when both have the
    same length) has no patching effect, whatever its role. Precision and AUROC (of the
    ranking by |score|) are notes, with the rows of path patching (heads' direct paths to the
    logits) and direct logit attribution, each blind by construction to components without a
    direct path (their own claims below)."""
    found_above = 0.01 * tracr.total_effect
    evidence.require("clean-vs-corrupted effect", tracr.total_effect, ">", 1e-3)
    rows = []
    for method, scores in tracr.method_scores.items():
        result = ranking_against_truth(scores, tracr.circuit, found_above)
        rows.append({"program": model.cfg.model_name, "method": method, **result})
        evidence.expect(f"{method} recall", result["recall"], ">=", 1.0)
    for method, (scores, whole) in {"path patching": tracr.path_patching,
                                    "direct logit attribution": tracr.direct_logit_attribution}.items():
        rows.append({"program": model.cfg.model_name, "method": method,
                     **ranking_against_truth(scores, tracr.circuit, 0.01 * whole)})
    evidence.note("ground truth", rows)


@claim("3.27", "Direct logit attribution credits exactly the circuit components that write into the output space",
       models=TRACR_MODELS, seeds=[0])
def test_dla_finds_direct_components(tracr, evidence):
    """DLA is blind by construction to components without a direct path to the logits (in
    tracr: every component but the one writing the program's output), so its recall over the
    whole circuit (noted in the "ground truth" table of the toolkit claim) is not a claim.
    Hypothesis (our own; precision and recall 1.0 restate the issue's "a method that misses a
    known component is a bug", but the threshold was written after a prototype run had shown
    these values, so it is not a prediction set before measuring): against the circuit's
    components whose output weights reach the unembedding (``W_O W_U`` or ``W_out W_U`` non-zero), precision and
    recall are 1.0. Found: mean direct contribution to the clean answer's logit (non-BOS
    positions, 64 random inputs of each length) above 1% of the mean |answer logit|."""
    dla, answer_logit = tracr.direct_logit_attribution
    result = ranking_against_truth(dla, tracr.direct, 0.01 * answer_logit)
    evidence.expect("precision against the direct components", result["precision"], ">=", 1.0)
    evidence.expect("recall against the direct components", result["recall"], ">=", 1.0)


@claim("3.27", "Path patching to the logits finds exactly the circuit's heads that write into the output space",
       models=["tracr-reverse", "tracr-sort-unique", "tracr-frac-prevs"], seeds=[0])
def test_path_patching_finds_direct_heads(tracr, evidence):
    """``path_patch_heads_to_logits`` (Wang et al. 2022 figure 3a): each head's direct path to
    the logits carries its corrupted output (corrupted: another random input of the same
    length) while the rest of the clean run stays; score: the drop of the clean answer's logit
    minus the corrupted answer's (numerical: of the value), summed over non-BOS positions of
    every length. Like DLA it sees heads' direct paths only (tracr-hist has no head writing the
    output: not a target). Hypothesis (our own, the same as for DLA, and likewise written after a
    prototype run had shown the values): precision and recall 1.0
    against the circuit's heads whose ``W_O W_U`` is non-zero; found: drop above 1% of the
    clean difference."""
    scores, whole = tracr.path_patching
    result = ranking_against_truth(scores, tracr.direct & set(tracr.heads), 0.01 * whole)
    evidence.expect("precision against the direct heads", result["precision"], ">=", 1.0)
    evidence.expect("recall against the direct heads", result["recall"], ">=", 1.0)
