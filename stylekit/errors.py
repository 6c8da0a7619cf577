"""The one family of errors a user can fix: every front end catches :class:`UserError` in one place.

Each message says what went wrong and what to do; front ends show it as is
(the CLI as one line with exit code 2, the app as a pop-up).
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix; the message says what and how."""


class ConfigError(UserError, ValueError):
    """A setting is invalid; the message names it and what is allowed."""


class SizeLimitError(ConfigError):
    """The requested output is larger than the device allows."""


class MissingInputError(UserError):
    """A required input (a photo, a painting, a model) was not given."""


class ImageError(UserError, ValueError):
    """An input that cannot be used as an image."""


class ModelFileError(UserError, ValueError):
    """A file that is not a usable stylekit model."""


class BackboneUnavailable(UserError, RuntimeError):
    """The weights for a backbone cannot be found or fetched."""


class ExportUnavailable(UserError, RuntimeError):
    """An export format whose encoder is not installed."""


class DatasetError(UserError):
    """Training photos that cannot be used (an unusable archive, a folder not offered)."""


class OutputError(UserError):
    """An output that could not be written where asked; the message says where it was kept, if anywhere."""


class WriteError(OutputError):
    """A file that could not be written (:func:`stylekit.atomic.atomic_write`); a previous file there is unchanged."""

    def __init__(self, path: str, reason: str, previous: bool, advice: str):
        self.path, self.reason, self.previous, self.advice = path, reason, previous, advice
        super().__init__(f"{self.what}; {advice}")

    @property
    def what(self) -> str:
        """What failed, without the advice: "could not write PATH (REASON)[; the previous file is unchanged]"."""
        unchanged = "; the previous file is unchanged" if self.previous else ""
        return f"could not write {self.path} ({self.reason}){unchanged}"
