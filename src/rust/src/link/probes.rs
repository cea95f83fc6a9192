//! Several probes per gene: probe q measures the gene-level latent trait j, `y_iq = mu_q + h_ij + e_iq`,
//! `e_iq ~ N(0, 1/rho_q)`.
//!
//! Three conjugate steps per iteration, given the linear predictor `eta_ij` and residual variance `v_j`:
//!
//! * `h_ij ~ N((sum_q rho_q (y_iq - mu_q) + eta_ij / v_j) / P_i, 1 / P_i)`, `P_i = sum_q rho_q + 1/v_j`, the
//!   sums over the probes observed for individual i (none observed: `N(eta_ij, v_j)`);
//! * the probe effects, flat prior under `sum_q mu_q = 0` (the gene's mean is its intercept in B): the
//!   unconstrained conditional is `mu_q ~ N(mean_i(y_iq - h_ij), s_q^2)`, `s_q^2 = 1 / (n_q rho_q)`, and the
//!   constrained draw is `mu = mu~ - s^2 sum(mu~) / sum(s^2)` (a Gaussian conditioned on a linear
//!   constraint); a gene with one probe has `mu = 0`;
//! * the precisions, `rho_q ~ Ga(a + n_q / 2, b + sum_i (y_iq - mu_q - h_ij)^2 / 2)`.
//!
//! With a single probe, the probe's error and the model's residual are told apart by the prior of rho only.

use rand::rngs::ChaCha8Rng;

use super::TraitData;
use crate::linalg::Dense;
use crate::rng::{gamma_rate, normal};

/// Effects and precisions of the probes of one gene.
#[derive(Clone, Debug)]
pub struct ProbeState {
    pub mu: Vec<f64>,
    pub rho: Vec<f64>,
    /// Prior rho ~ Gamma(shape, rate).
    pub shape: f64,
    pub rate: f64,
}

impl ProbeState {
    /// Effects 0, precisions from the probes' variances (at least 1).
    pub fn start(y: &Dense, shape: f64, rate: f64) -> Self {
        let q = y.ncol;
        let rho = (0..q)
            .map(|c| {
                let obs: Vec<f64> = y.col(c).iter().cloned().filter(|v| !v.is_nan()).collect();
                let m = obs.iter().sum::<f64>() / obs.len().max(1) as f64;
                let var = obs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / obs.len().max(1) as f64;
                (2.0 / var.max(1e-6)).max(1.0)
            })
            .collect();
        ProbeState { mu: vec![0.0; q], rho, shape, rate }
    }
}

/// Starting latent values: the mean of the individual's observed probes (0 when none is observed).
pub fn start_latent(col: &mut [f64], y: &Dense) {
    for (i, v) in col.iter_mut().enumerate() {
        let (s, c) = (0..y.ncol).map(|q| y.get(i, q)).filter(|x| !x.is_nan()).fold((0.0, 0.0), |a, x| (a.0 + x, a.1 + 1.0));
        *v = if c > 0.0 { s / c } else { 0.0 };
    }
}

/// The latent gene values given the probes' effects and precisions.
pub fn draw_latent(d: &TraitData, y: &Dense, st: &ProbeState, h: &mut [f64], rng: &mut ChaCha8Rng) {
    let iv = 1.0 / d.v;
    for (i, hi) in h.iter_mut().enumerate() {
        let (mut prec, mut lin) = (iv, d.eta[i] * iv);
        for q in 0..y.ncol {
            let x = y.get(i, q);
            if !x.is_nan() {
                prec += st.rho[q];
                lin += st.rho[q] * (x - st.mu[q]);
            }
        }
        *hi = lin / prec + normal(rng) / prec.sqrt();
    }
}

/// The probes' effects (sum to zero) and precisions given the latent gene values.
pub fn draw_probes(y: &Dense, h: &[f64], st: &mut ProbeState, rng: &mut ChaCha8Rng) {
    let nq = y.ncol;
    if nq > 1 {
        let mut mu = vec![0.0; nq];
        let mut s2 = vec![0.0; nq];
        for q in 0..nq {
            let (mut s, mut c) = (0.0, 0.0);
            for (i, &x) in y.col(q).iter().enumerate() {
                if !x.is_nan() {
                    s += x - h[i];
                    c += 1.0;
                }
            }
            s2[q] = 1.0 / (c * st.rho[q]);
            mu[q] = s / c + s2[q].sqrt() * normal(rng);
        }
        let total: f64 = mu.iter().sum();
        let s2_total: f64 = s2.iter().sum();
        for q in 0..nq {
            st.mu[q] = mu[q] - s2[q] * total / s2_total;
        }
    }
    for q in 0..nq {
        let (mut ss, mut c) = (0.0, 0.0);
        for (i, &x) in y.col(q).iter().enumerate() {
            if !x.is_nan() {
                ss += (x - st.mu[q] - h[i]).powi(2);
                c += 1.0;
            }
        }
        st.rho[q] = gamma_rate(rng, st.shape + 0.5 * c, st.rate + 0.5 * ss);
    }
}

/// Draws the latent gene column, then the probes' effects and precisions.
pub fn draw(d: &TraitData, y: &Dense, st: &mut ProbeState, h: &mut [f64], rng: &mut ChaCha8Rng, prng: &mut ChaCha8Rng) {
    draw_latent(d, y, st, h, rng);
    draw_probes(y, h, st, prng);
}
