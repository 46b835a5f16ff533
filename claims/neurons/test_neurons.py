"""MLP neurons in language models (open problems 1.2, 1.7, 1.8, 1.23): claims on any transformer
with MLP neurons, so on SmolLM2-135M (default tier, prompt draw 0), the GELU / SoLU members of the
family trained here (``lm`` tier) and the TransformerLens originals (hub; skipped without them).

Data: the ``neurons`` fixture (``conftest.py``): 24 probe windows of up to 64 tokens, 80% prose
and 20% Python code, drawn with the claim's ``prompt_seed``; neurons of the first (up to) 8 MLP layers.
"""

import torch

from catalog.pretrained import SMOLLM2
from harness import claim
from harness.claims.shared import prompt_seeds
from harness.interp.neurons import column_alignment, selected_auroc, token_variance_share, top_class_purity
from harness.interp.probes import linear_probe

MLP_MODELS = [SMOLLM2, *(f"lm-{f}-{n}l" for f in ("gelu", "solu") for n in (1, 2)),
              *(f"{f}-{n}l" for f in ("gelu", "solu") for n in (1, 2))]
REGEXES = {"number": r"^\s?\d+$", "newline": r"\n", "opening parenthesis": r"\("}
MIN_MATCHES = 5
PYTHON_KEYWORDS = r"^\s?(def|return|import|from|self|class|if|elif|else|for|while|in|not|is|None|True|False|with|as)$"
ONE_LAYER_MLP = ["lm-gelu-1l", "lm-solu-1l", "gelu-1l", "solu-1l"]


def expect_regex_neurons(neurons, labels: dict[str, torch.Tensor], evidence, show_neuron) -> None:
    """For each labelled token set: the neuron (any measured layer) with the highest AUROC on the
    first half of the prose and of the code windows, its AUROC on the other half > 0.95; requires
    >= ``MIN_MATCHES`` labelled tokens in each half. Each neuron's page is shown."""
    acts = neurons.acts.permute(1, 0, 2).flatten(1)  # [n_tokens, layers x d_mlp]
    for name, label in labels.items():
        evidence.require(f"{name} tokens in the smaller half",
                         min(int(label[s].sum()) for s in (neurons.selection, ~neurons.selection)), ">=", MIN_MATCHES)
        neuron, chosen, held_out = selected_auroc(acts, label, neurons.selection)
        layer, index = divmod(neuron, neurons.acts.shape[2])
        evidence.note(f"{name} neuron", {"layer": layer, "neuron": index, "selection AUROC": round(chosen, 3)})
        show_neuron(neurons.layers[layer], index)
        evidence.expect(f"{name}: held-out AUROC of the best neuron", held_out, ">", 0.95)


@prompt_seeds()
@claim("1.8", "For each of three regexes (numbers, newlines, opening parentheses) some neuron's activation "
       "detects the matching tokens with a held-out AUROC above 0.95", models=MLP_MODELS,
       refuted={"smollm2-135m-seed0-prompts0": "prompt draw 0: the best opening-parenthesis neuron (layer 3) scores "
                "0.930 held out (numbers 0.974, newlines 0.998); draw 1 holds (0.966 / 0.992 / 0.989), draw 2 has too "
                "few number tokens (4) to test"})
def test_regex_neurons(neurons, evidence, show_neuron):
    """Our own hypothesis and threshold (AUROC 0.95), set before measuring; the issue asks for the
    regex scored against the activation by AUROC. The neuron (any measured layer) is the one with
    the highest AUROC on the first half of the prose and of the code windows; its AUROC is
    measured on the other half. Requires >= 5 matching tokens in each half."""
    expect_regex_neurons(neurons, {name: neurons.matches(pattern) for name, pattern in REGEXES.items()}, evidence, show_neuron)


@prompt_seeds()
@claim("1.23", "The first MLP layer's neurons are token detectors: the current token explains over half of "
       "the median neuron's activation variance", models=MLP_MODELS)
def test_first_layer_neurons_detect_tokens(neurons, evidence):
    """Our own hypothesis, threshold 0.5 set before measuring ("mostly a function of the current
    token", as MLP0 of GPT-2 small is read as an extended embedding). Share: eta squared over the
    tokens seen >= 5 times. Control: the same with the token ids shuffled must stay below 0.2
    (else the share measures the small groups, not the tokens)."""
    shares = token_variance_share(neurons.acts[0], neurons.token_ids)
    shuffled = neurons.token_ids[torch.randperm(len(neurons.token_ids), generator=torch.Generator().manual_seed(0))]
    evidence.require("median share with shuffled tokens", token_variance_share(neurons.acts[0], shuffled).median(), "<", 0.2)
    evidence.expect("median share of variance explained by the token", shares.median(), ">", 0.5, per_example=shares)


