//! Three random-effect terms (the rotated one and two further ones): the marginal likelihood against the
//! dense density at every point of the three-share simplex grid, and the grid draws of both routes
//! (whole grid, and Metropolis moves among neighbours of a 3-d simplex) against the exact grid posterior.

mod common;

use common::*;
use slamglmm::linalg::{cholesky_in_place, solve_lower, Dense};
use slamglmm::model::GridRoute;
use slamglmm::Chain;
use slamglmm::{ModelData, Priors, Settings, Term};

const N: usize = 9;

/// Rotated term: a kinship with blocks of three related individuals.
fn k1() -> Dense {
    block_kinship(N, 3, 0.4)
}

/// Further terms: `z2` has 4 iid groups (rows 0-1, 2-3, 4-5, 6-8), `z3` 2 iid groups crossed with them.
fn z2() -> Dense {
    group_design(N, 4, |i| (i / 2).min(3))
}

fn z3() -> Dense {
    group_design(N, 2, |i| i % 2)
}

/// Simplex grid over three terms with `d` divisions (residual share > 0): choose(d + 2, 3) points.
fn priors(d: usize) -> Priors {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..d {
        for j in 0..(d - i) {
            for l in 0..(d - i - j) {
                a.push(i as f64 / d as f64);
                b.push(vec![j as f64 / d as f64, l as f64 / d as f64]);
            }
        }
    }
    let g = a.len();
    let w: Vec<f64> = (0..g).map(|i| 1.0 + (i % 4) as f64).collect();
    let shares: Vec<Vec<f64>> = a.iter().zip(&b).map(|(x, y)| vec![*x, y[0], y[1]]).collect();
    let _ = g;
    grid_priors(&shares, w)
}

fn y2() -> Dense {
    Dense::from_vec(N, 2, (0..2 * N).map(|i| ((i as f64) * 2.3).cos() * 1.1 + 0.2 * (i % 3) as f64).collect())
        .unwrap()
}

fn data() -> ModelData {
    let y = y2();
    let x = intercept(y.nrow);
    let mut d = kinship_data(y, x, vec![false], &k1());
    d.terms.push(Term { z: z2(), kin: None });
    d.terms.push(Term { z: z3(), kin: None });
    d
}

/// Dense covariance of one trait (without psi) at grid point g: a1 K + a2 Z2 Z2' + a3 Z3 Z3' + e I.
fn vdense(pr: &Priors, g: usize) -> Dense {
    let (a1, a2, a3, e) = (pr.grid.share(g, 0), pr.grid.share(g, 1), pr.grid.share(g, 2), pr.grid.resid(g));
    let (k, z, zz3) = (k1(), z2(), z3());
    let mut v = Dense::zeros(N, N);
    for i in 0..N {
        for j in 0..N {
            let s2: f64 = (0..4).map(|l| z.get(i, l) * z.get(j, l)).sum();
            let s3: f64 = (0..2).map(|l| zz3.get(i, l) * zz3.get(j, l)).sum();
            v.set(i, j, a1 * k.get(i, j) + a2 * s2 + a3 * s3 + if i == j { e } else { 0.0 });
        }
    }
    v
}

fn sampler(route: GridRoute) -> Chain {
    let s = Settings { k: 0, nitt: 10, burnin: 0, thin: 1, seed: 9, threads: 2, reorder: false, grid_route: route, cache_mb: 64, ..Settings::default() };
    let mut sm = Chain::new(&data(), &priors(4), &s).unwrap();
    sm.state.traits.psi = vec![0.8, 1.3];
    sm.state.traits.b = Dense::from_vec(1, 2, vec![0.1, 0.25]).unwrap();
    sm
}

fn residual(sm: &Chain, j: usize) -> Vec<f64> {
    let y = y2();
    (0..N).map(|i| y.get(i, j) - sm.state.traits.b.get(0, j)).collect()
}

#[test]
fn three_term_likelihood_matches_dense_density() {
    let sm = sampler(GridRoute::Full);
    let e = resid_marginal(&sm);
    let ng = sm.fixed.priors.grid.len();
    assert_eq!(ng, 20);
    let all: Vec<usize> = (0..ng).collect();
    let _ = &all;
    let x = sm.fixed.others.as_ref().unwrap();
    for j in 0..2 {
        let (r, psi) = (residual(&sm, j), sm.state.traits.psi[j]);
        for g in 0..ng {
            let dense = mvn_logdens(&vdense(&sm.fixed.priors, g), psi, &r);
            let ours = x.loglik(g, &sm.fixed.tables.w, sm.fixed.tables.logdet[g], e.col(j), psi, &sm.fixed.priors.grid) - 0.5 * N as f64 * psi.ln();
            assert!((dense - ours).abs() < 1e-8, "trait {j} grid {g}: {dense} vs {ours}");
        }
    }
}

