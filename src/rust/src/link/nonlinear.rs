//! Known non-linear responses: measurement m of individual i at time `t_m` is
//!
//! `y_m = g(c + s o h_i, t_m) + e_m`,  `e_m ~ N(0, sigma2_{grp(m)})`,
//!
//! where `h_i` are the individual's latent traits (the curve's parameters on a standardised scale: centre
//! c and scale s given by R) and g one of the common forms, evaluated here:
//!
//! * logistic `A / (1 + exp((x - t) / w))` (A: asymptote, x: midpoint, w: scale; nls' SSlogis);
//! * Gompertz `A exp(-b exp(-c t))`;
//! * exponential `A exp(r t)`;
//! * Michaelis-Menten `V t / (K + t)` (nls' SSmicmen);
//!
//! or a user-written R function, which only the caller's thread may run: such responses are updated in
//! lockstep (`nonlinear_user.rs`), all individuals' proposals evaluated in one call through a
//! [`CurveHost`].
//!
//! Each individual's parameters move by one elliptical slice sampling step (`ess.rs`: exact, no tuning)
//! with prior `N(eta_i, diag(v))` and likelihood `-sum_m (y_m - g)^2 / (2 sigma2)`; an individual without
//! measurements gets a draw from the prior. The variances are inverse gamma given the residuals.

use rayon::prelude::*;

use super::{ess, nonlinear_user};
use crate::error::{Result, SlamError};
use crate::linalg::Dense;
use crate::rng::{inv_gamma, normal, task_rng, Block};

/// Individuals per parallel task (fixed, so draws do not depend on the thread count).
const ROWS: usize = 32;

/// The built-in response functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    Logistic,
    Gompertz,
    Exponential,
    MichaelisMenten,
}

impl Curve {
    /// Number of parameters.
    pub fn n_par(&self) -> usize {
        match self {
            Curve::Logistic | Curve::Gompertz => 3,
            Curve::Exponential | Curve::MichaelisMenten => 2,
        }
    }

    /// `g(theta, t)` on the natural scale of the parameters.
    pub fn eval(&self, p: &[f64], t: f64) -> f64 {
        match self {
            Curve::Logistic => p[0] / (1.0 + ((p[1] - t) / p[2]).exp()),
            Curve::Gompertz => p[0] * (-p[1] * (-p[2] * t).exp()).exp(),
            Curve::Exponential => p[0] * (p[1] * t).exp(),
            Curve::MichaelisMenten => p[0] * t / (p[1] + t),
        }
    }
}

/// What g is: a built-in form, evaluated here, or a user-written function of `n_par` parameters that the
/// caller evaluates (see [`CurveHost`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Builtin(Curve),
    User { n_par: usize },
}

impl Form {
    /// Number of parameters.
    pub fn n_par(&self) -> usize {
        match self {
            Form::Builtin(c) => c.n_par(),
            Form::User { n_par } => *n_par,
        }
    }
}

/// Evaluates user-written curves: `g` of response `response` at natural-scale parameters `par` (one row
/// per measurement, one column per parameter), the measurements' times and their indices among the
/// response's measurements (so that the caller can give g their covariates); one value per row. Must be
/// callable from the sampler's worker threads (the R bridge forwards each call to R's thread).
pub trait CurveHost: Sync {
    fn eval(&self, response: usize, par: &Dense, time: &[f64], measurements: &[usize]) -> Result<Vec<f64>>;
}

/// The host of a model without user-written curves.
pub struct NoCurves;

impl CurveHost for NoCurves {
    fn eval(&self, response: usize, _: &Dense, _: &[f64], _: &[usize]) -> Result<Vec<f64>> {
        Err(SlamError::new(format!("non-linear response {} has a user-written curve but no host to evaluate it", response + 1)))
    }
}

