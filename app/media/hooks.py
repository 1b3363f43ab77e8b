"""How other features join the media pipeline, without loading it (and its ffmpeg builders)
in web processes: they register here, the pipeline reads the lists in the worker.

- ``register_ready_listener(fn)``: ``fn(asset)`` runs when an asset's renditions are published
  (attach the replay to a session, draft the show's episode);
- ``register_metadata_provider(fn)``: ``fn(asset)`` gives ID3 metadata and the show's jingles:
  ``{"title", "speakers", "series", "date", "comment", "cover", "cover_mime",
  "intro_jingle", "outro_jingle"}`` (any subset).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.media.models import MediaAsset

ReadyListener = Callable[["MediaAsset"], None]
MetadataProvider = Callable[["MediaAsset"], dict]

ready_listeners: list[ReadyListener] = []
metadata_providers: list[MetadataProvider] = []


def register_ready_listener(listener: ReadyListener) -> ReadyListener:
    """Call ``listener(asset)`` whenever an asset's renditions are published (a decorator too)."""
    if listener not in ready_listeners:
        ready_listeners.append(listener)
    return listener


def register_metadata_provider(provider: MetadataProvider) -> MetadataProvider:
    """Let a feature give ID3 metadata (and jingles) for the assets it knows."""
    if provider not in metadata_providers:
        metadata_providers.append(provider)
    return provider
