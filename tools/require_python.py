"""Exit 1 unless this interpreter is at least the version given as the argument.

Written for every Python 3 (no f-strings, no annotations): it must run on the old
interpreter it is about to reject.
"""
import sys

needed = tuple(int(part) for part in sys.argv[1].split("."))
sys.exit(0 if sys.version_info[: len(needed)] >= needed else 1)
