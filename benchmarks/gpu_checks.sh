#!/usr/bin/env bash
# The benchmarks of issue 17 on one GPU, in one run of a few minutes, for a session that is
# lent a GPU machine: packed seeds against one by one (and the bounds), DeepSHAP against its
# roofline and shap.DeepExplainer, the Fourier-prior step against the plain step, and the
# cost plan of config/paper.yaml. See benchmarks/README.md, "On a GPU".
#
#   bash benchmarks/gpu_checks.sh [OUTDIR]    # OUTDIR: default $OUT if set, else results/bench/gpu
#
# Each benchmark writes OUTDIR/<name>.txt (its output and errors) under a time limit; the
# script prints them and a summary, and fails if any failed. It needs python3 with torch,
# numpy, pandas, scipy, scikit-learn, pyyaml, tqdm and numba; shap, slicer and tangermeme
# are installed from the folder $WHEELS (default .whl) when it holds wheels (README: "On a
# GPU"). DEVICE=cpu QUICK=1 WHEELS=none runs the same chain, small, on a CPU where those are
# installed: a check of the script itself.
set -uo pipefail

out=${1:-${OUT:-results/bench/gpu}}
device=${DEVICE:-cuda}
mkdir -p "$out"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
wheels=${WHEELS:-.whl}
if compgen -G "$wheels/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/attrprior-site "$wheels"/*.whl || exit 1
    export PYTHONPATH="$PYTHONPATH:/tmp/attrprior-site"
fi

{
    date -u
    git rev-parse HEAD 2> /dev/null || echo "commit unknown (no .git)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2> /dev/null
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
        torch.cuda.get_device_name() if torch.cuda.is_available() else "")'
} > "$out/environment.txt" 2>&1
cat "$out/environment.txt"

if [ "${QUICK:-0}" = 1 ]; then
    packed=(--models cnn_shallow --seeds 2 --examples 200 --epochs 1 --bound-repeats 1)
    deepshap=(--models cnn_shallow_relu --examples 2 --references 2 --repeats 1 --warmup 0)
    prior=(--conditions fourier --batch-size 8 --repeats 1 --warmup 0)
    plan=(--configfile config/test.yaml --steps 1)
else
    packed=(--models cnn_shallow tseng_binary --seeds 10 --examples 1000 --epochs 2
        --rounds 2 --bound-repeats 5)
    deepshap=(--examples 40 --references 10 --repeats 5 --warmup 2)
    prior=(--repeats 7 --warmup 2)
    plan=(--configfile config/paper.yaml --gpus 8 --steps 3)
fi

failed=()
run() { # name, seconds allowed, script, arguments...
    local name=$1 limit=$2
    shift 2
    echo "== $name: python3 $* --device $device (limit ${limit}s)"
    timeout "$limit" python3 -W ignore "$@" --device "$device" > "$out/$name.txt" 2>&1
    local rc=$?
    cat "$out/$name.txt"
    echo "== $name: exit $rc"
    [ "$rc" = 0 ] || failed+=("$name")
}

run packed_training 180 benchmarks/packed_training.py "${packed[@]}"
run deepshap_roofline 150 benchmarks/deepshap_roofline.py "${deepshap[@]}"
run prior_step 60 benchmarks/prior_step.py "${prior[@]}"
run cost_plan 180 benchmarks/cost_plan.py "${plan[@]}"

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all four benchmarks ran; outputs in $out"
