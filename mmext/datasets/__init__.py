"""Dataset classes, annotation checks and split logic."""
