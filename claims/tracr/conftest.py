"""Measurements the tracr claims share: ``tracr`` holds, per compiled model, zero ablations of
every component and the scores of the toolkit's component-finding methods on 64 random inputs
of each length from 1 to ``max_seq_len`` (data seed = length), patched from 64 others of the
same length (data seed 1000 + length)."""

from __future__ import annotations

from functools import cached_property

import torch

from harness.claims.shared import per_target
from harness.interp.ablation import run_with_hooks, zero_ablation
from harness.interp.attribution import attribute_heads, attribute_layer_outputs
from harness.interp.dla import logit_attribution
from harness.interp.hooks import ALL, MLP_OUT_HOOK, Z_HOOK, Site
from harness.interp.patching import patch_sites, path_patch_heads_to_logits
from harness.models.pretrained.tracr import compiled_circuit

N_INPUTS = 64
# frac_prevs' values are fractions k/n with n <= 5, at least 1/20 apart
NUMERICAL_TOLERANCE = 0.025
# a method "finds" a component whose score exceeds 1% of the whole clean-vs-corrupted effect
FOUND_SHARE = 0.01


class TracrMeasurements:
    def __init__(self, model):
        self.model, info = model, model.tracr
        self.categorical = info.categorical
        # every length: at full length alone a length-computing component can fail unseen
        # (tracr's selector width reads a zeroed attention output as the largest width)
        lengths = range(1, info.max_seq_len + 1)
        self.clean = {n: info.random_inputs(N_INPUTS, n, seed=n) for n in lengths}
        self.corrupted = {n: info.random_inputs(N_INPUTS, n, seed=1000 + n) for n in lengths}
        n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
        # component name -> (layer, head) for heads, (layer,) for MLPs
        self.index = {**{f"L{layer}H{head}": (layer, head) for layer in range(n_layers) for head in range(n_heads)},
                      **{f"MLP{layer}": (layer,) for layer in range(n_layers)}}
        self.heads = [name for name, index in self.index.items() if len(index) == 2]
        self.mlps = [name for name, index in self.index.items() if len(index) == 1]
        self.sites: dict[str, Site] = {
            name: (Z_HOOK.format(layer=index[0]), (ALL, ALL, index[1])) if len(index) == 2
            else (MLP_OUT_HOOK.format(layer=index[0]), (...,)) for name, index in self.index.items()
        }
        heads, mlps = compiled_circuit(model)
        self.circuit = {f"L{layer}H{head}" for layer, head in heads} | {f"MLP{layer}" for layer in mlps}
        # the circuit's components that write into the output space, read by the unembedding
        to_logits = {"heads": torch.einsum("lhdm,mv->lhv", model.W_O, model.W_U).abs().amax(-1),
                     "mlps": (model.W_out @ model.W_U).abs().amax((-2, -1))}
        self.direct = {name for name in self.circuit
                       if to_logits["heads" if name in self.heads else "mlps"][self.index[name]] > 0}

    def last_circuit_head(self) -> tuple[int, int]:
        """(layer, head) of the circuit's last head."""
        return max(self.index[name] for name in self.circuit if name in self.heads)

    @cached_property
    def clean_logits(self) -> dict[int, torch.Tensor]:
        return {n: run_with_hooks(self.model, tokens, []) for n, tokens in self.clean.items()}

    def agreement(self, logits: torch.Tensor, n: int) -> torch.Tensor:
        """[batch, n] bool: non-BOS outputs equal to the clean model's (argmax, or the value
        within ``NUMERICAL_TOLERANCE``) on the length-``n`` inputs."""
        got, clean = logits[:, 1:], self.clean_logits[n][:, 1:]
        if self.categorical:
            return got.argmax(-1) == clean.argmax(-1)
        return ((got - clean).abs() < NUMERICAL_TOLERANCE).squeeze(-1)

    @cached_property
    def ablations(self) -> dict[str, dict[str, float]]:
        """{component: {"accuracy", "max_logit_change"}} with that component's output zeroed,
        over the inputs of every length (accuracy: share of all non-BOS positions)."""
        out = {}
        for name, site in self.sites.items():
            runs = {n: run_with_hooks(self.model, tokens, zero_ablation([site])) for n, tokens in self.clean.items()}
            out[name] = {
                "accuracy": torch.cat([self.agreement(logits, n).flatten() for n, logits in runs.items()]).float().mean().item(),
                "max_logit_change": max((logits - self.clean_logits[n]).abs().max().item() for n, logits in runs.items()),
            }
        return out

    def metric(self, n: int):
        """Metric of the length-``n`` runs: minus the mean squared distance of the outputs
        (non-BOS positions) to the clean run's; 0 on the clean input."""
        return lambda logits: -(logits[:, 1:] - self.clean_logits[n][:, 1:]).pow(2).mean()

    @cached_property
    def method_scores(self) -> dict[str, dict[str, float]]:
        """{method: {component: estimated change of the metric when patching it from the clean
        into the corrupted run}}, summed over the lengths."""
        patching, attribution = 0, 0
        for n, clean in self.clean.items():
            corrupted, metric = self.corrupted[n], self.metric(n)
            baseline = metric(run_with_hooks(self.model, corrupted, []))
            patching = patching + patch_sites(self.model, clean, corrupted, list(self.sites.values()), metric) - baseline
            attribution = attribution + torch.cat([attribute_heads(self.model, clean, corrupted, metric).flatten(),
                                                   attribute_layer_outputs(self.model, clean, corrupted, metric, "mlp")])
        return {
            "activation patching": dict(zip(self.sites, patching.tolist())),
            "attribution patching": dict(zip(self.heads + self.mlps, attribution.tolist())),
        }

    @cached_property
    def direct_logit_attribution(self) -> tuple[dict[str, float], float]:
        """({component: mean direct contribution to the clean answer's logit}, mean |answer
        logit|) over the non-BOS positions of every length; the answer is the clean argmax
        (categorical) or the one output (numerical)."""
        heads, mlps, answer_logits, count = 0, 0, 0, 0
        for n, tokens in self.clean.items():
            for pos in range(1, n + 1):
                answers = (self.clean_logits[n][:, pos].argmax(-1) if self.categorical
                           else torch.zeros(len(tokens), dtype=torch.long))
                dla = logit_attribution(self.model, tokens, answers, pos=pos)
                heads, mlps = heads + dla.heads.sum(-1), mlps + dla.mlps.sum(-1)
                answer_logits, count = answer_logits + dla.logits.abs().sum().item(), count + len(tokens)
        scores = torch.cat([heads.flatten(), mlps]) / count
        return dict(zip(self.heads + self.mlps, scores.tolist())), answer_logits / count

    def answers(self, n: int, pos: int, logits: torch.Tensor) -> torch.Tensor | None:
        """[batch] the output index ``logits`` pick at ``pos`` (categorical); None (numerical)."""
        return logits[:, pos].argmax(-1) if self.categorical else None

    @cached_property
    def path_patching(self) -> tuple[dict[str, float], float]:
        """({head: drop of the clean answer-vs-corrupted-answer logit difference (numerical: of
        the value) when the head's direct path to the logits carries its corrupted output},
        the clean difference), summed over the non-BOS positions of every length. Heads only:
        the toolkit's path patching has heads as senders."""
        drops, whole = 0, 0.0
        for n, clean in self.clean.items():
            corrupted_logits = run_with_hooks(self.model, self.corrupted[n], [])
            for pos in range(1, n + 1):
                answers = self.answers(n, pos, self.clean_logits[n])
                answers = torch.zeros(len(clean), dtype=torch.long, device=self.clean_logits[n].device) if answers is None else answers
                wrong = self.answers(n, pos, corrupted_logits)
                clean_diff = self.clean_logits[n][:, pos].gather(-1, answers[:, None]).squeeze(-1)
                if wrong is not None:
                    clean_diff = clean_diff - self.clean_logits[n][:, pos].gather(-1, wrong[:, None]).squeeze(-1)
                patched = path_patch_heads_to_logits(self.model, clean, self.corrupted[n], answers, wrong, pos=pos)
                drops = drops + (clean_diff.mean() - patched)
                whole += clean_diff.abs().mean().item()
        return dict(zip(self.heads, drops.flatten().tolist())), whole

    @cached_property
    def total_effect(self) -> float:
        """|metric| of the corrupted runs, summed over the lengths: the whole effect to recover."""
        return sum(abs(self.metric(n)(run_with_hooks(self.model, tokens, [])).item()) for n, tokens in self.corrupted.items())


@per_target
def tracr(model):
    """``TracrMeasurements`` of a compiled tracr model (cached properties: measured on first use)."""
    return TracrMeasurements(model)
