"""``python -m service``: start the planning service (see ``service._cli``)."""

import sys

from service._cli import main

if __name__ == "__main__":
    sys.exit(main())
