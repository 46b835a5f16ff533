"""Training progress on the terminal, past pytest's output capture (no heavy imports: the TMS
package uses it too)."""

from __future__ import annotations

import sys


def progress_to_terminal(line: str) -> None:
    # sys.__stderr__: pytest captures sys.stderr, and training progress must stay visible
    print(line, file=sys.__stderr__, flush=True)


def announce_training(name: str, seed: int) -> None:
    """The line shown before a model missing from the disk cache is trained."""
    progress_to_terminal(f"mi-claims: training {name} seed {seed} (not in cache)")
