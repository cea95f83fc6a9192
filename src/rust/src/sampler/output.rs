//! Saved draws and running posterior means.
//!
//! Draws are stored flat (column-major per draw) for the R bridge to wrap as arrays. Factor signs are
//! aligned with the first saved draw so that summaries of loadings are stable; identified quantities (G, R,
//! h2, genetic values) do not depend on the signs. Genetic values are Rao-Blackwellised: at each saved draw
//! the conditional mean of U given everything else is added up, in the rotated space, where it is
//!
//! `E[U | .] = K Z' Q Mt`,  `Mt[:, j] = h2_j rt_j / d(h2_j)` (traits) `+ sum_h lambda_jh h2F_h et_h / d(h2F_h)`
//! (factors), with `rt`, `et` the rotated trait and factor residuals. The map is linear, so only the mean
//! of `Mt` is accumulated and `K Z' Q` is applied once at the end.

use super::Sampler;
use crate::linalg::{gemm, gemm_nt, Dense};
use crate::model::ModelData;

pub struct Posterior {
    pub p: usize,
    pub k: usize,
    pub b: usize,
    pub bf: usize,
    pub n_draws: usize,
    pub lambda: Vec<f64>,
    pub bmat: Vec<f64>,
    pub bfmat: Vec<f64>,
    pub psi: Vec<f64>,
    pub h2: Vec<f64>,
    pub h2f: Vec<f64>,
    pub h2_total: Vec<f64>,
    pub sigma2_b: Vec<f64>,
    pub delta: Vec<f64>,
    /// Number of random-effect terms M and, per draw, the shares of every term: p x M (traits), k x M
    /// (factors), and diag(G_m) / diag(P) (p x M).
    pub n_terms: usize,
    pub h2_terms: Vec<f64>,
    pub h2f_terms: Vec<f64>,
    pub h2_total_terms: Vec<f64>,
    /// Posterior mean genetic values of the further terms (r_m x p each).
    pub u_mean_extra: Vec<Dense>,
    u_extra_sum: Dense,
    /// Posterior mean genetic values per level (r x p), when the model has a random effect.
    pub u_mean: Option<Dense>,
    /// Posterior mean factor scores in the original space (n x k).
    pub f_mean: Dense,
    /// Posterior mean of H (n x p): the data where observed, the mean imputation where missing.
    pub h_mean: Dense,
    pub iterations: usize,
    pub interrupted: bool,
    /// Number of factors at each burn-in iteration.
    pub k_trace: Vec<usize>,
    sign_ref: Option<Dense>,
    mt_sum: Dense,
    ft_sum: Dense,
    hmiss_sum: Dense,
}

impl Posterior {
    pub fn new(s: &Sampler, data: &ModelData) -> Self {
        let t = s.settings.n_saved();
        let (p, k, b, bf, n) = (s.p, s.k, s.b, s.bf, s.n);
        Posterior {
            p,
            k,
            b,
            bf,
            n_draws: 0,
            lambda: Vec::with_capacity(p * k * t),
            bmat: Vec::with_capacity(b * p * t),
            bfmat: Vec::with_capacity(bf * k * t),
            psi: Vec::with_capacity(p * t),
            h2: Vec::with_capacity(p * t),
            h2f: Vec::with_capacity(k * t),
            h2_total: Vec::with_capacity(p * t),
            sigma2_b: Vec::with_capacity(b * t),
            delta: Vec::with_capacity(k * t),
            n_terms: s.priors.n_terms(data.z.is_some()),
            h2_terms: Vec::new(),
            h2f_terms: Vec::new(),
            h2_total_terms: Vec::new(),
            u_mean_extra: Vec::new(),
            u_extra_sum: Dense::zeros(s.extra.as_ref().map_or(0, |x| x.r_e), p),
            u_mean: None,
            f_mean: Dense::zeros(n, k),
            h_mean: data.y.clone(),
            iterations: 0,
            interrupted: false,
            k_trace: Vec::new(),
            sign_ref: None,
            mt_sum: Dense::zeros(if data.z.is_some() { n } else { 0 }, p),
            ft_sum: Dense::zeros(n, k),
            hmiss_sum: Dense::zeros(n, s.missing.cols.len()),
        }
    }

    /// Signs that align each factor with the first saved draw.
    fn signs(&mut self, lambda: &Dense) -> Vec<f64> {
        let r = self.sign_ref.get_or_insert_with(|| lambda.clone());
        (0..lambda.ncol)
            .map(|h| {
                let dot: f64 = lambda.col(h).iter().zip(r.col(h)).map(|(a, b)| a * b).sum();
                if dot < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            })
            .collect()
    }

