//! Counts, negative binomial: `y_ij ~ NB(mean mu_ij = exp(h_ij + o_ij), size r_j)`, `Var = mu + mu^2 / r`.
//!
//! The latent step has two exact kernels, both leaving `p(h | y, r) ∝ NB(y | h) N(h; eta, v)` invariant:
//!
//! * **Metropolis** (the default): one independence Metropolis-Hastings step per entry with a t proposal
//!   at the Laplace approximation (`laplace.rs`), `l(h) = y (h + o) - (y + r) log(r + exp(h + o))`.
//! * **Polya-Gamma** augmentation (Polson, Scott & Windle 2013, JASA 108:1339): with `psi = h + o - log r`
//!   the likelihood in h is `exp(psi)^y / (1 + exp(psi))^(y + r)`, so
//!   `w_ij | h_ij, r_j ~ PG(y_ij + r_j, psi_ij)` and
//!   `h_ij | w_ij ~ N(s2 (k_ij - w_ij (o_ij - log r_j) + eta_ij / v_j), s2)`, `s2 = 1 / (w_ij + 1/v_j)`,
//!   `k_ij = (y_ij - r_j) / 2` (a weighted Gaussian step like the Gaussian family's). It is used where the
//!   shape `y + r` is at most 13 (there the PG draws are exact, see `polya_gamma.rs`); above, the
//!   Metropolis step, because the augmentation then mixes badly: `w` is about `(y + r) / (2 |psi|)`, so h
//!   given w is pinned to within `sqrt(2 |psi| / (y + r))` while its marginal spread is about
//!   `1 / sqrt(r)` (seen as a 20% too small variance after 10^5 steps at y = 10^6, r = 4).
//!
//! The Metropolis kernel is the default because it is three times faster per iteration (one t draw and a
//! few exponentials against up to 13 Devroye draws and a gamma series) and its draws are nearly
//! independent (acceptance above 0.9). Either way the cost per entry does not grow with the count.
//!
//! The size: `r_j | h_j` by a random-walk Metropolis step on `log r_j` (w integrated out), target
//! `sum_i [lgamma(y_i + r) - lgamma(r) + r log r - (r + y_i) log(r + mu_i)] + log p(r) + log r`,
//! `r ~ Gamma(shape, rate)`, tuned during burn-in towards an acceptance rate of 0.44. The lgamma terms
//! depend on the counts only through their distinct values, so they are summed once per distinct value.

use rand::rngs::ChaCha8Rng;

use super::laplace::{self, LogLik};
use super::polya_gamma::{pg_draw, PG_EXACT_MAX};
use super::special::ln_gamma;
use super::{MhTuning, TraitData};
use crate::rng::{normal, uniform};

/// Acceptance rate the log-size step is tuned towards during burn-in.
const TARGET: f64 = 0.44;
/// Newton steps towards the mode of the latent conditional before the Metropolis proposal is made. Any
/// fixed number keeps the step exact (the proposal depends on the data only); three from the one-step
/// start below put it within 1e-6 of the mode for typical counts.
const NEWTON_STEPS: usize = 3;

/// The latent kernel of a negative binomial trait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    Metropolis,
    PolyaGamma,
}

/// `l(h) = y (h + o) - (y + r) log(r + exp(h + o))`: the negative binomial log-likelihood in h.
pub struct Lik {
    pub y: f64,
    pub o: f64,
    pub r: f64,
    pub log_r: f64,
}

impl LogLik for Lik {
    fn value(&self, h: f64) -> f64 {
        let x = h + self.o;
        self.y * x - (self.y + self.r) * log_add_exp(self.log_r, x)
    }
    fn slope_curvature(&self, h: f64) -> (f64, f64) {
        // mu / (r + mu) as a logistic function of x - log r, finite for any x.
        let s = 1.0 / (1.0 + (self.log_r - h - self.o).exp());
        (self.y - (self.y + self.r) * s, (self.y + self.r) * s * (1.0 - s))
    }
}

impl Lik {
    /// A start for the mode search: the precision-weighted mean of `eta` and `log y - o` (the mode lies
    /// between them), with the likelihood's curvature at `log y - o`, `y r / (y + r)`.
    fn start(&self, eta: f64, v: f64) -> f64 {
        if self.y <= 0.0 {
            return eta;
        }
        let x = self.y.ln() - self.o;
        let c = self.y * self.r / (self.y + self.r);
        (eta / v + c * x) / (1.0 / v + c)
    }
}

