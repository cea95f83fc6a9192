//! Binary traits, probit link (Albert & Chib 1993, JASA 88:669): `y_ij = 1(h_ij + o_ij > 0)`.
//!
//! Given `eta_ij` and `v_j`, `h_ij ~ TN(eta_ij, v_j)` truncated to `(-o_ij, inf)` when `y_ij = 1` and to
//! `(-inf, -o_ij]` when `y_ij = 0`. The trait's psi_j is fixed at 1, so h is on the liability scale.

use rand::rngs::ChaCha8Rng;

use super::truncnorm::truncated_normal;
use super::TraitData;
use crate::rng::normal;

/// Starting latent values: half a unit on the observed side of the threshold (0 where missing).
pub fn start(col: &mut [f64], offset: Option<&[f64]>) {
    for (i, v) in col.iter_mut().enumerate() {
        let o = offset.map_or(0.0, |o| o[i]);
        *v = if v.is_nan() {
            0.0
        } else if *v > 0.5 {
            0.5 - o
        } else {
            -0.5 - o
        };
    }
}

/// Draws the latent column `h` of a binary trait.
pub fn draw(d: &TraitData, h: &mut [f64], rng: &mut ChaCha8Rng) {
    let sd = d.v.sqrt();
    for (i, hi) in h.iter_mut().enumerate() {
        let (y, m) = (d.y[i], d.eta[i]);
        let t = -d.offset.map_or(0.0, |o| o[i]);
        *hi = if y.is_nan() {
            m + sd * normal(rng)
        } else if y > 0.5 {
            truncated_normal(rng, m, sd, t, f64::INFINITY)
        } else {
            truncated_normal(rng, m, sd, f64::NEG_INFINITY, t)
        };
    }
}
