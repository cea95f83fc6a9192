//! Block 1, the observation models (the link layer): `y_ij ~ p(y | h_ij + o_ij, theta_j)`.
//!
//! The Gaussian blocks see a latent layer H (n x p). For a trait observed without error (Gaussian, no
//! missing value, no weights) H is the data. For every other trait ("latent" traits) each iteration draws
//! its column of H, and the family's own parameters, given the rest of the model, by exact data
//! augmentation:
//!
//! 1. the linear predictor with every random effect restored, `eta_j = X b_j + F lambda_j + sum_m Z_m u_jm`.
//!    The rotated term's effect `g_j = Z u_j` is integrated out by the other blocks, so it is drawn here
//!    from its conditional given the current column: in the rotated space, with `rt = yt_j - O_j - xt b_j
//!    - ft lambda_j`, `d_i = a s_i + e` (a: the rotated term's share, e: the residual share),
//!    `gt_i ~ N(a s_i / d_i rt_i, psi_j a s_i e / d_i)`, then `g_j = Q gt`;
//! 2. the residual variance given every random effect, `v_j = psi_j e(h2_j)`;
//! 3. `h_ij` from `p(y_ij | h_ij) N(h_ij; eta_ij, v_j)`: each family's own step (files of this module);
//!    a missing `y_ij` leaves `h_ij ~ N(eta_ij, v_j)`;
//! 4. `yt_j = Q' h_j` for the blocks that follow.
//!
//! Both draws are full conditionals of the model with `u_j` restored, so the chain keeps its stationary
//! law; families sit side by side because each trait's step is its own. Cost: two rotations (`n^2`) per
//! latent trait and iteration.

pub mod curves;
pub mod ess;
pub mod gaussian;
pub mod laplace;
pub mod negbin;
pub mod nonlinear;
pub mod nonlinear_user;
pub mod ordinal;
pub mod poisson;
pub mod polya_gamma;
pub mod probes;
pub mod probit;
pub mod special;
pub mod truncnorm;

use rayon::prelude::*;

use crate::error::Result;
use crate::linalg::{gemm, gemm_nt, Dense};
use crate::model::{Family, ModelData, Priors};
use crate::rng::{normal, task_rng, Block};
use crate::sampler::residuals::trait_target;
use crate::sampler::state::{FactorState, TraitState};
use crate::sampler::Fixed;

/// The observation model of every trait: fixed data.
pub struct Observations {
    families: Vec<Family>,
    /// n x L observations of the latent traits (codes for non-Gaussian traits); NaN = missing.
    pub y: Dense,
    pub weights: Option<Dense>,
    pub offset: Option<Dense>,
    /// Traits whose H is drawn every iteration.
    pub latent: Vec<usize>,
    /// Missing rows of each latent trait.
    pub missing: Vec<Vec<usize>>,
    /// The trait fixed-effect design in the original space (kept only when a trait is latent).
    pub x: Dense,
    /// Prior of the negative binomial sizes, Gamma(shape, rate).
    pub negbin_prior: (f64, f64),
    /// Probes of each latent trait (None for other families), and the prior of their precisions.
    pub probes: Vec<Option<Dense>>,
    pub probe_prior: (f64, f64),
    /// The curves, and the prior of their measurement variances.
    pub curves: Vec<curves::CurveData>,
    pub curve_prior: (f64, f64),
    /// The non-linear responses.
    pub nonlinear: Vec<nonlinear::NonlinearData>,
}

impl Observations {
    pub fn new(data: &ModelData, priors: &Priors) -> Result<Self> {
        let p = data.p();
        let families: Vec<Family> = (0..p).map(|j| data.family(j)).collect();
        let mut latent = Vec::new();
        let mut missing = Vec::new();
        for j in 0..p {
            let rows: Vec<usize> = (0..data.n()).filter(|&i| data.y.get(i, j).is_nan()).collect();
            if families[j] != Family::Gaussian || !rows.is_empty() || data.weights.is_some() {
                latent.push(j);
                missing.push(rows);
            }
        }
        let x = if latent.is_empty() { Dense::zeros(0, 0) } else { data.x.clone() };
        let curves = data.curves.iter().map(|c| curves::CurveData::new(c, data.n(), &latent)).collect();
        let nonlinear = data.nonlinear.iter().map(|c| nonlinear::NonlinearData::new(c, data.n(), &latent)).collect();
        let probes = latent
            .iter()
            .map(|&j| data.probes.iter().find(|s| s.trait_index == j).map(|s| s.y.clone()))
            .collect();
        Ok(Observations {
            families,
            y: data.y.select_cols(&latent),
            weights: data.weights.clone(),
            offset: data.offset.clone(),
            latent,
            missing,
            x,
            negbin_prior: (priors.negbin_shape, priors.negbin_rate),
            curves,
            nonlinear,
            probes,
            probe_prior: (priors.probe_shape, priors.probe_rate),
            curve_prior: (priors.curve_shape, priors.curve_scale),
        })
    }