#[test]
fn three_term_grid_routes_target_the_exact_grid_posterior() {
    let sm0 = sampler(GridRoute::Full);
    let pr = &sm0.fixed.priors;
    let exact: Vec<Vec<f64>> = (0..2)
        .map(|j| {
            let r = residual(&sm0, j);
            let lp: Vec<f64> = (0..pr.grid.len())
                .map(|g| pr.h2_prior[g].ln() + mvn_logdens(&vdense(pr, g), sm0.state.traits.psi[j], &r))
                .collect();
            normalize_log(&lp)
        })
        .collect();
    let reps = 60_000;
    for (route, inflation) in [(GridRoute::Full, 1.0), (GridRoute::Metropolis, 4.0)] {
        let freq = trait_grid_frequencies(&mut sampler(route), reps);
        assert_frequencies(&freq, &exact, reps, inflation, &format!("{route:?}"));
    }
}

#[test]
fn stacked_further_effects_match_their_dense_conditional() {
    use slamglmm::linalg::solve_upper_t;
    let mut sm = sampler(GridRoute::Full);
    // All prior mass on one grid point where every term is active.
    let pr = sm.fixed.priors.clone();
    let g0 = (0..pr.grid.len())
        .find(|&g| pr.grid.share(g, 0) == 0.25 && pr.grid.share(g, 1) == 0.25 && pr.grid.share(g, 2) == 0.25)
        .unwrap();
    sm.fixed.tables.log_prior_traits = (0..pr.grid.len()).map(|g| if g == g0 { 0.0 } else { f64::NEG_INFINITY }).collect();
    let j = 1;
    let (r, psi) = (residual(&sm, j), sm.state.traits.psi[j]);
    // Dense: u | y ~ N(D Z' V^-1 r, psi (D - D Z' V^-1 Z D)), Z = [Z2 Z3], D = diag(a2 I_4, a3 I_2).
    let v = vdense(&pr, g0);
    let mut l = v.data.clone();
    assert!(cholesky_in_place(&mut l, N));
    let solve = |b: &[f64]| {
        let mut x = b.to_vec();
        solve_lower(&l, N, &mut x);
        solve_upper_t(&l, N, &mut x);
        x
    };
    let (za, zb) = (z2(), z3());
    let zcol = |a: usize| -> Vec<f64> { if a < 4 { za.col(a).to_vec() } else { zb.col(a - 4).to_vec() } };
    let d = [0.25; 6];
    let vr = solve(&r);
    let mean: Vec<f64> = (0..6).map(|a| d[a] * zcol(a).iter().zip(&vr).map(|(z, v)| z * v).sum::<f64>()).collect();
    let vz: Vec<Vec<f64>> = (0..6).map(|b| solve(&zcol(b))).collect();
    let cov = |a: usize, b: usize| {
        let zvz: f64 = zcol(a).iter().zip(&vz[b]).map(|(z, v)| z * v).sum();
        psi * (d[a] * (a == b) as u8 as f64 - d[a] * d[b] * zvz)
    };
    let reps = 40_000;
    let (mut s1, mut s2, mut s45) = ([0.0; 6], [0.0; 6], 0.0);
    for it in 0..reps {
        sm.step_trait_h2(it);
        let u = sm.state.traits.other.as_ref().unwrap().u.col(j).to_vec();
        assert_eq!(u.len(), 6);
        for a in 0..6 {
            s1[a] += u[a];
            s2[a] += u[a] * u[a];
        }
        s45 += u[0] * u[4];
    }
    let nr = reps as f64;
    for a in 0..6 {
        let m = s1[a] / nr;
        let var = s2[a] / nr - m * m;
        assert!((m - mean[a]).abs() < 5.0 * (cov(a, a) / nr).sqrt(), "level {a}: {m} vs {}", mean[a]);
        assert!((var / cov(a, a) - 1.0).abs() < 0.04, "level {a}: var {var} vs {}", cov(a, a));
    }
    // A covariance across the two further terms (they are correlated given y).
    let c04 = s45 / nr - (s1[0] / nr) * (s1[4] / nr);
    let sd = (cov(0, 0) * cov(4, 4)).sqrt();
    assert!(cov(0, 4).abs() > 0.1 * sd, "the cross-term covariance is too small to test");
    assert!((c04 - cov(0, 4)).abs() < 0.04 * sd, "cov(u0, u4): {c04} vs {}", cov(0, 4));
}
