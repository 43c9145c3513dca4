"""Datasette front end of the archive: metadata.yml (descriptions, facets, canned queries),
the views it shows (views.py, installed by a migration in archive/db.py) and a one-hook plugin
(plugins/raw_links.py). See docs/datasette.md."""
