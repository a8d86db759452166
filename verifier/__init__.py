"""verifier: extract the claims of several documents, ground them in quotes, flag contradictions."""

from pathlib import Path

__version__ = "0.1.0"


def resource_dir(name: str) -> Path:
    """Where a folder the package reads at run time lives (`prompts`, `schemas`).

    In a source checkout it is the top-level folder (the one people edit and review); in an
    installed wheel the build copies it into the package, beside this file.
    """
    here = Path(__file__).resolve().parent
    installed = here / name
    return installed if installed.is_dir() else here.parent / name
