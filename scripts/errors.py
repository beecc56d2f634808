"""Errors that stop a run before any check can report (exit code 2)."""


class UsageError(Exception):
    """Bad command line, missing config, missing tool: the run cannot start."""
