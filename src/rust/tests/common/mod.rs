//! Shared helpers of the integration tests.
#![allow(dead_code)]

use slamglmm::linalg::{cholesky_in_place, solve_lower, solve_upper_t};
use slamglmm::simulate::{simulate, Simulated, Truth};
use slamglmm::sampler::residuals;
use slamglmm::{run, Chain, Dense, ModelData, Posterior, Priors, Settings, Silent, Term};

pub fn intercept(n: usize) -> Dense {
    Dense::from_vec(n, 1, vec![1.0; n]).unwrap()
}

/// Data for a model with Z = I, the given kinship and fixed effects `x` (no factor covariates, no
/// further random-effect terms).
pub fn kinship_data(y: Dense, x: Dense, penalized: Vec<bool>, kin: &Dense) -> ModelData {
    let n = y.nrow;
    ModelData::gaussian(y, x, penalized, Dense::zeros(n, 0), vec![], vec![Term { z: Dense::identity(n), kin: Some(kin.clone()) }])
}

/// Rotated trait residuals given every random effect but the rotated one.
pub fn resid(c: &Chain) -> Dense {
    residuals::traits(&c.fixed, &c.state.yt, &c.state.traits, &c.state.factors.ft)
}

/// Rotated trait residuals with every random effect integrated out.
pub fn resid_marginal(c: &Chain) -> Dense {
    residuals::traits_marginal(&c.fixed, &c.state.yt, &c.state.traits, &c.state.factors.ft)
}

/// The simplex grid of several terms from per-point share vectors, with prior weights `w`.
pub fn grid_priors(shares: &[Vec<f64>], w: Vec<f64>) -> Priors {
    let (g, m) = (shares.len(), shares[0].len());
    let mut sh = Dense::zeros(g, m);
    for (r, row) in shares.iter().enumerate() {
        for (t, &v) in row.iter().enumerate() {
            sh.set(r, t, v);
        }
    }
    Priors { h2_prior: w, ..Priors::with_grid(slamglmm::Grid::new(sh)) }
}

/// One-term priors on the grid `values` with trait and factor weights.
pub fn one_term_priors(values: Vec<f64>, h2_prior: Vec<f64>, h2f_prior: Vec<f64>) -> Priors {
    Priors { grid: slamglmm::Grid::one_term(values), h2_prior, h2f_prior, ..Priors::default() }
}

/// Data of a simulation with Z = I and the given kinship; every covariate but the intercept penalised.
pub fn model_data(sim: &Simulated, kin: &Dense) -> ModelData {
    kinship_data(sim.y.clone(), sim.x.clone(), (0..sim.x.ncol).map(|l| l > 0).collect(), kin)
}

pub fn settings(k: usize, nitt: usize, burnin: usize, thin: usize, seed: u64, threads: usize) -> Settings {
    Settings { k, nitt, burnin, thin, seed, threads, reorder: true, ..Settings::default() }
}

pub fn fit(data: &ModelData, priors: &Priors, s: &Settings) -> Posterior {
    run(data, priors, s, &mut Silent).expect("sampler runs")
}

/// Posterior mean of a p x T draw matrix (flat) per row.
pub fn row_means(x: &[f64], p: usize) -> Vec<f64> {
    let t = x.len() / p;
    (0..p).map(|j| (0..t).map(|s| x[s * p + j]).sum::<f64>() / t as f64).collect()
}

pub fn truth_h2_total(t: &Truth) -> Vec<f64> {
    let (p, k) = (t.lambda.nrow, t.lambda.ncol);
    (0..p)
        .map(|j| {
            let (mut g, mut tot) = (t.h2[j] * t.psi[j], t.psi[j]);
            for h in 0..k {
                let l2 = t.lambda.get(j, h).powi(2);
                g += l2 * t.h2f[h];
                tot += l2;
            }
            g / tot
        })
        .collect()
}

pub fn simulate_truth(truth: &Truth, kin: &Dense, seed: u64) -> Simulated {
    simulate(truth, &intercept(kin.nrow), kin, seed)
}

