"""Écouter: podcast shows, episodes, RSS feeds (public and private), player and statistics."""

from flask import Flask


def init_app(app: Flask) -> None:
    from app.api import register
    from app.podcasts import api, models, network, syndication, views  # noqa: F401 - tables
    from feeds import views as feed_views

    # stamp_ttl_s: seconds a feed's change stamp is trusted without a query (0 = always ask).
    settings = {"stamp_ttl_s": 5.0, **(app.config.get("PODCASTS") or {})}
    app.config["PODCASTS"] = settings
    app.extensions["podcasts"] = {
        "clock": views.utc_now_default,
        "feed_cache": syndication.FeedCache(stamp_ttl_s=float(settings["stamp_ttl_s"])),
    }
    app.register_blueprint(views.bp)
    app.register_blueprint(feed_views.bp)
    register(api.blp)
    # after_request hooks run last-registered first: put this one first so it runs after the
    # security headers and can drop X-Frame-Options from the embeddable player alone.
    app.after_request_funcs.setdefault(None, []).insert(0, views.allow_framing)
    app.jinja_env.globals["course_podcast_feed"] = course_podcast_feed
    _hook_into_the_media_pipeline()
    network.register()  # person pages, personal data, account deletion
    app.extensions["celery"].conf.beat_schedule.update(
        {
            "podcasts.rotate_salts": {
                "task": "podcasts.rotate_salts",
                "schedule": 3600.0,
                "options": {"queue": "short"},
            },
        }
    )


def _hook_into_the_media_pipeline() -> None:
    """Draft an episode when a recording uploaded for a show is ready; tag it with the show."""
    from app.media import hooks
    from app.podcasts import operations

    # Module-level functions: registering them again for another app adds nothing.
    hooks.register_ready_listener(draft_episode_for_ready_asset)
    hooks.register_metadata_provider(operations.asset_metadata)


def draft_episode_for_ready_asset(asset) -> None:
    """Pipeline listener (runs in the worker after the asset's commit): commit the draft."""
    from app.extensions import db
    from app.podcasts import operations

    if operations.on_asset_ready(asset) is not None:
        db.session.commit()


def course_podcast_feed(course_id: int) -> str | None:
    """Template global: the public feed URL of a course's podcast (for autodiscovery links)."""
    from app.podcasts import operations, syndication

    show = operations.get_course_show(course_id)
    return syndication.feed_url(show) if show is not None and show.is_public else None
