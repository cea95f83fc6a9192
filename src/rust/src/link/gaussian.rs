//! Gaussian traits: `y_ij = h_ij + e_ij`, `e_ij ~ N(0, 1/w_ij)` with known precisions `w_ij` (none: `y = h`).
//!
//! Given `eta_ij` and `v_j`, `h_ij ~ N((w_ij y_ij + eta_ij / v_j) / P, 1 / P)`, `P = w_ij + 1/v_j`; a
//! missing `y_ij` is `w_ij = 0`, so `h_ij ~ N(eta_ij, v_j)`. Without weights an observed entry is the data
//! (`w = infinity`) and only the missing rows are drawn.

use rand::rngs::ChaCha8Rng;

use super::TraitData;
use crate::rng::normal;

/// Draws the latent column `h` of a Gaussian trait.
pub fn draw(d: &TraitData, h: &mut [f64], rng: &mut ChaCha8Rng) {
    let sd = d.v.sqrt();
    match d.weights {
        None => {
            for &i in d.missing {
                h[i] = d.eta[i] + sd * normal(rng);
            }
        }
        Some(w) => {
            let iv = 1.0 / d.v;
            for (i, hi) in h.iter_mut().enumerate() {
                let y = d.y[i];
                *hi = if y.is_nan() {
                    d.eta[i] + sd * normal(rng)
                } else {
                    let prec = w[i] + iv;
                    (w[i] * y + d.eta[i] * iv) / prec + normal(rng) / prec.sqrt()
                };
            }
        }
    }
}
