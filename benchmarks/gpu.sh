#!/usr/bin/env bash
# GPU check of issue 9, for a machine with an NVIDIA GPU and CUDA:
#   1. installs the gpu and bench extras (CuPy; PyTorch, whose PyPI wheel for Linux x86_64 is a CUDA build),
#   2. runs the test suite on the cupy backend (the conftest's `xp` fixture adds cupy when
#      cupy.cuda.is_available(); `-k cupy` keeps those cases),
#   3. benchmarks the two-layer GD step at (n, k, m) = (16384, 2048, 4096), float32, CuPy vs PyTorch CUDA
#      (target: CuPy throughput >= 0.9x PyTorch), with iterate-agreement checks.
#
#   bash benchmarks/gpu.sh                 # everything
#   SKIP_INSTALL=1 bash benchmarks/gpu.sh  # the environment is ready (offline machines)
#   OUT=/some/dir bash benchmarks/gpu.sh   # where bench_gpu.json and the logs go (default: .)
#
# Exit status: 2 when there is no usable GPU, else non-zero if a step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-.}"
mkdir -p "$OUT"
PY="${PYTHON:-python}"

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >/dev/null 2>&1; then
    echo "gpu.sh: no NVIDIA GPU or driver here (nvidia-smi failed); nothing to do" >&2
    exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

ready() {
    "$PY" - <<'EOF'
import sys
try:
    import cupy, torch, pytest, hypothesis, array_api_strict  # noqa: F401
    ok = cupy.cuda.is_available() and torch.cuda.is_available()
except Exception:
    ok = False
sys.exit(0 if ok else 1)
EOF
}

if [ -z "${SKIP_INSTALL:-}" ] && ! ready; then
    "$PY" -m pip install -e '.[test,gpu,bench]' || { echo "gpu.sh: install failed" >&2; exit 1; }
fi
if ! ready; then
    echo "gpu.sh: CuPy or PyTorch does not see a CUDA device (is torch a CPU build? is cupy-cuda12x right for this driver?)" >&2
    "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" 2>&1 || true
    "$PY" -c "import cupy; print('cupy', cupy.__version__); print(cupy.cuda.runtime.runtimeGetVersion())" 2>&1 || true
    exit 2
fi

status=0
echo "== test suite on the cupy backend"
"$PY" -m pytest tests -q -k cupy -p no:cacheprovider 2>&1 | tee "$OUT/gpu_tests.log"
test_rc=${PIPESTATUS[0]}
if [ "$test_rc" -ne 0 ]; then
    echo "gpu.sh: cupy tests exited $test_rc" >&2
    status=1
fi

echo "== benchmark: CuPy vs PyTorch CUDA"
"$PY" benchmarks/run.py --gpu --json "$OUT/bench_gpu.json" 2>&1 | tee "$OUT/gpu_bench.log"
bench_rc=${PIPESTATUS[0]}
if [ "$bench_rc" -ne 0 ]; then
    echo "gpu.sh: benchmark exited $bench_rc" >&2
    status=1
fi
exit $status