/// Kinship with blocks of `block` consecutive related individuals (off-diagonal `r` within a block).
pub fn block_kinship(n: usize, block: usize, r: f64) -> Dense {
    let mut k = Dense::identity(n);
    for i in 0..n {
        for j in 0..n {
            if i != j && i / block == j / block {
                k.set(i, j, r);
            }
        }
    }
    k
}

/// Log density of N(0, scale * v) at `r`, without the 2 pi constant (dense Cholesky).
pub fn mvn_logdens(v: &Dense, scale: f64, r: &[f64]) -> f64 {
    let n = v.nrow;
    let mut l: Vec<f64> = v.data.iter().map(|x| x * scale).collect();
    assert!(cholesky_in_place(&mut l, n));
    let mut x = r.to_vec();
    solve_lower(&l, n, &mut x);
    -0.5 * (2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>() + x.iter().map(|v| v * v).sum::<f64>())
}

/// Inverse and log-determinant of an SPD matrix.
pub fn inv_logdet(a: &Dense) -> (Dense, f64) {
    let n = a.nrow;
    let mut l = a.data.clone();
    assert!(cholesky_in_place(&mut l, n));
    let logdet = 2.0 * (0..n).map(|i| l[i * n + i].ln()).sum::<f64>();
    let mut inv = Dense::zeros(n, n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        solve_lower(&l, n, &mut e);
        solve_upper_t(&l, n, &mut e);
        inv.col_mut(j).copy_from_slice(&e);
    }
    (inv, logdet)
}

/// Probabilities from log weights.
pub fn normalize_log(lp: &[f64]) -> Vec<f64> {
    let m = lp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let tot: f64 = lp.iter().map(|l| (l - m).exp()).sum();
    lp.iter().map(|l| (l - m).exp() / tot).collect()
}

/// Frequencies of each trait's grid point over `reps` trait-h2 draws (nothing else moves).
pub fn trait_grid_frequencies(sm: &mut slamglmm::Chain, reps: usize) -> Vec<Vec<f64>> {
    let (ng, p) = (sm.fixed.priors.grid.len(), sm.fixed.p);
    let mut counts = vec![vec![0.0; ng]; p];
    for it in 0..reps {
        sm.step_trait_h2(it);
        for j in 0..p {
            counts[j][sm.state.traits.h2[j]] += 1.0 / reps as f64;
        }
    }
    counts
}

/// Frequencies against exact probabilities, within 5 binomial standard errors times `inflation`
/// (above 1 for autocorrelated Metropolis draws: a wider, still Monte-Carlo-based band).
pub fn assert_frequencies(freq: &[Vec<f64>], exact: &[Vec<f64>], reps: usize, inflation: f64, label: &str) {
    for (j, (f, e)) in freq.iter().zip(exact).enumerate() {
        for (g, (&fg, &p)) in f.iter().zip(e).enumerate() {
            let se = inflation * (p * (1.0 - p) / reps as f64).sqrt();
            assert!((fg - p).abs() < 5.0 * se + 2e-4, "{label} trait {j} grid {g}: {fg} vs {p}");
        }
    }
}

/// Design of an iid grouping factor: row i in group `group_of(i)` of `levels`.
pub fn group_design(n: usize, levels: usize, group_of: impl Fn(usize) -> usize) -> Dense {
    let mut z = Dense::zeros(n, levels);
    for i in 0..n {
        z.set(i, group_of(i), 1.0);
    }
    z
}

/// Chi-square statistic of SBC ranks (0..=t) in `bins` equal bins.
pub fn chi_square(ranks: &[usize], t: usize, bins: usize) -> f64 {
    let mut counts = vec![0.0; bins];
    for &r in ranks {
        counts[(r * bins / (t + 1)).min(bins - 1)] += 1.0;
    }
    let e = ranks.len() as f64 / bins as f64;
    counts.iter().map(|c| (c - e).powi(2) / e).sum()
}
