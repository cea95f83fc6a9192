//! Counts, Poisson-lognormal: `y_ij ~ Poisson(exp(h_ij + o_ij))`; the model's residual in h is the
//! over-dispersion.
//!
//! The latent conditional `log pi(h) = y (h + o) - exp(h + o) - (h - eta)^2 / (2 v)` is log-concave; each
//! entry gets one exact independence Metropolis-Hastings step with a t proposal at the Laplace
//! approximation (`laplace.rs`). Polya-Gamma augmentation does not apply to the Poisson likelihood
//! without an approximation (a negative binomial with a large fixed size), which this avoids.

use rand::rngs::ChaCha8Rng;

use super::laplace::{self, LogLik};
use super::TraitData;
use crate::rng::normal;

/// Acceptance statistics after burn-in.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub accepted: u64,
    pub proposed: u64,
}

/// `l(h) = y (h + o) - exp(h + o)`.
pub struct Lik {
    pub y: f64,
    pub o: f64,
}

impl LogLik for Lik {
    fn value(&self, h: f64) -> f64 {
        self.y * (h + self.o) - (h + self.o).exp()
    }
    fn slope_curvature(&self, h: f64) -> (f64, f64) {
        let mu = (h + self.o).exp();
        (self.y - mu, mu)
    }
}

/// Where the mode search starts: the smaller of `eta` and `log y - o` (the mode lies between them), so
/// that the exponential term is moderate.
pub fn start(y: f64, o: f64, eta: f64) -> f64 {
    if y > 0.0 {
        eta.min(y.ln() - o)
    } else {
        eta
    }
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
        let (x, accepted) = laplace::step(&Lik { y, o }, m, d.v, *hi, start(y, o, m), rng);
        *hi = x;
        prop += 1;
        acc += accepted as u64;
    }
    if !d.burnin {
        st.accepted += acc;
        st.proposed += prop;
    }
}
