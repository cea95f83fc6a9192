//! The blocked, collapsed Gibbs sampler (MODEL-AND-SAMPLER.md, section 2).
//!
//! Everything lives in the rotated space of [`Rotation`]: `yt = Q' H`, `xt = Q' X`, `xft = Q' X_F` and the
//! factor scores `ft = Q' F`. With one random effect, the random effects U are integrated out of every block;
//! they are only summarised (as posterior means, Rao-Blackwellised) when draws are saved.

mod adapt;
pub mod extra;
mod factor_fixed;
mod h2;
mod hyper;
mod missing;
pub mod output;
mod scores;
mod traits;

use faer::Par;

use crate::error::{Result, SlamError};
use crate::linalg::Dense;
use crate::model::{ModelData, Priors, Settings};
use crate::rotation::Rotation;
pub use output::Posterior;

use extra::Extra;
use missing::Missing;

/// What the caller sees while the chain runs: progress, and a way to stop it early.
pub trait Monitor {
    /// Called on the calling thread after each iteration.
    fn progress(&mut self, _iter: usize, _total: usize) {}
    /// Polled on the calling thread after each iteration; true stops the run and keeps what was saved.
    fn interrupted(&mut self) -> bool {
        false
    }
}

/// A monitor that shows nothing and never interrupts.
pub struct Silent;
impl Monitor for Silent {}

/// The state of the chain and the fixed, rotated data.
pub struct Sampler {
    pub n: usize,
    pub p: usize,
    pub k: usize,
    pub b: usize,
    pub bf: usize,
    pub rot: Rotation,
    pub xt: Dense,
    pub xft: Dense,
    pub penalized: Vec<bool>,
    pub xf_map: Vec<Option<usize>>,
    pub priors: Priors,
    pub settings: Settings,
    /// log prior weights of the grid points, traits and factors.
    pub log_h2_prior: Vec<f64>,
    pub log_h2f_prior: Vec<f64>,
    /// `w[g][i] = 1 / d_i(h2_g)`, the rotated-row precisions of grid point g.
    pub w: Vec<Vec<f64>>,
    /// The same as a G x n matrix, for the grid posteriors as one product.
    pub w_mat: Dense,
    /// `sum_i ln d_i(h2_g)`.
    pub logdet: Vec<f64>,
    /// Residual share of each grid point.
    pub efrac: Vec<f64>,
    /// Neighbouring grid points (Metropolis route).
    pub neighbours: Vec<Vec<usize>>,
    /// Random-effect terms beyond the first, when the model has them.
    pub extra: Option<Extra>,
    /// Current rotated traits `Q' H` (n x p).
    pub yt: Dense,
    pub missing: Missing,
    // Parameters.
    pub bmat: Dense,
    pub lambda: Dense,
    pub psi: Vec<f64>,
    pub h2_idx: Vec<usize>,
    pub bfmat: Dense,
    pub h2f_idx: Vec<usize>,
    pub ft: Dense,
    pub phi: Dense,
    pub delta: Vec<f64>,
    /// Shared fixed-effect variances per column of X (unused for flat columns).
    pub sigma2_b: Vec<f64>,
    /// Own variances of factor fixed-effect columns that share none with X.
    pub sigma2_bf: Vec<f64>,
    /// Moving average of the loadings and the age of each factor (adaptive number of factors).
    pub lambda_avg: Dense,
    pub col_age: Vec<usize>,
}

