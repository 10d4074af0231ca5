import sys

from somnia_dreaming.cli import main

sys.exit(main())
