"""The IOI measurements several claims share, as the ``ioi`` fixture: one object per (model,
seed), on the model's ``N_PROMPTS`` prompts, each measurement computed on first use. One clean
pass of the prompts, when the object is made, serves them all (``IOIMeasurements.__init__``)."""

from __future__ import annotations

import functools
from typing import Callable

import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from catalog.prompts.ioi import DATA_SEED, N_PROMPTS, IOIPrompts, ioi_prompts
from catalog.prompts.natural_language import acronyms
from harness.claims.shared import per_target
from harness.interp.ablation import head_sites
from harness.interp.activation_cache import clean_run
from harness.interp.attribution import attribute_heads
from harness.interp.circuits import HeadPositionCircuitEvaluator
from harness.interp.dla import LogitAttribution, attribution_hooks, logit_attribution, logit_attribution_from_cache
from harness.interp.heads import attention_patterns, top_heads
from harness.interp.hooks import PATTERN_HOOK, RESID_HOOK
from harness.interp.ioi import attention_from_to, backup_heads, compensation, head_dla_with_ablation
from harness.interp.metrics import answer_logit_diff
from harness.interp.patching import patch_sites, path_patch_heads_to_logits, path_patch_sender_sets

N_NAME_MOVERS = 3  # GPT-2 small has three name movers (9.6, 9.9, 10.0)
N_S_INHIBITION = 4  # GPT-2 small has four S-inhibition heads (7.3, 7.9, 8.6, 8.10)
N_S_INHIBITION_CANDIDATES = 8


class IOIMeasurements:
    def __init__(self, model, seed: int = DATA_SEED):
        self.model = model
        self.prompts: IOIPrompts = ioi_prompts(model.tokenizer, N_PROMPTS, seed)
        # The clean pass of the prompts gives DLA and caches what later measurements read from it:
        # the attention patterns, the residual entering each block (patching resumes there) and
        # the final residual (path patching to the logits). The activation memo serves those
        # reads; a read of a name it lacks would run the whole pass again.
        layers = range(model.cfg.n_layers)
        read_later = {*(PATTERN_HOOK.format(layer=layer) for layer in layers),
                      *(RESID_HOOK.format(layer=layer, where="pre") for layer in layers),
                      RESID_HOOK.format(layer=model.cfg.n_layers - 1, where="post")}
        run = clean_run(model, self.prompts.tokens, attribution_hooks(model) | read_later, logits=True)
        self.logit_attribution: LogitAttribution = logit_attribution_from_cache(
            model, run.logits, run.activations, self.prompts.io, self.prompts.s)

    @property
    def io_minus_s(self) -> Callable[[torch.Tensor], torch.Tensor]:
        """Metric: logits [n, seq, d_vocab] -> mean logit(IO) - logit(S) at the last position."""
        return answer_logit_diff(self.prompts.io, self.prompts.s)

    @functools.cached_property
    def circuit_evaluator(self) -> HeadPositionCircuitEvaluator:
        """Wang et al. 2022's circuit evaluation (harness.interp.circuits): (head, position)
        circuits, every other (head, position) replaced by its mean over the ABC prompts of the
        same template. The paper lists the ABBA and BABA forms of a sentence as two templates; ours
        share one template string, whose ABC prompts have the same form either way, so a group is
        the template string (both orders)."""
        p = self.prompts
        return HeadPositionCircuitEvaluator(self.model, p.tokens, p.corrupted, self.io_minus_s, p.templates)

    @property
    def clean_logit_diff(self) -> float:
        """Mean logit(IO) - logit(S) at the last position."""
        return float(self.logit_attribution.logits.mean())

    @property
    def head_dla(self) -> torch.Tensor:
        """[n_layers, n_heads]: mean direct effect of each head on logit(IO) - logit(S)."""
        return self.logit_attribution.heads.mean(-1)

    @functools.cached_property
    def head_attribution(self) -> torch.Tensor:
        """[n_layers, n_heads]: attribution-patching estimate of the change of the mean IO - S
        logit difference when each head's output is patched from the ABC prompts (noising)."""
        return attribute_heads(self.model, self.prompts.corrupted, self.prompts.tokens, self.io_minus_s)

    @functools.cached_property
    def attention(self) -> torch.Tensor:
        """[n_layers, n_prompts, n_heads, query, key]: every head's attention on the prompts."""
        return attention_patterns(self.model, self.prompts.tokens).cpu()

    def attention_from_to(self, query: str, key: str, offset: int = 0) -> torch.Tensor:
        """[n_layers, n_heads]: mean attention from the ``query`` to the ``key`` position (+
        ``offset``) of each prompt; positions as in ``IOIPrompts.positions`` ("IO", "S1", "S1+1", "S2", "end")."""
        pos = self.prompts.positions
        return attention_from_to(self.attention, pos[query], pos[key] + offset)

    def name_movers(self, k: int = N_NAME_MOVERS) -> list[tuple[int, int]]:
        """Name-mover candidates: the ``k`` heads with the largest direct effect on IO - S (DLA)."""
        return top_heads(self.head_dla, k)

    @functools.cached_property
    def head_paths_to_logits(self) -> torch.Tensor:
        """[n_layers, n_heads]: mean IO - S logit difference with one head's direct path to the
        logits carrying its ABC output (path patching, noising)."""
        p = self.prompts
        return path_patch_heads_to_logits(self.model, p.tokens, p.corrupted, p.io, p.s)

    @property
    def head_direct_effects(self) -> torch.Tensor:
        """[n_layers, n_heads]: the drop of the mean IO - S logit difference when one head's
        direct path to the logits carries its ABC output (``head_paths_to_logits``)."""
        return self.clean_logit_diff - self.head_paths_to_logits

    def head_total_effects(self, heads: list[tuple[int, int]]) -> torch.Tensor:
        """[len(heads)]: the drop of the mean IO - S logit difference when one head's output
        (``hook_z``, every position) is patched from the ABC prompts, through every path."""
        p = self.prompts
        sites = [head_sites([head])[0] for head in heads]
        return self.clean_logit_diff - patch_sites(self.model, p.corrupted, p.tokens, sites, self.io_minus_s)

    @property
    def heads_below_name_movers(self) -> int:
        """How many heads sit below the first name-mover layer (S-inhibition candidates); none
        when a name mover is in layer 0."""
        return min(layer for layer, _ in self.name_movers()) * self.model.cfg.n_heads

    @functools.cached_property
    def s_inhibition_paths(self) -> dict[tuple[int, int], float]:
        """{head: mean IO - S logit difference} when that head's path to the name movers' queries
        carries its ABC output (path patching, noising), for the ``N_S_INHIBITION_CANDIDATES``
        heads (or as many as there are) below the first name-mover layer that attribution patching
        ranks highest (exact path patching of every earlier head is too slow on CPU), strongest
        effect first. Claims using it require ``heads_below_name_movers`` > 0."""
        movers = self.name_movers()
        earlier = self.head_attribution.abs()[: min(layer for layer, _ in movers)]
        candidates = top_heads(earlier, min(N_S_INHIBITION_CANDIDATES, earlier.numel()))
        patched = path_patch_sender_sets(self.model, self.prompts.corrupted, self.prompts.tokens,
                                         [[head] for head in candidates], movers, self.io_minus_s, "q")
        return dict(sorted(zip(candidates, patched.tolist()), key=lambda item: item[1]))

    def s_inhibition_heads(self, k: int = N_S_INHIBITION) -> list[tuple[int, int]]:
        """S-inhibition candidates: the ``k`` heads of ``s_inhibition_paths`` whose path to the
        name movers' queries lowers the logit difference most."""
        return list(self.s_inhibition_paths)[:k]


