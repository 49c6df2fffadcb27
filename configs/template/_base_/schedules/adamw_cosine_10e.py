# This folder's schedule: mmext's AdamW + clipping + warm-up + cosine decay, 10 epochs.
_base_ = 'mmext::_base_/schedules/adamw_cosine_10e.py'