impl Sampler {
    /// Rotates the data once and sets the chain's starting values.
    pub fn new(data: &ModelData, priors: &Priors, settings: &Settings) -> Result<Self> {
        let has_random = data.z.is_some();
        data.validate()?;
        priors.validate(has_random)?;
        settings.validate()?;
        crate::model::check_terms(data, priors)?;
        let (n, p, k) = (data.n(), data.p(), settings.k);
        let (b, bf) = (data.x.ncol, data.xf.ncol);
        let n_flat = data.penalized.iter().filter(|&&x| !x).count();
        if n <= n_flat {
            return Err(SlamError::new("more unpenalised fixed effects than rows"));
        }
        let rot = Rotation::new(n, data.z.as_ref(), data.kin.as_ref())?;
        let xt = rot.rotate(&data.x);
        let xft = rot.rotate(&data.xf);
        let mut missing = Missing::new(&data.y);
        if missing.any() {
            missing.x = data.x.clone();
        }
        let yt = rot.rotate(&missing.filled_start(&data.y));

        let grid = &priors.h2_grid;
        let ng = grid.len();
        let mut w = Vec::with_capacity(ng);
        let mut logdet = Vec::with_capacity(ng);
        let mut w_mat = Dense::zeros(ng, n);
        let efrac: Vec<f64> = (0..ng).map(|g| priors.resid_frac(g)).collect();
        for (g, &h2) in grid.iter().enumerate() {
            let d: Vec<f64> = rot.s.iter().map(|&s| h2 * s + efrac[g]).collect();
            logdet.push(d.iter().map(|v| v.ln()).sum());
            let wg: Vec<f64> = d.iter().map(|v| 1.0 / v).collect();
            for i in 0..n {
                w_mat.set(g, i, wg[i]);
            }
            w.push(wg);
        }
        let log_weights = |wts: &[f64]| -> Vec<f64> {
            let tot: f64 = wts.iter().sum();
            wts.iter().map(|v| (v / tot).ln()).collect()
        };

        // Starting values: middle of the grid, half the (standardised) variance to psi, small loadings,
        // scores from the prior; the first trait block then draws B and Lambda from their conditionals.
        // Start in the middle of the grid, or at the most likely point a priori where the middle has no mass.
        let start = |w: &[f64]| {
            if w[ng / 2] > 0.0 {
                ng / 2
            } else {
                (0..ng).fold(0, |best, g| if w[g] > w[best] { g } else { best })
            }
        };
        let extra = if data.z_extra.is_empty() {
            None
        } else {
            Some(Extra::new(&data.z_extra, &data.kin_extra, &rot, p, k, settings.cache_mb)?)
        };
        let neighbours = if extra.is_some() { extra::grid_neighbours(priors) } else { Vec::new() };
        let mut lambda = Dense::zeros(p, k);
        let mut ft = Dense::zeros(n, k);
        let mut rng = crate::rng::task_rng(settings.seed, crate::rng::Block::Hyper, usize::MAX >> 16, 0);
        for v in lambda.data.iter_mut() {
            *v = 0.1 * crate::rng::normal(&mut rng);
        }
        for v in ft.data.iter_mut() {
            *v = crate::rng::normal(&mut rng);
        }
        let s2b0 = if priors.b_shape > 1.0 { priors.b_scale / (priors.b_shape - 1.0) } else { priors.b_scale };
        Ok(Sampler {
            n,
            p,
            k,
            b,
            bf,
            xt,
            xft,
            penalized: data.penalized.clone(),
            xf_map: data.xf_map.clone(),
            log_h2_prior: log_weights(&priors.h2_prior),
            log_h2f_prior: log_weights(&priors.h2f_prior),
            w,
            w_mat,
            logdet,
            efrac,
            neighbours,
            extra,
            yt,
            missing,
            bmat: Dense::zeros(b, p),
            lambda: lambda.clone(),
            psi: vec![0.5; p],
            h2_idx: vec![start(&priors.h2_prior); p],
            bfmat: Dense::zeros(bf, k),
            h2f_idx: vec![start(&priors.h2f_prior); k],
            ft,
            phi: Dense::from_vec(p, k, vec![1.0; p * k])?,
            delta: vec![1.0; k],
            sigma2_b: vec![s2b0; b],
            sigma2_bf: vec![s2b0; bf],
            lambda_avg: lambda.clone(),
            col_age: vec![0; k],
            rot,
            priors: priors.clone(),
            settings: settings.clone(),
        })
    }

