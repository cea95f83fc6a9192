//! Posterior-mean covariance matrices without holding p x p x draws.
//!
//! `(1/T) sum_t Lambda_t diag(w_t) Lambda_t' + diag(mean_t d_t)`: the draws are stacked, a block at a time,
//! as `L = [Lambda_t diag(sqrt(w_t))]` (p x k T_block) and `L L'` is accumulated with one product per block.

use crate::error::{Result, SlamError};
use crate::linalg::{gemm, Dense};

const DRAWS_PER_BLOCK: usize = 64;

/// `lambda`: p x k x T (flat, column-major per draw); `w`: k x T; `d`: p x T. Returns p x p.
pub fn covariance_mean(lambda: &[f64], w: &[f64], d: &[f64], p: usize, k: usize, t: usize) -> Result<Dense> {
    if lambda.len() != p * k * t || w.len() != k * t || d.len() != p * t {
        return Err(SlamError::new("covariance_mean: array sizes do not match p, k and the number of draws"));
    }
    if t == 0 {
        return Err(SlamError::new("covariance_mean: no draws"));
    }
    if w.iter().any(|&v| !(v >= 0.0) || !v.is_finite()) {
        return Err(SlamError::new("covariance_mean: weights must be finite and non-negative"));
    }
    let mut out = Dense::zeros(p, p);
    if k > 0 {
        let mut t0 = 0;
        while t0 < t {
            let tb = DRAWS_PER_BLOCK.min(t - t0);
            let mut l = Dense::zeros(p, k * tb);
            for dt in 0..tb {
                let tt = t0 + dt;
                for h in 0..k {
                    let s = w[tt * k + h].sqrt();
                    let src = &lambda[(tt * k + h) * p..(tt * k + h + 1) * p];
                    for (dst, v) in l.col_mut(dt * k + h).iter_mut().zip(src) {
                        *dst = s * v;
                    }
                }
            }
            let lt = l.transpose();
            gemm(&mut out, true, &l, false, &lt, 1.0);
            t0 += tb;
        }
        out.data.iter_mut().for_each(|v| *v /= t as f64);
    }
    for j in 0..p {
        let m: f64 = (0..t).map(|tt| d[tt * p + j]).sum::<f64>() / t as f64;
        out.data[j * p + j] += m;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_sum() {
        let (p, k, t) = (4, 2, 70);
        let lambda: Vec<f64> = (0..p * k * t).map(|i| ((i as f64) * 0.37).sin()).collect();
        let w: Vec<f64> = (0..k * t).map(|i| 0.5 + 0.4 * ((i as f64) * 1.3).cos()).collect();
        let d: Vec<f64> = (0..p * t).map(|i| 1.0 + 0.1 * (i % 7) as f64).collect();
        let c = covariance_mean(&lambda, &w, &d, p, k, t).unwrap();
        for a in 0..p {
            for b in 0..p {
                let mut s = 0.0;
                for tt in 0..t {
                    for h in 0..k {
                        s += lambda[(tt * k + h) * p + a] * w[tt * k + h] * lambda[(tt * k + h) * p + b];
                    }
                    if a == b {
                        s += d[tt * p + a];
                    }
                }
                assert!((c.get(a, b) - s / t as f64).abs() < 1e-10);
            }
        }
        assert!(covariance_mean(&lambda, &w, &d, p, k, t + 1).is_err());
    }
}
