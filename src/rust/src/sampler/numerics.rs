//! Counts of numerical failures: a linear system of a block that was not numerically positive definite,
//! after which the block kept the current values of what it would have drawn.
//!
//! None of them can happen for positive prior precisions in exact arithmetic, but rounding (extreme
//! scales, designs close to collinear with flat priors) can make them happen, and a kept value is a
//! silent departure from the sampler. So each one is counted by block, reported with the fit, and R
//! warns when any occurred. The counts cover the run that returns them (a resumed chain counts afresh).

use std::sync::atomic::{AtomicUsize, Ordering};

/// Failures per block; shared by the parallel tasks of a block (atomic counters).
#[derive(Default)]
pub struct Failures {
    /// Block 2: a trait's `(b_j, lambda_j, psi_j)` kept.
    pub traits: AtomicUsize,
    /// Block 3: a factor's fixed effects kept.
    pub factor_fixed: AtomicUsize,
    /// Block 4: a row of scores kept.
    pub scores: AtomicUsize,
}

impl Failures {
    pub fn add(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `(block, count)` of every block, in a fixed order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("traits", self.traits.load(Ordering::Relaxed)),
            ("factor_fixed", self.factor_fixed.load(Ordering::Relaxed)),
            ("scores", self.scores.load(Ordering::Relaxed)),
        ]
    }
}
