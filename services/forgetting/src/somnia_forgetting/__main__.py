import sys

from somnia_forgetting.cli import main

sys.exit(main())
