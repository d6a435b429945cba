"""Read-through caching of computed read models, keyed by what they were computed from, and of
the HTML rendered from them."""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Part of every key: bump it when a cached type changes shape, so that a deployment never reads
# the previous release's pickles.
FORMAT = "5"


def computed(key: str, compute: Callable[[], T], *, kind: type[T], seconds: int) -> T:
    """The cached value under ``key``, or ``compute()`` stored there. A value that cannot be
    read back (an older release's) is computed again, never served; without Redis, every read
    misses."""
    full_key = f"v{FORMAT}:{key}"
    try:
        found = cache.get(full_key)
    except (pickle.UnpicklingError, TypeError, ValueError, AttributeError, EOFError, ImportError) as error:
        logger.warning("cached value unreadable, computed again", extra={"key": full_key, "error": str(error)})
        found = None
    if isinstance(found, kind):
        return found
    value = compute()
    cache.set(full_key, value, seconds)  # without Redis, dropped (core/redis_cache.py)
    return value


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """A read model named by what it is computed from: ``key`` changes whenever the value
    would, so a caller can key what it derives from the value (a rendered fragment) on it
    without reading the value; ``load()`` reads it through the cache."""

    key: str
    compute: Callable[[], T]
    kind: type[T]
    seconds: int

    def load(self) -> T:
        return computed(self.key, self.compute, kind=self.kind, seconds=self.seconds)


@functools.cache
def release_fingerprint() -> str:
    """A digest of what this release renders HTML from: the project's templates, template tags
    and compiled translations. Part of every fragment's key, so that a deployment never serves
    the previous release's markup or wording."""
    engines: list[dict[str, Any]] = settings.TEMPLATES
    template_directories = [Path(directory) for engine in engines for directory in engine.get("DIRS", [])]
    project_apps = [Path(app.path) for app in apps.get_app_configs() if "site-packages" not in app.path]
    files = {path for directory in template_directories for path in directory.glob("**/*.html")}
    files.update(
        path
        for app in project_apps
        for pattern in ("templates/**/*.html", "templatetags/*.py")
        for path in app.glob(pattern)
    )
    files.update(path for directory in settings.LOCALE_PATHS for path in Path(directory).glob("**/*.mo"))
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fragments(key: str, render: Callable[[], dict[str, str]], *, seconds: int) -> dict[str, SafeString]:
    """Pieces of a page rendered once and kept under ``key``, the active language and the
    release (``release_fingerprint``): a long table costs a cache read instead of thousands of
    template nodes. ``render`` must depend on nothing the key does not name — render its
    templates without the request (``render_to_string(name, context)``), so that no session,
    CSRF token or user's name can end up in a piece served to someone else."""
    found = computed(f"html:{release_fingerprint()}:{get_language()}:{key}", render, kind=dict, seconds=seconds)
    return {name: mark_safe(html) for name, html in found.items()}  # noqa: S308 — our autoescaped templates' output
