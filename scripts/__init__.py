"""The build gate for the site: `python scripts/build.py` builds it and runs every check."""
