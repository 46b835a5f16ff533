"""Root conftest: the mi-claims plugin (also active without the package installed), the model
and task registrations, and pytester for the plugin's own tests."""

import fixtures  # noqa: F401  (registers every model and task the claims name)

# not "fixtures" here: pytest would resolve that name to its builtin _pytest.fixtures
pytest_plugins = ["harness.plugin", "pytester"]
