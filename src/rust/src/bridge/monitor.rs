//! Progress on the R console and interrupt polling, both on R's thread.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use extendr_api::prelude::*;

use crate::sampler::Monitor;

extern "C" {
    fn R_ToplevelExec(fun: extern "C" fn(*mut c_void), data: *mut c_void) -> std::os::raw::c_int;
    fn R_CheckUserInterrupt();
}

extern "C" fn check_interrupt(_: *mut c_void) {
    unsafe { R_CheckUserInterrupt() }
}

/// True when the user pressed Ctrl-C (or a time limit fired): `R_CheckUserInterrupt` inside
/// `R_ToplevelExec` returns instead of jumping over Rust frames.
fn interrupt_pending() -> bool {
    unsafe { R_ToplevelExec(check_interrupt, std::ptr::null_mut()) == 0 }
}

pub struct RMonitor {
    pub verbose: bool,
    /// A console that redraws a line; otherwise (logs, batch jobs) one line per 10%.
    pub interactive: bool,
    start: Instant,
    last_poll: Instant,
    shown: usize,
}

impl RMonitor {
    pub fn new(verbose: bool, interactive: bool) -> Self {
        RMonitor { verbose, interactive, start: Instant::now(), last_poll: Instant::now(), shown: 0 }
    }
}

impl Monitor for RMonitor {
    fn progress(&mut self, iter: usize, total: usize) {
        if !self.verbose {
            return;
        }
        if !self.interactive {
            let tenth = iter * 10 / total.max(1);
            if tenth > self.shown {
                self.shown = tenth;
                let el = self.start.elapsed().as_secs_f64();
                rprintln!("  iteration {}/{} ({}%), {:.0}s elapsed", iter, total, tenth * 10, el);
            }
            return;
        }
        let pct = iter * 50 / total.max(1);
        if pct > self.shown || iter == total {
            self.shown = pct;
            let el = self.start.elapsed().as_secs_f64();
            let eta = el / iter as f64 * (total - iter) as f64;
            rprint!(
                "\r  [{}{}] {:>3}%  iteration {}/{}  {:.0}s left ",
                "=".repeat(pct),
                " ".repeat(50 - pct),
                iter * 100 / total.max(1),
                iter,
                total,
                eta
            );
            if iter == total {
                rprintln!();
            }
        }
    }

    fn interrupted(&mut self) -> bool {
        if self.last_poll.elapsed() < Duration::from_millis(100) {
            return false;
        }
        self.last_poll = Instant::now();
        let stop = interrupt_pending();
        if stop && self.verbose {
            rprintln!();
        }
        stop
    }
}
