//! Random numbers that do not depend on the number of threads.
//!
//! Every independent task (a trait, a factor, a row of F) of every iteration gets its own ChaCha8 stream:
//! the stream id encodes the sampler block and the task, the word position the iteration. A draw is therefore
//! a function of (seed, block, task, iteration) only, whichever thread runs it.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma, StandardNormal};

/// Sampler blocks, each with its own family of streams.
#[derive(Clone, Copy, Debug)]
pub enum Block {
    Traits = 1,
    TraitH2 = 2,
    FactorFixed = 3,
    FactorH2 = 4,
    Scores = 5,
    Hyper = 6,
    /// The observation models: the latent H (streams 2j and 2j + 1 of trait j).
    Link = 7,
    /// The observation models' own parameters (cut-points, sizes) and Metropolis steps.
    LinkParams = 8,
    /// Factor grid points with their scores integrated out, then the scores (`factor_collapsed.rs`).
    FactorCollapsed = 9,
    /// Rotations of pairs of factors (`factor_rotation.rs`).
    FactorRotation = 10,
}

/// The generator of one task in one iteration.
pub fn task_rng(seed: u64, block: Block, task: usize, iter: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((block as u64) << 48) | (task as u64 & 0xFFFF_FFFF_FFFF));
    // 2^36 words per task and iteration are far more than any task uses.
    rng.set_word_pos((iter as u128) << 36);
    rng
}

#[inline]
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

#[inline]
pub fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    rng.random::<f64>()
}

/// Gamma(shape, rate) draw. Shape and rate come from the sampler's own algebra and are always positive;
/// a degenerate input returns the mean rather than panicking.
pub fn gamma_rate(rng: &mut ChaCha8Rng, shape: f64, rate: f64) -> f64 {
    match Gamma::new(shape, 1.0 / rate) {
        Ok(g) => g.sample(rng),
        Err(_) => shape / rate,
    }
}

/// Inverse-gamma(shape, scale) draw: 1 / Gamma(shape, rate = scale).
pub fn inv_gamma(rng: &mut ChaCha8Rng, shape: f64, scale: f64) -> f64 {
    1.0 / gamma_rate(rng, shape, scale)
}

/// Gamma(shape, rate) truncated to `[lower, inf)`.
///
/// Below the mode, plain rejection (the mass above the mode exceeds 1/2). Beyond it, a shifted exponential
/// proposal `lower + Exp(lam)` with `lam = rate - (shape - 1) / lower` (or `rate` when shape < 1), whose
/// acceptance probability is `(x / lower)^(shape - 1) exp(-(rate - lam)(x - lower))`.
pub fn gamma_rate_truncated(rng: &mut ChaCha8Rng, shape: f64, rate: f64, lower: f64) -> f64 {
    if lower <= 0.0 {
        return gamma_rate(rng, shape, rate);
    }
    let mode = if shape >= 1.0 { (shape - 1.0) / rate } else { 0.0 };
    if lower <= mode {
        loop {
            let x = gamma_rate(rng, shape, rate);
            if x >= lower {
                return x;
            }
        }
    }
    let lam = if shape >= 1.0 { rate - (shape - 1.0) / lower } else { rate };
    for _ in 0..100_000 {
        let x = lower - uniform(rng).ln_1p_neg() / lam;
        let log_acc = (shape - 1.0) * (x / lower).ln() - (rate - lam) * (x - lower);
        if uniform(rng).ln() <= log_acc {
            return x;
        }
    }
    lower
}

trait Ln1pNeg {
    fn ln_1p_neg(self) -> f64;
}

impl Ln1pNeg for f64 {
    /// `ln(1 - u)`, finite for u in [0, 1).
    #[inline]
    fn ln_1p_neg(self) -> f64 {
        (-self).ln_1p()
    }
}

/// Draws an index with probabilities proportional to `exp(logw)` (log-sum-exp, one uniform).
pub fn categorical_log(rng: &mut ChaCha8Rng, logw: &[f64]) -> usize {
    let m = logw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return 0;
    }
    let total: f64 = logw.iter().map(|&l| (l - m).exp()).sum();
    let u = uniform(rng) * total;
    let mut acc = 0.0;
    for (i, &l) in logw.iter().enumerate() {
        acc += (l - m).exp();
        if u < acc {
            return i;
        }
    }
    logw.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<f64> = (0..5).map(|_| 0.0).scan(task_rng(7, Block::Traits, 3, 10), |r, _| Some(normal(r))).collect();
        let b: Vec<f64> = (0..5).map(|_| 0.0).scan(task_rng(7, Block::Traits, 3, 10), |r, _| Some(normal(r))).collect();
        let c: Vec<f64> = (0..5).map(|_| 0.0).scan(task_rng(7, Block::Traits, 4, 10), |r, _| Some(normal(r))).collect();
        let d: Vec<f64> = (0..5).map(|_| 0.0).scan(task_rng(7, Block::Traits, 3, 11), |r, _| Some(normal(r))).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn truncated_gamma_moments() {
        // Gamma(3, rate 4) truncated at 1 (far in the tail) and at 0.2 (below the mode 0.5).
        for &(shape, rate, lower) in &[(3.0, 4.0, 1.0), (3.0, 4.0, 0.2), (0.5, 2.0, 1.0)] {
            let mut rng = task_rng(1, Block::Hyper, 0, 0);
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| gamma_rate_truncated(&mut rng, shape, rate, lower)).collect();
            assert!(xs.iter().all(|&x| x >= lower));
            let mean = xs.iter().sum::<f64>() / n as f64;
            // exact truncated mean by numerical integration
            let (mut num, mut den) = (0.0, 0.0);
            let h = 1e-4;
            let mut x = lower + h / 2.0;
            while x < lower + 40.0 / rate {
                let f = (shape - 1.0) * x.ln() - rate * x;
                let f = f.exp();
                num += x * f;
                den += f;
                x += h;
            }
            let exact = num / den;
            let sd = (xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!((mean - exact).abs() < 5.0 * sd / (n as f64).sqrt(), "{shape} {rate} {lower}: {mean} vs {exact}");
        }
    }

    #[test]
    fn categorical_frequencies() {
        let mut rng = task_rng(2, Block::TraitH2, 0, 0);
        let logw = [0.0f64.ln(), 1.0f64.ln(), 3.0f64.ln()];
        let n = 100_000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            counts[categorical_log(&mut rng, &logw)] += 1;
        }
        assert_eq!(counts[0], 0);
        let p = counts[2] as f64 / n as f64;
        assert!((p - 0.75).abs() < 5.0 * (0.75f64 * 0.25 / n as f64).sqrt());
    }
}
