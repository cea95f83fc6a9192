//! Counts, Poisson-lognormal: `y_ij ~ Poisson(exp(h_ij + o_ij))`; the model's residual in h is the
//! over-dispersion.
//!
//! The latent conditional `log pi(h) = y (h + o) - exp(h + o) - (h - eta)^2 / (2 v)` is log-concave. Each
//! entry gets one independence Metropolis-Hastings step whose proposal is a Student t (5 degrees of
//! freedom) centred at the mode of `pi` with the scale of its Laplace approximation,
//! `1 / sqrt(exp(mode + o) + 1/v)`. The t's tails are heavier than the target's (Gaussian on the left,
//! doubly exponential on the right), so the ratio target / proposal is bounded and the step is uniformly
//! ergodic; the mode is found by Newton's method from a start that depends only on (y, o, eta, v), so the
//! proposal does not depend on the current state and the step is exact. Acceptance rates are typically
//! above 0.9.

use rand::rngs::ChaCha8Rng;

use super::TraitData;
use crate::rng::{gamma_rate, normal, uniform};

/// Degrees of freedom of the t proposal.
const DF: f64 = 5.0;

/// Acceptance statistics after burn-in.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub accepted: u64,
    pub proposed: u64,
}

/// `log pi(h)` up to a constant.
#[inline]
fn log_target(h: f64, y: f64, o: f64, eta: f64, v: f64) -> f64 {
    y * (h + o) - (h + o).exp() - (h - eta) * (h - eta) / (2.0 * v)
}

/// Mode of `pi` and the curvature there, by safeguarded Newton steps.
pub fn mode(y: f64, o: f64, eta: f64, v: f64) -> (f64, f64) {
    // The mode lies between eta and log(y) - o; start at the smaller of the two (the exponential term is
    // then moderate) and move by Newton steps of at most 5.
    let x_data = if y > 0.0 { y.ln() - o } else { eta };
    let mut x = eta.min(x_data);
    for _ in 0..100 {
        let e = (x + o).exp();
        let g = y - e - (x - eta) / v;
        let hess = e + 1.0 / v;
        let dx = (g / hess).clamp(-5.0, 5.0);
        x += dx;
        if dx.abs() < 1e-10 * (1.0 + x.abs()) {
            break;
        }
    }
    (x, (x + o).exp() + 1.0 / v)
}

/// Log density of the t proposal up to a constant.
#[inline]
fn log_q(x: f64, loc: f64, scale: f64) -> f64 {
    let z = (x - loc) / scale;
    -0.5 * (DF + 1.0) * (z * z / DF).ln_1p()
}

/// Draws the latent column `h` of a Poisson-lognormal trait (one Metropolis-Hastings step per entry).
pub fn draw(d: &TraitData, st: &mut Stats, h: &mut [f64], rng: &mut ChaCha8Rng) {
    let sd = d.v.sqrt();
    let (mut acc, mut prop) = (0u64, 0u64);
    for (i, hi) in h.iter_mut().enumerate() {
        let (y, m) = (d.y[i], d.eta[i]);
        if y.is_nan() {
            *hi = m + sd * normal(rng);
            continue;
        }
        let o = d.offset.map_or(0.0, |o| o[i]);
        let (loc, curv) = mode(y, o, m, d.v);
        let scale = 1.0 / curv.sqrt();
        let t = normal(rng) / (gamma_rate(rng, 0.5 * DF, 0.5) / DF).sqrt();
        let x1 = loc + scale * t;
        let log_a = log_target(x1, y, o, m, d.v) - log_target(*hi, y, o, m, d.v) - log_q(x1, loc, scale)
            + log_q(*hi, loc, scale);
        let accept = uniform(rng).ln() < log_a;
        if accept {
            *hi = x1;
        }
        prop += 1;
        acc += accept as u64;
    }
    if !d.burnin {
        st.accepted += acc;
        st.proposed += prop;
    }
}
