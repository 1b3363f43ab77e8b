"""Podcast namespaces and the podcast:guid rule: what code outside the feed builder needs,
without loading feedgen and lxml (web processes import this; feeds.podcast builds feeds)."""

from __future__ import annotations

import re
import uuid

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC_NS = "http://podlove.org/simple-chapters"

#: Namespace of `podcast:guid` UUIDv5 values (podcast-namespace docs/tags/guid.md).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def compute_podcast_guid(feed_url: str) -> str:
    """Return the Podcast Index UUIDv5 for a feed URL (compute once, then store it)."""
    seed = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, seed))
