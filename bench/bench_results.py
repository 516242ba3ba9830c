"""Shared by the bench scripts: the machine line and a dated section of bench/RESULTS.md
between a script's own markers, replaced in place so other sections stay."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def write_section(results: Path, begin: str, end: str, body: str) -> None:
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    section = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    results.write_text(text)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> str:
    uname = platform.uname()
    return f"{uname.system} {uname.release} {uname.machine}; CPU: {cpu_model()}; nproc {os.cpu_count()}"
