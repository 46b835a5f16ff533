"""The measurements the natural-language claims share, as the ``nl`` fixture: one object per
(model, seed), each prompt set's prompts and measurements computed on first use (once per
prompt set and prompt seed)."""

from __future__ import annotations

import functools

import torch

from catalog.datasets import REPEAT_HALF_LEN, repeated_tokens_for
from catalog.prompts.agreement import subject_verb_agreement
from catalog.prompts.code import html_closing_tags, methods_by_type
from catalog.prompts.emails import email_prompts
from catalog.prompts.facts import capital_prompts
from catalog.prompts.few_shot import SHOTS, few_shot_classification, few_shot_task, label_key
from catalog.prompts.natural_language import TASKS, NLTask
from catalog.prompts.numbers import AdditionPrompts, counting, numbered_lines, two_digit_addition
from catalog.prompts.probe_text import codec_for, probe_windows
from catalog.prompts.repeats import word_repeats
from catalog.prompts.strings import matching_quotes
from catalog.prompts.text import docstring_corpus, memorised_prompts
from catalog.prompts.word_translation import word_translations
from harness.claims.shared import per_target
from harness.interp.ablation import mean_ablate_heads, mlp_sites, patch_hooks, resample_ablate_heads, run_with_hooks
from harness.interp.activation_cache import clean_run
from harness.interp.attribution import attribute_heads
from harness.interp.dla import LogitAttribution, attribution_hooks, logit_attribution_from_cache
from harness.interp.embedding import token_table_hooks
from harness.interp.heads import (DETECTOR_THRESHOLD, attention_patterns, attention_to_targets_per_example, heads_above,
                                  induction_targets, offset_induction_targets, top_head, top_heads)
from harness.interp.hooks import MLP_OUT_HOOK, PATTERN_HOOK, Head
from harness.interp.lens import logit_lens_predictions
from harness.interp.metrics import answer_logit_diff, logit_diff, per_token_loss, repeated_halves_loss
from harness.interp.outliers import OutlierFeatures, linear_layer_inputs, outlier_features
from harness.interp.patching import causal_trace

# every prompt set by name: the unseeded behaviours of catalog.prompts.natural_language and the
# seeded sets of the SmolLM2 pack (issue #16)
PROMPT_SETS = {
    **TASKS,
    "numbered lines": numbered_lines,
    "html closing tags": html_closing_tags,
    "methods by type": methods_by_type,
    "emails first.last": functools.partial(email_prompts, order="first.last"),
    "emails last.first": functools.partial(email_prompts, order="last.first"),
    "counting": counting,
}


