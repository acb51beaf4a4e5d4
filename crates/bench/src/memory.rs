//! Readings of the process: resident memory and CPU time from `/proc`, live heap bytes from
//! the counting allocator.

use std::time::Duration;

/// Linux reports CPU time in `/proc/<pid>/stat` in clock ticks of `USER_HZ`, which is 100 on
/// every architecture Linux supports.
const TICKS_PER_SECOND: u64 = 100;

fn proc_file(pid: Option<u32>, file: &str) -> Option<String> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/{file}"),
        None => format!("/proc/self/{file}"),
    };
    std::fs::read_to_string(path).ok()
}

/// A `kB` line of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes; `None` off Linux.
pub(crate) fn status_bytes(pid: Option<u32>, field: &str) -> Option<u64> {
    field_bytes(&proc_file(pid, "status")?, field)
}

/// A `kB` field of one reading of `/proc/<pid>/status`, in bytes.
fn field_bytes(status: &str, field: &str) -> Option<u64> {
    let line = status
        .lines()
        .find(|line| line.split(':').next() == Some(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User plus system CPU time of a process (this one when `pid` is `None`), all its threads;
/// `None` off Linux. Resolution: 10 ms.
pub(crate) fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    stat_cpu_time(&proc_file(pid, "stat")?).map(|(_, time)| time)
}

/// The command name and user plus system CPU time in one `/proc/<pid>/stat` line.
fn stat_cpu_time(stat: &str) -> Option<(&str, Duration)> {
    // The command name may hold spaces; the fields after it are space-separated, utime and
    // stime being the 12th and 13th.
    let name = &stat[stat.find('(')? + 1..stat.rfind(')')?];
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((
        name,
        Duration::from_millis((user + system) * 1000 / TICKS_PER_SECOND),
    ))
}

/// User plus system CPU time of every process named `command` on the machine (a database
/// server's processes: `postgres`), as far as `/proc` shows them; `None` off Linux. A
/// process that ended since takes its time with it.
pub(crate) fn cpu_time_of_command(command: &str) -> Option<Duration> {
    let entries = std::fs::read_dir("/proc").ok()?;
    let mut total = Duration::ZERO;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(stat) = proc_file(Some(pid), "stat")
            && let Some((comm, time)) = stat_cpu_time(&stat)
            && comm == command
        {
            total += time;
        }
    }
    Some(total)
}

/// Context switches of this process's threads so far, voluntary (a thread that waited: a
/// worker parked for want of work, a blocking call) and involuntary (preempted), summed over
/// `/proc/self/task/*/status`; `None` without `/proc`. A thread that ended is no longer
/// counted, so a row reads the difference over threads that live through it (the runtime's
/// workers, the stores' connection threads).
pub(crate) fn context_switches() -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut total = 0_u64;
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        total += switches_in(&status);
    }
    Some(total)
}

/// The context switches a thread's `status` file counts, voluntary and involuntary.
fn switches_in(status: &str) -> u64 {
    status
        .lines()
        .filter_map(|line| {
            line.strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        })
        .filter_map(|count| count.trim().parse::<u64>().ok())
        .sum()
}

/// Calls the process has made to the allocator so far, allocations and reallocations, from
/// the counting allocator: per send, what a row's sends cost the allocator.
pub(crate) fn allocations() -> u64 {
    let stats = crate::ALLOCATOR.stats();
    u64::try_from(stats.allocations.saturating_add(stats.reallocations)).unwrap_or(u64::MAX)
}

/// Bytes the process has allocated and not freed, from the counting allocator.
pub(crate) fn heap_live_bytes() -> i64 {
    let stats = crate::ALLOCATOR.stats();
    let allocated = i64::try_from(stats.bytes_allocated).unwrap_or(i64::MAX);
    let freed = i64::try_from(stats.bytes_deallocated).unwrap_or(i64::MAX);
    let reallocated = i64::try_from(stats.bytes_reallocated).unwrap_or(i64::MAX);
    allocated - freed + reallocated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_resident_set_and_a_peak_at_least_as_large() {
        // One reading: the kernel computes the peak from the same counters as the resident
        // set within it; two readings may see the resident set move in between.
        let Some(status) = proc_file(None, "status") else {
            return;
        };
        if let (Some(rss), Some(peak)) =
            (field_bytes(&status, "VmRSS"), field_bytes(&status, "VmHWM"))
        {
            assert!(rss > 0);
            assert!(peak >= rss, "peak {peak} < resident {rss}");
        }
    }

    #[test]
    fn a_stat_line_gives_its_command_and_cpu_time() {
        let stat = "42 (postgres: x) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0";
        let (name, time) = stat_cpu_time(stat).expect("parses");
        assert_eq!(name, "postgres: x");
        assert_eq!(time, Duration::from_secs(2));
    }

    #[test]
    fn a_thread_that_sleeps_switches_out() {
        // The thread's own counts: the process's sum also loses the threads of other tests
        // that end meanwhile.
        let own = || std::fs::read_to_string("/proc/thread-self/status").ok();
        let counted = std::thread::spawn(move || {
            let before = own()?;
            for _ in 0..5 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Some((switches_in(&before), switches_in(&own()?)))
        })
        .join()
        .expect("the thread ends");
        if let Some((before, after)) = counted {
            assert!(after >= before + 5, "{before} -> {after}");
        }
        assert!(context_switches().is_none_or(|all| all > 0));
    }

    #[test]
    fn a_thousand_boxes_are_a_thousand_allocations_at_least() {
        let before = allocations();
        let boxes: Vec<Box<u64>> = (0..1_000).map(Box::new).collect();
        let after = allocations();
        assert!(after - before >= 1_000, "{before} -> {after}");
        drop(boxes);
    }

    #[test]
    fn holding_64_megabytes_shows_in_the_live_heap() {
        // The counter is the process's: the other tests, on other threads, allocate and free
        // meanwhile (a few megabytes at most), so the test holds far more than they move.
        let before = heap_live_bytes();
        let held = vec![1_u8; 64 << 20];
        let during = heap_live_bytes();
        assert!(during - before >= 48 << 20, "{before} -> {during}");
        drop(held);
    }
}