    pub fn family(&self, j: usize) -> Family {
        self.families[j]
    }

    pub fn any_latent(&self) -> bool {
        !self.latent.is_empty()
    }

    /// Whether some trait is not Gaussian (then response-scale fitted values are kept).
    pub fn any_non_gaussian(&self) -> bool {
        self.families.iter().any(|&f| f != Family::Gaussian)
    }

    /// Offset of trait j (zeros when none).
    fn offset_col(&self, j: usize) -> Option<&[f64]> {
        self.offset.as_ref().map(|o| o.col(j))
    }
}

/// The proposal scale of a Metropolis-Hastings step and its acceptance counts: during burn-in the scale is
/// tuned by a Robbins-Monro recursion on its log, `log s += it^-0.6 (accepted - target)`, within `[lo, hi]`;
/// afterwards it is fixed (so the saved chain is a plain Metropolis-within-Gibbs chain) and the moves are
/// counted.
#[derive(Clone, Debug)]
pub struct MhTuning {
    pub step: f64,
    pub accepted: u64,
    pub proposed: u64,
}

impl MhTuning {
    pub fn new(step: f64) -> Self {
        MhTuning { step, accepted: 0, proposed: 0 }
    }

    /// Records one move of iteration `it`.
    pub fn record(&mut self, accept: bool, it: usize, burnin: bool, target: f64, lo: f64, hi: f64) {
        if burnin {
            let gain = (it.max(1) as f64).powf(-0.6);
            self.step = (self.step.ln() + gain * ((accept as u8 as f64) - target)).exp().clamp(lo, hi);
        } else {
            self.proposed += 1;
            self.accepted += accept as u64;
        }
    }
}

/// The family parameters of one latent trait, and its Metropolis statistics.
#[derive(Clone, Debug)]
pub enum TraitParams {
    /// Families with nothing of their own to draw.
    None,
    Ordinal(ordinal::Cutpoints),
    NegBin(negbin::Size),
    Poisson(poisson::Stats),
    Probes(probes::ProbeState),
}

/// Chain state of the observation models.
#[derive(Clone, Debug)]
pub struct LinkState {
    /// n x L latent H of the latent traits (original space), in the order of `Observations::latent`.
    pub h: Dense,
    /// Family parameters per latent trait.
    pub params: Vec<TraitParams>,
    /// Measurement variances of each curve and each non-linear response.
    pub curves: Vec<curves::CurveState>,
    pub nonlinear: Vec<nonlinear::NonlinearState>,
    /// The linear predictor `eta` (n x L) and residual variances `v` of the latest step, kept for the
    /// running means of eta and the response-scale fitted values (recomputed every iteration; not needed
    /// to resume a chain).
    pub eta: Dense,
    pub v: Vec<f64>,
}

impl LinkState {
    /// Starting values: the latent state of every trait and the full starting H (n x p) of the chain, from
    /// the observations `y` (n x p).
    pub fn start(obs: &Observations, y: &Dense) -> (Self, Dense) {
        let (n, p) = (y.nrow, y.ncol);
        let mut h0 = y.clone();
        let mut params = Vec::with_capacity(obs.latent.len());
        for j in 0..p {
            let o = obs.offset_col(j);
            let col = h0.col_mut(j);
            let pos = obs.latent.iter().position(|&l| l == j);
            match obs.family(j) {
                Family::Probes => {
                    if let Some(y) = pos.and_then(|c| obs.probes[c].as_ref()) {
                        probes::start_latent(col, y);
                    }
                }
                Family::Curve | Family::Nonlinear => col.iter_mut().for_each(|v| *v = 0.0),
                Family::Gaussian => col.iter_mut().for_each(|v| {
                    if v.is_nan() {
                        *v = 0.0;
                    }
                }),
                Family::Probit => probit::start(col, o),
                Family::Ordinal { classes } => ordinal::start(col, o, classes),
                Family::NegBin { .. } | Family::Poisson => negbin::start_counts(col, o),
            }
        }
        for (c, &j) in obs.latent.iter().enumerate() {
            params.push(match obs.family(j) {
                Family::Gaussian | Family::Probit | Family::Curve | Family::Nonlinear => TraitParams::None,
                Family::Ordinal { classes } => TraitParams::Ordinal(ordinal::Cutpoints::start(classes)),
                Family::NegBin { .. } => {
                    let (shape, rate) = obs.negbin_prior;
                    TraitParams::NegBin(negbin::Size::start(obs.y.col(c), shape, rate))
                }
                Family::Poisson => TraitParams::Poisson(poisson::Stats::default()),
                Family::Probes => match &obs.probes[c] {
                    Some(y) => {
                        let (shape, rate) = obs.probe_prior;
                        TraitParams::Probes(probes::ProbeState::start(y, shape, rate))
                    }
                    None => TraitParams::None,
                },
            });
        }
        let h = h0.select_cols(&obs.latent);
        let l = obs.latent.len();
        let (en, el) = (n, l);
        let (shape, scale) = obs.curve_prior;
        let curves = obs.curves.iter().map(|c| curves::CurveState::start(&c.set, shape, scale)).collect();
        let nonlinear = obs.nonlinear.iter().map(|c| nonlinear::NonlinearState::start(c, shape)).collect();
        (LinkState { h, params, curves, nonlinear, eta: Dense::zeros(en, el), v: vec![0.0; el] }, h0)
    }
}

