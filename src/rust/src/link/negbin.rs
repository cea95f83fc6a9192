//! Counts, negative binomial: `y_ij ~ NB(mean mu_ij = exp(h_ij + o_ij), size r_j)`, `Var = mu + mu^2 / r`.
//!
//! With `psi = h + o - log r` the likelihood in h is `exp(psi)^y / (1 + exp(psi))^(y + r)`, which
//! Polya-Gamma augmentation (Polson, Scott & Windle 2013, JASA 108:1339) makes Gaussian in h:
//!
//! * `w_ij | h_ij, r_j ~ PG(y_ij + r_j, psi_ij)`;
//! * `h_ij | w_ij ~ N(s2 (k_ij - w_ij (o_ij - log r_j) + eta_ij / v_j), s2)`, `s2 = 1 / (w_ij + 1/v_j)`,
//!   `k_ij = (y_ij - r_j) / 2` (a weighted Gaussian step like the Gaussian family's).
//!
//!   This pair of steps is used where the shape `y + r` is at most 13, where the PG draws are exact. For
//!   larger counts the augmentation mixes badly: `w` is about `(y + r) / (2 |psi|)`, so h given w is pinned
//!   to within `sqrt(2 |psi| / (y + r))` while its marginal spread is about `1 / sqrt(r)`, and h creeps
//!   (seen as a 20% too small variance after 10^5 steps at y = 10^6, r = 4). There each entry gets an exact
//!   independence Metropolis-Hastings step instead (`laplace.rs`), with
//!   `l(h) = y (h + o) - (y + r) log(r + exp(h + o))`; both kernels leave the same conditional invariant and
//!   which one is used depends on the data and r only;
//! * `r_j | h_j` by a random-walk Metropolis step on `log r_j` with w integrated out, target
//!   `sum_i [lgamma(y_i + r) - lgamma(r) + r log r - (r + y_i) log(r + mu_i)] + log p(r) + log r`,
//!   `r ~ Gamma(shape, rate)`; the step is tuned during burn-in towards an acceptance rate of 0.44.
//!
//! Either way the cost per entry does not grow with the count.

use rand::rngs::ChaCha8Rng;

use super::laplace::{self, LogLik};
use super::polya_gamma::{pg_draw, PG_EXACT_MAX};
use super::special::ln_gamma;
use super::TraitData;
use crate::rng::{normal, uniform};

/// `l(h) = y (h + o) - (y + r) log(r + exp(h + o))`: the negative binomial log-likelihood in h.
pub struct Lik {
    pub y: f64,
    pub o: f64,
    pub r: f64,
}

impl LogLik for Lik {
    fn value(&self, h: f64) -> f64 {
        let x = h + self.o;
        self.y * x - (self.y + self.r) * log_add_exp(self.r.ln(), x)
    }
    fn slope_curvature(&self, h: f64) -> (f64, f64) {
        // mu / (r + mu) as a logistic function of x - log r, finite for any x.
        let s = 1.0 / (1.0 + (self.r.ln() - h - self.o).exp());
        (self.y - (self.y + self.r) * s, (self.y + self.r) * s * (1.0 - s))
    }
}

/// `log(exp(a) + exp(b))` without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// Acceptance rate the log-size step is tuned towards during burn-in.
const TARGET: f64 = 0.44;

/// The size r of one trait and the statistics of its Metropolis step.
#[derive(Clone, Debug)]
pub struct Size {
    pub r: f64,
    /// Proposal standard deviation on the log scale.
    pub step: f64,
    pub accepted: u64,
    pub proposed: u64,
    /// Prior r ~ Gamma(shape, rate).
    pub shape: f64,
    pub rate: f64,
}

impl Size {
    /// Starts from the method-of-moments size of the observed counts (100 when they look Poisson).
    pub fn start(y: &[f64], shape: f64, rate: f64) -> Self {
        let obs: Vec<f64> = y.iter().cloned().filter(|v| !v.is_nan()).collect();
        let nf = obs.len().max(1) as f64;
        let mean = obs.iter().sum::<f64>() / nf;
        let var = obs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0);
        let r = if var > mean * 1.01 && mean > 0.0 { mean * mean / (var - mean) } else { 100.0 };
        Size { r: r.clamp(0.05, 1000.0), step: 0.3, accepted: 0, proposed: 0, shape, rate }
    }
}

