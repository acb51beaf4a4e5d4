"""Shares of a perf recording's samples by where the sampled instruction is (its leaf frame):
the kernel, the allocator, hyper, tokio, phone-verify's own code, ... Only the samples of
the runtime's worker threads count (those that run the row's sends). One column per
recording made by perf-rows.sh; multiply a share by the row's client CPU per send for
microseconds (docs/performance.md, "Where a send's microseconds go").

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
out=collections.OrderedDict()
import os
os.chdir(sys.argv[1])
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
