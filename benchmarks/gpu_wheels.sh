#!/usr/bin/env bash
# Download into .whl/ the wheels that repgeom needs and the GPU image lacks (issue #19).
#
# The nvidia-h200 image has python 3.12 with torch, torchvision, numpy, scipy, scikit-learn,
# scikit-image, xarray, numba, h5py, matplotlib, seaborn, pyyaml, tqdm, threadpoolctl, attrs,
# certifi, typing-extensions, psutil, hypothesis and pytest (KINDS.md), and reaches no
# package index. Missing from repgeom's dependencies: himalaya (encoding), POT (dsa),
# netCDF4 + cftime (the store), jsonschema + jsonschema-specifications + referencing +
# rpds-py (config). snakemake is not imported by the package (only by the workflow).
# Versions are the ones this project's environment pins; one version of each (two stop the
# install). The device command (see gpu_check.sh) installs them with
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#     --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
# Usage: bash benchmarks/gpu_wheels.sh   (PYTHON: the interpreter whose pip downloads;
# default python3). Prints each wheel's size and the total (the carry limit is 64 MiB).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
PYTHON=${PYTHON:-python3}
WHEELS=(
  himalaya==0.4.11
  POT==0.9.7.post1
  netCDF4==1.7.5.1.post1
  cftime==1.6.6.1
  jsonschema==4.26.0
  jsonschema-specifications==2025.9.1
  referencing==0.37.0
  rpds-py==2026.9.1
)
PLATFORMS=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
  manylinux1_x86_64 manylinux_2_24_x86_64 manylinux_2_31_x86_64 manylinux_2_34_x86_64; do
  PLATFORMS+=(--platform "$p")
done

exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qxF '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
mkdir -p .whl

for wheel in "${WHEELS[@]}"; do
  "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${PLATFORMS[@]}" -d .whl "$wheel"
done

# one version of each distribution, and nothing left from an older list
"$PYTHON" - "${WHEELS[@]}" <<'EOF'
import re
import sys
from pathlib import Path

wanted = {re.sub(r"[-_.]+", "_", w.split("==")[0]).lower(): w.split("==")[1] for w in sys.argv[1:]}
seen: dict[str, list[str]] = {}
for path in sorted(Path(".whl").glob("*.whl")):
    name, version = path.name.split("-")[:2]
    seen.setdefault(name.lower(), []).append(version)
    if wanted.get(name.lower()) != version:
        print(f"removing {path.name}: not in the list")
        path.unlink()
missing = sorted(set(wanted) - set(seen))
if missing:
    sys.exit(f"missing wheels: {missing}")
EOF

ls -l .whl/*.whl | awk '{printf "%10.2f MiB  %s\n", $5 / 1048576, $NF}'
total=$(du -cb .whl/*.whl | tail -1 | cut -f1)
echo "total $(awk -v b="$total" 'BEGIN {printf "%.2f", b / 1048576}') MiB in .whl/ (carry limit 64 MiB, with the working tree)"
