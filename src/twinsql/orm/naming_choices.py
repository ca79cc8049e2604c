"""ORM feature, pure: the naming rules reflection can state on the models it writes.

``NamingChoice`` is the type of ``reflect(naming=...)`` and ``NAMINGS`` the same names as a
tuple, the choices of ``twinsql reflect --naming``. They live apart from ``model_source``,
which applies them, so that building the ``twinsql`` command's parser imports the names and
not the model writer.
"""

from __future__ import annotations

import typing
from typing import Literal

__all__ = ["NAMINGS", "NamingChoice"]

NamingChoice = Literal["auto", "snake_case", "PascalCase", "camelCase", "as_is"]
NAMINGS: tuple[NamingChoice, ...] = typing.get_args(NamingChoice)
