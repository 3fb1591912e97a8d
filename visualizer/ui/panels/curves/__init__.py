"""The loss and accuracy curves, per batch and per epoch."""
