//! Running posterior means of the quantities too large to keep per draw: genetic values, factor scores,
//! the latent H, and fitted values on the response scale.
//!
//! Genetic values are Rao-Blackwellised: at each saved draw the conditional mean of the rotated term's U
//! given everything else is added up, in the rotated space, where it is
//!
//! `E[U | .] = K Z' Q Mt`,  `Mt[:, j] = a_j rt_j / d(a_j)` (traits) `+ sum_h lambda_jh aF_h et_h / d(aF_h)`
//! (factors), with `rt`, `et` the rotated trait and factor residuals given the other terms and `a` the
//! rotated term's share. The map is linear, so only the mean of `Mt` is accumulated and `K Z' Q` is
//! applied once at the end. The other terms' effects are drawn explicitly; their mean `U_e + U_Fe Lambda'`
//! is accumulated as it is.
//!
//! Response-scale fitted values of non-Gaussian traits average `E[y | eta, v]` over draws: probit
//! `Phi((eta + o) / sqrt(v))`; ordinal the class probabilities and the expected class; counts
//! `exp(eta + o + v / 2)` (the lognormal mean of `exp(h + o)`).

use crate::error::Result;
use crate::link::special::norm_cdf;
use crate::link::{ordinal, TraitParams};
use crate::linalg::{gemm, gemm_nt, Dense};
use crate::model::{Family, ModelData};

use super::archive::{self, Archive};
use super::fixed::Fixed;
use super::residuals;
use super::state::ChainState;

/// Posterior means (original space, standardised scale).
pub struct Means {
    /// Genetic values per random-effect term (user order), levels x p.
    pub u_mean: Vec<Dense>,
    /// n x k factor scores.
    pub f_mean: Dense,
    /// n x p latent H: the data where observed without error, the posterior mean elsewhere.
    pub h_mean: Dense,
    /// n x p response-scale fitted values (NaN for Gaussian traits; 0 x 0 when every trait is Gaussian).
    pub fitted: Dense,
    /// n x L posterior mean and sd of the linear predictor `eta = X b + F lambda + sum_m Z_m u_m` (every
    /// effect but the trait's own residual) of the L latent traits, those of `mu_columns` (traits with a
    /// missing value or a non-Gaussian family); traits observed without error have no column, so that a
    /// complete Gaussian data set costs no n x p array here.
    pub mu_mean: Dense,
    pub mu_sd: Dense,
    pub mu_columns: Vec<usize>,
    /// For each ordinal trait (in trait order): n x C class probabilities.
    pub class_probs: Vec<Dense>,
    /// For each trait of family probes (in trait order): Q x 4, the posterior mean and sd of each probe's
    /// effect and of its precision.
    pub probes: Vec<Dense>,
}

/// Sums over saved draws.
pub struct RunningMeans {
    n_draws: usize,
    mt_sum: Dense,
    ft_sum: Dense,
    h_sum: Dense,
    u_other_sum: Dense,
    fitted_sum: Dense,
    /// Sums of eta and eta^2 of the latent traits (n x L).
    eta_sum: Dense,
    eta_sq: Dense,
    class_sum: Vec<Dense>,
    /// Per probe trait: Q x 4 sums of mu, mu^2, rho, rho^2.
    probe_sum: Vec<Dense>,
}