/// What one trait's step sees.
pub struct TraitData<'a> {
    /// Observations (NaN: missing).
    pub y: &'a [f64],
    /// Linear predictor with every random effect restored.
    pub eta: &'a [f64],
    /// Residual variance given the random effects.
    pub v: f64,
    pub weights: Option<&'a [f64]>,
    pub offset: Option<&'a [f64]>,
    /// Missing rows.
    pub missing: &'a [usize],
    /// Iteration, and whether it is in the burn-in (Metropolis steps tune themselves there).
    pub it: usize,
    pub burnin: bool,
}

/// The measurements of each of n individuals (indices into a layout's vectors), from each measurement's
/// individual.
pub(crate) fn by_row(rows: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut by_row = vec![Vec::new(); n];
    for (m, &r) in rows.iter().enumerate() {
        by_row[r].push(m);
    }
    by_row
}

/// Positions of `traits` among the latent traits (`ModelData::check` makes every layout trait latent).
pub(crate) fn positions(traits: &[usize], latent: &[usize]) -> Vec<usize> {
    traits.iter().map(|j| latent.iter().position(|l| l == j).unwrap_or(0)).collect()
}

/// Block 1: the latent H of every latent trait and the families' own parameters; writes `link` and the
/// latent traits' columns of `yt`. `host` evaluates user-written non-linear curves; its errors (an R
/// error in the function, a result of the wrong length) stop the run.
pub fn update(fx: &Fixed, tr: &TraitState, fs: &FactorState, link: &mut LinkState, yt: &mut Dense, it: usize, host: &dyn nonlinear::CurveHost) -> Result<()> {
    let obs = &fx.obs;
    if !obs.any_latent() {
        return Ok(());
    }
    let cols = &obs.latent;
    let n = fx.n;
    let seed = fx.settings.seed;
    let (b_m, lam_m) = coefficients(tr, cols);
    let mean = fixed_part(fx, tr, fs, cols, &b_m, &lam_m);
    let gen = rotated_effects(fx, tr, fs, yt, cols, &b_m, &lam_m, it);
    let (psi, h2_idx, efrac) = (&tr.psi, &tr.h2, &fx.tables.efrac);
    let v: Vec<f64> = cols.iter().map(|&j| psi[j] * efrac[h2_idx[j]]).collect();
    let mut eta = mean;
    if let Some(g) = &gen {
        eta.data.iter_mut().zip(&g.data).for_each(|(a, b)| *a += b);
    }
    let burnin = it <= fx.settings.burnin;
    link.h
        .data
        .par_chunks_mut(n)
        .zip(link.params.par_iter_mut())
        .enumerate()
        .for_each(|(c, (h, par))| {
            let j = cols[c];
            let d = TraitData {
                y: obs.y.col(c),
                eta: eta.col(c),
                v: v[c],
                weights: obs.weights.as_ref().map(|w| w.col(j)),
                offset: obs.offset_col(j),
                missing: &obs.missing[c],
                it,
                burnin,
            };
            let mut rng = task_rng(seed, Block::Link, 2 * j + 1, it);
            let mut prng = task_rng(seed, Block::LinkParams, j, it);
            match (obs.family(j), par) {
                (Family::Gaussian, _) => gaussian::draw(&d, h, &mut rng),
                (Family::Probit, _) => probit::draw(&d, h, &mut rng),
                (Family::Ordinal { .. }, TraitParams::Ordinal(cp)) => ordinal::draw(&d, cp, h, &mut rng, &mut prng),
                (Family::NegBin { polya_gamma }, TraitParams::NegBin(sz)) => {
                    let kernel = if polya_gamma { negbin::Kernel::PolyaGamma } else { negbin::Kernel::Metropolis };
                    negbin::draw(&d, kernel, sz, h, &mut rng, &mut prng)
                }
                (Family::Poisson, TraitParams::Poisson(st)) => poisson::draw(&d, st, h, &mut rng),
                (Family::Probes, TraitParams::Probes(st)) => {
                    if let Some(y) = &obs.probes[c] {
                        probes::draw(&d, y, st, h, &mut rng, &mut prng);
                    }
                }
                // Curve coefficients are drawn per individual below; parameters are made for their family
                // in `LinkState::start`, so nothing else reaches here.
                _ => {}
            }
        });
    for (index, (cd, st)) in obs.curves.iter().zip(link.curves.iter_mut()).enumerate() {
        curves::draw(cd, st, &eta, &v, &mut link.h, index, seed, it);
    }
    for (index, (nd, st)) in obs.nonlinear.iter().zip(link.nonlinear.iter_mut()).enumerate() {
        nonlinear::draw(nd, st, &eta, &v, &mut link.h, index, seed, it, burnin, host)?;
    }
    let hrot = fx.rot.rotate(&link.h);
    for (c, &j) in cols.iter().enumerate() {
        yt.col_mut(j).copy_from_slice(hrot.col(c));
    }
    // Kept for the running means of the linear predictor and the response-scale fitted values.
    link.eta = eta;
    link.v = v;
    Ok(())
}

