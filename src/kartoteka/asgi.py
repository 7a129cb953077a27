import gc
import os
import warnings
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
# WhiteNoise hands Django synchronous file iterators; Django streams them correctly but warns.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)


class FreezeWarmHeap:
    """Hide the long-lived heap from Python's cycle collector once it is warm.

    A full collection walks every object the process holds: Django, the templates, translation
    catalogs and phone metadata that the first requests load. Walking them took ~100 ms every
    twentieth list page at a million clients, which is what the slowest 5% of pages were made
    of. ``gc.freeze()`` after start-up and again once the first requests have loaded what every
    request needs leaves the collector only the recent objects to walk.

    A request leaves no reference cycles behind (see ``kartoteka.core.prefetch``): what it made
    is freed by reference counting. The youngest generation is therefore collected only once
    10,000 more container objects are alive than before (Python's default, 700, set off about
    eight collections during every 50-row list, each walking the request's live objects for
    nothing); garbage that does form a cycle is still collected, just later.
    """

    #: live container objects more than at the last collection before one runs (default 700)
    YOUNG_THRESHOLD = 10_000

    def __init__(self, app: Any, warm_after: int = 200) -> None:
        self.app = app
        self.warm_after = warm_after
        self.served = 0
        gc.collect()
        gc.freeze()
        _young, middle, old = gc.get_threshold()
        gc.set_threshold(self.YOUNG_THRESHOLD, middle, old)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and self.served < self.warm_after:
            self.served += 1
            if self.served == self.warm_after:
                gc.collect()
                gc.freeze()


def _application() -> Any:
    django.setup(set_prefix=False)
    from kartoteka.core.asgi_handler import OneHopASGIHandler

    return OneHopASGIHandler()


application = FreezeWarmHeap(_application())