@per_target
def ioi(model) -> IOIMeasurements:
    """The shared IOI measurements of the claim's model (computed once per model and seed)."""
    return IOIMeasurements(model)


# --- Issue #16 (2.20, 2.22, 2.25): IOI and backup at several prompt seeds, and backup across tasks ---


N_ABLATED = 3  # each task's top heads by direct effect, mean-ablated together (as many as IOI's name movers)
N_BACKUP = 5  # the heads whose direct effect rises most: the task's compensating set
N_REPEATS = 32  # repeated random-token sequences of the induction task


class BackupTask:
    """One task's backup behaviour: its top ``N_ABLATED`` heads by direct effect on
    logit(correct) [- logit(wrong)] at the last position are mean-ablated (per-position means
    over ``reference`` tokens); ``compensation`` is the other heads' direct-effect rise over the
    direct effect removed (harness.interp.ioi.compensation) and ``backups`` the ``N_BACKUP``
    other heads whose direct effect rose most."""

    def __init__(self, model, tokens, correct, wrong, reference, before: torch.Tensor | None = None):
        self.before = logit_attribution(model, tokens, correct, wrong).heads.mean(-1) if before is None else before
        self.ablated = top_heads(self.before, N_ABLATED)
        self.after = head_dla_with_ablation(model, tokens, correct, wrong, self.ablated, reference)
        self.compensation = float(compensation(self.before, self.after, self.ablated))
        self.backups = backup_heads(self.before, self.after, self.ablated, N_BACKUP)


class PromptSeedIOI:
    """IOI measurements (``IOIMeasurements``) and backup across tasks, per prompt seed; the
    ``ioi`` fixture's own object at ``DATA_SEED``, so that its passes are shared."""

    def __init__(self, model, ioi: IOIMeasurements):
        self.model, self.ioi = model, ioi

    @functools.cache
    def at(self, seed: int) -> IOIMeasurements:
        return self.ioi if seed == DATA_SEED else IOIMeasurements(self.model, seed)

    @functools.cache
    def backup(self, seed: int) -> dict[str, BackupTask]:
        """{task: BackupTask} for IOI (ABC means, as the IOI claims), induction on ``N_REPEATS``
        repeated random-token sequences (the first 20 + 19 tokens of the repeat; answer: the last
        repeated token, direct effect on its logit alone) and acronyms (``catalog.prompts.
        natural_language.acronyms``), the last two ablated with their own prompts' means; every
        set drawn with ``seed``."""
        model, ioi = self.model, self.at(seed)
        p = ioi.prompts
        repeats = repeated_tokens_for(model, batch=N_REPEATS, half_len=REPEAT_HALF_LEN, seed=seed)
        acr = acronyms(model.tokenizer, seed=seed)
        return {"IOI": BackupTask(model, p.tokens, p.io, p.s, p.corrupted, ioi.head_dla),
                "induction": BackupTask(model, repeats[:, :-1], repeats[:, -1], None, repeats[:, :-1]),
                "acronyms": BackupTask(model, acr.tokens, acr.correct, acr.wrong, acr.tokens)}


@per_target
def ioi_seeds(model, ioi) -> PromptSeedIOI:
    """The IOI measurements and backup across tasks of the claim's model, per prompt seed."""
    return PromptSeedIOI(model, ioi)
