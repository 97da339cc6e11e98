#!/usr/bin/env python
"""Django's command-line utility for esper_rekall."""

import os
import sys


def main() -> None:
    """Run administrative tasks with ``project.settings`` as the default.

    A reader that closes the pipe early (``rekall_export ... | head``) ends
    the command quietly, as other command-line tools do, instead of with a
    ``BrokenPipeError`` traceback.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's documented idiom: point stdout at devnull so the flush at exit cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
