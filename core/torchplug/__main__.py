"""``python -m torchplug``: the same command line as the ``torchplug`` script."""

from .cli._main import script

if __name__ == "__main__":
    raise SystemExit(script())
