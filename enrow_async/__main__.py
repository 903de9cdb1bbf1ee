"""``python -m enrow_async``: the ``enrow-async`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
