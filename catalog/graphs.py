"""Graph problems (open problem 3.10): reachability in small random forests given as an edge
list. Each edge is one token ``EDGE(child, parent)``, listed in random order; each query is one
token ``QUERY(s, t)``: "is ``t`` reached from ``s`` by following parent edges?", answered
``YES`` / ``NO`` at the query's position. A yes is ``t`` = the k-th ancestor of ``s``, k the
path length (1 .. ``GRAPH_MAX_HOPS``); the ancestor edges of ``s`` are its path's hops."""

from __future__ import annotations

import dataclasses

import torch

from harness.interp.accuracy import correct_predictions
from harness.models.registry import register_model
from harness.models.tasks import register_task
from harness.models.toy_transformer import ToyTransformerSpec, lm_arch
from harness.models.training import TrainConfig

GRAPH_NODES = 6
GRAPH_MAX_HOPS = 3
GRAPH_QUERIES = 4  # queries per edge list
EDGE_SLOTS = GRAPH_NODES - 1  # a forest has at most this many edges
QUERY_BASE = GRAPH_NODES**2
NO_EDGE, GRAPH_FILLER, YES, NO = 2 * QUERY_BASE, 2 * QUERY_BASE + 1, 2 * QUERY_BASE + 2, 2 * QUERY_BASE + 3
FIRST_QUERY = EDGE_SLOTS  # position of the first query token
GRAPH_SEQ = EDGE_SLOTS + GRAPH_QUERIES + 1


@dataclasses.dataclass(frozen=True)
class GraphBatch:
    """``tokens`` ``[b, GRAPH_SEQ]``; ``hops`` ``[b, GRAPH_QUERIES]`` the path length of each
    query (0: unreachable); ``path_edges`` ``[b, GRAPH_QUERIES, GRAPH_MAX_HOPS]`` the position
    of the edge of hop k from the query's ``s`` (-1 where ``s`` has fewer ancestors)."""

    tokens: torch.Tensor
    hops: torch.Tensor
    path_edges: torch.Tensor

    def task(self):
        """``(tokens, loss_mask, targets)`` as a task returns them: each query position predicts
        ``YES`` / ``NO``."""
        batch = self.tokens.shape[0]
        mask = torch.zeros(batch, GRAPH_SEQ - 1, dtype=torch.bool)
        mask[:, FIRST_QUERY:FIRST_QUERY + GRAPH_QUERIES] = True
        targets = torch.full((batch, GRAPH_SEQ - 1), NO)
        targets[:, FIRST_QUERY:FIRST_QUERY + GRAPH_QUERIES] = torch.where(self.hops > 0, YES, NO)
        return self.tokens, mask, targets


def random_forest(gen: torch.Generator) -> list[int | None]:
    """Each node's parent (None for a root): nodes in a random order, the first four a chain
    (so that every path length up to 3 occurs), each later one a child of a uniformly drawn
    earlier node or, with probability 1/4, a root."""
    order = torch.randperm(GRAPH_NODES, generator=gen).tolist()
    parent: list[int | None] = [None] * GRAPH_NODES
    for j in range(1, GRAPH_NODES):
        draw = int(torch.randint(0, j, (1,), generator=gen))
        root = j > GRAPH_MAX_HOPS and float(torch.rand(1, generator=gen)) < 0.25
        parent[order[j]] = None if root else order[j - 1 if j <= GRAPH_MAX_HOPS else draw]
    return parent


def ancestors(parent: list[int | None], node: int) -> list[int]:
    """``node``'s ancestors, nearest first."""
    out = []
    while parent[node] is not None:
        node = parent[node]
        out.append(node)
    return out


