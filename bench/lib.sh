# Sourced by the benchmark scripts that take `<build dir> <results dir>`: checks the arguments and sets `build` and
# `results` to absolute paths (creating the results directory).
if [ $# -ne 2 ]; then
  echo "usage: $0 <build dir> <results dir>" >&2
  exit 1
fi
build="$(cd "$1" && pwd)"
mkdir -p "$2"
results="$(cd "$2" && pwd)"
