//! The in-memory result of a run: every saved draw (a [`DrawSink`]), the posterior means, and what
//! happened during the run.

use crate::error::{Result, SlamError};
use crate::linalg::Dense;

use super::archive::{self, Archive};
use super::zarr::DiskDraws;

use super::means::Means;
use super::record::{Draw, DrawSink, Keep};

/// Saved draws, flat and column-major per draw (T = number of saved draws), standardised scale, terms in
/// the user's order.
#[derive(Default)]
pub struct Posterior {
    pub p: usize,
    pub k: usize,
    pub b: usize,
    pub bf: usize,
    /// Number of random-effect terms M.
    pub n_terms: usize,
    pub n_draws: usize,
    /// p x k x T loadings.
    pub lambda: Vec<f64>,
    /// b x p x T.
    pub bmat: Vec<f64>,
    /// bF x k x T.
    pub bfmat: Vec<f64>,
    /// p x T.
    pub psi: Vec<f64>,
    /// p x M x T trait-specific shares.
    pub h2: Vec<f64>,
    /// k x M x T factor shares.
    pub h2f: Vec<f64>,
    /// p x M x T `diag(G_m) / diag(P)`.
    pub h2_total: Vec<f64>,
    /// b x T.
    pub sigma2_b: Vec<f64>,
    /// k x T.
    pub delta: Vec<f64>,
    /// n_family x T: the families' parameters (see [`Draw::family`]).
    pub family: Vec<f64>,
    /// Posterior means (set when the run ends).
    pub means: Option<Means>,
    /// Iterations completed, and whether the user stopped the run.
    pub iterations: usize,
    /// The iteration the run started from (0, or that of the chain it resumed).
    pub started_at: usize,
    pub interrupted: bool,
    /// Number of factors at each burn-in iteration.
    pub k_trace: Vec<usize>,
    /// Per trait: acceptance rate of its family's Metropolis-Hastings step after burn-in (NaN: none).
    pub acceptance: Vec<f64>,
    /// The chain at its last iteration, without the draws (see [`super::archive`]): continues the run.
    pub state: Vec<u8>,
    /// Where the draws go when they are kept on disk (the arrays above then stay empty).
    pub disk: Option<DiskDraws>,
    /// Which quantities are kept (the arrays of the others stay empty).
    pub keep: Keep,
    /// Numerical failures per block during the run (see [`super::numerics`]).
    pub numerical_failures: Vec<(&'static str, usize)>,
}

impl Posterior {
    /// The draws saved so far (see [`super::archive`]).
    pub fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        archive::index(a, "draws.n", &mut self.n_draws)?;
        if let Some(disk) = self.disk.as_mut() {
            disk.archive(a)?;
            if disk.n_draws() != self.n_draws {
                return Err(SlamError::new("the saved draws on disk do not match the saved chain"));
            }
            return Ok(());
        }
        a.reals("draws.lambda", &mut self.lambda)?;
        a.reals("draws.b", &mut self.bmat)?;
        a.reals("draws.bf", &mut self.bfmat)?;
        a.reals("draws.psi", &mut self.psi)?;
        a.reals("draws.h2", &mut self.h2)?;
        a.reals("draws.h2f", &mut self.h2f)?;
        a.reals("draws.h2_total", &mut self.h2_total)?;
        a.reals("draws.sigma2_b", &mut self.sigma2_b)?;
        a.reals("draws.delta", &mut self.delta)?;
        a.reals("draws.family", &mut self.family)?;
        let lambda_len = if self.keep.has(0) { self.p * self.k * self.n_draws } else { 0 };
        if self.psi.len() != self.p * self.n_draws || self.lambda.len() != lambda_len {
            return Err(SlamError::new("the saved draws do not match this model's sizes"));
        }
        Ok(())
    }

    /// An empty store for draws of the given sizes, with room for `t` draws of the kept quantities.
    pub fn new(p: usize, k: usize, b: usize, bf: usize, n_terms: usize, t: usize, keep: Keep) -> Self {
        let t_of = |i: usize| if keep.has(i) { t } else { 0 };
        Posterior {
            p,
            k,
            b,
            bf,
            n_terms,
            lambda: Vec::with_capacity(p * k * t_of(0)),
            bmat: Vec::with_capacity(b * p * t_of(1)),
            bfmat: Vec::with_capacity(bf * k * t_of(2)),
            psi: Vec::with_capacity(p * t_of(3)),
            h2: Vec::with_capacity(p * n_terms * t_of(4)),
            h2f: Vec::with_capacity(k * n_terms * t_of(5)),
            h2_total: Vec::with_capacity(p * n_terms * t_of(6)),
            sigma2_b: Vec::with_capacity(b * t_of(7)),
            delta: Vec::with_capacity(k * t_of(8)),
            keep,
            ..Posterior::default()
        }
    }

    /// The means (an empty set before the run has ended).
    pub fn means(&self) -> &Means {
        match &self.means {
            Some(m) => m,
            None => &EMPTY,
        }
    }
}

static EMPTY: Means = Means {
    u_mean: Vec::new(),
    f_mean: Dense { nrow: 0, ncol: 0, data: Vec::new() },
    h_mean: Dense { nrow: 0, ncol: 0, data: Vec::new() },
    fitted: Dense { nrow: 0, ncol: 0, data: Vec::new() },
    mu_mean: Dense { nrow: 0, ncol: 0, data: Vec::new() },
    mu_sd: Dense { nrow: 0, ncol: 0, data: Vec::new() },
    mu_columns: Vec::new(),
    class_probs: Vec::new(),
    probes: Vec::new(),
};

impl DrawSink for Posterior {
    fn record(&mut self, d: &Draw) -> Result<()> {
        self.n_draws += 1;
        if let Some(disk) = self.disk.as_mut() {
            return disk.record(d);
        }
        let keep = self.keep;
        let stores = [
            &mut self.lambda,
            &mut self.bmat,
            &mut self.bfmat,
            &mut self.psi,
            &mut self.h2,
            &mut self.h2f,
            &mut self.h2_total,
            &mut self.sigma2_b,
            &mut self.delta,
            &mut self.family,
        ];
        for (i, (store, part)) in stores.into_iter().zip(d.parts()).enumerate() {
            if keep.has(i) {
                store.extend_from_slice(part);
            }
        }
        Ok(())
    }
}
