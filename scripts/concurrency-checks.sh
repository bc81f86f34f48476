#!/usr/bin/env bash
# The concurrency checks beyond the test suite, run by scripts/test.sh (and on their own after
# scripts/install-deps.sh --test):
# 1. clang's thread-safety analysis (-Wthread-safety, warnings as errors) over every library, the CLI and the
#    first-party providers, whose locks are annotated (include/stratus/common/thread_annotations.h);
# 2. ThreadSanitizer over the tests of the host's, the provider loader's and the lattice's concurrency (the lattice's
#    against real nats-server processes).
# Build directories: ${STRATUS_BUILD_DIR:-build}-tsa and -tsan.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${STRATUS_BUILD_DIR:-build}

cmake -S . -B "$build-tsa" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS=-Wthread-safety -DSTRATUS_WERROR=ON -DSTRATUS_BUILD_TESTS=OFF -DSTRATUS_BUILD_BENCH=OFF
cmake --build "$build-tsa"

tsan_tests=(lifecycle_test bus_test provider_host_test host_test instance_pool_test native_provider_test bounded_task_test
  lattice_host_test live_update_test process_provider_test provider_isolation_test)
cmake -S . -B "$build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATUS_SANITIZE=thread \
  -DSTRATUS_BUILD_TESTS=ON -DSTRATUS_BUILD_BENCH=OFF
cmake --build "$build-tsan" --target "${tsan_tests[@]}"
# halt_on_error: a data race fails its test instead of scrolling by.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --test-dir "$build-tsan" --output-on-failure -j2 \
  -R '^(LifecycleTest|BusTest|HostIdentityTest|InvocationIdTest|ProviderHostTest|ArchiveHostTest|AllEngines/HostTest|InstancePoolTest|NativeProviderTest|BoundedTaskTest|LatticeTest|LiveUpdateTest|ProcessProviderTest|ProviderIsolationTest)\.'
