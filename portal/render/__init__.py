"""Stage 2, render: an article's Markdown as safe HTML (``markdown``), and dates, names and alphabetical order the
way each language writes them (``localize``). Imports only :mod:`portal.content` (docs/architecture.md).
"""
