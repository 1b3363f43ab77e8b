"""`flask demo load`: a realistic French demo, safe to load twice.

Each feature contributes a ``demo.py`` with ``load(ctx)``; ``ctx`` carries the accounts made here
and a ``log`` callable. Loaders look things up by slug or e-mail before creating them, so loading
twice duplicates nothing; media are generated at load time (ffmpeg, espeak-ng), never committed.
"""

import importlib
from dataclasses import dataclass, field

import click
from flask import Blueprint, Flask

#: Feature loaders, in dependency order ("module:function").
LOADERS = (
    "app.demo.accounts:load",
    "app.media.demo:load",
    "app.library.demo:load",
    "app.network.demo:load",
    "app.courses.demo:load",
    "app.podcasts.demo:load",
    "app.tts.demo:load",  # after the library's guides
)

bp = Blueprint("demo", __name__, cli_group="demo")


@dataclass
class DemoContext:
    users: dict = field(default_factory=dict)
    log: callable = print
    #: Let loaders skip slow media generation (tests of the loader itself).
    with_media: bool = True


def load_demo(with_media: bool = True, log=print) -> DemoContext:
    """Run every feature's demo loader, committing after each."""
    from app.extensions import db

    ctx = DemoContext(log=log, with_media=with_media)
    for spec in LOADERS:
        module_name, func_name = spec.split(":")
        getattr(importlib.import_module(module_name), func_name)(ctx)
        db.session.commit()
    return ctx


@bp.cli.command("load")
@click.option("--no-media", is_flag=True, help="Skip generating audio and video files.")
def load_command(no_media):
    """Load the demo content (idempotent)."""
    load_demo(with_media=not no_media, log=click.echo)
    click.echo("Demo loaded.")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
