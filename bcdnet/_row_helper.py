"""The entry point of a row-block helper process: ``python -m bcdnet._row_helper``.

It answers requests on its standard input until that closes (:mod:`bcdnet._row_processes`
has the protocol and the reasons); anything printed goes to standard error, never into the
replies on standard output.
"""

import sys

from bcdnet._row_processes import serve

if __name__ == "__main__":
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)