/// One non-linear response of the model.
#[derive(Clone, Debug)]
pub struct NonlinearSet {
    pub form: Form,
    /// The parameter traits, in the order of the curve's parameters.
    pub traits: Vec<usize>,
    /// Centre and scale of each parameter: parameter = centre + scale x latent trait.
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
    /// Individual (row) and time of each measurement, the measurements, their variance groups.
    pub row: Vec<usize>,
    pub time: Vec<f64>,
    pub y: Vec<f64>,
    pub group: Vec<usize>,
    pub n_groups: usize,
    /// Scale of the inverse-gamma prior of the measurement variances (data scale of the measurements).
    pub prior_scale: f64,
}

/// A response's data, indexed by individual.
pub struct NonlinearData {
    pub set: NonlinearSet,
    pub by_row: Vec<Vec<usize>>,
    /// Positions of the parameter traits among the latent traits.
    pub pos: Vec<usize>,
}

impl NonlinearData {
    pub fn new(set: &NonlinearSet, n: usize, latent: &[usize]) -> Self {
        let (by_row, pos) = (super::by_row(&set.row, n), super::positions(&set.traits, latent));
        NonlinearData { set: set.clone(), by_row, pos }
    }

    /// Natural-scale parameters `c + s o h` of standardised parameters `h`.
    pub fn natural(&self, h: &[f64]) -> Vec<f64> {
        (0..h.len()).map(|a| self.set.center[a] + self.set.scale[a] * h[a]).collect()
    }

    /// Log-likelihood of individual i's measurements given `g` at each of them (in the order of
    /// `by_row[i]`): minus infinity where g is not finite.
    pub fn loglik_given(&self, i: usize, g: impl Iterator<Item = f64>, sigma2: &[f64]) -> f64 {
        let set = &self.set;
        let mut l = 0.0;
        for (&m, g) in self.by_row[i].iter().zip(g) {
            if !g.is_finite() {
                return f64::NEG_INFINITY;
            }
            l -= (set.y[m] - g).powi(2) / (2.0 * sigma2[set.group[m]]);
        }
        l
    }

    /// Log-likelihood of individual i's measurements at standardised parameters `h`, for a built-in curve.
    pub fn loglik(&self, curve: Curve, i: usize, h: &[f64], sigma2: &[f64]) -> f64 {
        let par = self.natural(h);
        self.loglik_given(i, self.by_row[i].iter().map(|&m| curve.eval(&par, self.set.time[m])), sigma2)
    }
}

/// Measurement variances of one response, per group.
#[derive(Clone, Debug)]
pub struct NonlinearState {
    pub sigma2: Vec<f64>,
    /// Prior sigma2 ~ iG(shape, scale) (data scale of the measurements).
    pub shape: f64,
    pub scale: f64,
    /// Likelihood evaluations of the slice sampler after burn-in, and individuals updated.
    pub evaluations: u64,
    pub updates: u64,
}

impl NonlinearState {
    /// Starts at the prior's scale (the measurements' variance about the pooled curve, set by R), which
    /// needs no evaluation of g.
    pub fn start(nd: &NonlinearData, shape: f64) -> Self {
        let scale = nd.set.prior_scale;
        NonlinearState { sigma2: vec![scale; nd.set.n_groups], shape, scale, evaluations: 0, updates: 0 }
    }

    /// `sigma2_g ~ iG(shape + m_g / 2, scale + sum_{m in g} (y_m - g_m)^2 / 2)` given g at every
    /// measurement (a non-finite g counts as an infinite residual: the variance is then left as it is).
    pub fn draw_variances(&mut self, set: &NonlinearSet, fitted: &[f64], index: usize, seed: u64, it: usize) {
        let mut ss = vec![0.0; set.n_groups];
        let mut cnt = vec![0.0; set.n_groups];
        for m in 0..set.y.len() {
            ss[set.group[m]] += (set.y[m] - fitted[m]).powi(2);
            cnt[set.group[m]] += 1.0;
        }
        let mut rng = task_rng(seed, Block::LinkParams, (1 << 45) | index, it);
        for g in 0..set.n_groups {
            let s = inv_gamma(&mut rng, self.shape + 0.5 * cnt[g], self.scale + 0.5 * ss[g]);
            if s.is_finite() {
                self.sigma2[g] = s;
            }
        }
    }
}

