//! Progress on the R console and interrupt polling, both on R's thread.

use std::ffi::c_void;
use std::time::{Duration, Instant};

use extendr_api::prelude::*;

use crate::error::{Result as SResult, SlamError};
use crate::linalg::Dense;
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
    /// The user-written curve of each non-linear response (None: built in) and its parameters' names.
    pub curves: Vec<Option<(Function, Vec<String>)>>,
    pub verbose: bool,
    /// A console that redraws a line; otherwise (logs, batch jobs) one line per 10%.
    pub interactive: bool,
    /// Called as `f(percent)` each time another whole percent of the iterations is done (chains running
    /// in other processes report to progressr through it).
    pub progress_fn: Option<Function>,
    percent_done: usize,
    start: Instant,
    last_poll: Instant,
    shown: usize,
}

impl RMonitor {
    pub fn new(verbose: bool, interactive: bool, curves: Vec<Option<(Function, Vec<String>)>>, progress_fn: Option<Function>) -> Self {
        RMonitor { curves, verbose, interactive, progress_fn, percent_done: 0, start: Instant::now(), last_poll: Instant::now(), shown: 0 }
    }
}

impl Monitor for RMonitor {
    fn progress(&mut self, iter: usize, total: usize) {
        if let Some(f) = &self.progress_fn {
            let pct = iter * 100 / total.max(1);
            if pct > self.percent_done {
                // A failing progress handler must not stop the chain.
                let _ = f.call(pairlist!((pct - self.percent_done) as i32));
                self.percent_done = pct;
            }
        }
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

    /// Calls the R function as `fun(h, t, m)`: `h` a matrix with one row per measurement and one named
    /// column per parameter, `t` the times, `m` the measurements' 1-based indices (R's wrapper uses them to
    /// hand the user's function their covariates); R errors come back as errors (R_tryEval prints R's
    /// message).
    fn user_curve(&mut self, response: usize, par: &Dense, time: &[f64], measurements: &[usize]) -> SResult<Vec<f64>> {
        let Some(Some((fun, names))) = self.curves.get(response) else {
            return Err(SlamError::new(format!("internal: non-linear response {} has no curve function", response + 1)));
        };
        let mut h = Robj::from(par.data.clone());
        let mut set = || -> std::result::Result<(), Error> {
            h.set_attrib(dim_symbol(), vec![par.nrow as i32, par.ncol as i32])?;
            h.set_attrib(dimnames_symbol(), list!(NULL, names.clone()))?;
            Ok(())
        };
        set().map_err(|e| SlamError::new(format!("internal: {e}")))?;
        let t = Robj::from(time.to_vec());
        let m = Robj::from(measurements.iter().map(|&x| x as i32 + 1).collect::<Vec<i32>>());
        let g = fun
            .call(pairlist!(h, t, m))
            .map_err(|_| SlamError::new(format!("the curve function `g` of non-linear response {} failed (R's error is above)", response + 1)))?;
        let vals: Vec<f64> = if let Some(x) = g.as_real_slice() {
            x.to_vec()
        } else if let Some(x) = g.as_integer_slice() {
            x.iter().map(|&v| if v == i32::MIN { f64::NAN } else { v as f64 }).collect()
        } else {
            return Err(SlamError::new(format!("the curve function `g` of non-linear response {} returned something other than numbers", response + 1)));
        };
        Ok(vals)
    }
}
