//! The one rotation that makes every covariance of the one-random-effect model diagonal.
//!
//! With `C = Z K Z' = Q diag(s) Q'`, the covariance `h2 C + (1 - h2) I` of any trait or factor becomes
//! `Q diag(h2 s_i + 1 - h2) Q'`, so in the rotated space `Q' H` rows are independent given the parameters
//! (the GEMMA / FaST-LMM rotation applied to the whole factor model). Without a random effect Q is the
//! identity and is never formed.

use crate::error::Result;
use crate::linalg::{gemm, sym_eigen, Dense};

pub struct Rotation {
    /// Eigenvectors of C as columns; None means the identity (no random effect).
    pub q: Option<Dense>,
    /// Eigenvalues of C (zero without a random effect), clamped at 0.
    pub s: Vec<f64>,
}

impl Rotation {
    /// `C = Z K Z'` (K = I when None) and its eigendecomposition.
    pub fn new(n: usize, z: Option<&Dense>, kin: Option<&Dense>) -> Result<Self> {
        let Some(z) = z else {
            return Ok(Rotation { q: None, s: vec![0.0; n] });
        };
        let zk = match kin {
            Some(k) => {
                let mut zk = Dense::zeros(n, k.ncol);
                gemm(&mut zk, false, z, false, k, 1.0);
                zk
            }
            None => z.clone(),
        };
        let zt = z.transpose();
        let mut c = Dense::zeros(n, n);
        gemm(&mut c, false, &zk, false, &zt, 1.0);
        // Symmetrise exactly so the eigensolver sees a symmetric matrix.
        for i in 0..n {
            for j in 0..i {
                let v = 0.5 * (c.get(i, j) + c.get(j, i));
                c.set(i, j, v);
                c.set(j, i, v);
            }
        }
        let (mut s, q) = sym_eigen(&c)?;
        let smax = s.iter().cloned().fold(0.0f64, f64::max);
        for v in s.iter_mut() {
            if *v < 1e-12 * smax.max(1.0) {
                *v = 0.0;
            }
        }
        Ok(Rotation { q: Some(q), s })
    }

    pub fn n(&self) -> usize {
        self.s.len()
    }

    pub fn is_identity(&self) -> bool {
        self.q.is_none()
    }

    /// `Q' m`.
    pub fn rotate(&self, m: &Dense) -> Dense {
        match &self.q {
            None => m.clone(),
            Some(q) => {
                let mut out = Dense::zeros(q.ncol, m.ncol);
                gemm(&mut out, false, q, true, m, 1.0);
                out
            }
        }
    }

    /// `Q m` (back to the original space).
    pub fn unrotate(&self, m: &Dense) -> Dense {
        match &self.q {
            None => m.clone(),
            Some(q) => {
                let mut out = Dense::zeros(q.nrow, m.ncol);
                gemm(&mut out, false, q, false, m, 1.0);
                out
            }
        }
    }

    /// Row variances `d_i = h2 s_i + 1 - h2` for one grid value.
    pub fn row_var(&self, h2: f64) -> Vec<f64> {
        self.s.iter().map(|&s| h2 * s + 1.0 - h2).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_diagonalises_the_covariance() {
        // 6 rows, 3 levels (repeated measures), K with correlation.
        let n = 6;
        let z = Dense::from_vec(n, 3, vec![
            1., 1., 0., 0., 0., 0., //
            0., 0., 1., 1., 0., 0., //
            0., 0., 0., 0., 1., 1.,
        ])
        .unwrap();
        let k = Dense::from_vec(3, 3, vec![1.0, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 1.0]).unwrap();
        let rot = Rotation::new(n, Some(&z), Some(&k)).unwrap();
        let h2 = 0.4;
        let d = rot.row_var(h2);
        // V = h2 Z K Z' + (1 - h2) I equals Q diag(d) Q'
        let q = rot.q.as_ref().unwrap();
        for i in 0..n {
            for j in 0..n {
                let mut c = 0.0;
                for a in 0..3 {
                    for b in 0..3 {
                        c += z.get(i, a) * k.get(a, b) * z.get(j, b);
                    }
                }
                let v = h2 * c + if i == j { 1.0 - h2 } else { 0.0 };
                let r: f64 = (0..n).map(|l| q.get(i, l) * d[l] * q.get(j, l)).sum();
                assert!((v - r).abs() < 1e-10);
            }
        }
        // rank 3: three zero eigenvalues
        assert_eq!(rot.s.iter().filter(|&&s| s == 0.0).count(), 3);
        let m = Dense::from_vec(n, 1, (0..n).map(|i| i as f64).collect()).unwrap();
        let back = rot.unrotate(&rot.rotate(&m));
        for i in 0..n {
            assert!((back.data[i] - m.data[i]).abs() < 1e-10);
        }
    }
}