/// Moves every individual's parameters (columns `nd.pos` of `h`), then the measurement variances.
#[allow(clippy::too_many_arguments)]
pub fn draw(nd: &NonlinearData, st: &mut NonlinearState, eta: &Dense, v: &[f64], h: &mut Dense, index: usize, seed: u64, it: usize, burnin: bool, host: &dyn CurveHost) -> Result<()> {
    let curve = match nd.set.form {
        Form::Builtin(c) => c,
        Form::User { .. } => return nonlinear_user::draw(nd, st, eta, v, h, index, seed, it, burnin, host),
    };
    let n = h.nrow;
    let k = nd.pos.len();
    let vk: Vec<f64> = nd.pos.iter().map(|&c| v[c]).collect();
    let sigma2 = st.sigma2.clone();
    let hh = &*h;
    let rows: Vec<(Vec<f64>, usize)> = (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|chunk| {
            let (lo, hi) = (chunk * ROWS, ((chunk + 1) * ROWS).min(n));
            let mut out = Vec::with_capacity((hi - lo) * k);
            let mut evals = 0;
            for i in lo..hi {
                let mean: Vec<f64> = nd.pos.iter().map(|&c| eta.get(i, c)).collect();
                let mut f: Vec<f64> = nd.pos.iter().map(|&c| hh.get(i, c)).collect();
                let mut rng = row_rng(seed, index, i, it);
                if nd.by_row[i].is_empty() {
                    prior_draw(&mut f, &mean, &vk, &mut rng);
                } else {
                    let ll = |x: &[f64]| nd.loglik(curve, i, x, &sigma2);
                    evals += ess::step(&mut f, &mean, &vk, &ll, &mut rng);
                }
                out.extend(f);
            }
            (out, evals)
        })
        .collect();
    let mut evals = 0;
    for (chunk, (vals, e)) in rows.iter().enumerate() {
        evals += e;
        for (r, row) in vals.chunks(k).enumerate() {
            let i = chunk * ROWS + r;
            for (a, &c) in nd.pos.iter().enumerate() {
                h.set(i, c, row[a]);
            }
        }
    }
    st.count(nd, evals, burnin);
    let set = &nd.set;
    let fitted: Vec<f64> = (0..set.y.len())
        .map(|m| {
            let par = nd.natural(&nd.pos.iter().map(|&c| h.get(set.row[m], c)).collect::<Vec<_>>());
            curve.eval(&par, set.time[m])
        })
        .collect();
    st.draw_variances(set, &fitted, index, seed, it);
    Ok(())
}

/// The random stream of individual i's update (the same for built-in and user-written curves).
pub(crate) fn row_rng(seed: u64, index: usize, i: usize, it: usize) -> rand::rngs::ChaCha8Rng {
    task_rng(seed, Block::Link, (1 << 45) | (index << 32) | i, it)
}

/// An individual without measurements: a draw from its prior `N(mean, diag(var))`.
pub(crate) fn prior_draw(f: &mut [f64], mean: &[f64], var: &[f64], rng: &mut rand::rngs::ChaCha8Rng) {
    for a in 0..f.len() {
        f[a] = mean[a] + var[a].sqrt() * normal(rng);
    }
}

impl NonlinearState {
    /// Adds an iteration's likelihood evaluations to the post-burn-in counts.
    pub(crate) fn count(&mut self, nd: &NonlinearData, evals: usize, burnin: bool) {
        if !burnin {
            self.evaluations += evals as u64;
            self.updates += nd.by_row.iter().filter(|r| !r.is_empty()).count() as u64;
        }
    }
}