    pub fn record(&mut self, s: &Sampler) {
        let (p, k) = (s.p, s.k);
        let sign = self.signs(&s.lambda);
        for h in 0..k {
            self.lambda.extend(s.lambda.col(h).iter().map(|v| v * sign[h]));
        }
        self.bmat.extend_from_slice(&s.bmat.data);
        for h in 0..k {
            self.bfmat.extend(s.bfmat.col(h).iter().map(|v| v * sign[h]));
        }
        self.psi.extend_from_slice(&s.psi);
        let grid = &s.priors.h2_grid;
        self.h2.extend(s.h2_idx.iter().map(|&g| grid[g]));
        let h2f: Vec<f64> = s.h2f_idx.iter().map(|&g| grid[g]).collect();
        self.h2f.extend_from_slice(&h2f);
        for j in 0..p {
            let (mut gen, mut tot) = (grid[s.h2_idx[j]] * s.psi[j], s.psi[j]);
            for h in 0..k {
                let l2 = s.lambda.get(j, h).powi(2);
                gen += l2 * h2f[h];
                tot += l2;
            }
            self.h2_total.push(gen / tot);
        }
        self.sigma2_b.extend(
            s.sigma2_b.iter().zip(&s.penalized).map(|(&v, &pen)| if pen { v } else { f64::NAN }),
        );
        self.delta.extend_from_slice(&s.delta);
        let pr = &s.priors;
        for m in 0..self.n_terms {
            self.h2_terms.extend(s.h2_idx.iter().map(|&g| pr.share(g, m)));
        }
        for m in 0..self.n_terms {
            self.h2f_terms.extend(s.h2f_idx.iter().map(|&g| pr.share(g, m)));
        }
        for m in 0..self.n_terms {
            for j in 0..p {
                let (mut gen, mut tot) = (pr.share(s.h2_idx[j], m) * s.psi[j], s.psi[j]);
                for h in 0..k {
                    let l2 = s.lambda.get(j, h).powi(2);
                    gen += l2 * pr.share(s.h2f_idx[h], m);
                    tot += l2;
                }
                self.h2_total_terms.push(gen / tot);
            }
        }
        if let Some(x) = &s.extra {
            let mut u = x.u.clone();
            if k > 0 {
                gemm_nt(&mut u, true, &x.uf, &s.lambda, 1.0);
            }
            self.u_extra_sum.data.iter_mut().zip(&u.data).for_each(|(a, b)| *a += b);
        }

        for h in 0..k {
            let dst = self.ft_sum.col_mut(h);
            for (d, v) in dst.iter_mut().zip(s.ft.col(h)) {
                *d += sign[h] * v;
            }
        }
        for v in self.hmiss_sum.data.iter_mut().zip(&s.missing.h.data) {
            *v.0 += v.1;
        }
        if self.mt_sum.nrow > 0 {
            self.accumulate_genetic(s);
        }
        self.n_draws += 1;
    }

    fn accumulate_genetic(&mut self, s: &Sampler) {
        let grid = &s.priors.h2_grid;
        let mut mt = s.residuals();
        for j in 0..s.p {
            let g = s.h2_idx[j];
            let h2 = grid[g];
            let w = &s.w[g];
            for (v, wi) in mt.col_mut(j).iter_mut().zip(w) {
                *v *= h2 * wi;
            }
        }
        if s.k > 0 {
            let mut mf = s.factor_residuals();
            for h in 0..s.k {
                let g = s.h2f_idx[h];
                let h2 = grid[g];
                let w = &s.w[g];
                for (v, wi) in mf.col_mut(h).iter_mut().zip(w) {
                    *v *= h2 * wi;
                }
            }
            gemm_nt(&mut mt, true, &mf, &s.lambda, 1.0);
        }
        for (a, v) in self.mt_sum.data.iter_mut().zip(&mt.data) {
            *a += v;
        }
    }

    /// Turns the running sums into posterior means in the original space.
    pub fn finish(&mut self, s: &Sampler, data: &ModelData) {
        let t = self.n_draws.max(1) as f64;
        let mut ft_mean = self.ft_sum.clone();
        ft_mean.data.iter_mut().for_each(|v| *v /= t);
        self.f_mean = s.rot.unrotate(&ft_mean);
        for (c, &j) in s.missing.cols.iter().enumerate() {
            for &i in &s.missing.rows[c] {
                self.h_mean.set(i, j, self.hmiss_sum.get(i, c) / t);
            }
        }
        if let Some(x) = &s.extra {
            self.u_mean_extra = x
                .terms
                .iter()
                .map(|term| {
                    let mut u = Dense::zeros(term.r, s.p);
                    for j in 0..s.p {
                        for l in 0..term.r {
                            u.set(l, j, self.u_extra_sum.get(term.offset + l, j) / t);
                        }
                    }
                    u
                })
                .collect();
        }
        if let Some(z) = &data.z {
            let mut mt = self.mt_sum.clone();
            mt.data.iter_mut().for_each(|v| *v /= t);
            let qm = s.rot.unrotate(&mt);
            let mut ztm = Dense::zeros(z.ncol, s.p);
            gemm(&mut ztm, false, z, true, &qm, 1.0);
            self.u_mean = Some(match &data.kin {
                Some(kin) => {
                    let mut u = Dense::zeros(kin.nrow, s.p);
                    gemm(&mut u, false, kin, false, &ztm, 1.0);
                    u
                }
                None => ztm,
            });
        }
    }
}