@prompt_seeds()
@claim("1.7", "More than a quarter of the first MLP layer's neurons are polysemantic: no token class holds half "
       "of their 20 strongest activations", models=MLP_MODELS,
       refuted={"smollm2-135m-seed0": "SmolLM2's first MLP layer: 8.9% / 14.6% / 15.9% of neurons polysemantic by "
                "this criterion (prompt draws 0-2)"})
def test_polysemantic_neurons(neurons, evidence):
    """Our own criterion and threshold (0.25), set before measuring. Classes: the token's kind
    (whitespace, number, capitalised, lowercase, other) x prose / code window (10 classes); a
    neuron is polysemantic when its most common class holds under half of its top 20."""
    purity = top_class_purity(neurons.acts[0], neurons.classes, k=20)
    evidence.note("polysemantic neurons", (purity < 0.5).nonzero().flatten()[:20].tolist())
    evidence.expect("share of polysemantic neurons", (purity < 0.5).float().mean(), ">", 0.25, per_example=purity)


@prompt_seeds()
@claim("1.2", "Some neuron's input weights align with a linear probe's code-vs-prose direction, more than "
       "twice as well as with a random direction", models=MLP_MODELS,
       refuted={"smollm2-135m-seed0": "SmolLM2 layer 4: the probe reaches 0.95 / 0.95 / 0.96 held-out accuracy, but "
                "its direction is less aligned with any neuron's gate weights than random directions are: ratio "
                "0.21 / 0.22 / 0.42 (prompt draws 0-2)"})
def test_neuron_aligned_with_probe(model, neurons, evidence, show_neuron):
    """Our own hypothesis and threshold (2x), set before measuring. The probe (logistic
    regression, ``harness.interp.probes``) reads the middle measured layer's MLP input (its
    norm's output) and must reach held-out accuracy > 0.8. Alignment: the largest |cosine| of the
    probe direction with a neuron's input weights (``W_gate`` for a gated MLP such as SmolLM2's:
    the gate decides whether the neuron fires), against the mean largest |cosine| of 20 random
    Gaussian directions."""
    layer = neurons.probe_layer
    probe = linear_probe(neurons.mlp_input, neurons.is_code, seed=neurons.seed)
    evidence.require("probe held-out accuracy", probe.accuracy, ">", 0.8)
    weights = (model.W_gate if getattr(model.cfg, "gated_mlp", False) else model.W_in)[layer].detach().cpu()
    random = torch.randn(20, weights.shape[0], generator=torch.Generator().manual_seed(neurons.seed))
    baseline = torch.stack([column_alignment(weights, d).max() for d in random]).mean()
    aligned = int(column_alignment(weights, probe.direction).argmax())
    evidence.note("layer, neuron", [layer, aligned])
    show_neuron(layer, aligned)
    evidence.expect("best alignment / random", column_alignment(weights, probe.direction).max() / baseline, ">", 2.0)


@prompt_seeds()
@claim("1.4", "A 1-layer GELU / SoLU model has a Python-keyword neuron: it detects keywords in code (not the same "
       "words in prose) with a held-out AUROC above 0.95", models=[*ONE_LAYER_MLP, SMOLLM2],
       refuted={"smollm2-135m-seed0-prompts0": "SmolLM2, prompt draw 0: the best keyword neuron on the selection "
                "half (layer 3, AUROC 0.936) scores 0.759 held out",
                "smollm2-135m-seed0-prompts2": "SmolLM2, prompt draw 2: the best keyword neuron on the selection "
                "half (layer 6, AUROC 0.978) scores 0.332 held out; draw 1 has no keyword in one half (inconclusive)"})
def test_python_keyword_neuron(neurons, evidence, show_neuron):
    """A neuron family of the SoLU paper (Elhage et al. 2022, section 6: neurons for Python
    keywords); the AUROC threshold 0.95 is ours, set before measuring, the selection as in 1.8.
    Positives: tokens matching ``PYTHON_KEYWORDS`` in code windows; "if" or "for" in prose are
    negatives. SmolLM2 (first 8 layers) is measured too."""
    expect_regex_neurons(neurons, {"Python keyword": neurons.matches(PYTHON_KEYWORDS) & neurons.is_code}, evidence, show_neuron)