class NLMeasurements:
    def __init__(self, model):
        self.model = model

    @functools.cache
    def task(self, name: str, seed: int | None = None) -> NLTask:
        """The prompts of set ``name`` (``PROMPT_SETS``) for the model's tokenizer, drawn with
        prompt seed ``seed`` (the builder's default without one)."""
        build = PROMPT_SETS[name]
        return build(self.model.tokenizer) if seed is None else build(self.model.tokenizer, seed=seed)

    @functools.cache
    def clean_pass(self, task: str, seed: int | None = None) -> tuple[LogitAttribution, torch.Tensor, torch.Tensor]:
        """The one clean forward pass over a prompt set: (direct logit attribution of
        logit(correct) - logit(wrong) at the last position, [n_layers, n_prompts, n_heads, query,
        key] every head's attention, [n_prompts, d_vocab] the logits at the last position)."""
        batch, n_layers = self.task(task, seed), self.model.cfg.n_layers
        patterns = [PATTERN_HOOK.format(layer=layer) for layer in range(n_layers)]
        names = attribution_hooks(self.model) | set(patterns)
        run = clean_run(self.model, batch.tokens.to(self.model.W_U.device), names, logits=True)
        logits, cache = run.logits, run.activations
        attribution = logit_attribution_from_cache(self.model, logits, cache, batch.correct, batch.wrong)
        return attribution, torch.stack([cache[name] for name in patterns]).cpu(), logits[:, -1].cpu()

    def logit_attribution(self, task: str, seed: int | None = None) -> LogitAttribution:
        """Direct logit attribution of logit(correct) - logit(wrong) at the last position."""
        return self.clean_pass(task, seed)[0]

    def head_dla(self, task: str, seed: int | None = None) -> torch.Tensor:
        """[n_layers, n_heads]: mean direct effect of each head on logit(correct) - logit(wrong)."""
        return self.logit_attribution(task, seed).heads.mean(-1)

    def attention(self, task: str, seed: int | None = None) -> torch.Tensor:
        """[n_layers, n_prompts, n_heads, query, key]: every head's attention on the task."""
        return self.clean_pass(task, seed)[1]

    def last_logits(self, task: str, seed: int | None = None) -> torch.Tensor:
        """[n_prompts, d_vocab]: the logits at the last position."""
        return self.clean_pass(task, seed)[2]

    def attention_from_end(self, task: str, key: str, seed: int | None = None) -> torch.Tensor:
        """[n_layers, n_prompts, n_heads]: each head's attention from the last position to the
        task's position ``key``, in each prompt."""
        positions = self.task(task, seed).positions
        by_prompt = self.attention(task, seed).permute(1, 3, 4, 0, 2)  # [n_prompts, query, key, n_layers, n_heads]
        return by_prompt[torch.arange(by_prompt.shape[0]), positions["end"], positions[key]].transpose(0, 1)

    def top_head_attention(self, task: str, key: str, seed: int | None = None) -> tuple[Head, torch.Tensor]:
        """(the head with the largest mean direct effect, [n_prompts] its attention from the last
        position to the task's position ``key`` in each prompt)."""
        layer, head = top_head(self.head_dla(task, seed))
        return (layer, head), self.attention_from_end(task, key, seed)[layer, :, head]

    @functools.cache
    def head_patching(self, task: str, seed: int | None = None) -> torch.Tensor:
        """[n_layers, n_heads]: attribution-patching estimate of the rise of the mean
        logit(correct) - logit(wrong) when one head's output (every position) is patched from the
        clean prompts into their corrupted twins (denoising)."""
        batch = self.task(task, seed)
        return attribute_heads(self.model, batch.tokens, batch.corrupted, answer_logit_diff(batch.correct, batch.wrong))

    def corrupted_logit_diff(self, task: str, seed: int | None = None, patched: tuple[Head, ...] = ()) -> torch.Tensor:
        """[n_prompts]: logit(correct) - logit(wrong) at the last position of the corrupted
        twins, with the ``patched`` heads' outputs (every position) taken from the clean run."""
        batch, device = self.task(task, seed), self.model.W_U.device
        hooks = resample_ablate_heads(self.model, batch.tokens.to(device), patched) if patched else []
        logits = run_with_hooks(self.model, batch.corrupted.to(device), hooks)[:, -1]
        return logit_diff(logits, batch.correct.to(device), batch.wrong.to(device)).cpu()


@per_target
def nl(model) -> NLMeasurements:
    """The shared natural-language measurements of the claim's model (once per model and seed)."""
    return NLMeasurements(model)


# --- SmolLM2 claim pack (issue #16): problems 2.1, 2.3, 2.7, 2.10, 2.30, 2.37, 2.38 ---
# Every measurement is keyed by the prompt generator's seed (``prompt_seed``) and made once per
# (model, prompt set) in a worker.


N_REPEATS = 100  # repeated random-token sequences per prompt set (the issue's >= 100 prompts)
OFFSETS = (1, 2, 3)  # 1: induction; 2, 3: pointer-arithmetic induction
DIGITS = tuple(str(d) for d in range(10))
NOISE_FACTOR = 3.0  # Meng et al. 2022: noise of 3 times the embeddings' standard deviation


