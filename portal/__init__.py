"""Contact-centre knowledge base: content, search, agent app, JSON API and static self-service site."""

from portal.app import create_app

__all__ = ["create_app"]
__version__ = "0.1.0"
