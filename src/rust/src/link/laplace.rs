//! One exact independence Metropolis-Hastings step for a latent value with a log-concave likelihood.
//!
//! Target: `log pi(h) = l(h) - (h - eta)^2 / (2 v)` with `l` concave (Poisson and negative binomial counts
//! on the log scale). Proposal: a Student t with 5 degrees of freedom centred at the mode of `pi`, scaled by
//! its Laplace approximation `1 / sqrt(-l''(mode) + 1/v)`. The t's tails are heavier than the target's
//! (Gaussian or lighter on both sides), so the ratio target / proposal is bounded and the step is
//! uniformly ergodic. The mode is found by safeguarded Newton steps from a start that depends only on the
//! data, never on the current h, so the proposal is a fixed distribution and the step is exact. Accepted
//! with probability `min(1, pi(h') q(h) / (pi(h) q(h')))`; acceptance rates are typically above 0.9.

use rand::rngs::ChaCha8Rng;

use crate::rng::{gamma_rate, normal, uniform};

/// Degrees of freedom of the t proposal.
const DF: f64 = 5.0;

/// A concave log-likelihood of one latent value.
pub trait LogLik {
    /// `l(h)` up to a constant.
    fn value(&self, h: f64) -> f64;
    /// `(l'(h), -l''(h))`, the second non-negative.
    fn slope_curvature(&self, h: f64) -> (f64, f64);
}

/// Mode of `pi` and its curvature `-l''(mode) + 1/v`, by at most `steps` Newton steps of at most 5 from
/// `start` (stopping early once converged).
pub fn mode(lik: &impl LogLik, eta: f64, v: f64, start: f64, steps: usize) -> (f64, f64) {
    let mut x = start;
    for _ in 0..steps {
        let (g, c) = lik.slope_curvature(x);
        let dx = ((g - (x - eta) / v) / (c + 1.0 / v)).clamp(-5.0, 5.0);
        x += dx;
        if dx.abs() < 1e-10 * (1.0 + x.abs()) {
            break;
        }
    }
    (x, lik.slope_curvature(x).1 + 1.0 / v)
}

/// Log density of the t proposal up to a constant.
#[inline]
fn log_q(x: f64, loc: f64, scale: f64) -> f64 {
    let z = (x - loc) / scale;
    -0.5 * (DF + 1.0) * (z * z / DF).ln_1p()
}

/// One independence step from `h`; `start` is the data-only start of the mode search, run to
/// convergence. Returns the new value and whether the proposal was accepted.
pub fn step(lik: &impl LogLik, eta: f64, v: f64, h: f64, start: f64, rng: &mut ChaCha8Rng) -> (f64, bool) {
    step_from(lik, eta, v, h, start, 200, rng)
}

/// As [`step`], with at most `newton` Newton steps: the proposal's centre is then a point near the mode
/// that depends on the data only, which keeps the step exact.
pub fn step_from(lik: &impl LogLik, eta: f64, v: f64, h: f64, start: f64, newton: usize, rng: &mut ChaCha8Rng) -> (f64, bool) {
    let (loc, curv) = mode(lik, eta, v, start, newton);
    let scale = 1.0 / curv.sqrt();
    let t = normal(rng) / (gamma_rate(rng, 0.5 * DF, 0.5) / DF).sqrt();
    let x1 = loc + scale * t;
    let log_pi = |x: f64| lik.value(x) - (x - eta) * (x - eta) / (2.0 * v);
    let log_a = log_pi(x1) - log_pi(h) - log_q(x1, loc, scale) + log_q(h, loc, scale);
    if uniform(rng).ln() < log_a {
        (x1, true)
    } else {
        (h, false)
    }
}
