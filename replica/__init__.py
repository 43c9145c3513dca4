"""The replica web: copies of the agencies' sites, served on loopback as an HTTP proxy.

- replica.model: Report / Attachment / Notice (the content contract)
- replica.corpus: builds the content and its ground truth
- replica.sites: how each CMS lays the content out (one module per platform)
- replica.server: ReplicaServer, the HTTP proxy that serves the sites (python -m replica)
"""


def truth(server) -> list[dict]:
    """Ground truth of every report the server serves, each with its `url` and `attachment_urls`."""
    return server.truth()
