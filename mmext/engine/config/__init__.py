"""Config preparation: loading with readable errors, plugins' adjustments, ``num_classes='auto'``, dataset
paths, schedules that follow ``max_epochs``, ``--diff``, personal config folders."""