    /// One iteration, in the order of section 2 of the design note.
    pub fn iterate(&mut self, it: usize) {
        self.impute_missing(it); // 1. observation model: missing entries of H
        self.sample_traits(it); // 2. (b_j, lambda_j, psi_j) jointly, U_R integrated out
        self.sample_trait_h2(it); //    h2_j on its grid
        if self.k > 0 {
            self.sample_factor_fixed(it); // 3. bF_h
            self.sample_factor_h2(it); //    h2F_h on its grid
            self.sample_scores(it); // 4. F, rows independent in the rotated space
            self.sample_lambda_prior(it); // 5. phi, delta
        }
        self.sample_fixed_variances(it); // 5. sigma2_b
        if it <= self.settings.burnin {
            // 6. burn-in only: the saved chain is a plain Gibbs chain with a fixed number of factors.
            if self.settings.adapt {
                self.track_loadings();
                self.adapt_factors(it);
            }
            if self.settings.reorder {
                self.reorder_factors();
            }
        }
    }

    /// `tau_h = prod_{l <= h} delta_l`.
    pub fn tau(&self) -> Vec<f64> {
        let mut t = Vec::with_capacity(self.k);
        let mut acc = 1.0;
        for &d in &self.delta {
            acc *= d;
            t.push(acc);
        }
        t
    }

    /// The traits the regressions see: `yt`, less the offsets `O` of further random effects.
    pub fn trait_target(&self) -> Dense {
        let mut t = self.yt.clone();
        if let Some(x) = &self.extra {
            t.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
        }
        t
    }

    /// Rotated residuals `E = yt - O - xt B - ft Lambda'` (n x p), given every random effect but the first.
    pub fn residuals(&self) -> Dense {
        let mut e = self.residuals_marginal();
        if let Some(x) = &self.extra {
            e.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
        }
        e
    }

    /// Rotated residuals with every random effect integrated out: `yt - xt B - ft Lambda'`.
    pub fn residuals_marginal(&self) -> Dense {
        let mut e = self.yt.clone();
        crate::linalg::gemm(&mut e, true, &self.xt, false, &self.bmat, -1.0);
        if self.k > 0 {
            crate::linalg::gemm_nt(&mut e, true, &self.ft, &self.lambda, -1.0);
        }
        e
    }

    /// Traits grouped by their current grid point: (grid index, trait indices), occupied points only.
    pub fn trait_groups(&self) -> Vec<(usize, Vec<usize>)> {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); self.w.len()];
        for (j, &g) in self.h2_idx.iter().enumerate() {
            groups[g].push(j);
        }
        groups.into_iter().enumerate().filter(|(_, v)| !v.is_empty()).collect()
    }
}

/// Runs the chain: set-up, `nitt` iterations, saving every `thin`-th after `burnin`.
///
/// Parallel work runs in a rayon pool of `settings.threads` threads; `monitor` is called on the calling
/// thread between iterations, so it may talk to R.
pub fn run(data: &ModelData, priors: &Priors, settings: &Settings, monitor: &mut dyn Monitor) -> Result<Posterior> {
    // faer stays serial: every parallel loop is ours, in fixed chunks, so draws do not depend on threads.
    faer::set_global_parallelism(Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| SlamError::new(format!("could not start the thread pool: {e}")))?;
    let mut sampler = pool.install(|| Sampler::new(data, priors, settings))?;
    // The posterior store is made at the first saved draw, when the number of factors is final.
    let mut post: Option<Posterior> = None;
    let mut k_trace = Vec::with_capacity(settings.burnin);
    let (mut iterations, mut interrupted) = (0, false);
    for it in 1..=settings.nitt {
        pool.install(|| {
            sampler.iterate(it);
            if settings.is_saved(it) {
                post.get_or_insert_with(|| Posterior::new(&sampler, data)).record(&sampler);
            }
        });
        if it <= settings.burnin {
            k_trace.push(sampler.k);
        }
        iterations = it;
        monitor.progress(it, settings.nitt);
        if it < settings.nitt && monitor.interrupted() {
            interrupted = true;
            break;
        }
    }
    let mut post = post.unwrap_or_else(|| Posterior::new(&sampler, data));
    post.iterations = iterations;
    post.interrupted = interrupted;
    post.k_trace = k_trace;
    pool.install(|| post.finish(&sampler, data));
    Ok(post)
}
