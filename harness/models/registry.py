"""Registries: names -> the things the catalog registers (models here; tasks in
``harness.models.tasks``, MLP datasets in ``harness.models.mlp``), one ``Registry`` class for all.

Models carry tags (``tag_models``): a claim on ``group(tag)`` runs on every model with the tag.

A model spec is anything with a ``name``, a ``description`` and ``load(seed, cache_root) ->
model``; ``catalog/`` registers the concrete ones. Loading a model that cannot be had here (hub
weights without network) raises ``ModelUnavailable`` and claims on it are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Generic, Protocol, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Names -> registered things of one ``kind``; a name may be registered again only with an
    equal thing (re-importing a catalog module is harmless, a clash is an error)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if name in self._items and self._items[name] != item:
            raise ValueError(f"{self.kind} {name!r} is registered twice with different definitions")
        self._items[name] = item
        return item

    def named(self, name: str) -> Callable[[T], T]:
        """Decorator: register the decorated function as ``name``."""
        return lambda item: self.add(name, item)

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; registered: {', '.join(sorted(self._items))}") from None

    def names(self) -> list[str]:
        return sorted(self._items)


class ModelUnavailable(Exception):
    """The weights of a model cannot be obtained on this machine; the message says why."""


class ModelSpec(Protocol):
    name: str
    description: str

    def load(self, seed: int, cache_root: Path) -> Any: ...


MODELS: Registry[ModelSpec] = Registry("model")


def register_model(spec: ModelSpec) -> ModelSpec:
    return MODELS.add(spec.name, spec)


def get_model_spec(name: str) -> ModelSpec:
    return MODELS[name]


def model_names() -> list[str]:
    return MODELS.names()


# tag -> the names of the models that carry it (``catalog/__init__.py`` declares the table;
# ``--claims-add-model`` adds its models to ``causal-lm``)
_GROUPS: dict[str, set[str]] = {}


def tag_models(tag: str, names: list[str]) -> None:
    """Give each model of ``names`` (registered ones) the tag ``tag``."""
    if unknown := sorted(set(names) - set(model_names())):
        raise KeyError(f"tag {tag!r} names unregistered model(s) {unknown}")
    _GROUPS.setdefault(tag, set()).update(names)


def group_members(tag: str) -> list[str]:
    """The models tagged ``tag``, sorted; ``KeyError`` for a tag no model carries."""
    if tag not in _GROUPS:
        raise KeyError(f"unknown model group {tag!r}; groups: {', '.join(sorted(_GROUPS))}")
    return sorted(_GROUPS[tag])


def model_tags(name: str) -> list[str]:
    return sorted(tag for tag, names in _GROUPS.items() if name in names)
