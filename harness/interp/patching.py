"""Activation patching and path patching (clean -> corrupted).

Each patched run is the corrupted run with one site's activation replaced by its value on the
clean run (sites as in ``harness.interp.ablation``); the result is ``metric(patched logits)`` per site,
as in TransformerLens's ``patching.py`` (normalise with ``harness.interp.metrics.fraction_recovered``).
``metric`` maps logits [batch, seq, d_vocab] to a 0-d tensor. Only the patched hooks are cached.

Path patching (Wang et al. 2022, IOI, section 3.1 / appendix B) isolates the paths from sender
heads to the query, key or value input of receiver heads: on the corrupted input, every head's
output is frozen to its corrupted value except the senders', which take their clean value;
the receivers' q / k / v vectors of that run are recorded, then written into a plain corrupted
run. MLPs are recomputed, so paths through MLPs count as direct (as in the IOI paper).
With the logits as receiver (``path_patch_heads_to_logits``) the path is the head's write
into the final residual stream, read by the recomputed final norm and the unembedding.
Patching a receiver's ``hook_q`` / ``hook_k`` / ``hook_v`` is patching its input for that
head alone; with grouped-query attention the key / value vectors are shared by a group of
query heads, so patching a receiver's k or v patches its whole kv group.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import torch

from harness.interp.ablation import cache_activations, each_head_sites, heads_by_layer, patch_hooks
from harness.interp.dla import answer_directions, on_device
from harness.interp.hooks import ALL, LAYER_OUT_HOOK, QKV_HOOK, RESID_HOOK, Z_HOOK, Head, Site
from harness.interp.metrics import Metric, metric_hooks
from harness.interp.resume import ResumedRuns, first_block
from harness.interp.stacked_weights import stacked



def replica_patch_hook(items: list[tuple[int, tuple]], clean: torch.Tensor, batch: int) -> Callable:
    """Hook on a batch of stacked replicas of the corrupted run ([replicas * batch, ...]):
    for each (replica r, index), replica r's ``act[index]`` is set to ``clean[index]``."""

    def hook(act: torch.Tensor, hook=None) -> torch.Tensor:
        act = act.clone()
        for replica, index in items:
            part = act[replica * batch : (replica + 1) * batch]
            part[index] = clean.to(act.dtype).expand_as(part)[index]
        return act

    return hook


