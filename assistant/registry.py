"""Parts chosen by name: each role (answer engines, retrievers, ...) keeps one `Registry`.

A registry maps a name to a factory. Built-in parts are listed as "module:attribute" strings and
imported on first use, so naming a part costs nothing until it is asked for; your own parts
register with the decorator:

>>> from assistant.registry import Registry
>>> shouts: Registry[type] = Registry("shout")
>>> @shouts.register("loud")
... class Loud:
...     pass
>>> shouts.get("loud").__name__, shouts.names()
('Loud', ['loud'])
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar, cast

from assistant.errors import ConfigError

F = TypeVar("F")

PLUGINS_VARIABLE = "ASSISTANT_PLUGINS"


class Registry(Generic[F]):
    """Named factories for one role; built-ins are imported lazily."""

    def __init__(self, role: str, builtins: Mapping[str, str] | None = None) -> None:
        self.role = role
        self._builtins = dict(builtins or {})
        self._loaded: dict[str, F] = {}
        self._lock = threading.Lock()

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator: register a factory (usually a class) under `name`."""

        def add(factory: F) -> F:
            self.add(name, factory)
            return factory

        return add

    def add(self, name: str, factory: F) -> None:
        """Register `factory` under `name`, replacing an earlier one of the same name."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"{self.role} name {name!r}: use letters, digits, '-' or '_'")
        with self._lock:
            self._loaded[name] = factory

    def get(self, name: str) -> F:
        """The factory registered as `name`; a ConfigError listing the known names otherwise."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            target = self._builtins.get(name)
        if target is None:
            raise ConfigError(
                f"no {self.role} called {name!r}; known: {', '.join(self.names())}. "
                f"(your own: register it in a module listed in {PLUGINS_VARIABLE})"
            )
        module, _, attribute = target.partition(":")
        factory = cast(F, getattr(importlib.import_module(module), attribute))
        with self._lock:
            return self._loaded.setdefault(name, factory)

    def names(self) -> list[str]:
        """Every registered name, built-ins first."""
        with self._lock:
            return list(dict.fromkeys([*self._builtins, *self._loaded]))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()


_plugins_loaded: set[str] = set()


def load_plugins(modules: str) -> None:
    """Import each module of a comma-separated list (ASSISTANT_PLUGINS), once.

    A plugin module registers its parts when imported, e.g. `@ENGINES.register("mine")`.
    """
    for module in (m.strip() for m in modules.split(",")):
        if module and module not in _plugins_loaded:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ConfigError(
                    f"{PLUGINS_VARIABLE} names {module!r}, which cannot be imported ({error}); "
                    "check the module name and that it is on PYTHONPATH"
                ) from error
            _plugins_loaded.add(module)
