"""Qt user interface: the main window, worker wiring and the widgets that draw what they are given."""