impl RunningMeans {
    /// The sums so far (see [`super::archive`]).
    pub fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        archive::index(a, "means.n_draws", &mut self.n_draws)?;
        archive::dense(a, "means.mt_sum", &mut self.mt_sum)?;
        archive::dense(a, "means.ft_sum", &mut self.ft_sum)?;
        archive::dense(a, "means.h_sum", &mut self.h_sum)?;
        archive::dense(a, "means.u_other_sum", &mut self.u_other_sum)?;
        archive::dense(a, "means.fitted_sum", &mut self.fitted_sum)?;
        archive::dense(a, "means.eta_sum", &mut self.eta_sum)?;
        archive::dense(a, "means.eta_sq", &mut self.eta_sq)?;
        for (c, d) in self.class_sum.iter_mut().enumerate() {
            archive::dense(a, &format!("means.class_sum[{c}]"), d)?;
        }
        for (c, d) in self.probe_sum.iter_mut().enumerate() {
            archive::dense(a, &format!("means.probe_sum[{c}]"), d)?;
        }
        Ok(())
    }

    pub fn new(fx: &Fixed, st: &ChainState) -> Self {
        let (n, p, k) = (fx.n, fx.p, st.k());
        let l = fx.obs.latent.len();
        let class_sum = fx
            .obs
            .latent
            .iter()
            .filter_map(|&j| match fx.obs.family(j) {
                Family::Ordinal { classes } => Some(Dense::zeros(n, classes)),
                _ => None,
            })
            .collect();
        RunningMeans {
            n_draws: 0,
            mt_sum: Dense::zeros(if fx.rotated.is_some() { n } else { 0 }, p),
            ft_sum: Dense::zeros(n, k),
            h_sum: Dense::zeros(n, l),
            u_other_sum: Dense::zeros(fx.others.as_ref().map_or(0, |x| x.r_e), p),
            fitted_sum: if fx.obs.any_non_gaussian() { Dense::zeros(n, l) } else { Dense::zeros(0, 0) },
            eta_sum: Dense::zeros(n, l),
            eta_sq: Dense::zeros(n, l),
            class_sum,
            probe_sum: fx.obs.probes.iter().flatten().map(|y| Dense::zeros(y.ncol, 4)).collect(),
        }
    }

    /// Adds the current state (factor signs `sign`, as in the saved draw); `scratch` is reused n x p
    /// space (see [`super::workspace`]).
    pub fn add(&mut self, fx: &Fixed, st: &ChainState, sign: &[f64], scratch: &mut Dense) {
        let k = st.k();
        if let (Some(t), Some(f)) = (&st.traits.other, &st.factors.other) {
            let mut u = t.u.clone();
            if k > 0 {
                gemm_nt(&mut u, true, &f.u, &st.traits.lambda, 1.0);
            }
            self.u_other_sum.data.iter_mut().zip(&u.data).for_each(|(a, b)| *a += b);
        }
        for h in 0..k {
            let dst = self.ft_sum.col_mut(h);
            for (d, v) in dst.iter_mut().zip(st.factors.ft.col(h)) {
                *d += sign[h] * v;
            }
        }
        for v in self.h_sum.data.iter_mut().zip(&st.link.h.data) {
            *v.0 += v.1;
        }
        if self.mt_sum.nrow > 0 {
            self.add_genetic(fx, st, scratch);
        }
        let probe_states = st.link.params.iter().filter_map(|p| match p {
            TraitParams::Probes(s) => Some(s),
            _ => None,
        });
        for (sum, ps) in self.probe_sum.iter_mut().zip(probe_states) {
            for q in 0..ps.mu.len() {
                let (m, r) = (ps.mu[q], ps.rho[q]);
                for (c, v) in [m, m * m, r, r * r].into_iter().enumerate() {
                    let cur = sum.get(q, c);
                    sum.set(q, c, cur + v);
                }
            }
        }
        self.add_fitted(fx, st);
        let eta = &st.link.eta;
        if eta.data.len() == self.eta_sum.data.len() {
            for ((s1, s2), &e) in self.eta_sum.data.iter_mut().zip(self.eta_sq.data.iter_mut()).zip(&eta.data) {
                *s1 += e;
                *s2 += e * e;
            }
        }
        self.n_draws += 1;
    }

    fn add_genetic(&mut self, fx: &Fixed, st: &ChainState, mt: &mut Dense) {
        let share = &fx.tables.rot_share;
        residuals::traits_into(fx, &st.yt, &st.traits, &st.factors.ft, mt);
        for j in 0..fx.p {
            let g = st.traits.h2[j];
            let (h2, w) = (share[g], &fx.tables.w[g]);
            for (v, wi) in mt.col_mut(j).iter_mut().zip(w) {
                *v *= h2 * wi;
            }
        }
        if st.k() > 0 {
            let mut mf = residuals::factors(fx, &st.factors);
            for h in 0..st.k() {
                let g = st.factors.h2[h];
                let (h2, w) = (share[g], &fx.tables.w[g]);
                for (v, wi) in mf.col_mut(h).iter_mut().zip(w) {
                    *v *= h2 * wi;
                }
            }
            gemm_nt(mt, true, &mf, &st.traits.lambda, 1.0);
        }
        for (a, v) in self.mt_sum.data.iter_mut().zip(&mt.data) {
            *a += v;
        }
    }

    fn add_fitted(&mut self, fx: &Fixed, st: &ChainState) {
        let link = &st.link;
        if link.eta.ncol == 0 || self.fitted_sum.ncol == 0 {
            return;
        }
        let mut ord = 0;
        for (c, &j) in fx.obs.latent.iter().enumerate() {
            let (eta, v) = (link.eta.col(c), link.v[c]);
            let off = fx.obs.offset.as_ref().map(|o| o.col(j));
            let o = |i: usize| off.map_or(0.0, |o| o[i]);
            let dst = self.fitted_sum.col_mut(c);
            match (fx.obs.family(j), &link.params[c]) {
                (Family::Gaussian, _) => {}
                (Family::Probit, _) => {
                    let sd = v.sqrt();
                    dst.iter_mut().enumerate().for_each(|(i, d)| *d += norm_cdf((eta[i] + o(i)) / sd));
                }
                (Family::Ordinal { classes }, TraitParams::Ordinal(cp)) => {
                    let probs = &mut self.class_sum[ord];
                    let mut pr = vec![0.0; classes];
                    for (i, d) in dst.iter_mut().enumerate() {
                        ordinal::class_probs(&cp.g, eta[i] + o(i), v, &mut pr);
                        let mut e = 0.0;
                        for (cl, &q) in pr.iter().enumerate() {
                            e += (cl + 1) as f64 * q;
                            let cur = probs.get(i, cl);
                            probs.set(i, cl, cur + q);
                        }
                        *d += e;
                    }
                    ord += 1;
                }
                (Family::NegBin { .. } | Family::Poisson, _) => {
                    dst.iter_mut().enumerate().for_each(|(i, d)| *d += (eta[i] + o(i) + 0.5 * v).exp());
                }
                _ => {}
            }
        }
    }

    /// The posterior means, mapped back to the original space.
    pub fn finish(&self, fx: &Fixed, data: &ModelData) -> Means {
        let t = self.n_draws.max(1) as f64;
        let p = fx.p;
        let mut ft_mean = self.ft_sum.clone();
        ft_mean.data.iter_mut().for_each(|v| *v /= t);
        let f_mean = fx.rot.unrotate(&ft_mean);
        let mut h_mean = data.y.clone();
        let any_non_gaussian = (0..p).any(|j| fx.obs.family(j) != Family::Gaussian);
        let mut fitted = if any_non_gaussian {
            Dense { nrow: fx.n, ncol: p, data: vec![f64::NAN; fx.n * p] }
        } else {
            Dense::zeros(0, 0)
        };
        for (c, &j) in fx.obs.latent.iter().enumerate() {
            // Observed entries of Gaussian traits without weights are the data themselves.
            let all_rows = fx.obs.family(j) != Family::Gaussian || fx.obs.weights.is_some();
            if all_rows {
                for i in 0..fx.n {
                    h_mean.set(i, j, self.h_sum.get(i, c) / t);
                }
            } else {
                for &i in &fx.obs.missing[c] {
                    h_mean.set(i, j, self.h_sum.get(i, c) / t);
                }
            }
            if fx.obs.family(j) != Family::Gaussian && fitted.ncol > 0 {
                for i in 0..fx.n {
                    fitted.set(i, j, self.fitted_sum.get(i, c) / t);
                }
            }
        }
        let n_latent = fx.obs.latent.len();
        let mut mu_mean = Dense { nrow: fx.n, ncol: n_latent, data: vec![f64::NAN; fx.n * n_latent] };
        let mut mu_sd = mu_mean.clone();
        if self.n_draws > 0 {
            for c in 0..n_latent {
                for i in 0..fx.n {
                    let m = self.eta_sum.get(i, c) / t;
                    let var = (self.eta_sq.get(i, c) / t - m * m).max(0.0);
                    mu_mean.set(i, c, m);
                    mu_sd.set(i, c, var.sqrt());
                }
            }
        }
        let mut u_mean: Vec<Dense> = fx.levels.iter().map(|&r| Dense::zeros(r, p)).collect();
        if let Some(x) = &fx.others {
            for term in &x.terms {
                let u = &mut u_mean[term.term];
                for j in 0..p {
                    for l in 0..term.r {
                        u.set(l, j, self.u_other_sum.get(term.offset + l, j) / t);
                    }
                }
            }
        }
        if let Some(m) = fx.rotated {
            let term = &data.terms[m];
            // One n x p temporary at a time (at p = 20000 each is 160 MB): Q Mt, then Z' Q Mt, then K Z' Q Mt.
            let ztm = {
                let mut qm = fx.rot.unrotate(&self.mt_sum);
                qm.data.iter_mut().for_each(|v| *v /= t);
                let mut ztm = Dense::zeros(term.z.ncol, p);
                gemm(&mut ztm, false, &term.z, true, &qm, 1.0);
                ztm
            };
            u_mean[m] = match &term.kin {
                Some(kin) => {
                    let mut u = Dense::zeros(kin.nrow, p);
                    gemm(&mut u, false, kin, false, &ztm, 1.0);
                    u
                }
                None => ztm,
            };
        }
        let class_probs = self
            .class_sum
            .iter()
            .map(|s| {
                let mut m = s.clone();
                m.data.iter_mut().for_each(|v| *v /= t);
                m
            })
            .collect();
        let probes = self
            .probe_sum
            .iter()
            .map(|s| {
                let mut out = Dense::zeros(s.nrow, 4);
                for q in 0..s.nrow {
                    for (c0, c) in [(0, 0), (2, 2)] {
                        let m = s.get(q, c0) / t;
                        let var = (s.get(q, c0 + 1) / t - m * m).max(0.0);
                        out.set(q, c, m);
                        out.set(q, c + 1, var.sqrt());
                    }
                }
                out
            })
            .collect();
        Means { u_mean, f_mean, h_mean, fitted, mu_mean, mu_sd, mu_columns: fx.obs.latent.clone(), class_probs, probes }
    }
}
