#!/usr/bin/env bash
# The one command that sets up, builds and runs every check (what CI runs):
#
#   bash scripts/test.sh            all stages below, in order
#   bash scripts/test.sh --quick    stage "tests" only: setup, build, ctest
#   bash scripts/test.sh --only asan,fuzz   just those stages
#
# Stages (fuzz/README.md and SECURITY.md say why each exists):
#   tests     scripts/build.sh (runs scripts/setup.sh first) into build/, then
#             the whole ctest suite
#   asan      build-asan/ with -DTENDO_SANITIZE=ON (ASan + UBSan), the whole
#             ctest suite; leaks fail; umockdev's preload needs
#             verify_asan_link_order=0 (DESIGN.md)
#   fuzz      build-fuzz/ with clang -DTENDO_FUZZ=ON, every libFuzzer target
#             for TENDO_FUZZ_SECONDS (default 60) each, two at a time
#             (fuzz/run.sh: fails on a crash, leak, OOM or timeout in tendo)
#   valgrind  memcheck (leaks and invalid accesses fail) on the tests listed
#             in tests/hardening/memcheck.txt, using build/
#   static    cppcheck on the checks documented in .cppcheck (zero findings)
#
# Prints the time of each stage and ends with one line:
#   "test.sh: N passed, M failed in T s" (N, M counted in stages; T the
#   whole run, setup and builds included; CI's budget is ~40 min on 2 cores).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stages=(tests asan fuzz valgrind static)
case "${1:-}" in
    --quick) stages=(tests) ;;
    --only) IFS=, read -r -a stages <<< "${2:?--only needs a list such as asan,fuzz}" ;;
    "") ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1'; try --help" >&2; exit 64 ;;
esac
jobs=$(nproc)

# Monotonic seconds (the sandbox's wall clock may jump; /proc/uptime does not).
now() { cut -d' ' -f1 /proc/uptime; }

stage_tests() {
    bash scripts/build.sh &&
    ctest --test-dir build --output-on-failure -j "$jobs"
}

stage_asan() {
    bash scripts/setup.sh &&
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENDO_SANITIZE=ON >/dev/null &&
    cmake --build build-asan -j "$jobs" &&
    ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0:strict_string_checks=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j "$jobs"
}

stage_fuzz() {
    bash scripts/setup.sh &&
    cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
          -DTENDO_FUZZ=ON >/dev/null &&
    cmake --build build-fuzz -j "$jobs" --target fuzz_all &&
    bash fuzz/run.sh build-fuzz "${TENDO_FUZZ_SECONDS:-60}"
}

stage_valgrind() {
    [ -x build/tools/tendo ] || bash scripts/build.sh || return 1
    local regex
    regex=$(grep -v '^#' tests/hardening/memcheck.txt | grep . | paste -sd'|')
    TENDO_TEST_WRAP="valgrind --quiet --error-exitcode=99 --leak-check=full \
--suppressions=$root/tests/hardening/valgrind.supp \
--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect" \
        ctest --test-dir build --output-on-failure -j "$jobs" -R "$regex"
}

stage_static() {
    # The checks and every suppression with its reason: .cppcheck
    local args
    args=$(grep -v '^#' .cppcheck | grep . | tr '\n' ' ')
    eval "cppcheck $args" --error-exitcode=1 common formats acquire analysis tools fuzz tests bench
}

passed=0 failed=0 report=()
t_all=$(now)
for s in "${stages[@]}"; do
    case "$s" in tests|asan|fuzz|valgrind|static) ;; *)
        echo "test.sh: unknown stage '$s' (tests, asan, fuzz, valgrind, static)" >&2; exit 64 ;;
    esac
    echo "=== test.sh: stage $s"
    t0=$(now)
    "stage_$s"
    rc=$?
    took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); report+=("$s ok ${took}s")
    else
        failed=$((failed + 1)); report+=("$s FAILED ${took}s")
    fi
    echo "=== test.sh: stage $s: $([ "$rc" -eq 0 ] && echo ok || echo FAILED) in ${took} s"
done
total=$(awk -v a="$t_all" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
echo "test.sh: stages: ${report[*]}; total ${total}s"
echo "test.sh: $passed passed, $failed failed in ${total} s"
[ "$failed" -eq 0 ]
