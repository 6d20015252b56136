"""GraphiQL served by Bookwell itself: pinned npm packages (pins.py) downloaded once and
checked (assets.py), and the page that uses them (page.py). `bookwell graphiql fetch` fills
the cache ahead of time."""

from bookwell.graphiql.assets import AssetCache, AssetsUnavailable, IntegrityError
from bookwell.graphiql.page import GraphiQLPage

__all__ = ["AssetCache", "AssetsUnavailable", "GraphiQLPage", "IntegrityError"]
