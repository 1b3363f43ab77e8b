"""Signals one feature sends and others listen to, so features stay decoupled (blinker).

Senders call them inside their operation, before the request commits; listeners add rows to the
same session and must not commit (work that needs the commit, such as enqueuing a Celery task,
waits for it).
"""

from blinker import Namespace

signals = Namespace()

#: A revision of a library resource became the published one.
#: ``revision_published.send(resource, revision=revision)``
revision_published = signals.signal("revision-published")
