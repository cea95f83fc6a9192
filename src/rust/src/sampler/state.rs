//! The chain state: every quantity the sampler draws, grouped by the block that writes it. This is what a
//! checkpoint has to save; everything in [`super::Fixed`] can be rebuilt from the inputs.

use crate::error::Result;
use crate::link::LinkState;
use crate::linalg::Dense;
use crate::model::ModelData;
use crate::rng::{normal, task_rng, Block};

use super::fixed::Fixed;
use super::others::Effects;

/// Trait parameters (blocks 2: regression and grid step).
#[derive(Clone, Debug)]
pub struct TraitState {
    /// b x p fixed effects.
    pub b: Dense,
    /// p x k loadings.
    pub lambda: Dense,
    /// Trait-specific (residual) variances.
    pub psi: Vec<f64>,
    /// Grid point of each trait's variance proportions.
    pub h2: Vec<usize>,
    /// Effects of the non-rotated random-effect terms on the traits (with such terms).
    pub other: Option<Effects>,
}

/// Factor parameters (blocks 3 and 4).
#[derive(Clone, Debug)]
pub struct FactorState {
    /// bF x k fixed effects of the factors.
    pub bf: Dense,
    /// Grid point of each factor.
    pub h2: Vec<usize>,
    /// n x k factor scores in the rotated space, `Q' F`.
    pub ft: Dense,
    /// Effects of the non-rotated terms on the factors.
    pub other: Option<Effects>,
}

/// Hyper-parameters of the shrinkage priors (block 5).
#[derive(Clone, Debug)]
pub struct ShrinkState {
    /// p x k local shrinkage of the loadings.
    pub phi: Dense,
    /// Column multipliers, `tau_h = prod_{l <= h} delta_l`.
    pub delta: Vec<f64>,
    /// Shared fixed-effect variances per column of X (unused for flat columns).
    pub sigma2_b: Vec<f64>,
    /// Own variances of factor fixed-effect columns that share none with X.
    pub sigma2_bf: Vec<f64>,
}

/// Burn-in adaptation of the number of factors (block 6).
#[derive(Clone, Debug)]
pub struct AdaptState {
    /// Moving average of the loadings.
    pub lambda_avg: Dense,
    /// Iterations each factor has existed.
    pub col_age: Vec<usize>,
}

#[derive(Clone, Debug)]
pub struct ChainState {
    /// The rotated latent traits the Gaussian blocks see, `Q' H` (n x p); written by the link step.
    pub yt: Dense,
    /// The observation models' own state (latent H of the traits that need it, cut-points, sizes).
    pub link: LinkState,
    pub traits: TraitState,
    pub factors: FactorState,
    pub shrink: ShrinkState,
    pub adapt: AdaptState,
}

impl ShrinkState {
    /// `tau_h = prod_{l <= h} delta_l`.
    pub fn tau(&self) -> Vec<f64> {
        let mut t = Vec::with_capacity(self.delta.len());
        let mut acc = 1.0;
        for &d in &self.delta {
            acc *= d;
            t.push(acc);
        }
        t
    }
}

impl ChainState {
    /// Number of factors.
    pub fn k(&self) -> usize {
        self.traits.lambda.ncol
    }

    /// Starting values: the middle of the grid (or its most likely point a priori), half the standardised
    /// variance to psi (1 for traits whose latent scale has no scale of its own), small random loadings,
    /// scores from the prior, the observation models' own starting points; the first trait block then
    /// draws B and Lambda from their conditionals.
    pub fn start(fx: &Fixed, data: &ModelData) -> Result<Self> {
        let (n, p, k, b, bf) = (fx.n, fx.p, fx.settings.k, fx.b, fx.bf);
        let ng = fx.n_grid();
        let start = |w: &[f64]| {
            if w[ng / 2] > 0.0 {
                ng / 2
            } else {
                (0..ng).fold(0, |best, g| if w[g] > w[best] { g } else { best })
            }
        };
        let mut lambda = Dense::zeros(p, k);
        let mut ft = Dense::zeros(n, k);
        let mut rng = task_rng(fx.settings.seed, Block::Hyper, usize::MAX >> 16, 0);
        for v in lambda.data.iter_mut() {
            *v = 0.1 * normal(&mut rng);
        }
        for v in ft.data.iter_mut() {
            *v = normal(&mut rng);
        }
        let pr = &fx.priors;
        let s2b0 = if pr.b_shape > 1.0 { pr.b_scale / (pr.b_shape - 1.0) } else { pr.b_scale };
        let psi = (0..p).map(|j| if fx.obs.family(j).fixed_variance() { 1.0 } else { 0.5 }).collect();
        let (link, h0) = LinkState::start(&fx.obs, &data.y);
        let yt = fx.rot.rotate(&h0);
        Ok(ChainState {
            yt,
            link,
            traits: TraitState {
                b: Dense::zeros(b, p),
                lambda: lambda.clone(),
                psi,
                h2: vec![start(&pr.h2_prior); p],
                other: fx.others.as_ref().map(|o| o.zero_effects(p)),
            },
            factors: FactorState {
                bf: Dense::zeros(bf, k),
                h2: vec![start(&pr.h2f_prior); k],
                ft,
                other: fx.others.as_ref().map(|o| o.zero_effects(k)),
            },
            shrink: ShrinkState {
                phi: Dense::from_vec(p, k, vec![1.0; p * k])?,
                delta: vec![1.0; k],
                sigma2_b: vec![s2b0; b],
                sigma2_bf: vec![s2b0; bf],
            },
            adapt: AdaptState { lambda_avg: lambda, col_age: vec![0; k] },
        })
    }
}
