import sys

from sayso.cli import main

sys.exit(main())