def graph_batch(gen: torch.Generator, batch: int) -> GraphBatch:
    """Half the queries reachable (path length uniform in 1 .. ``GRAPH_MAX_HOPS``), half not."""
    tokens = torch.full((batch, GRAPH_SEQ), GRAPH_FILLER)
    hops = torch.zeros(batch, GRAPH_QUERIES, dtype=torch.long)
    path_edges = torch.full((batch, GRAPH_QUERIES, GRAPH_MAX_HOPS), -1)
    for row in range(batch):
        parent = random_forest(gen)
        children = [c for c in torch.randperm(GRAPH_NODES, generator=gen).tolist() if parent[c] is not None]
        edge_at = {c: i for i, c in enumerate(children)}
        tokens[row, :EDGE_SLOTS] = NO_EDGE
        tokens[row, : len(children)] = torch.tensor([c * GRAPH_NODES + parent[c] for c in children])
        for q in range(GRAPH_QUERIES):
            k = int(torch.randint(1, GRAPH_MAX_HOPS + 1, (1,), generator=gen))
            reachable = float(torch.rand(1, generator=gen)) < 0.5
            # an unreachable query needs an s that is not the deepest node of one chain of all
            deep = [n for n in range(GRAPH_NODES)
                    if k <= len(ancestors(parent, n)) < GRAPH_NODES - 1 or (reachable and len(ancestors(parent, n)) >= k)]
            s = deep[int(torch.randint(0, len(deep), (1,), generator=gen))]
            up = ancestors(parent, s)
            if reachable:
                t, hops[row, q] = up[k - 1], k
            else:
                others = [n for n in range(GRAPH_NODES) if n != s and n not in up]
                t = others[int(torch.randint(0, len(others), (1,), generator=gen))]
            tokens[row, FIRST_QUERY + q] = QUERY_BASE + s * GRAPH_NODES + t
            for hop, node in enumerate([s, *up][:GRAPH_MAX_HOPS]):
                if parent[node] is not None:
                    path_edges[row, q, hop] = edge_at[node]
    return GraphBatch(tokens, hops, path_edges)


@register_task("graph-reachability")
def graph_reachability(gen: torch.Generator, batch: int):
    return graph_batch(gen, batch).task()


def hop_targets(graphs: GraphBatch, hop: int) -> torch.Tensor:
    """``[batch, query, key]`` bool: from each query position to the edge of hop ``hop``
    (1-based) of its ``s`` (queries whose ``s`` has fewer ancestors have no target)."""
    batch = graphs.tokens.shape[0]
    targets = torch.zeros(batch, GRAPH_SEQ, GRAPH_SEQ, dtype=torch.bool)
    edge = graphs.path_edges[:, :, hop - 1]
    rows, queries = (edge >= 0).nonzero(as_tuple=True)
    targets[rows, FIRST_QUERY + queries, edge[rows, queries]] = True
    return targets


# 6 nodes, learning rate 3e-3: a first try with 8 nodes at 1e-3 reached 0.89 of queries right after
# 1500 steps (seed 0), too slow for the default tier
GRAPH_MODEL = "graph-reach-2l"
register_model(ToyTransformerSpec(
    GRAPH_MODEL,
    f"2-layer transformer (d_model 64, 4 heads, GELU MLP, LN) answering {GRAPH_QUERIES} reachability queries "
    f"on a random forest of {GRAPH_NODES} nodes (one token per edge, paths of 1..{GRAPH_MAX_HOPS} hops), "
    "1000 steps of 64 (learning rate 3e-3, cosine)",
    lm_arch(2, GRAPH_SEQ, NO + 1), "graph-reachability",
    TrainConfig(steps=1000, batch_size=64, lr=3e-3, warmup_steps=100, log_every=100, lr_schedule="cosine"),
))


def accuracy_by_hops(model, graphs: GraphBatch) -> dict[int, float]:
    """``{path length: share of its queries answered right}`` (0: the unreachable queries)."""
    tokens, mask, targets = graphs.task()
    correct = correct_predictions(model, tokens, targets)[:, FIRST_QUERY:FIRST_QUERY + GRAPH_QUERIES]
    return {hops: float(correct[graphs.hops == hops].float().mean()) for hops in range(GRAPH_MAX_HOPS + 1)}
