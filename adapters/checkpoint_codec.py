"""A projection's state to JSON and back, for the checkpoint stores.

States hold domain events and values, so the event codec's converter does the work; what
it adds is maps keyed by tuples (statistics by day and provider), which JSON objects cannot
key, kept as lists of [key, value] pairs.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping
from typing import Any

import cattrs

from lukas.adapters.event_codec import make_converter
from lukas.application.ports.checkpoints import CheckpointSpec, State


class CheckpointCodec:
    def __init__(self) -> None:
        self._converter = make_converter()
        self._converter.register_unstructure_hook_factory(_keyed_by_tuple, self._unstructure_pairs)
        self._converter.register_structure_hook_factory(_keyed_by_tuple, self._structure_pairs)

    def encode(self, spec: CheckpointSpec[State], state: State) -> str:
        plain = self._converter.unstructure(state, spec.state_type)
        return json.dumps(plain, ensure_ascii=True, separators=(",", ":"))

    def decode(self, spec: CheckpointSpec[State], text: str) -> State:
        """Raises ValueError when the text is not a state of the spec's type."""
        try:
            state: State = self._converter.structure(json.loads(text), spec.state_type)
        # cattrs reports a wrong shape in whatever error the generated code meets first.
        except (
            TypeError,
            KeyError,
            AttributeError,
            ValueError,
            RecursionError,
            cattrs.BaseValidationError,
        ) as error:
            raise ValueError(f"checkpoint {spec.name!r} cannot be read: {error}") from error
        return state

    def _unstructure_pairs(self, mapping_type: Any) -> Callable[[Mapping[Any, Any]], object]:
        key_type, value_type = typing.get_args(mapping_type)
        unstructure = self._converter.unstructure
        return lambda mapping: [
            [unstructure(key, key_type), unstructure(value, value_type)]
            for key, value in mapping.items()
        ]

    def _structure_pairs(self, mapping_type: Any) -> Callable[[object, Any], dict[Any, Any]]:
        key_type, value_type = typing.get_args(mapping_type)
        structure = self._converter.structure

        def pairs(value: object, _type: Any) -> dict[Any, Any]:
            if not isinstance(value, list):
                raise TypeError(f"expected a list of pairs, not {type(value).__name__}")
            return {structure(k, key_type): structure(v, value_type) for k, v in value}

        return pairs


def _keyed_by_tuple(type_: Any) -> bool:
    if typing.get_origin(type_) not in (dict, Mapping):
        return False
    args = typing.get_args(type_)
    return bool(args) and typing.get_origin(args[0]) is tuple
