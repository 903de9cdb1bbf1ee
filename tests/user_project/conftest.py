pytest_plugins = ["enrow_async.testing.pytest_plugin"]
