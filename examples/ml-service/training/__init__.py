"""Reproducible training for the example service."""
