//! Scratch space that the blocks reuse from iteration to iteration.
//!
//! Several blocks need one n x p temporary (a residual, the traits grouped by grid point); at p = 20000
//! and n = 1000 each is 160 MB, and allocating it afresh every iteration costs the page faults of first
//! touching it. The blocks run one after the other, so one buffer serves them all. Nothing in it outlives
//! the block that filled it, so it is not part of the chain state (a checkpoint does not save it).

use crate::linalg::Dense;

/// The chain's scratch arrays.
#[derive(Default)]
pub struct Workspace {
    /// n x p (or smaller) scratch, reshaped by each user.
    pub np: Dense,
}