/// Starting latent values of a count trait: `log(y + 1/2) - o` (the observed mean where missing).
pub fn start_counts(col: &mut [f64], offset: Option<&[f64]>) {
    let obs: Vec<f64> = col.iter().filter(|v| !v.is_nan()).map(|v| (v + 0.5).ln()).collect();
    let fill = obs.iter().sum::<f64>() / obs.len().max(1) as f64;
    for (i, v) in col.iter_mut().enumerate() {
        let o = offset.map_or(0.0, |o| o[i]);
        *v = if v.is_nan() { fill } else { (*v + 0.5).ln() } - o;
    }
}

/// Log target of the size given the latent column (w integrated out), on the log-r scale.
fn log_target(d: &TraitData, h: &[f64], r: f64, shape: f64, rate: f64) -> f64 {
    let lg_r = ln_gamma(r);
    let mut s = 0.0;
    for (i, &y) in d.y.iter().enumerate() {
        if y.is_nan() {
            continue;
        }
        let x = h[i] + d.offset.map_or(0.0, |o| o[i]);
        if y > 0.0 {
            s += ln_gamma(y + r) - lg_r;
        }
        s += r * r.ln() - (r + y) * log_add_exp(r.ln(), x);
    }
    // Gamma(shape, rate) prior, plus the Jacobian of the log scale.
    s + shape * r.ln() - rate * r
}

/// Random-walk Metropolis step on log r (h fixed).
pub fn move_size(d: &TraitData, h: &[f64], sz: &mut Size, rng: &mut ChaCha8Rng) {
    let r1 = (sz.r.ln() + sz.step * normal(rng)).exp();
    let accept = r1.is_finite()
        && r1 > 0.0
        && uniform(rng).ln() < log_target(d, h, r1, sz.shape, sz.rate) - log_target(d, h, sz.r, sz.shape, sz.rate);
    if accept {
        sz.r = r1;
    }
    if d.burnin {
        let gain = (d.it as f64).powf(-0.6);
        sz.step = (sz.step.ln() + gain * ((accept as u8 as f64) - TARGET)).exp().clamp(1e-4, 5.0);
    } else {
        sz.proposed += 1;
        sz.accepted += accept as u64;
    }
}

/// Draws the latent column `h` of a negative binomial trait (through the Polya-Gamma weights), then its
/// size.
pub fn draw(d: &TraitData, sz: &mut Size, h: &mut [f64], rng: &mut ChaCha8Rng, prng: &mut ChaCha8Rng) {
    draw_latent(d, sz.r, h, rng);
    move_size(d, h, sz, prng);
}

/// The Polya-Gamma weights and the latent column `h` given the size r.
pub fn draw_latent(d: &TraitData, r: f64, h: &mut [f64], rng: &mut ChaCha8Rng) {
    let sd = d.v.sqrt();
    let iv = 1.0 / d.v;
    let log_r = r.ln();
    for (i, hi) in h.iter_mut().enumerate() {
        let (y, m) = (d.y[i], d.eta[i]);
        if y.is_nan() {
            *hi = m + sd * normal(rng);
            continue;
        }
        let o = d.offset.map_or(0.0, |o| o[i]);
        if y + r > PG_EXACT_MAX {
            let start = super::poisson::start(y, o, m);
            *hi = laplace::step(&Lik { y, o, r }, m, d.v, *hi, start, rng).0;
            continue;
        }
        let c0 = o - log_r;
        let w = pg_draw(rng, y + r, *hi + c0);
        let s2 = 1.0 / (w + iv);
        let kappa = 0.5 * (y - r);
        *hi = s2 * (kappa - w * c0 + m * iv) + s2.sqrt() * normal(rng);
    }
}
