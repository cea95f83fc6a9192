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
pub const MAX_SHRINKS: usize = 200;

/// One update in progress: the centred start `f - mean`, the auxiliary draw `nu`, the level and the
/// bracket. Kept as a value so that many updates can advance in lockstep when their likelihoods are
/// evaluated together (a user-written curve evaluated in R for all individuals at once); the random
/// numbers are drawn in the same order as in [`step`], so both routes give the same chain.
pub struct Slice {
    f0: Vec<f64>,
    nu: Vec<f64>,
    level: f64,
    theta: f64,
    lo: f64,
    hi: f64,
}

impl Slice {
    /// Starts an update of `f` whose current log-likelihood is `l0`.
    pub fn start(f: &[f64], mean: &[f64], var: &[f64], l0: f64, rng: &mut ChaCha8Rng) -> Self {
        let nu: Vec<f64> = var.iter().map(|v| v.sqrt() * normal(rng)).collect();
        let f0: Vec<f64> = f.iter().zip(mean).map(|(a, m)| a - m).collect();
        let level = l0 + uniform(rng).ln();
        let theta = 2.0 * PI * uniform(rng);
        Slice { f0, nu, level, theta, lo: theta - 2.0 * PI, hi: theta }
    }

    /// The point on the ellipse at the current angle: `mean + f0 cos(theta) + nu sin(theta)`.
    pub fn proposal(&self, mean: &[f64], x: &mut [f64]) {
        let (c, s) = (self.theta.cos(), self.theta.sin());
        for a in 0..x.len() {
            x[a] = mean[a] + self.f0[a] * c + self.nu[a] * s;
        }
    }

    /// True when a proposal with log-likelihood `l` is accepted; otherwise shrinks the bracket towards
    /// the current state and draws the next angle.
    pub fn accepts(&mut self, l: f64, rng: &mut ChaCha8Rng) -> bool {
        if l > self.level {
            return true;
        }
        if self.theta < 0.0 {
            self.lo = self.theta;
        } else {
            self.hi = self.theta;
        }
        self.theta = self.lo + (self.hi - self.lo) * uniform(rng);
        false
    }
}

/// One elliptical slice sampling update of `f`; returns the number of likelihood evaluations.
pub fn step(f: &mut [f64], mean: &[f64], var: &[f64], loglik: &dyn Fn(&[f64]) -> f64, rng: &mut ChaCha8Rng) -> usize {
    let mut slice = Slice::start(f, mean, var, loglik(f), rng);
    let mut x = vec![0.0; f.len()];
    for round in 1..=MAX_SHRINKS {
        slice.proposal(mean, &mut x);
        if slice.accepts(loglik(&x), rng) {
            f.copy_from_slice(&x);
            return round;
        }
    }
    MAX_SHRINKS
}
