"""What a running job uses from its hooks and its runner alike: atomic checkpoint files, preemption signals,
the run state saved for exact resume, the random generators' state."""
