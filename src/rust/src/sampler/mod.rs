//! The blocked, collapsed Gibbs sampler (the method is written up in `src/rust/README.md`).
//!
//! Everything lives in the rotated space of [`crate::rotation::Rotation`]: `yt = Q' H`, `xt = Q' X`,
//! `xft = Q' X_F` and the factor scores `ft = Q' F`. The rotated random-effect term is integrated out of
//! every block; the other terms are integrated out where it matters for mixing (the grid steps) and drawn
//! right after. Fixed data ([`Fixed`]) are built once; the chain state ([`ChainState`]) is split by the
//! block that writes it; draws leave through [`DrawSink`].

mod adapt;
pub mod archive;
pub mod checkpoint;
pub mod factor_cell;
pub mod factor_collapsed;
pub mod factor_interweave;
pub mod factor_rotation;
mod factor_fixed;
pub mod fixed;
pub mod h2;
mod host;
mod hyper;
pub mod liability_scale;
pub mod means;
pub mod numerics;
pub mod others;
pub mod posterior;
pub mod record;
pub mod residuals;
mod scores;
pub mod state;
pub mod traits;
pub mod workspace;
pub mod zarr;

use faer::Par;

use crate::error::{Result, SlamError};
use crate::link::nonlinear::{CurveHost, Form, NoCurves};
use crate::link::{self, TraitParams};
use archive::Archive;
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

/// One chain: its fixed data, its state, and scratch space the blocks reuse.
pub struct Chain {
    pub fixed: Fixed,
    pub state: ChainState,
    pub work: workspace::Workspace,
    /// Numerical failures of the blocks so far (see [`numerics`]).
    pub failures: numerics::Failures,
}

impl Chain {
    /// Builds the fixed data and the starting state.
    pub fn new(data: &ModelData, priors: &Priors, settings: &Settings) -> Result<Self> {
        let fixed = Fixed::new(data, priors, settings)?;
        let state = ChainState::start(&fixed, data)?;
        Ok(Chain { fixed, state, work: workspace::Workspace::default(), failures: numerics::Failures::default() })
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
        traits::sample(&self.fixed, &st.yt, &st.factors.ft, &st.shrink, &mut st.traits, it, &mut self.work.np, &self.failures);
    }

    /// Block 2b: the scale move of liability-scale (probit and ordinal) traits.
    pub fn step_liability_scale(&mut self, it: usize) {
        let st = &mut self.state;
        liability_scale::sample(&self.fixed, &st.factors.ft, &st.shrink, &mut st.traits, &mut st.link, &mut st.yt, it);
    }

    pub fn step_trait_h2(&mut self, it: usize) {
        let st = &mut self.state;
        h2::sample_traits(&self.fixed, &st.yt, &st.factors.ft, &mut st.traits, it, &mut self.work.np);
    }

    /// Block 3: the factors' fixed effects, then their grid points.
    pub fn step_factor_fixed(&mut self, it: usize) {
        let st = &mut self.state;
        factor_fixed::sample(&self.fixed, &st.shrink, &mut st.factors, it, &self.failures);
    }

    pub fn step_factor_h2(&mut self, it: usize) {
        h2::sample_factors(&self.fixed, &mut self.state.factors, it);
    }

    /// Block 3b: each factor's grid point with its scores integrated out, then its scores.
    pub fn step_factor_collapsed(&mut self, it: usize) {
        let st = &mut self.state;
        factor_collapsed::sample(&self.fixed, &st.yt, &st.traits, &mut st.factors, it, &mut self.work.np);
    }

    /// Block 4: the factor scores, rows independent in the rotated space.
    pub fn step_scores(&mut self, it: usize) {
        let st = &mut self.state;
        scores::sample(&self.fixed, &st.yt, &st.traits, &mut st.factors, it, &mut self.work.np, &self.failures);
    }

