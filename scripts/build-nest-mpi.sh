#!/usr/bin/env bash
# Build NEST 3.10.0 with MPI and OpenMP from the nest-simulator source distribution on PyPI
# into a cached prefix outside the repository, and mpi4py against the same MPI (docs/distributed.md).
#
#   scripts/build-nest-mpi.sh            # or: make nest-mpi
#
# Idempotent: a finished prefix (it holds .snn-hub-complete) is reused; an interrupted build
# resumes in its build directory.  About 50 minutes on 2 cores the first time.
#
#   SNN_HUB_NEST_MPI   install prefix (default ~/.cache/snn-hub/nest-3.10.0-mpi)
#   PYTHON             the interpreter PyNEST is built for (default python3.11, else python3);
#                      it must be the minor version of the venv that imports it
#   JOBS               parallel compile jobs (default: number of cores)
set -euo pipefail

NEST_VERSION=3.10.0
MPI4PY_VERSION=4.1.2
CYTHON_VERSION=3.2.4
PREFIX=${SNN_HUB_NEST_MPI:-$HOME/.cache/snn-hub/nest-${NEST_VERSION}-mpi}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
JOBS=${JOBS:-$(nproc)}
WORK=${PREFIX}.build
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '[nest-mpi] %s\n' "$*"; }

activate_hint() {
    local pyver
    pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    cat <<EOF
[nest-mpi] NEST ${NEST_VERSION} with MPI is in ${PREFIX}
[nest-mpi] use it with:
    export SNN_HUB_NEST_MPI=${PREFIX}
    export PYTHONPATH=${PREFIX}/lib/python${pyver}/site-packages\${PYTHONPATH:+:\$PYTHONPATH}
    mpirun -np 2 snn-hub run models/brunel.py -b nest --out r.npz
[nest-mpi] (as root, Open MPI needs --allow-run-as-root or OMPI_ALLOW_RUN_AS_ROOT=1 and
[nest-mpi]  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; make test-mpi sets them)
EOF
}

if [ -f "$PREFIX/.snn-hub-complete" ]; then
    say "cached build found"
    activate_hint
    exit 0
fi

# --- Debian build dependencies --------------------------------------------------------------
DEBS="build-essential cmake libopenmpi-dev openmpi-bin libgsl-dev libboost-dev libltdl-dev pkg-config"
missing=""
for p in $DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# --- a build venv with Cython (PyNEST's bindings are cythonized at build time) -------------
mkdir -p "$WORK"
BUILD_VENV=$WORK/venv
if [ ! -x "$BUILD_VENV/bin/python" ]; then
    "$PYTHON" -m venv "$BUILD_VENV"
fi
"$BUILD_VENV/bin/python" -m pip install --quiet "cython==${CYTHON_VERSION}" "numpy<2.4"

# --- the source distribution ---------------------------------------------------------------
SRC=$WORK/nest_simulator-${NEST_VERSION}
if [ ! -f "$SRC/CMakeLists.txt" ]; then
    say "downloading the nest-simulator ${NEST_VERSION} source distribution"
    "$BUILD_VENV/bin/python" -m pip download --quiet --no-binary :all: --no-deps \
        "nest-simulator==${NEST_VERSION}" -d "$WORK"
    tar xzf "$WORK/nest_simulator-${NEST_VERSION}.tar.gz" -C "$WORK"
fi

# --- configure, build, install ------------------------------------------------------------
mkdir -p "$WORK/build"
cd "$WORK/build"
if [ ! -f CMakeCache.txt ]; then
    say "configuring (MPI, OpenMP, GSL, ltdl for extension modules)"
    cmake "$SRC" \
        -DCMAKE_INSTALL_PREFIX="$PREFIX" \
        -Dwith-mpi=ON -Dwith-openmp=ON -Dwith-gsl=ON -Dwith-ltdl=ON \
        -Dwith-readline=OFF -Dwith-python=ON \
        -DPython_EXECUTABLE="$BUILD_VENV/bin/python" >cmake.log 2>&1 \
        || { tail -40 cmake.log; exit 1; }
fi
say "compiling with $JOBS jobs (log: $WORK/build/make.log)"
make -j"$JOBS" >make.log 2>&1 || { tail -40 make.log; exit 1; }
make install >install.log 2>&1 || { tail -40 install.log; exit 1; }

# --- mpi4py against the same MPI, beside PyNEST --------------------------------------------
SITE=$(find "$PREFIX/lib" -maxdepth 3 -type d -name site-packages | head -1)
say "building mpi4py ${MPI4PY_VERSION} against $(command -v mpicc) into $SITE"
MPICC=$(command -v mpicc) "$BUILD_VENV/bin/python" -m pip install --quiet --no-binary mpi4py \
    --no-deps --target "$SITE" "mpi4py==${MPI4PY_VERSION}"

# --- check: two ranks see each other through NEST and mpi4py --------------------------------
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
PYTHONPATH="$SITE" mpirun -np 2 --oversubscribe "$BUILD_VENV/bin/python" -c '
import nest
from mpi4py import MPI
assert nest.build_info["have_mpi"], "NEST built without MPI"
assert nest.NumProcesses() == MPI.COMM_WORLD.Get_size() == 2
' >"$WORK/check.log" 2>&1 || { tail -20 "$WORK/check.log"; exit 1; }
echo "nest-simulator ${NEST_VERSION} mpi openmp $(date -u +%FT%TZ) from ${HERE}" >"$PREFIX/.snn-hub-complete"
say "built and checked on 2 ranks"
activate_hint
