"""Stage 7, the command line: ``portal`` (``main``), its administration commands (``admin``) and the progress it
shows (``progress``). Nothing imports it (docs/architecture.md).
"""