class PackMeasurements:
    def __init__(self, model):
        self.model = model
        self.tokenizer = model.tokenizer

    @functools.cache
    def offset_scores(self, seed: int) -> dict[int, torch.Tensor]:
        """{offset: [n_layers, n_sequences, n_heads]} attention to the token ``offset`` after the
        previous occurrence, per sequence (BOS, 20 random tokens, the same 20 again; data seed
        ``seed``), from one forward pass."""
        tokens = repeated_tokens_for(self.model, batch=N_REPEATS, half_len=REPEAT_HALF_LEN, seed=seed)
        patterns = attention_patterns(self.model, tokens).cpu()
        return {k: attention_to_targets_per_example(patterns, offset_induction_targets(tokens, k)) for k in OFFSETS}

    @functools.cache
    def addition(self, seed: int) -> tuple[AdditionPrompts, torch.Tensor]:
        """(prompts, [n_layers, n, 2] the logit lens's digit at the two answer positions)."""
        prompts = two_digit_addition(self.tokenizer, seed=seed)
        digits = torch.tensor([self.tokenizer.convert_tokens_to_ids(d) for d in DIGITS])
        return prompts, logit_lens_predictions(self.model, prompts.tokens, digits)[:, :, prompts.positions]

    @functools.cached_property
    def passage_predictions(self) -> torch.Tensor:
        """[n_passages, seq]: the model's top token on the famous passages (the prompts of every
        seed are cuts of these)."""
        with torch.inference_mode():
            return self.model(memorised_prompts(self.tokenizer, n=1).tokens).argmax(-1).cpu()

    @functools.cache
    def memorised(self, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """([n, CONTINUATION] the model's predictions, [n, CONTINUATION] the true continuation,
        [n_layers, n, CONTINUATION] the logit lens's top tokens, read only on the prompts completed
        verbatim (its vocabulary projections are the cost); -1 on the others)."""
        prompts = memorised_prompts(self.tokenizer, seed=seed)
        positions = prompts.continuation_positions()
        rows = prompts.passage[:, None].expand_as(positions)
        predicted, truth = self.passage_predictions[rows, positions], prompts.tokens[rows, positions + 1]
        verbatim = (predicted == truth).all(-1)
        lens = torch.full((self.model.cfg.n_layers, *truth.shape), -1)
        if verbatim.any():
            lens[:, verbatim] = logit_lens_predictions(self.model, prompts.tokens[prompts.passage[verbatim]], positions=positions[verbatim])
        return predicted, truth, lens

    @functools.cache
    def corpus(self, seed: int) -> torch.Tensor:
        return docstring_corpus(self.tokenizer, seed=seed)

    @functools.cache
    def corpus_losses(self, seed: int) -> dict[str, torch.Tensor]:
        """{"clean", "MLP0 mean-ablated", "MLP0 token table"}: [n_windows] mean next-token loss
        of each window of the prose corpus. The mean ablation takes MLP0's per-position mean over
        the corpus itself, from the clean pass."""
        tokens = self.corpus(seed).to(self.model.W_U.device)
        name = MLP_OUT_HOOK.format(layer=0)
        run = clean_run(self.model, tokens, [name], logits=True)
        clean, cache = run.logits, run.activations
        runs = {"MLP0 mean-ablated": patch_hooks(mlp_sites([0]), {name: cache[name].mean(0, keepdim=True)}),
                "MLP0 token table": token_table_hooks(self.model, tokens, self.tokenizer.bos_token_id)}
        logits = {"clean": clean, **{k: run_with_hooks(self.model, tokens, hooks) for k, hooks in runs.items()}}
        return {k: per_token_loss(v, tokens).mean(-1).cpu() for k, v in logits.items()}

    @functools.cache
    def outliers(self, seed: int) -> tuple[OutlierFeatures, dict[int, list[str]]]:
        """(Dettmers et al.'s outlier features on the prose corpus, {dim: the first 5 distinct
        tokens of the 100 positions where it is largest in magnitude, over all layers})."""
        tokens = self.corpus(seed)
        hidden = linear_layer_inputs(self.model, tokens)
        found = outlier_features(hidden)
        peak = hidden.abs().flatten(0, 1).amax(0)  # [batch, pos, d_model]
        top = {d: list(dict.fromkeys(self.tokenizer.decode(tokens.flatten()[i]) for i in peak[..., d].flatten().topk(100).indices))[:5]
               for d in found.dims}
        return found, top

    @functools.cache
    def facts(self, seed: int) -> dict[str, torch.Tensor]:
        """Causal tracing of the MLPs (window 10) on the capital prompts the model knows (the
        capital is its top prediction): {"clean", "corrupted": [n_known], "subject", "last":
        [n_layers, n_known] the answer's probability with the window restored at the subject
        token / at the last token}."""
        model, noise = self.model, NOISE_FACTOR * float(self.model.W_E.detach().std())
        parts: dict[str, list[torch.Tensor]] = {"clean": [], "corrupted": [], "subject": [], "last": []}
        for batch in capital_prompts(self.tokenizer, seed=seed):
            with torch.inference_mode():
                known = model(batch.tokens.to(model.W_U.device))[:, -1].argmax(-1).cpu() == batch.answers
            tokens, answers, subject = batch.tokens[known], batch.answers[known], batch.subject[known]
            if not len(tokens):
                continue
            mask = torch.zeros(tokens.shape, dtype=torch.bool)
            mask[torch.arange(len(tokens)), subject] = True
            for where, positions in (("subject", subject), ("last", torch.full_like(subject, tokens.shape[1] - 1))):
                clean, corrupted, restored = causal_trace(model, tokens, mask, answers, positions, noise, seed=seed)
                parts[where].append(restored)
            parts["clean"].append(clean)
            parts["corrupted"].append(corrupted)
        return {k: torch.cat(v, -1) for k, v in parts.items()}


@per_target
def pack(model) -> PackMeasurements:
    """The shared measurements of the SmolLM2 pack (once per model and seed; per prompt seed inside)."""
    return PackMeasurements(model)


# --- SmolLM2 claim pack, second part (issue #16): problems 2.13, 2.17, 2.29, 2.35, 2.36 ---
# The behaviours (2.13 agreement, 2.17 quotes) are prompt sets of the ``nl`` fixture; the
# induction questions (2.29, 2.35, 2.36) share the ``repeats`` fixture, keyed by prompt seed.


PROMPT_SETS["subject-verb agreement"] = subject_verb_agreement
PROMPT_SETS["matching quotes"] = matching_quotes

ABLATION_REPEATS = 32  # repeated random-token sequences for the induction heads' ablations (as claim 2.11's)
ICL_WINDOWS, ICL_LENGTH = 8, 512  # text windows (BOS + 512 tokens) for the in-context learning score
ICL_EARLY, ICL_LATE, ICL_SPAN = 50, 500, 5  # Olsson et al. 2022's tokens 50 and 500, each averaged over +-5 tokens


class RepeatMeasurements:
    def __init__(self, model, pack: PackMeasurements):
        self.model, self.pack = model, pack

    def induction_heads(self, seed: int) -> list[Head]:
        """The heads whose induction score on repeated random tokens (the pack's offset-1 score,
        data seed ``seed``) is above ``DETECTOR_THRESHOLD``, in (layer, head) order."""
        return heads_above(self.pack.offset_scores(seed)[1].mean(1), DETECTOR_THRESHOLD)

    @functools.cache
    def word_repeat_scores(self, seed: int) -> dict[str, torch.Tensor]:
        """{"exact", "case-changed": [n_layers, n_sequences, n_heads]} each head's attention from a
        repeated word to the word after its first occurrence (the induction target of the exact
        repeat, for both), per sequence of ``word_repeats`` (one pass over both kinds)."""
        repeats = word_repeats(self.model.tokenizer, seed=seed)
        patterns = attention_patterns(self.model, torch.cat([repeats.exact, repeats.case_changed])).cpu()
        scores = attention_to_targets_per_example(patterns, induction_targets(repeats.exact).repeat(2, 1, 1))
        n = len(repeats.exact)
        return {"exact": scores[:, :n], "case-changed": scores[:, n:]}

    @functools.cache
    def ablated_repeat_losses(self, seed: int) -> dict[str, float]:
        """{"clean", "top head", "all heads"}: the loss on the repeated half of ``ABLATION_REPEATS``
        repeated random-token sequences (data seed ``seed``) with no head, the best induction head
        or every induction head (``induction_heads(seed)``) mean-ablated (per-position means over
        another batch, data seed ``seed + 1000``)."""
        model, heads = self.model, self.induction_heads(seed)
        tokens = repeated_tokens_for(model, batch=ABLATION_REPEATS, half_len=REPEAT_HALF_LEN, seed=seed)
        reference = repeated_tokens_for(model, batch=ABLATION_REPEATS, half_len=REPEAT_HALF_LEN, seed=seed + 1000)
        best = top_head(self.pack.offset_scores(seed)[1].mean(1))
        runs = {"clean": [], "top head": mean_ablate_heads(model, reference, [best]), "all heads": mean_ablate_heads(model, reference, heads)}
        return {k: repeated_halves_loss(model, tokens, REPEAT_HALF_LEN, hooks)[1] for k, hooks in runs.items()}

    def icl_windows(self, seed: int) -> torch.Tensor:
        """[ICL_WINDOWS, 1 + ICL_LENGTH] probe-text windows (data seed ``seed``) on the model's device."""
        return probe_windows(codec_for(self.model), ICL_WINDOWS, ICL_LENGTH, seed)[0].to(self.model.W_U.device)

    @functools.cache
    def icl_scores(self, seed: int, ablate_induction: bool = False) -> torch.Tensor:
        """[n_windows] Olsson et al.'s in-context learning score per text window: mean loss at
        tokens ``ICL_LATE`` +- ``ICL_SPAN`` minus at tokens ``ICL_EARLY`` +- ``ICL_SPAN`` (nats), on
        ``ICL_WINDOWS`` probe-text windows (data seed ``seed``); with ``ablate_induction``, the
        induction heads (``induction_heads(seed)``) mean-ablated (per-position means over other
        windows, data seed ``seed + 1000``: means over the scored windows would keep 1/8 of each
        window's own activation)."""
        tokens = self.icl_windows(seed)
        hooks = mean_ablate_heads(self.model, self.icl_windows(seed + 1000), self.induction_heads(seed)) if ablate_induction else []
        losses = per_token_loss(run_with_hooks(self.model, tokens, hooks), tokens).cpu()  # [n, seq - 1], i predicts token i + 1
        at = lambda token: losses[:, token - 1 - ICL_SPAN : token + ICL_SPAN].mean(-1)  # noqa: E731
        return at(ICL_LATE) - at(ICL_EARLY)


@per_target
def repeats(model, pack) -> RepeatMeasurements:
    """The induction measurements of the SmolLM2 pack's second part (once per model and seed)."""
    return RepeatMeasurements(model, pack)


# --- Problem 2.34, translation heads (issue #16): a prompt set of the ``nl`` fixture ---
PROMPT_SETS["word translations"] = word_translations


# --- 2.36 few-shot (issue #16): toy classification prompts of the ``nl`` fixture, one set per shot count ---
PROMPT_SETS.update({few_shot_task(shots): functools.partial(few_shot_classification, shots=shots) for shots in SHOTS})
LABEL_HEADS = 3  # "the heads that attend to the labels": the 3 heads of largest direct effect (our choice)


class FewShotMeasurements:
    def __init__(self, nl: NLMeasurements):
        self.nl = nl

    def correct(self, shots: int, seed: int) -> torch.Tensor:
        """[n_prompts] 1.0 where the right label is the model's top token at the query (``shots``
        demonstrations, prompt seed ``seed``), else 0.0."""
        task = few_shot_task(shots)
        return (self.nl.last_logits(task, seed).argmax(-1) == self.nl.task(task, seed).correct).float()

    def above_wrong(self, shots: int, seed: int) -> torch.Tensor:
        """[n_prompts] 1.0 where logit(right label) > logit(wrong label) at the query, else 0.0."""
        return (self.nl.logit_attribution(few_shot_task(shots), seed).logits > 0).float()

    def label_heads(self, seed: int) -> list[Head]:
        """The ``LABEL_HEADS`` heads of largest mean direct effect on logit(right label) -
        logit(wrong label) at the query, with the most demonstrations, best first."""
        return top_heads(self.nl.head_dla(few_shot_task(max(SHOTS)), seed), LABEL_HEADS)

    @functools.cache
    def label_attention(self, seed: int) -> dict[str, torch.Tensor]:
        """{"labels", "right labels", "other labels"}: [n_prompts] the ``label_heads``' mean
        attention from the query to all the demonstrations' label tokens, to those equal to the
        right answer, to the others (summed over the tokens; with the most demonstrations)."""
        task, shots = few_shot_task(max(SHOTS)), max(SHOTS)
        batch, (layers, heads) = self.nl.task(task, seed), zip(*self.label_heads(seed))
        keys = [label_key(i + 1) for i in range(shots)]
        attention = torch.stack([self.nl.attention_from_end(task, key, seed)[list(layers), :, list(heads)].mean(0) for key in keys])
        right = torch.stack([batch.tokens[torch.arange(len(batch.texts)), batch.positions[key]] == batch.correct for key in keys])
        return {"labels": attention.sum(0), "right labels": (attention * right).sum(0), "other labels": (attention * ~right).sum(0)}


@per_target
def few_shot(model, nl) -> FewShotMeasurements:
    """The few-shot classification measurements (2.36), on the ``nl`` fixture's passes."""
    return FewShotMeasurements(nl)
