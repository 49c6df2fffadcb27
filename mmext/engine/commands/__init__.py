"""The bodies of the command-line tools (train, test, launching under torchrun, mmdet's own tools), as
functions that tests call."""
