#!/usr/bin/env bash
# The benchmarks of issue 17 on one GPU, in one run of at most about 6 minutes, for a session
# that is lent a GPU machine: packed seeds against one by one (and the bounds), a packed
# step's operations, GPU synchronisations and time against one seed's, DeepSHAP against its
# roofline and shap.DeepExplainer, the Fourier-prior step against the plain step, and the
# cost plan of config/paper.yaml. See benchmarks/README.md, "gpu_checks.sh".
#
#   bash benchmarks/gpu_checks.sh [OUTDIR]    # OUTDIR: default $OUT if set, else results/bench/gpu
#
# Each benchmark writes OUTDIR/<name>.txt (its output and errors) under a time limit; the
# script prints them and a summary, and fails naming the benchmarks that failed. It runs from
# the repository's root wherever it is called from, with python3, which needs torch, numpy,
# pandas, scipy, scikit-learn, pyyaml, tqdm and numba. shap, slicer and tangermeme are
# installed from the folder $WHEELS (default .whl) when it holds wheels; if that fails, only
# the DeepSHAP benchmark fails. DEVICE=cpu QUICK=1 WHEELS=none runs the same chain, small, on
# a CPU where those are installed: a check of the script itself.
set -uo pipefail

out=${1:-${OUT:-results/bench/gpu}}
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
cd "$(dirname "$0")/.." || exit 1
device=${DEVICE:-cuda}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

{
    date -u
    git rev-parse HEAD 2> /dev/null || echo "commit unknown (no .git)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2> /dev/null
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
        torch.cuda.get_device_name() if torch.cuda.is_available() else "")'
} > "$out/environment.txt" 2>&1

wheels=${WHEELS:-.whl}
if compgen -G "$wheels/*.whl" > /dev/null; then
    if python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/attrprior-site "$wheels"/*.whl >> "$out/environment.txt" 2>&1; then
        export PYTHONPATH="$PYTHONPATH:/tmp/attrprior-site"
    else
        echo "WARNING: the wheels in $wheels did not install (see environment.txt)" >&2
    fi
fi
cat "$out/environment.txt"

if [ "${QUICK:-0}" = 1 ]; then
    packed=(--models cnn_shallow --seeds 2 --examples 200 --epochs 1 --bound-repeats 3)
    dispatch=(--models cnn_shallow --conditions none fourier --seeds 2 --batch-size 8
        --time-repeats 2)
    deepshap=(--models cnn_shallow_relu --examples 2 --references 2 --repeats 1 --warmup 0
        --threads "$(nproc)")
    prior=(--conditions fourier --batch-size 8 --repeats 1 --warmup 0)
    plan=(--configfile config/test.yaml --steps 1 --time-all)
else
    # One round: the machine is not shared, and two would not fit the limit.
    packed=(--models cnn_shallow tseng_binary --seeds 10 --examples 1000 --epochs 2
        --rounds 1 --bound-repeats 5)
    dispatch=(--models cnn_shallow tseng_binary --conditions none fourier --time-repeats 10)
    deepshap=(--examples 40 --references 10 --repeats 3 --warmup 1 --threads "$(nproc)")
    prior=(--repeats 7 --warmup 2)
    # --time-all: the profile models' steps too, whose datasets (built from downloads, not
    # there) are not counted.
    plan=(--configfile config/paper.yaml --gpus 8 --steps 3 --time-all)
fi

failed=()
run() { # name, seconds allowed, script, arguments...
    local name=$1 limit=$2
    shift 2
    echo "== $name: python3 $* --device $device (limit ${limit}s)"
    timeout -k 10 "$limit" python3 -W ignore "$@" --device "$device" > "$out/$name.txt" 2>&1
    local rc=$?
    cat "$out/$name.txt"
    echo "== $name: exit $rc"
    [ "$rc" = 0 ] || failed+=("$name")
}

# Limits: 340 s together, so that with the machine's start the run fits a 420-s call.
run packed_training 90 benchmarks/packed_training.py "${packed[@]}"
run step_dispatch 40 benchmarks/step_dispatch.py "${dispatch[@]}"
run deepshap_roofline 90 benchmarks/deepshap_roofline.py "${deepshap[@]}"
run prior_step 40 benchmarks/prior_step.py "${prior[@]}"
run cost_plan 80 benchmarks/cost_plan.py "${plan[@]}"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all five benchmarks ran; outputs in $out"
