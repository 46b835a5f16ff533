"""Root conftest: the mi-claims plugin (also active without the package installed), the model
and task registrations, and pytester for the plugin's own tests."""

import catalog  # noqa: F401  (registers every model and task the claims name)

pytest_plugins = ["harness.claims.plugin", "pytester"]
