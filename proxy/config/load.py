"""One call from a file name to a model and every diagnostic about it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from proxy.config.parser import ParseResult, parse, parse_file
from proxy.config.validate import validate

__all__ = ["check_text", "load"]


def load(
    path: str | Path, *, base_dir: str | Path | None = None, env: Mapping[str, str] | None = None
) -> ParseResult:
    """Parse and validate a file; relative file names resolve from ``base_dir`` (default: cwd)."""
    result = parse_file(path)
    result.diagnostics.extend(validate(result.config, base_dir=base_dir, env=env))
    result.diagnostics.sort(key=lambda d: (d.line, d.col))
    return result


def check_text(
    text: str,
    path: str = "<memory>",
    *,
    base_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ParseResult:
    result = parse(text, path)
    result.diagnostics.extend(validate(result.config, base_dir=base_dir, env=env))
    result.diagnostics.sort(key=lambda d: (d.line, d.col))
    return result
