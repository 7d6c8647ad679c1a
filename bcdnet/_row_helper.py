"""The entry point of a row-block helper process: ``python -m bcdnet._row_helper``.

It answers requests on its standard input until that closes (:mod:`bcdnet._row_processes`
has the protocol and the reasons), computing each block with the function a block thread
would run; anything printed goes to standard error, never into the replies on standard
output.
"""

import sys

from bcdnet._row_processes import serve
from bcdnet.evaluation import BLOCK_FUNCTIONS


def compute(net, kind, arrays, options):
    """One block: ``BLOCK_FUNCTIONS[kind]`` of ``net`` on the block's rows."""
    return BLOCK_FUNCTIONS[kind](net, *arrays, net._full_tape(), **options)


if __name__ == "__main__":
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies, compute)
