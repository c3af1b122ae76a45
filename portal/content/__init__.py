"""Stage 1, content: the content folder read, validated and modelled.

Source files and their front matter (``sourcefile``, ``frontmatter``), ``site.yml`` (``siteconfig``), the model
(``model``: :class:`~portal.content.model.Article`, :class:`~portal.content.model.Corpus`), loading a folder with
every problem reported (``load``), the whole-corpus checks (``crosscheck``), dates from git (``gitinfo``), content
health for editors (``health``), ``portal new`` (``scaffold``) and the Swedish texts of problems (``problemtext``).
Imports nothing of the later stages (docs/architecture.md).
"""
