"""One package per dock. Panels draw what they are given and signal what the user asks for.

They never import each other, nor ``visualizer.training`` or ``visualizer.data`` (import-linter
contracts in pyproject.toml); ``visualizer.ui.window`` builds them and wires the session to them.
"""
