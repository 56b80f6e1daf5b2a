"""Background work: the SAQ queue, its jobs and the worker's settings."""
