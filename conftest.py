"""Root conftest: the mi-claims plugin (also active without the package installed) and the
model / dataset fixtures."""

pytest_plugins = ["harness.plugin", "fixtures"]
