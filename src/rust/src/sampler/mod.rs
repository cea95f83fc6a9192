//! The blocked, collapsed Gibbs sampler (the method is written up in `src/rust/README.md`).
//!
//! Everything lives in the rotated space of [`crate::rotation::Rotation`]: `yt = Q' H`, `xt = Q' X`,
//! `xft = Q' X_F` and the factor scores `ft = Q' F`. The rotated random-effect term is integrated out of
//! every block; the other terms are integrated out where it matters for mixing (the grid steps) and drawn
//! right after. Fixed data ([`Fixed`]) are built once; the chain state ([`ChainState`]) is split by the
//! block that writes it; draws leave through [`DrawSink`].

mod adapt;
mod factor_fixed;
pub mod fixed;
pub mod h2;
mod host;
mod hyper;
pub mod liability_scale;
pub mod means;
pub mod others;
pub mod posterior;
pub mod record;
pub mod residuals;
mod scores;
pub mod state;
pub mod traits;

use faer::Par;

use crate::error::{Result, SlamError};
use crate::link::nonlinear::{CurveHost, Form, NoCurves};
use crate::link::{self, TraitParams};
use crate::linalg::Dense;
use crate::model::{ModelData, Priors, Settings};

pub use fixed::Fixed;
pub use posterior::Posterior;
pub use record::{Draw, DrawSink, Recorder};
pub use state::ChainState;

use means::RunningMeans;

/// The caller's side of a run, all on the calling thread: progress, a way to stop early, and the
/// evaluation of user-written curves (which only the caller, R, can run).
pub trait Monitor {
    /// Called on the calling thread after each iteration.
    fn progress(&mut self, _iter: usize, _total: usize) {}
    /// Polled on the calling thread after each iteration; true stops the run and keeps what was saved.
    fn interrupted(&mut self) -> bool {
        false
    }
    /// `g` of user-written non-linear response `response` at natural-scale parameters `par` (one row per
    /// measurement), times `time` and measurement indices `measurements`; see [`CurveHost`].
    fn user_curve(&mut self, response: usize, par: &Dense, time: &[f64], measurements: &[usize]) -> Result<Vec<f64>> {
        NoCurves.eval(response, par, time, measurements)
    }
}

/// A monitor that shows nothing and never interrupts.
pub struct Silent;
impl Monitor for Silent {}

/// One chain: its fixed data and its state.
pub struct Chain {
    pub fixed: Fixed,
    pub state: ChainState,
}

impl Chain {
    /// Builds the fixed data and the starting state.
    pub fn new(data: &ModelData, priors: &Priors, settings: &Settings) -> Result<Self> {
        let fixed = Fixed::new(data, priors, settings)?;
        let state = ChainState::start(&fixed, data)?;
        Ok(Chain { fixed, state })
    }

    /// Block 1: the observation models (latent H and the families' parameters); `host` evaluates
    /// user-written curves.
    pub fn step_link(&mut self, it: usize, host: &dyn CurveHost) -> Result<()> {
        let st = &mut self.state;
        link::update(&self.fixed, &st.traits, &st.factors, &mut st.link, &mut st.yt, it, host)
    }

    /// Block 2: `(b_j, lambda_j, psi_j)` jointly, then `h2_j` on its grid (and the other terms' effects).
    pub fn step_traits(&mut self, it: usize) {
        let st = &mut self.state;
        traits::sample(&self.fixed, &st.yt, &st.factors.ft, &st.shrink, &mut st.traits, it);
    }

    /// Block 2b: the scale move of liability-scale (probit and ordinal) traits.
    pub fn step_liability_scale(&mut self, it: usize) {
        let st = &mut self.state;
        liability_scale::sample(&self.fixed, &st.factors.ft, &st.shrink, &mut st.traits, &mut st.link, &mut st.yt, it);
    }

    pub fn step_trait_h2(&mut self, it: usize) {
        let st = &mut self.state;
        h2::sample_traits(&self.fixed, &st.yt, &st.factors.ft, &mut st.traits, it);
    }

    /// Block 3: the factors' fixed effects, then their grid points.
    pub fn step_factor_fixed(&mut self, it: usize) {
        let st = &mut self.state;
        factor_fixed::sample(&self.fixed, &st.shrink, &mut st.factors, it);
    }

    pub fn step_factor_h2(&mut self, it: usize) {
        h2::sample_factors(&self.fixed, &mut self.state.factors, it);
    }

    /// Block 4: the factor scores, rows independent in the rotated space.
    pub fn step_scores(&mut self, it: usize) {
        let st = &mut self.state;
        scores::sample(&self.fixed, &st.yt, &st.traits, &mut st.factors, it);
    }

