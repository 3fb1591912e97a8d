"""Dataset sources (local IDX/NPZ/CSV files, Keras' MNIST downloader, synthetic digits) and validation."""
