"""Refusals as one line: the field the user wrote, what is wrong, and what they wrote.

A pydantic error location is walked back into the dotted path of the file
(``chart_types.inpatient.coding_minutes.low``), an unknown key is matched to
the closest allowed one, and YAML 1.1 surprises (``no`` read as false) are
shown as written.
"""

from __future__ import annotations

import difflib
import re
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message).replace("\r", "\\r").replace("\n", "\\n"))


_NUMBER = re.compile(r"\s*[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _unwrap(tp: Any) -> Any:
    """A field's type without Annotated and without None."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType) and type(None) in get_args(tp):
            rest = [a for a in get_args(tp) if a is not type(None)]
            tp = rest[0] if len(rest) == 1 else Union[tuple(rest)]  # noqa: UP007
        else:
            return tp


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[list[str], Any]:
    """A pydantic error location as the user's dotted path, and the type found at its end.

    Union members in the location (a distribution's ``dist`` tag, ``int`` in
    ``int | 'auto'``) are dropped: they are not keys of the file.
    """
    tp: Any = root
    shown: list[str] = []
    for part in loc:
        tp = _unwrap(tp)
        if get_origin(tp) in (Union, UnionType):  # a member's label: pick the tagged member, else stop typing
            members = [m for m in get_args(tp) if isinstance(m, type) and issubclass(m, BaseModel)]
            tp = next((m for m in members if get_args(m.model_fields["dist"].annotation) == (part,)), None)
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        shown.append(str(part))
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            tp = field.annotation if field is not None else None
        elif get_origin(tp) in (dict, list):
            tp = get_args(tp)[-1]
        else:
            tp = None
    return shown, _unwrap(tp)


def _got(value: Any, surprise: str | None = None) -> str:
    """A refused value as the user wrote it, short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return f"{surprise}, which YAML 1.1 reads as the boolean {text}" if surprise else text
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def first_error(exc: ValidationError, root: type[BaseModel], surprises: dict[str, str] | None = None) -> str:
    """The error a user should fix first, as 'field: what is wrong (got …)'.

    An unknown key comes before the missing one it was probably meant to be.
    """
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    kind, loc, msg = err["type"], tuple(err["loc"]), err["msg"].removeprefix("Value error, ")
    is_key = bool(loc) and loc[-1] == "[key]"
    shown, _ = _walk(root, loc[:-1] if is_key else loc)
    path = ".".join(shown)
    if not shown:  # checks across settings name their own field first
        return msg
    value = err.get("input")
    surprise = (surprises or {}).get(path)
    if kind == "extra_forbidden":
        _, model = _walk(root, loc[:-1])
        allowed = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
        close = difflib.get_close_matches(shown[-1], allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        listed = f"; allowed here: {', '.join(allowed)}" if allowed else "; see README for the allowed keys"
        return f"{path}: unknown setting {shown[-1]!r} ({hint}check the spelling{listed})"
    if kind == "union_tag_invalid":
        msg = "dist must be one of fixed, uniform, triangular, exponential, lognormal, gamma, weibull, empirical (times) or fixed, uniform_int, poisson, negative_binomial (counts)"
    elif is_key:
        parent = ".".join(shown[:-1])
        quote = f'; write it quoted: "{_got(value)}"' if isinstance(value, bool | int | float) or value is None else ""
        problem = "is not allowed" if isinstance(value, str) else "is not text"  # a text name outside a fixed set
        return f"{parent}: the name {_got(value)} {problem} ({msg}){quote}"
    elif "input" in err and kind != "missing" and not isinstance(value, dict | list) and "(got " not in msg:
        msg += f" (got {_got(value, surprise)})"
        if isinstance(value, bool) and kind == "string_type":
            msg += f'; write it quoted: "{surprise or _got(value)}"'
        elif isinstance(value, str) and kind in ("int_type", "float_type") and _NUMBER.fullmatch(value):
            msg += "; write the number without quotes"
    return f"{path}: {msg}"
