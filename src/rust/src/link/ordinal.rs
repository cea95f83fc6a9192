//! Ordinal traits with C ordered classes, probit link: `y_ij = c` when `g_{c-1} < h_ij + o_ij <= g_c`, with
//! `-inf = g_0 < g_1 = 0 < g_2 < ... < g_{C-1} < g_C = inf` (the intercept is in B, so `g_1` is fixed).
//!
//! Each iteration first moves the free cut-points `g_2..g_{C-1}` with h integrated out (Cowles 1996, Stat
//! Comput 6:101): propose `g'_c ~ TN(g_c, s^2)` on `(g'_{c-1}, g_{c+1})` for c = 2..C-1 in turn and accept
//! with probability
//!
//! `min(1, L(g') / L(g) * prod_c [Phi((g_{c+1} - g_c)/s) - Phi((g'_{c-1} - g_c)/s)] /
//!                                [Phi((g'_{c+1} - g'_c)/s) - Phi((g_{c-1} - g'_c)/s)])`,
//!
//! `L(g) = prod_i [Phi((g_{y_i} - o_i - eta_i)/sqrt(v)) - Phi((g_{y_i - 1} - o_i - eta_i)/sqrt(v))]`
//! (flat prior on the ordered cut-points); then `h_ij ~ TN(eta_ij, v_j)` on `(g_{y-1} - o, g_y - o]`.
//! Plain Gibbs updates of the cut-points given h (Albert & Chib) barely move with many observations;
//! integrating h out is what lets them mix. The step s is tuned during burn-in towards an acceptance rate
//! of 0.35 and then kept fixed. The trait's psi_j is fixed at 1 (liability scale).

use rand::rngs::ChaCha8Rng;

use super::special::{log_diff_norm_cdf, norm_cdf};
use super::truncnorm::truncated_normal;
use super::{MhTuning, TraitData};
use crate::rng::{normal, uniform};

/// Acceptance rate the proposal step is tuned towards during burn-in.
const TARGET: f64 = 0.35;

/// Cut-points of one ordinal trait and the statistics of their Metropolis-Hastings move.
#[derive(Clone, Debug)]
pub struct Cutpoints {
    /// `g_0..g_C` (C + 1 values, `g_0 = -inf`, `g_1 = 0`, `g_C = inf`).
    pub g: Vec<f64>,
    /// Proposal standard deviation s, and the moves accepted and proposed after burn-in.
    pub mh: MhTuning,
}

impl Cutpoints {
    /// Evenly spaced start, one latent unit apart.
    pub fn start(classes: usize) -> Self {
        let mut g = vec![f64::NEG_INFINITY];
        g.extend((0..classes.saturating_sub(1)).map(|c| c as f64));
        g.push(f64::INFINITY);
        Cutpoints { g, mh: MhTuning::new(0.1) }
    }

    /// Number of classes C.
    pub fn classes(&self) -> usize {
        self.g.len() - 1
    }

    /// The free cut-points `g_2..g_{C-1}`.
    pub fn free(&self) -> &[f64] {
        let c = self.classes();
        if c >= 3 {
            &self.g[2..c]
        } else {
            &[]
        }
    }
}

/// Starting latent values: inside each observation's class for the starting cut-points.
pub fn start(col: &mut [f64], offset: Option<&[f64]>, classes: usize) {
    for (i, v) in col.iter_mut().enumerate() {
        let o = offset.map_or(0.0, |o| o[i]);
        *v = if v.is_nan() {
            0.0
        } else {
            let c = *v as usize;
            // Class c lies between c - 2 and c - 1 with the starting cut-points; the last is open above.
            (if c >= classes { classes as f64 - 1.5 } else { c as f64 - 1.5 }) - o
        };
    }
}

/// `log[Phi(b) - Phi(a)]` for `a < b`, either possibly infinite.
fn log_prob(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY && b == f64::INFINITY {
        0.0
    } else {
        log_diff_norm_cdf(a, b)
    }
}

/// Log-likelihood of the observed classes with h integrated out.
fn loglik(d: &TraitData, g: &[f64]) -> f64 {
    let sd = d.v.sqrt();
    let mut s = 0.0;
    for (i, &y) in d.y.iter().enumerate() {
        if y.is_nan() {
            continue;
        }
        let c = y as usize;
        let m = d.eta[i] + d.offset.map_or(0.0, |o| o[i]);
        s += log_prob((g[c - 1] - m) / sd, (g[c] - m) / sd);
    }
    s
}

/// Cowles' move of the free cut-points.
fn move_cutpoints(d: &TraitData, cp: &mut Cutpoints, rng: &mut ChaCha8Rng) {
    let classes = cp.classes();
    if classes < 3 {
        return;
    }
    let s = cp.mh.step;
    let g = &cp.g;
    let mut gp = g.clone();
    let mut log_q = 0.0;
    for c in 2..classes {
        gp[c] = truncated_normal(rng, g[c], s, gp[c - 1], g[c + 1]);
        // Normalising constants of the forward and the reverse proposal.
        log_q += log_prob((gp[c - 1] - g[c]) / s, (g[c + 1] - g[c]) / s);
        log_q -= log_prob((g[c - 1] - gp[c]) / s, (gp[c + 1] - gp[c]) / s);
    }
    let log_a = loglik(d, &gp) - loglik(d, g) + log_q;
    let accept = uniform(rng).ln() < log_a;
    if accept {
        cp.g = gp;
    }
    cp.mh.record(accept, d.it, d.burnin, TARGET, 1e-6, 10.0);
}

/// Moves the cut-points, then draws the latent column `h` of an ordinal trait.
pub fn draw(d: &TraitData, cp: &mut Cutpoints, h: &mut [f64], rng: &mut ChaCha8Rng, prng: &mut ChaCha8Rng) {
    move_cutpoints(d, cp, prng);
    let sd = d.v.sqrt();
    let g = &cp.g;
    for (i, hi) in h.iter_mut().enumerate() {
        let (y, m) = (d.y[i], d.eta[i]);
        *hi = if y.is_nan() {
            m + sd * normal(rng)
        } else {
            let c = y as usize;
            let o = d.offset.map_or(0.0, |o| o[i]);
            truncated_normal(rng, m, sd, g[c - 1] - o, g[c] - o)
        };
    }
}

/// Probability of each class given the linear predictor `m` (offset included) and the residual variance.
pub fn class_probs(g: &[f64], m: f64, v: f64, out: &mut [f64]) {
    let sd = v.sqrt();
    let mut prev = 0.0;
    for (c, o) in out.iter_mut().enumerate() {
        let up = if c + 1 >= g.len() - 1 { 1.0 } else { norm_cdf((g[c + 1] - m) / sd) };
        *o = (up - prev).max(0.0);
        prev = up;
    }
}
