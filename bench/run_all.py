"""Run every bench/bench_*.py script in turn (`make bench`)."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    failed |= subprocess.call([sys.executable, str(script)])
sys.exit(failed)
