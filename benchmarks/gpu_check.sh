#!/usr/bin/env bash
# The GPU paths, proven on a real GPU in one prepared run (issue #19).
#
# On the device machine (nvidia-h200: its own python3 with torch; no package index), once
# `bash benchmarks/gpu_wheels.sh` has filled .whl/ here, make ONE call of the device tool:
#
#   run(carry=[".whl"], timeout_s=540, command=
#     "python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit; bash benchmarks/gpu_check.sh --out $OUT")
#
# then give_back. $OUT/gpu_check.json (every figure) and $OUT/gpu_check.log (every part's
# output) come back. Here, without a GPU: PYTHON=.venv/bin/python bash benchmarks/gpu_check.sh
# --cpu (every part at a tiny size on the CPU, the same calls; seconds each).
#
# Usage: gpu_check.sh [--cpu] [--size full|tiny] [--out DIR] [--parts "rdm shape ..."]
# Each part runs in its own process under `timeout`; a part that fails or hangs is recorded
# as such and the next one runs. A part's limit is its own share plus whatever the parts
# before it left unused, never eating the shares of the parts after it (all shares: 465 s).
# Environment: PYTHON (default python3); PYTHONPATH is kept and src/ is appended;
# GPU_CHECK_PLAN replaces the "part:seconds" list below (for reruns of some parts).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
DEVICE=cuda
SIZE=
OUT_DIR=$REPO/benchmarks/out/gpu_check
# part:share in seconds, in the order they run (the shape part last: it gets the leftovers)
PLAN=${GPU_CHECK_PLAN:-"gpu_tests:30 rdm:25 encoding:70 dsa:60 extract:90 shape:190"}
ONLY=

while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) DEVICE=cpu ;;
    --size) SIZE=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --parts) ONLY=$2; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$SIZE" ] || { [ "$DEVICE" = cpu ] && SIZE=tiny || SIZE=full; }
MODE="$DEVICE/$SIZE"

cd "$REPO" || exit 2
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$REPO/src"
export PYTHONUNBUFFERED=1
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
LOG=$OUT_DIR/gpu_check.log
: >"$LOG"

selected() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

BUDGET=0
for entry in $PLAN; do selected "${entry%%:*}" && BUDGET=$((BUDGET + ${entry##*:})); done
echo "gpu_check: $MODE, python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'), budget ${BUDGET} s, work $WORK" | tee -a "$LOG"
if [ "$DEVICE" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee -a "$LOG"
fi

# the extraction part's 2,000 stimuli take a minute of one core to build: in the background
IMAGES_PID=
if selected extract; then
  export GPU_CHECK_IMAGES=$WORK/extract_images.npy
  timeout -k 10 300 "$PYTHON" benchmarks/gpu_check.py images --size "$SIZE" \
    --path "$GPU_CHECK_IMAGES" >"$WORK/images.log" 2>&1 &
  IMAGES_PID=$!
  export GPU_CHECK_IMAGES_PID=$IMAGES_PID
fi

T0=$SECONDS
LATER=$BUDGET  # shares of the selected parts not yet run
for entry in $PLAN; do
  name=${entry%%:*}; share=${entry##*:}
  selected "$name" || continue
  LATER=$((LATER - share))
  limit=$((BUDGET - (SECONDS - T0) - LATER))
  start=$SECONDS
  if [ "$limit" -ge 10 ]; then
    timeout -k 10 "$limit" "$PYTHON" benchmarks/gpu_check.py part "$name" --device "$DEVICE" \
      --size "$SIZE" --json "$WORK/$name.json" --timeout "$limit" >"$WORK/$name.log" 2>&1
    rc=$?
  else
    rc=0; limit=0
  fi
  echo "$rc $limit $((SECONDS - start))" >"$WORK/$name.run"
  { echo "===== $name (rc $rc, limit $limit s, $((SECONDS - start)) s)"; cat "$WORK/$name.log" 2>/dev/null; } >>"$LOG"
  "$PYTHON" benchmarks/gpu_check.py line --work "$WORK" --name "$name" | tee -a "$LOG"
done

"$PYTHON" benchmarks/gpu_check.py merge --work "$WORK" --out "$OUT_DIR" --mode "$MODE" \
  --budget "$BUDGET" --total $((SECONDS - T0)) | tee -a "$LOG"
status=${PIPESTATUS[0]}
if [ -n "$IMAGES_PID" ]; then
  kill "$IMAGES_PID" 2>/dev/null
  wait "$IMAGES_PID" 2>/dev/null
  { echo "===== stimuli for the extraction part (background)"; cat "$WORK/images.log"; } >>"$LOG"
fi
rm -rf "$WORK"
exit "$status"
