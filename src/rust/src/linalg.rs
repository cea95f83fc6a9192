//! Dense linear algebra used by the sampler.
//!
//! Matrices are plain column-major `Vec<f64>` ([`Dense`]); faer does the large products and the one
//! eigendecomposition at set-up, always serially (`Par::Seq`) inside fixed-size chunks, so that a result never
//! depends on the number of threads. The small per-trait and per-row systems (size b + k) use the hand-written
//! Cholesky routines below, which allocate nothing and are fast at those sizes.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par, Side};
use rayon::prelude::*;

use crate::error::SlamError;

/// Column chunk of the parallel products; fixed so results are independent of the thread count.
pub const CHUNK: usize = 64;

/// A dense column-major matrix.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dense {
    pub nrow: usize,
    pub ncol: usize,
    pub data: Vec<f64>,
}

impl Dense {
    pub fn zeros(nrow: usize, ncol: usize) -> Self {
        Dense { nrow, ncol, data: vec![0.0; nrow * ncol] }
    }

    pub fn from_vec(nrow: usize, ncol: usize, data: Vec<f64>) -> Result<Self, SlamError> {
        if data.len() != nrow * ncol {
            return Err(SlamError::new(format!(
                "matrix data has length {} but dimensions {} x {}",
                data.len(),
                nrow,
                ncol
            )));
        }
        Ok(Dense { nrow, ncol, data })
    }

    pub fn identity(n: usize) -> Self {
        let mut m = Dense::zeros(n, n);
        for i in 0..n {
            m.data[i * n + i] = 1.0;
        }
        m
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.nrow + i]
    }

    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[j * self.nrow + i] = v;
    }

    #[inline]
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.nrow..(j + 1) * self.nrow]
    }

    #[inline]
    pub fn col_mut(&mut self, j: usize) -> &mut [f64] {
        &mut self.data[j * self.nrow..(j + 1) * self.nrow]
    }

    pub fn view(&self) -> MatRef<'_, f64> {
        MatRef::from_column_major_slice(&self.data, self.nrow, self.ncol)
    }

    pub fn view_mut(&mut self) -> MatMut<'_, f64> {
        MatMut::from_column_major_slice_mut(&mut self.data, self.nrow, self.ncol)
    }

    pub fn transpose(&self) -> Dense {
        let mut t = Dense::zeros(self.ncol, self.nrow);
        for j in 0..self.ncol {
            for i in 0..self.nrow {
                t.data[i * self.ncol + j] = self.data[j * self.nrow + i];
            }
        }
        t
    }

    /// Columns `idx` gathered into a new matrix.
    /// Makes this an `nrow x ncol` matrix with unspecified contents, keeping its allocation when it is
    /// large enough (scratch space reused across iterations).
    pub fn reshape_scratch(&mut self, nrow: usize, ncol: usize) {
        self.data.resize(nrow * ncol, 0.0);
        self.nrow = nrow;
        self.ncol = ncol;
    }

    pub fn select_cols(&self, idx: &[usize]) -> Dense {
        let mut out = Dense::zeros(self.nrow, idx.len());
        for (c, &j) in idx.iter().enumerate() {
            out.col_mut(c).copy_from_slice(self.col(j));
        }
        out
    }
}

/// `dst = alpha * op(a) * b (+ dst if accumulate)`, with `op(a) = a'` when `trans_a`.
///
/// Parallel over fixed chunks of `CHUNK` columns of `dst`, each chunk a serial faer product: identical
/// results for any number of threads.
pub fn gemm(dst: &mut Dense, accumulate: bool, a: &Dense, trans_a: bool, b: &Dense, alpha: f64) {
    gemm_slice(dst, accumulate, a, trans_a, &b.data, b.nrow, alpha);
}

/// [`gemm`] with `b` given as a column-major slice of `b_nrow` rows (e.g. a range of columns of a larger
/// matrix, without copying them out).
pub fn gemm_slice(dst: &mut Dense, accumulate: bool, a: &Dense, trans_a: bool, b: &[f64], b_nrow: usize, alpha: f64) {
    let (m, q) = if trans_a { (a.ncol, a.nrow) } else { (a.nrow, a.ncol) };
    assert_eq!(q, b_nrow, "gemm: inner dimensions differ");
    assert_eq!(dst.nrow, m, "gemm: rows of the result");
    assert_eq!(b.len(), b_nrow * dst.ncol, "gemm: columns of the result");
    if m == 0 || dst.ncol == 0 {
        return;
    }
    if q == 0 {
        if !accumulate {
            dst.data.iter_mut().for_each(|x| *x = 0.0);
        }
        return;
    }
    let av = a.view();
    let lhs = if trans_a { av.transpose() } else { av };
    let beta = if accumulate { Accum::Add } else { Accum::Replace };
    dst.data
        .par_chunks_mut(m * CHUNK)
        .zip(b.par_chunks(b_nrow * CHUNK))
        .for_each(|(dchunk, bchunk)| {
            let ncols = dchunk.len() / m;
            let d = MatMut::from_column_major_slice_mut(dchunk, m, ncols);
            let r = MatRef::from_column_major_slice(bchunk, b_nrow, ncols);
            matmul(d, beta, lhs, r, alpha, Par::Seq);
        });
}

