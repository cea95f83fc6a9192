//! Data simulated from the model, for tests, calibration and benchmarks.
//!
//! One random effect with Z = I (one row per level) and covariance K:
//! `F = Chol(K) N h2F^1/2 + N (1 - h2F)^1/2`,
//! `Y = X B + F Lambda' + U_R + E`, `U_R[:, j] ~ N(0, psi_j h2_j K)`, `E[:, j] ~ N(0, psi_j (1 - h2_j) I)`.

use crate::linalg::{cholesky_in_place, gemm, gemm_nt, Dense};
use crate::rng::{normal, task_rng, Block};

/// Parameters of a simulation.
#[derive(Clone, Debug)]
pub struct Truth {
    pub lambda: Dense,
    pub psi: Vec<f64>,
    pub h2: Vec<f64>,
    pub h2f: Vec<f64>,
    /// b x p fixed effects for the design X.
    pub b: Dense,
}

/// A simulated data set and its unobserved parts.
pub struct Simulated {
    pub y: Dense,
    pub x: Dense,
    /// Genetic values `U_R + U_F Lambda'` (n x p).
    pub u: Dense,
    pub f: Dense,
}

/// A lower Cholesky factor of K (with a tiny ridge so a singular kinship still works).
pub fn chol_factor(kin: &Dense) -> Dense {
    let n = kin.nrow;
    let mut l = kin.clone();
    let ridge = 1e-9 * (0..n).map(|i| kin.get(i, i)).fold(0.0, f64::max).max(1.0);
    for i in 0..n {
        l.data[i * n + i] += ridge;
    }
    let ok = cholesky_in_place(&mut l.data, n);
    assert!(ok, "kinship is not positive semi-definite");
    for j in 0..n {
        for i in 0..j {
            l.data[j * n + i] = 0.0;
        }
    }
    l
}

fn normals(n: usize, m: usize, seed: u64, task: usize) -> Dense {
    let mut rng = task_rng(seed, Block::Hyper, 1_000_000 + task, 0);
    Dense::from_vec(n, m, (0..n * m).map(|_| normal(&mut rng)).collect()).expect("sizes agree")
}

/// Simulates `Y` given the truth, a design `x` and a kinship `kin` (n x n).
pub fn simulate(truth: &Truth, x: &Dense, kin: &Dense, seed: u64) -> Simulated {
    let (n, p, k) = (x.nrow, truth.lambda.nrow, truth.lambda.ncol);
    let l = chol_factor(kin);
    let scale_cols = |m: &mut Dense, s: &dyn Fn(usize) -> f64| {
        for j in 0..m.ncol {
            let sj = s(j);
            m.col_mut(j).iter_mut().for_each(|v| *v *= sj);
        }
    };
    // Factors.
    let mut uf = Dense::zeros(n, k);
    gemm(&mut uf, false, &l, false, &normals(n, k, seed, 1), 1.0);
    scale_cols(&mut uf, &|h| truth.h2f[h].sqrt());
    let mut ef = normals(n, k, seed, 2);
    scale_cols(&mut ef, &|h| (1.0 - truth.h2f[h]).sqrt());
    let mut f = uf.clone();
    f.data.iter_mut().zip(&ef.data).for_each(|(a, b)| *a += b);
    // Trait-specific parts.
    let mut ur = Dense::zeros(n, p);
    gemm(&mut ur, false, &l, false, &normals(n, p, seed, 3), 1.0);
    scale_cols(&mut ur, &|j| (truth.psi[j] * truth.h2[j]).sqrt());
    let mut e = normals(n, p, seed, 4);
    scale_cols(&mut e, &|j| (truth.psi[j] * (1.0 - truth.h2[j])).sqrt());
    let mut u = ur.clone();
    if k > 0 {
        gemm_nt(&mut u, true, &uf, &truth.lambda, 1.0);
    }
    let mut y = Dense::zeros(n, p);
    gemm(&mut y, false, x, false, &truth.b, 1.0);
    if k > 0 {
        gemm_nt(&mut y, true, &f, &truth.lambda, 1.0);
    }
    y.data.iter_mut().zip(&ur.data).zip(&e.data).for_each(|((a, b), c)| *a += b + c);
    Simulated { y, x: x.clone(), u, f }
}

/// A kinship among `n_fam` families of `per_fam` half-sibs: 1 on the diagonal, 1/4 within families.
pub fn half_sib_kinship(n_fam: usize, per_fam: usize) -> Dense {
    let n = n_fam * per_fam;
    let mut k = Dense::identity(n);
    for f in 0..n_fam {
        for a in 0..per_fam {
            for b in 0..per_fam {
                if a != b {
                    k.set(f * per_fam + a, f * per_fam + b, 0.25);
                }
            }
        }
    }
    k
}

/// A genomic-style kinship `M M' / m` from `m` random standardised 0/1/2 markers, plus a small ridge.
pub fn genomic_kinship(n: usize, m: usize, seed: u64) -> Dense {
    let mut rng = task_rng(seed, Block::Hyper, 2_000_000, 0);
    let mut mk = Dense::zeros(n, m);
    for c in 0..m {
        let freq = 0.1 + 0.8 * crate::rng::uniform(&mut rng);
        let col: Vec<f64> = (0..n)
            .map(|_| {
                (crate::rng::uniform(&mut rng) < freq) as u8 as f64 + (crate::rng::uniform(&mut rng) < freq) as u8 as f64
            })
            .collect();
        let mean = col.iter().sum::<f64>() / n as f64;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt().max(1e-8);
        for (i, v) in col.iter().enumerate() {
            mk.set(i, c, (v - mean) / sd);
        }
    }
    let mut k = Dense::zeros(n, n);
    gemm_nt(&mut k, false, &mk, &mk, 1.0 / m as f64);
    for i in 0..n {
        k.data[i * n + i] += 0.01;
    }
    k
}