/// `log(exp(a) + exp(b))` without overflow.
fn log_add_exp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// The size r of one trait, the statistics of its Metropolis step, and the distinct observed counts.
#[derive(Clone, Debug)]
pub struct Size {
    pub r: f64,
    /// Proposal standard deviation on the log scale, and the moves accepted after burn-in.
    pub mh: MhTuning,
    /// Prior r ~ Gamma(shape, rate).
    pub shape: f64,
    pub rate: f64,
    /// Distinct positive observed counts and how often each occurs.
    counts: Vec<(f64, f64)>,
}

impl Size {
    /// Starts from the method-of-moments size of the observed counts (100 when they look Poisson).
    pub fn start(y: &[f64], shape: f64, rate: f64) -> Self {
        let obs: Vec<f64> = y.iter().cloned().filter(|v| !v.is_nan()).collect();
        let nf = obs.len().max(1) as f64;
        let mean = obs.iter().sum::<f64>() / nf;
        let var = obs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0).max(1.0);
        let r = if var > mean * 1.01 && mean > 0.0 { mean * mean / (var - mean) } else { 100.0 };
        let mut pos: Vec<f64> = obs.into_iter().filter(|&v| v > 0.0).collect();
        pos.sort_by(|a, b| a.total_cmp(b));
        let mut counts: Vec<(f64, f64)> = Vec::new();
        for v in pos {
            match counts.last_mut() {
                Some(last) if last.0 == v => last.1 += 1.0,
                _ => counts.push((v, 1.0)),
            }
        }
        Size { r: r.clamp(0.05, 1000.0), mh: MhTuning::new(0.3), shape, rate, counts }
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
fn log_target(d: &TraitData, h: &[f64], sz: &Size, r: f64) -> f64 {
    let (lg_r, log_r) = (ln_gamma(r), r.ln());
    let mut s: f64 = sz.counts.iter().map(|&(y, m)| m * (ln_gamma(y + r) - lg_r)).sum();
    for (i, &y) in d.y.iter().enumerate() {
        if y.is_nan() {
            continue;
        }
        let x = h[i] + d.offset.map_or(0.0, |o| o[i]);
        s += r * log_r - (r + y) * log_add_exp(log_r, x);
    }
    // Gamma(shape, rate) prior, plus the Jacobian of the log scale.
    s + sz.shape * log_r - sz.rate * r
}

/// Random-walk Metropolis step on log r (h fixed).
pub fn move_size(d: &TraitData, h: &[f64], sz: &mut Size, rng: &mut ChaCha8Rng) {
    let r1 = (sz.r.ln() + sz.mh.step * normal(rng)).exp();
    let accept = r1.is_finite()
        && r1 > 0.0
        && uniform(rng).ln() < log_target(d, h, sz, r1) - log_target(d, h, sz, sz.r);
    if accept {
        sz.r = r1;
    }
    sz.mh.record(accept, d.it, d.burnin, TARGET, 1e-4, 5.0);
}

/// Draws the latent column `h` of a negative binomial trait, then its size.
pub fn draw(d: &TraitData, kernel: Kernel, sz: &mut Size, h: &mut [f64], rng: &mut ChaCha8Rng, prng: &mut ChaCha8Rng) {
    draw_latent(d, kernel, sz.r, h, rng);
    move_size(d, h, sz, prng);
}

/// The latent column `h` given the size r.
pub fn draw_latent(d: &TraitData, kernel: Kernel, r: f64, h: &mut [f64], rng: &mut ChaCha8Rng) {
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
        if kernel == Kernel::Metropolis || y + r > PG_EXACT_MAX {
            let lik = Lik { y, o, r, log_r };
            let start = lik.start(m, d.v);
            *hi = laplace::step_from(&lik, m, d.v, *hi, start, NEWTON_STEPS, rng).0;
            continue;
        }
        let c0 = o - log_r;
        let w = pg_draw(rng, y + r, *hi + c0);
        let s2 = 1.0 / (w + iv);
        let kappa = 0.5 * (y - r);
        *hi = s2 * (kappa - w * c0 + m * iv) + s2.sqrt() * normal(rng);
    }
}
