"""Shares of a perf recording's samples by where the sampled instruction is (its leaf frame):
the kernel, the allocator, hyper, tokio, phone-verify's own code, ... Only the samples of
the runtime's worker threads count (those that run the row's sends). One column per
recording made by perf-rows.sh; multiply a share by the row's client CPU per send for
microseconds (docs/performance.md, "Where a send's microseconds go").

With the counts of a MODE=stat run of perf-rows.sh (NAME.stat), prints them per send instead:
the sends of the window are the row's sends/s (OUTDIR/bench.md) times its length.

With the recordings of a MODE=futex run (NAME.futex.data), prints the futex calls of the
runtime's workers per send by who made them.

usage: perf-categories.py OUTDIR NAME...
"""
import subprocess, re, sys, collections
def cats(sym, dso):
    s=sym
    if 'kernel' in dso or dso.startswith('[k'): return 'kernel (syscalls, scheduler, network stack)'
    if re.search(r'malloc|free|realloc|calloc|_int_|cfree|tcache|memalign|stats_alloc', s): return 'allocator'
    if re.search(r'memcpy|memmove|memset|memcmp|strlen', s): return 'libc mem*'
    if 'libc' in dso: return 'libc other'
    if re.search(r'phone_verify_bench', s): return 'the benchmark driver'
    if re.search(r'phone_verify|idmeta_adapter|http_gateway', s): return 'phone-verify code'
    if s.startswith('[unknown]') or s.startswith('0x'): return 'unresolved'
    if re.search(r'tracing', s): return 'tracing'
    if re.search(r'metrics', s): return 'metrics'
    if re.search(r'hyper|h2::|reqwest|http::|httparse|tower|want::', s): return 'hyper/reqwest/http'
    if re.search(r'tokio|mio::|futures', s): return 'tokio runtime, futures'
    if re.search(r'serde|json', s): return 'serde/json'
    if re.search(r'chrono|uuid|rand|hashbrown|core::hash|siphash|HashMap|sha2|hmac', s): return 'hashing, time, ids'
    if re.search(r'alloc::|core::|std::', s): return 'std/core/alloc code'
    return 'other: '+dso
import os
os.chdir(sys.argv[1])
ROWS={'baseline':'baseline (bare reqwest)','decoded':"baseline + adapter's decode",
      'adapter':'adapter send_code','app':'app send_code (in-memory)'}
def row_cell(name, column):
    """A cell of the row of NAME (the row's prefix and its concurrency) in bench.md's send
    table, by the column's heading."""
    m=re.match(r'([a-z]+)(\d+)$', name)
    lines=[[c.strip() for c in line.split('|')] for line in open('bench.md')]
    heading=next(cells for cells in lines if len(cells)>4 and cells[1]=='what')
    for cells in lines:
        if len(cells)>4 and cells[1]==ROWS[m.group(1)] and cells[2]==m.group(2):
            return float(cells[heading.index(column)])
    raise SystemExit(f'no row for {name} in bench.md')
def sends_per_second(name):
    return row_cell(name, 'sends/s')
def futex_caller(stack):
    """Who made a futex call, from its call stack (innermost first)."""
    body=' '.join(stack)
    # glibc's internal lock, which its allocator takes on an arena (glibc has no frame
    # pointers: the stack ends there).
    if '__lll_lock' in body: return 'glibc malloc arena lock'
    if 'in_memory' in body or 'VerificationStore' in body: return 'the in-memory store mutex'
    if 'park' in body or 'worker::Context::run' in body: return 'tokio parking and waking'
    return 'other'
if all(os.path.exists(f'{name}.futex.data') for name in sys.argv[2:]):
    per=collections.OrderedDict()
    for name in sys.argv[2:]:
        txt=subprocess.run(['perf','script','-i',f'{name}.futex.data','-F','comm,ip,sym'],capture_output=True,text=True).stdout
        c=collections.Counter()
        for block in txt.split('\n\n'):
            lines=[l.strip() for l in block.strip().split('\n') if l.strip()]
            if lines and lines[0].startswith('tokio-rt-worker'):
                c[futex_caller(lines[1:])]+=1
        per[name]=(c, sends_per_second(name)*2.5)  # perf-rows.sh's window
    kinds=['glibc malloc arena lock','tokio parking and waking','the in-memory store mutex','other']
    print("| futex calls per send | "+" | ".join(per.keys())+" |")
    print("|---|"+"---:|"*len(per))
    for k in kinds:
        print(f"| {k} | "+" | ".join(f"{c[k]/sends:.3f}" for c,sends in per.values())+" |")
    sys.exit(0)
if all(os.path.exists(f'{name}.stat') for name in sys.argv[2:]):
    SECS=2.5  # perf-rows.sh's window
    per=collections.OrderedDict()
    for name in sys.argv[2:]:
        counts={}
        for line in open(f'{name}.stat'):
            cells=line.strip().split(',')
            if len(cells)>2 and cells[0].replace('.','',1).isdigit():
                counts[cells[2]]=float(cells[0])
        sends=sends_per_second(name)*SECS
        per[name]={'client CPU (task-clock) us':counts.get('task-clock',0)*1e3/sends,
                   'syscalls':counts.get('raw_syscalls:sys_enter',0)/sends,
                   'context switches':counts.get('sched:sched_switch',0)/sends,
                   'wake-ups':counts.get('sched:sched_wakeup',0)/sends,
                   'migrations':counts.get('cpu-migrations',0)/sends}
    print("| per send | "+" | ".join(per.keys())+" |")
    print("|---|"+"---:|"*len(per))
    for k in next(iter(per.values())):
        print(f"| {k} | "+" | ".join(f"{v[k]:.2f}" for v in per.values())+" |")
    sys.exit(0)
out=collections.OrderedDict()
for name in sys.argv[2:]:
    txt=subprocess.run(['perf','script','-i',f'{name}.data','-F','comm,ip,sym,dso'],capture_output=True,text=True).stdout
    c=collections.Counter(); n=0
    cur=None
    for block in txt.split('\n\n'):
        lines=[l for l in block.strip().split('\n') if l.strip()]
        if len(lines)<2: continue
        # Only the runtime's workers run the row's sends: a sample of another thread (the
        # main thread preparing the next row, a store of the next row) is the window
        # overrunning the row.
        if not lines[0].strip().startswith('tokio-rt-worker'): continue
        leaf=lines[1].strip()
        m=re.match(r'[0-9a-f]+\s+(.*)\s+\((.*)\)$', leaf)
        if not m: continue
        c[cats(m.group(1), m.group(2))]+=1; n+=1
    out[name]=(n,c)
allc=sorted(set(k for n,c in out.values() for k in c))
print("| category | "+" | ".join(out.keys())+" |")
for k in allc:
    print(f"| {k} | "+" | ".join(f"{100*c[k]/n:.1f} %" for n,c in out.values())+" |")
print("| samples | "+" | ".join(str(n) for n,c in out.values())+" |")
# The same shares in microseconds a send: times the row's client CPU in the same run.
cpu={name: row_cell(name, 'client CPU µs/send') for name in out}
print()
print("| µs a send | "+" | ".join(out.keys())+" |")
print("|---|"+"---:|"*len(out))
for k in allc:
    print(f"| {k} | "+" | ".join(f"{cpu[name]*c[k]/n:.1f}" for name,(n,c) in out.items())+" |")
print("| client CPU µs/send | "+" | ".join(f"{cpu[name]:.0f}" for name in out)+" |")
