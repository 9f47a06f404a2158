import sys

from avbench.benchmark.cli import main

sys.exit(main())