    /// Block 4b: rotations of pairs of factors, drawn from their orbits (with block 3b, once the number
    /// of factors is fixed).
    pub fn step_factor_rotation(&mut self, it: usize) {
        let st = &mut self.state;
        factor_rotation::sample(&self.fixed, &mut st.traits, &st.shrink, &mut st.factors, it);
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
            if self.fixed.settings.collapse_factors {
                self.step_factor_collapsed(it);
            }
            self.step_scores(it);
            // Not while the number of factors adapts: rotations gather the loadings into the least
            // shrunk columns, and the adaptive rule would then drop the others (mice: 12 factors -> 1).
            let adapting = self.fixed.settings.adapt && it <= self.fixed.settings.burnin;
            if self.fixed.settings.collapse_factors && !adapting {
                self.step_factor_rotation(it);
            }
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

/// How a run starts, and where it saves itself while it runs.
#[derive(Default)]
pub struct RunOptions {
    /// A saved chain (from an earlier run's [`Posterior::state`] or a checkpoint file) to continue from
    /// its last iteration instead of starting afresh; the draws it holds, if any, are kept.
    pub resume: Option<Vec<u8>>,
    /// Where and how often to save the chain, with its draws so far, while it runs.
    pub checkpoint: Option<checkpoint::Plan>,
    /// Identifies the model and data: saved with the chain, and a chain saved with another is refused.
    pub fingerprint: Vec<u8>,
    /// Keep the saved draws on disk (a Zarr group in this directory, this many draws per chunk) instead
    /// of in memory.
    pub draws_on_disk: Option<(std::path::PathBuf, usize)>,
}

/// What a run carries from iteration to iteration besides the chain state: the iteration reached, the
/// factor-sign reference, the stores of draws and means (made at the first saved draw, when the number
/// of factors is final) and the number of factors over burn-in.
struct RunState {
    it: usize,
    recorder: Recorder,
    store: Option<(Posterior, RunningMeans)>,
    k_trace: Vec<usize>,
}

/// The stores of draws and means, made at the first saved draw (or when a chain with draws is restored).
fn new_store(c: &Chain, settings: &Settings, opts: &RunOptions) -> Result<(Posterior, RunningMeans)> {
    let fx = &c.fixed;
    let k = c.state.k();
    let mut post = match &opts.draws_on_disk {
        None => Posterior::new(fx.p, k, fx.b, fx.bf, fx.n_terms, settings.n_saved(), settings.keep),
        Some(_) => Posterior { p: fx.p, k, b: fx.b, bf: fx.bf, n_terms: fx.n_terms, keep: settings.keep, ..Posterior::default() },
    };
    if let Some((dir, chunk)) = &opts.draws_on_disk {
        let n_family = Recorder::draw(fx, &c.state, &vec![1.0; k]).family.len();
        post.disk = Some(zarr::DiskDraws::create(dir, *chunk, fx.p, k, fx.b, fx.bf, fx.n_terms, n_family, settings.keep)?);
    }
    Ok((post, RunningMeans::new(fx, &c.state)))
}

/// The chain and run state as bytes (see [`archive`]); with `draws`, the draws saved so far too.
fn save(chain: &mut Chain, run: &mut RunState, fingerprint: &[u8], draws: bool) -> Result<Vec<u8>> {
    let mut w = archive::Writer::new();
    w.bytes("fingerprint", &mut fingerprint.to_vec())?;
    archive::index(&mut w, "iteration", &mut run.it)?;
    archive::indices(&mut w, "k_trace", &mut run.k_trace)?;
    chain.state.archive(&mut w, &chain.fixed.obs.latent)?;
    run.recorder.archive(&mut w)?;
    let mut has_store = run.store.is_some() as u64;
    archive::count(&mut w, "has_store", &mut has_store)?;
    if let Some((post, means)) = run.store.as_mut() {
        means.archive(&mut w)?;
        let mut has_draws = draws as u64;
        archive::count(&mut w, "has_draws", &mut has_draws)?;
        if draws {
            post.archive(&mut w)?;
        }
    }
    Ok(w.buf)
}

/// Restores what [`save`] wrote into a chain freshly built from the same model.
fn restore(bytes: &[u8], chain: &mut Chain, run: &mut RunState, opts: &RunOptions, settings: &Settings) -> Result<()> {
    let fingerprint = &opts.fingerprint;
    let mut r = archive::Reader::new(bytes)?;
    let mut saved = Vec::new();
    r.bytes("fingerprint", &mut saved)?;
    if &saved != fingerprint {
        return Err(SlamError::new(
            "the saved chain belongs to another model or other data (its fingerprint differs from this model's)",
        ));
    }
    archive::index(&mut r, "iteration", &mut run.it)?;
    archive::indices(&mut r, "k_trace", &mut run.k_trace)?;
    chain.state.archive(&mut r, &chain.fixed.obs.latent)?;
    run.recorder.archive(&mut r)?;
    let mut has_store = 0;
    archive::count(&mut r, "has_store", &mut has_store)?;
    run.store = None;
    if has_store == 1 {
        let (mut post, mut means) = new_store(chain, settings, opts)?;
        means.archive(&mut r)?;
        let mut has_draws = 0;
        archive::count(&mut r, "has_draws", &mut has_draws)?;
        if has_draws == 1 {
            post.archive(&mut r)?;
        } else if post.disk.is_some() {
            return Err(SlamError::new("the saved chain has no record of its draws on disk; resume it from its checkpoint"));
        }
        run.store = Some((post, means));
    }
    if !r.at_end() {
        return Err(SlamError::new("the saved chain state has trailing data (damaged or from another version)"));
    }
    if run.it > settings.nitt {
        return Err(SlamError::new(format!(
            "the saved chain is at iteration {}, beyond nitt = {}",
            run.it, settings.nitt
        )));
    }
    Ok(())
}

/// Puts the draws kept on disk so far into their files.
fn flush_disk(run: &RunState) -> Result<()> {
    match run.store.as_ref().and_then(|(post, _)| post.disk.as_ref()) {
        Some(disk) => disk.flush(),
        None => Ok(()),
    }
}

/// Runs the chain: set-up, `nitt` iterations, saving every `thin`-th after `burnin`.
pub fn run(data: &ModelData, priors: &Priors, settings: &Settings, monitor: &mut dyn Monitor) -> Result<Posterior> {
    run_with(data, priors, settings, monitor, &RunOptions::default())
}

/// [`run`], continuing a saved chain and saving checkpoints as `opts` says.
///
/// Every draw is a function of (seed, block, task, iteration) (see `rng.rs`), so a chain restored at
/// iteration t and run on gives exactly the draws of an uninterrupted run. Parallel work runs in a rayon
/// pool of `settings.threads` threads; `monitor` is called on the calling thread only (between
/// iterations, and for user-written curves while an iteration runs on the pool: see `host.rs`), so it may
/// talk to R.
pub fn run_with(data: &ModelData, priors: &Priors, settings: &Settings, monitor: &mut dyn Monitor, opts: &RunOptions) -> Result<Posterior> {
    // faer stays serial: every parallel loop is ours, in fixed chunks, so draws do not depend on threads.
    faer::set_global_parallelism(Par::Seq);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.max(1))
        .build()
        .map_err(|e| SlamError::new(format!("could not start the thread pool: {e}")))?;
    let mut chain = pool.install(|| Chain::new(data, priors, settings))?;
    let mut run = RunState { it: 0, recorder: Recorder::default(), store: None, k_trace: Vec::with_capacity(settings.burnin) };
    if let Some(bytes) = &opts.resume {
        restore(bytes, &mut chain, &mut run, opts, settings)?;
    }
    let started_at = run.it;
    let mut clock = opts.checkpoint.as_ref().map(|_| checkpoint::Clock::new(run.it));
    let mut interrupted = false;
    let serve = chain.needs_host();
    while run.it < settings.nitt {
        let it = run.it + 1;
        if serve {
            host::iterate_serving(&pool, &mut chain, it, monitor)?;
        } else {
            pool.install(|| chain.iterate(it, &NoCurves))?;
        }
        if settings.is_saved(it) {
            if run.store.is_none() {
                run.store = Some(new_store(&chain, settings, opts)?);
            }
            if let Some((post, means)) = run.store.as_mut() {
                let sign = run.recorder.signs(&chain.state.traits.lambda);
                let c = &mut chain;
                pool.install(|| -> Result<()> {
                    post.record(&Recorder::draw(&c.fixed, &c.state, &sign))?;
                    means.add(&c.fixed, &c.state, &sign, &mut c.work.np);
                    Ok(())
                })?;
            }
        }
        if it <= settings.burnin {
            run.k_trace.push(chain.state.k());
        }
        run.it = it;
        monitor.progress(it, settings.nitt);
        if it < settings.nitt && monitor.interrupted() {
            interrupted = true;
        }
        let last = interrupted || it == settings.nitt;
        if let (Some(plan), Some(c)) = (&opts.checkpoint, clock.as_mut()) {
            if last || c.due(plan, it) {
                flush_disk(&run)?;
                checkpoint::write(plan, &save(&mut chain, &mut run, &opts.fingerprint, true)?)?;
                c.reset(it);
            }
        }
        if interrupted {
            break;
        }
    }
    flush_disk(&run)?;
    // With draws on disk the state keeps their count and last chunk, so that the run can be extended.
    let state = save(&mut chain, &mut run, &opts.fingerprint, opts.draws_on_disk.is_some())?;
    let (mut post, means) = match run.store {
        Some(s) => s,
        None => new_store(&chain, settings, opts)?,
    };
    post.iterations = run.it;
    post.started_at = started_at;
    post.interrupted = interrupted;
    post.k_trace = run.k_trace;
    post.acceptance = chain.acceptance();
    post.numerical_failures = chain.failures.counts();
    post.means = Some(pool.install(|| means.finish(&chain.fixed, data)));
    post.state = state;
    Ok(post)
}