/// `dst = alpha * a * b' (+ dst)`, parallel over fixed chunks of rows of `a` (the result's rows).
///
/// Used for tall products such as the n x p fitted part `F Lambda'` where n is large.
pub fn gemm_nt(dst: &mut Dense, accumulate: bool, a: &Dense, b: &Dense, alpha: f64) {
    assert_eq!(a.ncol, b.ncol, "gemm_nt: inner dimensions differ");
    assert_eq!(dst.nrow, a.nrow);
    assert_eq!(dst.ncol, b.nrow);
    let bt = b.transpose();
    gemm(dst, accumulate, a, false, &bt, alpha);
}

/// In-place Cholesky `A = L L'` of a symmetric positive-definite `n x n` column-major matrix; the lower
/// triangle of `a` receives L (the upper triangle is left untouched). Returns false when A is not
/// numerically positive definite.
pub fn cholesky_in_place(a: &mut [f64], n: usize) -> bool {
    // Right-looking: after column j is scaled, it updates the trailing columns with contiguous
    // (vectorisable) column accesses.
    for j in 0..n {
        let d = a[j * n + j];
        if !(d > 0.0) || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        let inv = 1.0 / d;
        for i in (j + 1)..n {
            a[j * n + i] *= inv;
        }
        let (head, tail) = a.split_at_mut((j + 1) * n);
        let lj = &head[j * n..(j + 1) * n];
        for c in (j + 1)..n {
            let f = lj[c];
            if f == 0.0 {
                continue;
            }
            let col = &mut tail[(c - j - 1) * n..(c - j) * n];
            for i in c..n {
                col[i] -= lj[i] * f;
            }
        }
    }
    true
}

/// Solves `L x = b` in place (L lower triangular from [`cholesky_in_place`]).
pub fn solve_lower(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves `L' x = b` in place.
pub fn solve_upper_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in (i + 1)..n {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Eigendecomposition of a symmetric matrix: eigenvalues ascending and the eigenvectors as columns.
pub fn sym_eigen(a: &Dense) -> Result<(Vec<f64>, Dense), SlamError> {
    if a.nrow != a.ncol {
        return Err(SlamError::new("eigendecomposition of a non-square matrix"));
    }
    let n = a.nrow;
    if n == 0 {
        return Ok((Vec::new(), Dense::zeros(0, 0)));
    }
    let evd = a
        .view()
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| SlamError::new(format!("eigendecomposition failed: {e:?}")))?;
    let s = evd.S();
    let vals: Vec<f64> = (0..n).map(|i| s[i]).collect();
    let u = evd.U();
    let mut vecs = Dense::zeros(n, n);
    for j in 0..n {
        for i in 0..n {
            vecs.data[j * n + i] = u[(i, j)];
        }
    }
    Ok((vals, vecs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &Dense, ta: bool, b: &Dense) -> Dense {
        let at = if ta { a.transpose() } else { a.clone() };
        let mut c = Dense::zeros(at.nrow, b.ncol);
        for i in 0..at.nrow {
            for j in 0..b.ncol {
                let mut s = 0.0;
                for l in 0..at.ncol {
                    s += at.get(i, l) * b.get(l, j);
                }
                c.set(i, j, s);
            }
        }
        c
    }

    fn filled(nrow: usize, ncol: usize, seed: f64) -> Dense {
        let data = (0..nrow * ncol).map(|i| ((i as f64 + seed) * 0.7311).sin()).collect();
        Dense::from_vec(nrow, ncol, data).unwrap()
    }

    #[test]
    fn gemm_matches_naive_products() {
        for &(m, q, n) in &[(7, 5, 3), (130, 9, 150), (3, 0, 4), (64, 64, 129)] {
            let a = filled(m, q, 1.0);
            let at = a.transpose();
            let b = filled(q, n, 2.0);
            let mut c = Dense::zeros(m, n);
            gemm(&mut c, false, &a, false, &b, 1.0);
            let e = naive(&a, false, &b);
            let mut c2 = Dense::zeros(m, n);
            gemm(&mut c2, false, &at, true, &b, 1.0);
            for i in 0..c.data.len() {
                assert!((c.data[i] - e.data[i]).abs() < 1e-10);
                assert!((c2.data[i] - e.data[i]).abs() < 1e-10);
            }
            // accumulate adds
            gemm(&mut c, true, &a, false, &b, -1.0);
            assert!(c.data.iter().all(|x| x.abs() < 1e-10));
        }
    }

    #[test]
    fn cholesky_solves_spd_system() {
        let n = 6;
        let a = filled(n, n, 3.0);
        let mut spd = naive(&a, true, &a);
        for i in 0..n {
            spd.data[i * n + i] += 1.0;
        }
        let mut l = spd.data.clone();
        assert!(cholesky_in_place(&mut l, n));
        let b: Vec<f64> = (0..n).map(|i| i as f64 - 2.0).collect();
        let mut x = b.clone();
        solve_lower(&l, n, &mut x);
        solve_upper_t(&l, n, &mut x);
        for i in 0..n {
            let ax: f64 = (0..n).map(|j| spd.get(i, j) * x[j]).sum();
            assert!((ax - b[i]).abs() < 1e-9);
        }
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky_in_place(&mut bad, 2));
    }

    #[test]
    fn eigen_reconstructs() {
        let n = 5;
        let a = filled(n, n, 0.5);
        let s = naive(&a, true, &a);
        let (vals, vecs) = sym_eigen(&s).unwrap();
        for w in vals.windows(2) {
            assert!(w[0] <= w[1] + 1e-12);
        }
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n).map(|l| vecs.get(i, l) * vals[l] * vecs.get(j, l)).sum();
                assert!((r - s.get(i, j)).abs() < 1e-9);
            }
        }
    }
}
