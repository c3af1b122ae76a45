"""Stage 3, search: text analysis (``analysis``), the Whoosh index (``index``, the only package that imports
Whoosh), from what a person typed to ranked hits (``searcher``) and highlighting (``highlight``).
Imports only :mod:`portal.content` and :mod:`portal.render` (docs/architecture.md).
"""
