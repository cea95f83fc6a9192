//! Elliptical slice sampling (Murray, Adams & MacKay 2010, AISTATS): one exact, tuning-free update of a
//! vector `f` with Gaussian prior `N(mean, diag(var))` and any log-likelihood `L`.
//!
//! Draw `nu ~ N(0, diag(var))` and a level `log y = L(f) + log u`; propose points on the ellipse
//! `f(theta) = mean + (f - mean) cos(theta) + nu sin(theta)` with theta uniform on a bracket that starts as
//! `[theta0 - 2 pi, theta0]` and shrinks towards 0 after each rejection; the first point with
//! `L > log y` is the new state. The move leaves `N(f; mean, var) exp(L(f))` invariant; the bracket
//! shrinks to the current state, so the loop ends (capped at `MAX_SHRINKS` rounds, after which the current
//! state is kept: numerically the bracket is then empty).

use std::f64::consts::PI;

use rand::rngs::ChaCha8Rng;

use crate::rng::{normal, uniform};

/// Rounds of shrinking before the current state is kept.
const MAX_SHRINKS: usize = 200;

/// One elliptical slice sampling update of `f`; returns the number of likelihood evaluations.
pub fn step(f: &mut [f64], mean: &[f64], var: &[f64], loglik: &dyn Fn(&[f64]) -> f64, rng: &mut ChaCha8Rng) -> usize {
    let k = f.len();
    let nu: Vec<f64> = var.iter().map(|v| v.sqrt() * normal(rng)).collect();
    let f0: Vec<f64> = (0..k).map(|a| f[a] - mean[a]).collect();
    let level = loglik(f) + uniform(rng).ln();
    let mut theta = 2.0 * PI * uniform(rng);
    let (mut lo, mut hi) = (theta - 2.0 * PI, theta);
    let mut x = vec![0.0; k];
    for round in 1..=MAX_SHRINKS {
        let (c, s) = (theta.cos(), theta.sin());
        for a in 0..k {
            x[a] = mean[a] + f0[a] * c + nu[a] * s;
        }
        let l = loglik(&x);
        if l > level {
            f.copy_from_slice(&x);
            return round;
        }
        if theta < 0.0 {
            lo = theta;
        } else {
            hi = theta;
        }
        theta = lo + (hi - lo) * uniform(rng);
    }
    MAX_SHRINKS
}
