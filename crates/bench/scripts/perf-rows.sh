#!/bin/bash
# Records perf samples of the benchmark process during chosen rows of one run (issue 29,
# docs/performance.md "Where a send's microseconds go"): when the line of the row before
# appears on stderr, records the process for SECS seconds, 1.5 s into the next row's counted
# part (4 s), in the background so that adjacent rows are caught. Then:
#   python3 crates/bench/scripts/perf-categories.py OUTDIR baseline16 adapter16 app16 baseline256 adapter256 app256
# usage (from the workspace root, release build first): crates/bench/scripts/perf-rows.sh OUTDIR
# (BENCH_BIN=path/to/phone-verify-bench for another build, one with frame pointers say)
# MODE=stat counts instead of sampling (perf stat: syscalls, context switches, wake-ups,
# migrations, CPU time of the whole process), into OUTDIR/NAME.stat; perf-categories.py then
# prints them per send too. MODE=futex records every futex call with its call stack (into
# OUTDIR/NAME.futex.data; a build with frame pointers names the callers), and
# perf-categories.py prints them per send by who made them (the allocator's locks, tokio's
# parking, the in-memory store's mutex).
OUT=${1:-/tmp/perfrows}; mkdir -p $OUT
SECS=2.5
export PHONE_VERIFY_TEST_POSTGRES_URL=${PHONE_VERIFY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
${BENCH_BIN:-./target/release/phone-verify-bench} --concurrency 1,16,256 --history-records 100 --history-small 10 --history-requests 50 --in-flight 16 --duration-secs 4 > $OUT/bench.md 2> $OUT/bench.err &
PID=$!
declare -A done
while kill -0 $PID 2>/dev/null; do
  for trig in "app send_code (PostgreSQL) + pumping guards @1:|baseline16" "baseline (bare reqwest) @16:|decoded16" "baseline + adapter's decode @16:|adapter16" "adapter send_code @16:|app16" "app send_code (PostgreSQL) + pumping guards @16:|baseline256" "baseline + adapter's decode @256:|adapter256" "adapter send_code @256:|app256"; do
    line=${trig%|*}; name=${trig#*|}
    if [ -z "${done[$name]}" ] && grep -qF "$line" $OUT/bench.err; then
      done[$name]=1
      # past the next row's warm-up, in the background: the rows follow each other closely
      if [ "$MODE" = futex ]; then
        ( sleep 1.5; perf record -e raw_syscalls:sys_enter --filter 'id == 202' -g -p $PID -o $OUT/$name.futex.data -- sleep $SECS 2>/dev/null ) &
      elif [ "$MODE" = stat ]; then
        ( sleep 1.5; perf stat -x, -o $OUT/$name.stat -e task-clock,raw_syscalls:sys_enter,sched:sched_switch,sched:sched_wakeup,cpu-migrations -p $PID -- sleep $SECS 2>/dev/null ) &
      else
        ( sleep 1.5; perf record -F 1999 -g -p $PID -o $OUT/$name.data -- sleep $SECS 2>/dev/null ) &
      fi
    fi
  done
  sleep 0.05
done
wait; echo finished
