"""Exact resume: train loops that continue mid-epoch, and batches that carry their own seed."""
