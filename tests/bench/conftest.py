import pytest


@pytest.fixture
def enabled_benchmark(benchmark):
    """pytest-benchmark's fixture, or a skip where it would not time (xdist's ``--dist`` is on,
    as in the project's default options, or ``--benchmark-disable``)."""
    if benchmark.disabled:
        pytest.skip("benchmarks are disabled here; run: pytest tests/bench -p no:randomly --dist no --benchmark-only")
    return benchmark
