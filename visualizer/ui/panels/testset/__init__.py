"""The Test set dock: step through test digits, the confusion matrix and its cells."""
