"""What exists: the models, tasks and datasets the claims name (prompt sets live in
``catalog.prompts``). Importing this package registers them all; this list is the one table of
registrations, and ``MODEL_GROUPS`` the one table of model tags (``group(tag)`` in a claim)."""

from catalog import (  # noqa: F401  (registration side effects)
    automata,
    code_output,
    datasets,
    double_descent,
    fine_tuning,
    graphs,
    head_superposition,
    induction,
    lm,
    memorisation,
    modular,
    modular_variants,
    othello,
    phase_change,
    pretrained,
    sequences,
    superposition,
    toy_ioi,
    translation,
    tracr,
)
from catalog.pretrained import HUB_MODELS, SMOLLM2
from harness.models.registry import tag_models

_TOY_INDUCTION = [f"toy-attn-{n}l" for n in (1, 2, 3)]
_HUB_ATTN_ONLY = [f"attn-only-{n}l" for n in (1, 2, 3, 4)]

# tag -> models; ``--claims-add-model`` adds its models to ``causal-lm``
MODEL_GROUPS: dict[str, list[str]] = {
    # language models with a tokenizer: the natural-language packs (IOI, induction on text tokens)
    "causal-lm": [SMOLLM2, *HUB_MODELS],
    "attn-only": [*_TOY_INDUCTION, "toy-ioi-2l", "toy-ioi-3l", *_HUB_ATTN_ONLY],
    "has-mlp": [SMOLLM2, *(name for name in HUB_MODELS if name not in _HUB_ATTN_ONLY)],
    "toy:induction": _TOY_INDUCTION,
    # the models on which Wang et al. 2022's IOI head indices (9.6, 9.9, 10.0, ...) apply
    "paper:gpt2-ioi": ["gpt2-small"],
}
for _tag, _names in MODEL_GROUPS.items():
    tag_models(_tag, _names)

# ------------------------------------------------------------------ 3.13 / 3.14 / 3.15 / 3.17 (issue #17)
from catalog import in_context_regression, majority, multiplication  # noqa: E402, F401  (registrations)

# --- Issue #18 (4.39): a small 1-layer SoLU / GELU pair trained here (catalog/small_lm.py) ---
from catalog import small_lm  # noqa: E402,F401  (registration side effects)
