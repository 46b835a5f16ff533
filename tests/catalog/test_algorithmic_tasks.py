"""Generators of the 3.9 / 3.10 / 3.12 tasks: programs, graphs with reachability queries,
automaton states."""

import torch

from catalog.automata import DYCK_DEPTH, automaton_batch, dyck_states, parity_states
from catalog.code_output import ARROW_POS, CODE_LEN, INDEX_POS, VALUE_POS, assigned_value_targets, code_assign
from catalog.graphs import (
    FIRST_QUERY, GRAPH_NODES, GRAPH_QUERIES, NO, NO_EDGE, QUERY_BASE, YES, ancestors, graph_batch, hop_targets,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_automaton_states():
    assert parity_states(torch.tensor([[1, 0, 1, 1]])).tolist() == [[1, 1, 0, 1]]
    assert dyck_states(torch.tensor([[0, 0, 1, 0, 1, 1]])).tolist() == [[1, 2, 1, 2, 1, 0]]
    tokens, mask, targets = automaton_batch("dyck1", gen(), 64, 32)
    assert tokens.shape == (64, 33) and bool(mask.all())
    assert int(targets.min()) == 0 and int(targets.max()) == DYCK_DEPTH  # valid, bounded, and reaching the bound
    tokens, _, targets = automaton_batch("counter3", gen(), 8, 10)
    assert torch.equal(targets, tokens[:, :10].cumsum(1) % 3)


def test_program_output_is_the_list_after_the_assignment():
    tokens, mask = code_assign(gen(), 32)
    xs, index, value = tokens[:, 2:2 + CODE_LEN], tokens[:, INDEX_POS], tokens[:, VALUE_POS]
    ys = tokens[:, ARROW_POS + 1:]
    expected = xs.clone()
    expected[torch.arange(32), index] = value
    assert torch.equal(ys, expected) and int(mask.sum()) == 32 * CODE_LEN
    # the position predicting output ``index`` is ARROW_POS + index; its target key is the value
    targets = assigned_value_targets(tokens)
    assert targets.sum() == 32 and bool(targets[torch.arange(32), ARROW_POS + index, VALUE_POS].all())


def test_graph_queries_and_hop_edges():
    graphs = graph_batch(gen(), 64)
    tokens, mask, targets = graphs.task()
    for row in range(64):
        edges = tokens[row, :FIRST_QUERY]
        parent = [None] * GRAPH_NODES
        for edge in edges[edges != NO_EDGE].tolist():
            parent[edge // GRAPH_NODES] = edge % GRAPH_NODES
        for q in range(GRAPH_QUERIES):
            s, t = divmod(int(tokens[row, FIRST_QUERY + q]) - QUERY_BASE, GRAPH_NODES)
            up = ancestors(parent, s)
            hops = int(graphs.hops[row, q])
            assert (t in up and up.index(t) + 1 == hops) if hops else t not in up and t != s
            assert int(targets[row, FIRST_QUERY + q]) == (YES if hops else NO)
            chain = [s, *up]
            for hop, edge_pos in enumerate(graphs.path_edges[row, q].tolist()):
                assert (edge_pos == -1) == (hop >= len(up))
                assert edge_pos == -1 or int(edges[edge_pos]) == chain[hop] * GRAPH_NODES + chain[hop + 1]
    assert 0.4 < float((graphs.hops > 0).float().mean()) < 0.6 and set(graphs.hops.unique().tolist()) == {0, 1, 2, 3}
    hop1 = hop_targets(graphs, 1)
    assert int(hop1.sum()) == int((graphs.path_edges[:, :, 0] >= 0).sum()) and not hop1[:, :FIRST_QUERY].any()
