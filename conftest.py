"""Root conftest: the mi-claims plugin (also active without the package installed) and the
model / dataset fixtures, and pytester for the plugin's own tests."""

pytest_plugins = ["harness.plugin", "fixtures", "pytester"]
