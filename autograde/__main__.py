"""``python -m autograde`` is the ``autograde`` command."""

from autograde.apps import main

main()
