"""TensorFlow side: building the model, the training loop with snapshots, export and import (no Qt)."""
