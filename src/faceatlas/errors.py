"""Typed errors raised by faceatlas. Every message is one line a user can act on."""

from __future__ import annotations


class FaceAtlasError(Exception):
    """Base class of every error faceatlas raises on purpose."""


class ImageError(FaceAtlasError):
    """An input could not be read as an image (not an image, truncated, corrupt, too large...)."""

    def __init__(self, reason: str, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


class NoFaceError(FaceAtlasError):
    """An operation needed a face and the image had none."""


class ModelUnavailableError(FaceAtlasError):
    """A model's weights are missing or fail their checksum."""


class InvalidInputError(FaceAtlasError):
    """A value the user gave was refused (a blank name, ...): exit 2 on the command line, HTTP 422."""


class StoreError(FaceAtlasError):
    """The atlas store refused an operation (unknown id, bad constraint...)."""


class EmbedderMismatchError(FaceAtlasError):
    """Vectors of two identity spaces (embedders) were about to be compared or mixed."""

    def __init__(self, expected: str, got: str, hint: str = "") -> None:
        self.expected, self.got = expected, got
        message = f"this atlas holds {expected} embeddings; {got} embeddings cannot be compared with them"
        super().__init__(message + (f" ({hint})" if hint else ""))
