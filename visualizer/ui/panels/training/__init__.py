"""The Training dock: network and training settings, run controls, the verdict on the current input."""
