//! Serving user-written curves: an iteration runs on the pool, and the calling thread (R's) answers its
//! requests to evaluate g, because R may only be called from its own thread.
//!
//! The iteration is spawned into the pool inside [`rayon::ThreadPool::in_place_scope`], whose body runs on
//! the calling thread; each request carries its own reply channel, and the body answers requests until
//! the iteration drops its sender. Only R's thread touches the monitor.

use std::sync::mpsc;

use super::{Chain, Monitor};
use crate::error::{Result, SlamError};
use crate::linalg::Dense;
use crate::link::nonlinear::CurveHost;

/// One evaluation of a user-written curve, and where to send g.
struct Request {
    response: usize,
    par: Dense,
    time: Vec<f64>,
    measurements: Vec<usize>,
    reply: mpsc::Sender<Result<Vec<f64>>>,
}

/// The chain's side: forwards each evaluation to the calling thread and waits for the answer.
struct Forward {
    to_caller: mpsc::Sender<Request>,
}

impl CurveHost for Forward {
    fn eval(&self, response: usize, par: &Dense, time: &[f64], measurements: &[usize]) -> Result<Vec<f64>> {
        let (reply, answer) = mpsc::channel();
        let request = Request { response, par: par.clone(), time: time.to_vec(), measurements: measurements.to_vec(), reply };
        self.to_caller.send(request).map_err(|_| SlamError::new("the caller stopped answering curve evaluations"))?;
        answer.recv().map_err(|_| SlamError::new("the caller stopped answering curve evaluations"))?
    }
}

/// Runs iteration `it` of `chain` on `pool` while the calling thread evaluates its curves with `monitor`.
pub fn iterate_serving(pool: &rayon::ThreadPool, chain: &mut Chain, it: usize, monitor: &mut dyn Monitor) -> Result<()> {
    let (to_caller, requests) = mpsc::channel::<Request>();
    let mut outcome = Ok(());
    pool.in_place_scope(|scope| {
        let forward = Forward { to_caller };
        let out = &mut outcome;
        scope.spawn(move |_| {
            *out = chain.iterate(it, &forward);
            drop(forward);
        });
        for req in requests.iter() {
            let g = monitor.user_curve(req.response, &req.par, &req.time, &req.measurements);
            // The chain waits on this reply; if it has gone, there is nothing left to answer.
            let _ = req.reply.send(g);
        }
    });
    outcome
}