def activation_patch(
    model, corrupted_tokens: torch.Tensor, clean_acts: dict[str, torch.Tensor], sites: Sequence[Site], metric: Metric,
    max_rows: int = 64,
) -> torch.Tensor:
    """[len(sites)]: ``metric`` of the corrupted run with each site (one at a time) set to
    ``clean_acts[name][index]``.

    Several patched runs share one forward pass as replicas of the corrupted batch stacked
    along the batch axis (at most ``max_rows`` rows): the same arithmetic per row, fewer and
    larger passes. Each pass starts at the first block it patches (``harness.interp.resume``)."""
    batch = corrupted_tokens.shape[0]
    per_run = max(1, max_rows // batch)
    chunks = [sites[start : start + per_run] for start in range(0, len(sites), per_run)]
    runs = ResumedRuns(model, corrupted_tokens, [first_block(model, (name for name, _ in chunk)) for chunk in chunks])
    results = []
    for chunk in chunks:
        by_name: dict[str, list[tuple[int, tuple]]] = {}
        for replica, (name, index) in enumerate(chunk):
            by_name.setdefault(name, []).append((replica, index))
        hooks = [(name, replica_patch_hook(items, clean_acts[name], batch)) for name, items in by_name.items()]
        logits = runs.run(hooks + metric_hooks(model, metric), replicas=len(chunk))
        results += [metric(logits[r * batch : (r + 1) * batch]).float().cpu() for r in range(len(chunk))]
    return torch.stack(results)


def patch_sites(model, clean_tokens: torch.Tensor, corrupted_tokens: torch.Tensor, sites: Sequence[Site], metric: Metric) -> torch.Tensor:
    """[len(sites)]: patch each site from the clean into the corrupted run."""
    clean_acts = cache_activations(model, clean_tokens, {name for name, _ in sites})
    return activation_patch(model, corrupted_tokens, clean_acts, sites, metric)


def patch_from_model(model, source, tokens: torch.Tensor, sites: Sequence[Site], metric: Metric) -> torch.Tensor:
    """[len(sites)]: ``metric`` of ``model``'s run on ``tokens`` with each site (one at a time)
    set to its value in ``source``'s run on the same tokens: patching between two models of one
    architecture (e.g. from a fine-tuned model into the model it started from)."""
    source_acts = cache_activations(source, tokens, {name for name, _ in sites})
    return activation_patch(model, tokens, source_acts, sites, metric)


def patch_residual(model, clean_tokens, corrupted_tokens, metric: Metric, where: str = "pre") -> torch.Tensor:
    """[n_layers, pos]: patch ``blocks.L.hook_resid_{where}`` at one position at a time."""
    n_layers, seq = model.cfg.n_layers, clean_tokens.shape[1]
    sites = [(RESID_HOOK.format(layer=layer, where=where), (ALL, pos)) for layer in range(n_layers) for pos in range(seq)]
    return patch_sites(model, clean_tokens, corrupted_tokens, sites, metric).reshape(n_layers, seq)


def patch_head_outputs(model, clean_tokens, corrupted_tokens, metric: Metric) -> torch.Tensor:
    """[n_layers, n_heads]: patch each head's output (hook_z, every position)."""
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    sites = each_head_sites(n_layers, n_heads)
    return patch_sites(model, clean_tokens, corrupted_tokens, sites, metric).reshape(n_layers, n_heads)


def patch_layer_outputs(model, clean_tokens, corrupted_tokens, metric: Metric, component: str = "mlp") -> torch.Tensor:
    """[n_layers]: patch each layer's ``component`` output ("mlp" -> hook_mlp_out, "attn" ->
    hook_attn_out), every position."""
    sites = [(LAYER_OUT_HOOK.format(layer=layer, component=component), (...,)) for layer in range(model.cfg.n_layers)]
    return patch_sites(model, clean_tokens, corrupted_tokens, sites, metric)


def receiver_sites(model, receivers: Iterable[Head], kind: str) -> list[Site]:
    """Sites of the receivers' ``kind`` ("q", "k" or "v") vectors; k and v index kv heads."""
    group = model.cfg.n_heads // (getattr(model.cfg, "n_key_value_heads", None) or model.cfg.n_heads)
    per_layer = heads_by_layer(receivers)
    if kind != "q":
        per_layer = {layer: sorted({head // group for head in heads}) for layer, heads in per_layer.items()}
    return [(QKV_HOOK.format(layer=layer, kind=kind), (ALL, ALL, heads)) for layer, heads in per_layer.items()]


def freeze_heads_hook(frozen: torch.Tensor, source: torch.Tensor, heads: list[int]) -> Callable:
    """hook_z -> ``frozen`` ([batch, pos, head, d_head]) except ``heads``, taken from ``source``."""

    def hook(z: torch.Tensor, hook=None) -> torch.Tensor:
        z = frozen.clone()
        z[:, :, heads] = source[:, :, heads]
        return z

    return hook


def path_patch(
    model,
    clean_tokens: torch.Tensor,
    corrupted_tokens: torch.Tensor,
    senders: Iterable[Head],
    receivers: Iterable[Head],
    metric: Metric,
    receiver_input: str | Sequence[str] = "q",
) -> torch.Tensor:
    """0-d: ``metric`` of the corrupted run whose receivers' ``receiver_input`` ("q", "k", "v"
    or several) carries the senders' clean output along direct paths only (module docstring)."""
    return path_patch_sender_sets(model, clean_tokens, corrupted_tokens, [senders], receivers, metric, receiver_input)[0]


def path_patch_sender_sets(
    model,
    clean_tokens: torch.Tensor,
    corrupted_tokens: torch.Tensor,
    sender_sets: Iterable[Iterable[Head]],
    receivers: Iterable[Head],
    metric: Metric,
    receiver_input: str | Sequence[str] = "q",
) -> torch.Tensor:
    """[n_sets]: ``path_patch`` for each set of senders, the clean and corrupted head outputs
    cached once for all of them."""
    sender_sets, receivers = [list(senders) for senders in sender_sets], list(receivers)
    kinds = [receiver_input] if isinstance(receiver_input, str) else list(receiver_input)
    last = max(layer for layer, _ in receivers)
    z_names = [Z_HOOK.format(layer=layer) for layer in range(last)]
    sites = [site for kind in kinds for site in receiver_sites(model, receivers, kind)]
    # below its first sender a freeze run is the corrupted run: it starts there, and the
    # receivers' run at the first receiver
    starts = [min((layer for layer, _ in senders), default=0) for senders in sender_sets] + [min(layer for layer, _ in receivers)]
    runs = ResumedRuns(model, corrupted_tokens, starts, z_names)
    corrupted_z = runs.clean
    clean_z = cache_activations(model, clean_tokens, {Z_HOOK.format(layer=layer) for s in sender_sets for layer, _ in s})
    recorded: dict[str, torch.Tensor] = {}

    def recorder(name: str) -> Callable:
        def record(act: torch.Tensor, hook=None) -> None:
            recorded[name] = act

        return record

    results = []
    for senders, start in zip(sender_sets, starts):
        sender_heads = heads_by_layer(senders)
        freeze = [
            (name, freeze_heads_hook(corrupted_z[name], clean_z.get(name, corrupted_z[name]), sender_heads.get(layer, [])))
            for layer, name in enumerate(z_names) if layer >= start
        ]
        runs.run(freeze + [(name, recorder(name)) for name, _ in sites], stop_at_layer=last + 1)
        logits = runs.run(patch_hooks(sites, recorded) + metric_hooks(model, metric))
        results.append(metric(logits).float().cpu())
    return torch.stack(results)


def path_patch_senders(
    model, clean_tokens, corrupted_tokens, receivers: Iterable[Head], metric: Metric, receiver_input: str | Sequence[str] = "q"
) -> torch.Tensor:
    """[n_layers, n_heads]: ``path_patch`` with each single head as sender (IOI figure 3
    style). Heads in or after the last receiver layer have no path and get the plain
    corrupted metric."""
    receivers = list(receivers)
    last, n_heads = max(layer for layer, _ in receivers), model.cfg.n_heads
    with torch.inference_mode():
        baseline = metric(model(corrupted_tokens)).float().cpu()
    scores = baseline.repeat(model.cfg.n_layers, n_heads)
    if last > 0:
        singles = [[(layer, head)] for layer in range(last) for head in range(n_heads)]
        scores[:last] = path_patch_sender_sets(model, clean_tokens, corrupted_tokens, singles, receivers, metric,
                                               receiver_input).reshape(last, n_heads)
    return scores


def path_patch_heads_to_logits(
    model, clean_tokens: torch.Tensor, corrupted_tokens: torch.Tensor, answers: torch.Tensor,
    wrong: torch.Tensor | None, pos: int = -1,
) -> torch.Tensor:
    """[n_layers, n_heads]: mean logit(answers) - logit(wrong) ([batch] token ids; the answer
    logit alone when ``wrong`` is None) at ``pos`` of
    the clean run in which one head at a time reaches the logits with its corrupted output,
    along its direct path only (Wang et al. 2022 figure 3a, how name movers were found).

    The clean final residual gets that head's ``(z_corrupted - z_clean) W_O``; the final norm
    is recomputed on it; every other path keeps its clean value. Noising, as in the paper:
    compare with the clean logit difference."""
    n_layers = model.cfg.n_layers
    z_names = [Z_HOOK.format(layer=layer) for layer in range(n_layers)]
    final = RESID_HOOK.format(layer=n_layers - 1, where="post")
    clean = cache_activations(model, clean_tokens, z_names + [final])
    corrupted = cache_activations(model, corrupted_tokens, z_names)
    with torch.inference_mode():
        dz = torch.stack([corrupted[name][:, pos] - clean[name][:, pos] for name in z_names])  # [L, batch, H, d_head]
        delta = torch.einsum("lbhd,lhdm->lhbm", dz, stacked(model, "W_O"))  # [L, H, batch, d_model]
        normed = model.ln_final(clean[final][:, pos] + delta)
        direction, bias = answer_directions(model, on_device(model, answers), on_device(model, wrong))
        return ((normed * direction).sum(-1) + bias).mean(-1).float().cpu()


def noise_hook(mask: torch.Tensor, noise: torch.Tensor) -> Callable:
    """Hook adding ``noise`` [batch, pos, d_model] where ``mask`` [batch, pos] (on a batch of
    stacked replicas of that batch, to every replica)."""

    def hook(act: torch.Tensor, hook=None) -> torch.Tensor:
        added = (noise * mask[..., None]).to(act)
        return act + added.repeat(act.shape[0] // noise.shape[0], 1, 1)

    return hook


def causal_trace(
    model, tokens: torch.Tensor, subject: torch.Tensor, answers: torch.Tensor, positions: torch.Tensor,
    noise_scale: float, window: int = 10, component: str = "mlp", seed: int = 0, max_rows: int = 256,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ROME-style causal tracing (Meng et al. 2022, section 2.1, figure 1): the subject's
    embeddings (``subject`` [batch, pos] bool) get Gaussian noise of std ``noise_scale``; then
    the ``component`` outputs ("mlp" or "attn") of a window of ``window`` layers around each
    layer are restored to their clean values at ``positions`` [batch] (one position per prompt).

    Returns (clean [batch], corrupted [batch], restored [n_layers, batch]): the probability of
    ``answers`` [batch] at the last position. The restored runs share forward passes as replicas
    of the corrupted batch (at most ``max_rows`` rows a pass); one noise sample per prompt."""
    n_layers, batch = model.cfg.n_layers, tokens.shape[0]
    tokens, answers = tokens.to(model.W_U.device), answers.to(model.W_U.device)
    gen = torch.Generator().manual_seed(seed)
    noise = noise_scale * torch.randn((*tokens.shape, model.cfg.d_model), generator=gen).to(model.W_U.device)
    names = [LAYER_OUT_HOOK.format(layer=layer, component=component) for layer in range(n_layers)]
    clean_acts = cache_activations(model, tokens, names)
    corrupt = (RESID_HOOK.format(layer=0, where="pre"), noise_hook(subject.to(noise.device), noise))
    index = (torch.arange(batch), positions)

    def answer_probs(logits: torch.Tensor) -> torch.Tensor:
        return logits[:, -1].float().softmax(-1).gather(-1, answers.to(logits.device).repeat(len(logits) // batch)[:, None]).squeeze(-1).cpu()

    with torch.inference_mode():
        clean, corrupted = answer_probs(model(tokens)), answer_probs(model.run_with_hooks(tokens, fwd_hooks=[corrupt]))
        restored = []
        per_run = max(1, max_rows // batch)
        for start in range(0, n_layers, per_run):
            centres = range(start, min(start + per_run, n_layers))
            windows = {name: [(r, index) for r, c in enumerate(centres) if -(window // 2) <= layer - c < window - window // 2]
                       for layer, name in enumerate(names)}
            hooks = [(name, replica_patch_hook(items, clean_acts[name], batch)) for name, items in windows.items() if items]
            logits = model.run_with_hooks(tokens.repeat(len(centres), 1), fwd_hooks=[corrupt, *hooks])
            restored += list(answer_probs(logits).reshape(len(centres), batch))
    return clean, corrupted, torch.stack(restored)
