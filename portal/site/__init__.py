"""Stage 6, the static site: the web app's public pages frozen into a folder (``freeze``), and the whole
pipeline that ``portal build`` runs: check, index, freeze, publish (``pipeline``) (docs/architecture.md).
"""