    /// Block 5: shrinkage of the loadings and the shared fixed-effect variances.
    pub fn step_hyper(&mut self, it: usize) {
        let st = &mut self.state;
        if st.k() > 0 {
            hyper::sample_loading_prior(&self.fixed, &st.traits, &mut st.shrink, it);
        }
        hyper::sample_fixed_variances(&self.fixed, &st.traits, &st.factors, &mut st.shrink, it);
    }

    /// Block 6, burn-in only: adapt the number of factors and keep them ordered by size, so that the
    /// saved chain is a plain Gibbs chain with a fixed number of factors.
    pub fn step_adapt(&mut self, it: usize) {
        let (fx, st) = (&self.fixed, &mut self.state);
        if it > fx.settings.burnin {
            return;
        }
        if fx.settings.adapt {
            adapt::track_loadings(st);
            adapt::adapt_factors(fx, st, it);
        }
        if fx.settings.reorder {
            adapt::reorder_factors(st);
        }
    }

    /// One iteration: the blocks in order.
    pub fn iterate(&mut self, it: usize, host: &dyn CurveHost) -> Result<()> {
        self.step_link(it, host)?;
        self.step_traits(it);
        self.step_liability_scale(it);
        self.step_trait_h2(it);
        if self.state.k() > 0 {
            self.step_factor_fixed(it);
            self.step_factor_h2(it);
            self.step_scores(it);
        }
        self.step_hyper(it);
        self.step_adapt(it);
        Ok(())
    }

    /// True when some non-linear response has a user-written curve, which the caller must evaluate.
    pub fn needs_host(&self) -> bool {
        self.fixed.obs.nonlinear.iter().any(|nd| matches!(nd.set.form, Form::User { .. }))
    }

    /// Acceptance rate of each trait's Metropolis-Hastings step after burn-in (NaN where the family has
    /// none or nothing was proposed).
    pub fn acceptance(&self) -> Vec<f64> {
        let mut out = vec![f64::NAN; self.fixed.p];
        for (c, &j) in self.fixed.obs.latent.iter().enumerate() {
            let (a, n) = match &self.state.link.params[c] {
                TraitParams::Ordinal(cp) => (cp.mh.accepted, cp.mh.proposed),
                TraitParams::NegBin(sz) => (sz.mh.accepted, sz.mh.proposed),
                TraitParams::Poisson(st) => (st.accepted, st.proposed),
                TraitParams::None | TraitParams::Probes(_) => (0, 0),
            };
            if n > 0 {
                out[j] = a as f64 / n as f64;
            }
        }
        out
    }
}

/// Runs the chain: set-up, `nitt` iterations, saving every `thin`-th after `burnin`.
///
/// Parallel work runs in a rayon pool of `settings.threads` threads; `monitor` is called on the calling
/// thread only (between iterations, and for user-written curves while an iteration runs on the pool: see
/// `host.rs`), so it may talk to R.
pub fn run(data: &ModelData, priors: &Priors, settings: &Settings, monitor: &mut dyn Monitor) -> Result<Posterior> {
    // faer stays serial: every parallel loop is ours, in fixed chunks, so draws do not depend on threads.
    faer::set_global_parallelism(Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| SlamError::new(format!("could not start the thread pool: {e}")))?;
    let mut chain = pool.install(|| Chain::new(data, priors, settings))?;
    let mut recorder = Recorder::default();
    // The stores are made at the first saved draw, when the number of factors is final.
    let mut store: Option<(Posterior, RunningMeans)> = None;
    let mut k_trace = Vec::with_capacity(settings.burnin);
    let (mut iterations, mut interrupted) = (0, false);
    let new_store = |c: &Chain| {
        let fx = &c.fixed;
        (Posterior::new(fx.p, c.state.k(), fx.b, fx.bf, fx.n_terms, settings.n_saved()), RunningMeans::new(fx, &c.state))
    };
    let serve = chain.needs_host();
    for it in 1..=settings.nitt {
        if serve {
            host::iterate_serving(&pool, &mut chain, it, monitor)?;
        } else {
            pool.install(|| chain.iterate(it, &NoCurves))?;
        }
        pool.install(|| {
            if settings.is_saved(it) {
                let (post, means) = store.get_or_insert_with(|| new_store(&chain));
                let sign = recorder.signs(&chain.state.traits.lambda);
                post.record(&Recorder::draw(&chain.fixed, &chain.state, &sign));
                means.add(&chain.fixed, &chain.state, &sign);
            }
        });
        if it <= settings.burnin {
            k_trace.push(chain.state.k());
        }
        iterations = it;
        monitor.progress(it, settings.nitt);
        if it < settings.nitt && monitor.interrupted() {
            interrupted = true;
            break;
        }
    }
    let (mut post, means) = store.unwrap_or_else(|| new_store(&chain));
    post.iterations = iterations;
    post.interrupted = interrupted;
    post.k_trace = k_trace;
    post.acceptance = chain.acceptance();
    post.means = Some(pool.install(|| means.finish(&chain.fixed, data)));
    Ok(post)
}
