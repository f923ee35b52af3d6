"""What an ONNX file declares, read from its protobuf bytes before onnxruntime sees it.

A minimal reader of the ``ModelProto`` wire format (no ``onnx`` package, no
session, nothing allocated from the declared shapes): the graph's inputs and
outputs with their declared dimensions, and the metadata properties. jazzd uses
it to refuse a model whose declared tensors are too large before a session is
made. Field numbers are those of ``onnx.proto``.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# onnx.proto field numbers
_MODEL_GRAPH = 7
_MODEL_METADATA = 14
_GRAPH_INPUT = 11
_GRAPH_OUTPUT = 12
_VALUE_NAME = 1
_VALUE_TYPE = 2
_TYPE_TENSOR = 1
_TENSOR_SHAPE = 2
_SHAPE_DIM = 1
_DIM_VALUE = 1
_ENTRY_KEY = 1
_ENTRY_VALUE = 2


class MalformedModel(ValueError):
    """The bytes are not a well-formed protobuf message."""


@dataclass(frozen=True)
class Header:
    """Declared graph inputs and outputs (name -> dims, None for a symbolic one), metadata."""

    inputs: dict[str, tuple[int | None, ...]]
    outputs: dict[str, tuple[int | None, ...]]
    metadata: dict[str, str]


def _varint(buf, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise MalformedModel("a number runs past its end")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf, start: int, end: int) -> Iterator[tuple[int, int, object]]:
    """(field number, wire type, value) of the message in ``buf[start:end]``.

    A length-delimited value is its ``(start, end)``; fixed-width ones are skipped (None).
    """
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: object = None
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value = (pos, pos + length)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise MalformedModel(f"wire type {wire} of field {number}")
        if pos > end:
            raise MalformedModel(f"field {number} runs past its message")
        yield number, wire, value


def _sub(buf, span: object, number: int, wire: int) -> Iterator[object]:
    start, end = span  # type: ignore[misc]
    for found, found_wire, value in _fields(buf, start, end):
        if found == number and found_wire == wire:
            yield value


def _text(buf, span: object) -> str:
    start, end = span  # type: ignore[misc]
    return bytes(buf[start:end]).decode("utf-8", errors="replace")


def _value_info(buf, span: object) -> tuple[str, tuple[int | None, ...]]:
    name = ""
    dims: list[int | None] = []
    for value in _sub(buf, span, _VALUE_NAME, 2):
        name = _text(buf, value)
    for type_span in _sub(buf, span, _VALUE_TYPE, 2):
        for tensor in _sub(buf, type_span, _TYPE_TENSOR, 2):
            for shape in _sub(buf, tensor, _TENSOR_SHAPE, 2):
                for dim in _sub(buf, shape, _SHAPE_DIM, 2):
                    values = list(_sub(buf, dim, _DIM_VALUE, 0))
                    dims.append(int(values[-1]) if values else None)  # type: ignore[arg-type]
    return name, tuple(dims)


def read_header(path: str | Path) -> Header:
    """The declared inputs, outputs and metadata of the ONNX file at ``path``.

    Raises MalformedModel when the bytes are not a protobuf message, OSError when
    the file cannot be read. The file is mapped, not read: initializers are skipped.
    """
    inputs: dict[str, tuple[int | None, ...]] = {}
    outputs: dict[str, tuple[int | None, ...]] = {}
    metadata: dict[str, str] = {}
    with open(path, "rb") as handle:
        if not handle.seek(0, 2):
            raise MalformedModel("the file is empty")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            for number, wire, value in _fields(buf, 0, len(buf)):
                if wire != 2:
                    continue
                if number == _MODEL_GRAPH:
                    for inner, inner_wire, span in _fields(buf, *value):  # type: ignore[misc]
                        if inner_wire == 2 and inner in (_GRAPH_INPUT, _GRAPH_OUTPUT):
                            name, dims = _value_info(buf, span)
                            (inputs if inner == _GRAPH_INPUT else outputs)[name] = dims
                elif number == _MODEL_METADATA:
                    keys = [_text(buf, s) for s in _sub(buf, value, _ENTRY_KEY, 2)]
                    values = [_text(buf, s) for s in _sub(buf, value, _ENTRY_VALUE, 2)]
                    if keys:
                        metadata[keys[-1]] = values[-1] if values else ""
    return Header(inputs, outputs, metadata)
