"""Shared fixtures live in tests/fixtures/ (one module per area) and are registered here."""

pytest_plugins = ["tests.fixtures.serve", "tests.fixtures.fakeapi"]
