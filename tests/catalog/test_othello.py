"""The Othello engine (catalog/othello.py): the opening's legal moves, flips in every direction,
a pass, the game's end, and random games consistent with the rules."""

import numpy as np
import torch

from catalog.othello import BLACK, PAD, WHITE, legal_moves, next_player, play, random_games, replay, start_boards

B = np.array([BLACK], dtype=np.int8)


def board(black: list[int], white: list[int]) -> np.ndarray:
    squares = np.zeros((1, 64), dtype=np.int8)
    squares[0, black], squares[0, white] = BLACK, WHITE
    return squares


def test_opening_has_four_legal_moves_for_black():
    assert np.flatnonzero(legal_moves(start_boards(1), B)[0]).tolist() == [19, 26, 37, 44]  # d3, c4, f5, e6


def test_a_move_flips_a_line_in_every_direction_and_nothing_else():
    # black plays d4 (27) with a white stone on each neighbour and a black one two steps away
    neighbours = [18, 19, 20, 26, 28, 34, 35, 36]
    two_away = [9, 11, 13, 25, 29, 41, 43, 45]
    after, flipped = play(board(two_away + [63], neighbours + [62]), B, np.array([27]))
    assert np.flatnonzero(flipped[0]).tolist() == neighbours
    assert np.flatnonzero(after[0] == BLACK).tolist() == sorted(two_away + neighbours + [27, 63])
    assert np.flatnonzero(after[0] == WHITE).tolist() == [62]  # not closed by black: kept


def test_a_long_run_flips_whole_and_an_open_run_not_at_all():
    # row 0: black a1, white b1..f1, black plays g1; row 1: white b2..c2 with no black beyond
    after, flipped = play(board([0], [1, 2, 3, 4, 5, 9, 10]), B, np.array([6]))
    assert np.flatnonzero(flipped[0]).tolist() == [1, 2, 3, 4, 5]


def test_a_player_without_a_move_passes():
    # black a1, white b1: white (to move after black) has no move, black has c1
    player, legal = next_player(board([0], [1]), B)
    assert player.tolist() == [BLACK] and np.flatnonzero(legal[0]).tolist() == [2]


def test_the_game_ends_when_neither_player_can_move():
    player, legal = next_player(board([0, 1], []), B)
    assert player.tolist() == [0] and not legal.any()


def test_random_games_follow_the_rules():
    games = random_games(300, seed=0)
    played = games.moves >= 0
    # one stone more per move, a move always legal for its mover, replay gives the same boards
    assert (((games.boards != 0).sum(-1)) == 4 + played.cumsum(1)).all()
    before = np.concatenate([start_boards(300)[:, None], games.boards[:, :-1]], axis=1)
    for t in range(60):
        live = played[:, t]
        legal = legal_moves(before[live, t], games.mover[live, t])
        assert legal[np.arange(live.sum()), games.moves[live, t]].all()
    assert (replay(games.moves).boards == games.boards).all()
    # a game shorter than 60 moves ends with neither player able to move
    short = ~played[:, -1]
    last = games.boards[short, -1]
    for side in (BLACK, WHITE):
        assert not legal_moves(last, np.full(len(last), side, dtype=np.int8)).any()
    tokens = games.tokens()
    assert ((tokens == PAD) == ~torch.from_numpy(played)).all() and tokens.max() == 60
