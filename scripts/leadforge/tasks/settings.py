"""The `tasks:` section of `.github/leadforge.yml` (AI task queue).

The keys, types, defaults and descriptions live once, in ``options.SPEC``; this pydantic model (used
by the root config, the JSON Schema and the generated reference) is built from that table, and the
queue commands read the same table without pydantic (``options.load_options``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from leadforge.strict import StrictModel
from leadforge.tasks.options import PERMISSIONS, SPEC

_TYPES: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "list[str]": list[str]}


class BudgetSettings(StrictModel):
    """An AI cost budget (a profile's `budget:` has the same keys)."""

    usd_per_month: float | None = Field(None, ge=0, description="Most US dollars reported per calendar month (UTC).")
    usd_per_task: float | None = Field(
        None,
        ge=0,
        description="Most US dollars one task may cost (expected at dispatch, "
        "reported afterwards: a task past it is stopped and goes to a person).",
    )
    tokens_per_month: int | None = Field(None, ge=0, description="Most tokens (in + out) reported per calendar month.")


def _field(kind: str, default: Any, description: str, name: str = "") -> tuple[Any, Any]:
    if kind == "budget":
        return BudgetSettings | None, Field(default, description=description)
    if name == "min_permission":
        return Literal[PERMISSIONS], Field(default, description=description)
    if kind == "list[str]":
        return list[str], Field(default_factory=lambda d=tuple(default): list(d), description=description)
    if kind in {"int", "float"}:
        return _TYPES[kind], Field(default, ge=0, description=description)
    return _TYPES[kind], Field(default, description=description)


TasksSettings = create_model(  # type: ignore[call-overload]  # fields as **kwargs from SPEC: no overload describes them
    "TasksSettings",
    __base__=StrictModel,
    __doc__="AI task queue settings.",
    **{name: _field(*spec, name=name) for name, spec in SPEC.items()},
)