/// The fixed effects (b x m) and loadings (m x k) of the traits `cols`.
fn coefficients(tr: &TraitState, cols: &[usize]) -> (Dense, Dense) {
    let (m, k, b) = (cols.len(), tr.lambda.ncol, tr.b.nrow);
    let mut lam_m = Dense::zeros(m, k);
    let mut b_m = Dense::zeros(b, m);
    for (c, &j) in cols.iter().enumerate() {
        for h in 0..k {
            lam_m.set(c, h, tr.lambda.get(j, h));
        }
        for l in 0..b {
            b_m.set(l, c, tr.b.get(l, j));
        }
    }
    (b_m, lam_m)
}

/// `X b_j + sum_m Z_m u_jm + F lambda_j` (original space) for the traits `cols`, with the non-rotated
/// terms' effects as drawn.
fn fixed_part(fx: &Fixed, tr: &TraitState, fs: &FactorState, cols: &[usize], b_m: &Dense, lam_m: &Dense) -> Dense {
    let (n, m, k) = (fx.n, cols.len(), fs.ft.ncol);
    let mut mean = Dense::zeros(n, m);
    gemm(&mut mean, false, &fx.obs.x, false, b_m, 1.0);
    if let (Some(x), Some(e)) = (&fx.others, &tr.other) {
        x.add_original(&mut mean, &e.u.select_cols(cols));
    }
    if k > 0 {
        let f_orig = fx.rot.unrotate(&fs.ft);
        gemm_nt(&mut mean, true, &f_orig, lam_m, 1.0);
    }
    mean
}

/// The rotated term's effects `g_j = Z u_j` of the traits `cols`, drawn from their conditional given the
/// current columns (None without a random effect).
#[allow(clippy::too_many_arguments)]
fn rotated_effects(
    fx: &Fixed,
    tr: &TraitState,
    fs: &FactorState,
    yt: &Dense,
    cols: &[usize],
    b_m: &Dense,
    lam_m: &Dense,
    it: usize,
) -> Option<Dense> {
    if fx.rot.is_identity() {
        return None;
    }
    let (n, k) = (fx.n, fs.ft.ncol);
    let mut rt = trait_target(yt, tr).select_cols(cols);
    gemm(&mut rt, true, &fx.xt, false, b_m, -1.0);
    if k > 0 {
        gemm_nt(&mut rt, true, &fs.ft, lam_m, -1.0);
    }
    let s = &fx.rot.s;
    let seed = fx.settings.seed;
    let (psi, h2_idx, efrac, share) = (&tr.psi, &tr.h2, &fx.tables.efrac, &fx.tables.rot_share);
    rt.data.par_chunks_mut(n).enumerate().for_each(|(c, col)| {
        let j = cols[c];
        let h2 = share[h2_idx[j]];
        let mut rng = task_rng(seed, Block::Link, 2 * j, it);
        for (i, v) in col.iter_mut().enumerate() {
            let e = efrac[h2_idx[j]];
            let d = h2 * s[i] + e;
            let var = psi[j] * h2 * s[i] * e / d;
            *v = s[i] * h2 / d * *v + var.max(0.0).sqrt() * normal(&mut rng);
        }
    });
    Some(fx.rot.unrotate(&rt))
}
