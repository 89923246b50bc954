"""``python -m torchplug``: the same command line as the ``torchplug`` script."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
