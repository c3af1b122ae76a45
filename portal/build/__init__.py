"""Stage 4, build: the incremental machinery (docstring to come)."""
