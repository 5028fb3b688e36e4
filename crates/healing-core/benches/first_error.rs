//! What the catalogue's lazy compilation costs and saves.
//!
//! The supervisor builds its catalogue at start-up but compiles the rule set and the per-rule capture
//! regexes only when a line first gets past the literal prefilter (a healthy agent never prints one).
//! This measures, over fresh catalogues: building one (start-up), the first classification of an error
//! line (which pays for the compilation), and a classification once compiled; and the heap each step
//! leaves allocated, counted by a wrapper around the system allocator. Env: `FIRST_ERROR_RUNS`
//! (default 21). Prints the medians.

// The one unsafe item: a counting wrapper around the system allocator, for the heap figures.
#![allow(unsafe_code)]

use healing_core::catalogue::Catalogue;
use healing_core::matcher::Matcher;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

/// Bytes currently allocated through the global allocator.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; only a counter is updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

const TRACEBACK: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/srv/agent/worker.py\", line 3, in <module>",
    "    import redis",
    "ModuleNotFoundError: No module named 'redis'",
    "",
];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Feeds the traceback through a matcher; returns how long it took and checks the incident came out.
fn feed(matcher: &mut Matcher) -> Duration {
    let start = Instant::now();
    let mut found = Vec::new();
    for line in TRACEBACK {
        found.extend(matcher.feed(line.as_bytes()));
    }
    found.extend(matcher.flush());
    let took = start.elapsed();
    assert_eq!(found.len(), 1, "one incident per traceback");
    took
}

fn main() {
    let runs: usize = std::env::var("FIRST_ERROR_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(21)
        .max(1);
    let (mut build, mut first, mut later) = (Vec::new(), Vec::new(), Vec::new());
    let (mut heap_built, mut heap_first) = (0, 0);
    for _ in 0..runs {
        let before = live();
        let start = Instant::now();
        let catalogue = Arc::new(Catalogue::builtin());
        build.push(start.elapsed());
        let mut matcher = Matcher::new(catalogue);
        heap_built = live() - before;
        first.push(feed(&mut matcher));
        heap_first = live() - before;
        later.push(feed(&mut matcher));
    }
    let kib = |b: isize| b as f64 / 1024.0;
    println!("runs: {runs}");
    println!(
        "catalogue built (start-up):         {:?}, heap {:.0} KiB",
        median(build),
        kib(heap_built)
    );
    println!(
        "first traceback (compiles the set): {:?}, heap then {:.0} KiB",
        median(first),
        kib(heap_first)
    );
    println!("a traceback once compiled:          {:?}", median(later));
}
