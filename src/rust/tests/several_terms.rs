//! Several random-effect terms: the marginal likelihood against the dense density, the grid draws of both
//! routes against the exact grid posterior, the further effects against their dense conditional, and
//! simulation-based calibration of a two-term model on both routes.

mod common;

use common::*;
use slamglmm::linalg::{cholesky_in_place, solve_lower, solve_upper_t, Dense};
use slamglmm::model::GridRoute;
use slamglmm::rng::{gamma_rate, inv_gamma, normal, task_rng, uniform, Block};
use slamglmm::Chain;
use slamglmm::simulate::chol_factor;
use slamglmm::{ModelData, Priors, Settings, Term};

const N: usize = 8;
const SEED_BASE: u64 = 20_000;

fn k1() -> Dense {
    block_kinship(N, 4, 0.5)
}

/// Second term: 3 groups (iid), rows 0-2, 3-5, 6-7.
fn z2() -> Dense {
    group_design(N, 3, |i| (i / 3).min(2))
}

/// Simplex grid over two terms with `d` divisions (residual share > 0).
fn grid2(d: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..d {
        for j in 0..(d - i) {
            a.push(i as f64 / d as f64);
            b.push(vec![j as f64 / d as f64]);
        }
    }
    (a, b)
}

fn priors(d: usize) -> Priors {
    let (a, b) = grid2(d);
    let g = a.len();
    let w: Vec<f64> = (0..g).map(|i| 1.0 + (i % 3) as f64).collect();
    let shares: Vec<Vec<f64>> = a.iter().zip(&b).map(|(x, y)| vec![*x, y[0]]).collect();
    let _ = g;
    grid_priors(&shares, w.clone())
}

fn data(y: Dense) -> ModelData {
    let x = intercept(y.nrow);
    let mut d = kinship_data(y, x, vec![false], &k1());
    d.terms.push(Term { z: z2(), kin: None });
    d
}

fn y2() -> Dense {
    Dense::from_vec(N, 2, (0..2 * N).map(|i| ((i as f64) * 1.9).sin() * 1.3).collect()).unwrap()
}

/// Dense covariance of one trait (without psi) at grid point g.
fn vdense(pr: &Priors, g: usize) -> Dense {
    let (a1, a2, e) = (pr.grid.share(g, 0), pr.grid.share(g, 1), pr.grid.resid(g));
    let (k, z) = (k1(), z2());
    let mut v = Dense::zeros(N, N);
    for i in 0..N {
        for j in 0..N {
            let zz: f64 = (0..3).map(|l| z.get(i, l) * z.get(j, l)).sum();
            v.set(i, j, a1 * k.get(i, j) + a2 * zz + if i == j { e } else { 0.0 });
        }
    }
    v
}

fn sampler(route: GridRoute) -> Chain {
    let s = Settings { k: 0, nitt: 10, burnin: 0, thin: 1, seed: 5, threads: 2, reorder: false, grid_route: route, cache_mb: 64, ..Settings::default() };
    let mut sm = Chain::new(&data(y2()), &priors(5), &s).unwrap();
    sm.state.traits.psi = vec![0.9, 0.6];
    sm.state.traits.b = Dense::from_vec(1, 2, vec![0.2, -0.3]).unwrap();
    sm
}

/// Exact grid posterior of trait j (dense), with every random effect integrated out.
fn exact_grid(sm: &Chain, j: usize) -> Vec<f64> {
    let pr = &sm.fixed.priors;
    let y = y2();
    let r: Vec<f64> = (0..N).map(|i| y.get(i, j) - sm.state.traits.b.get(0, j)).collect();
    let lp: Vec<f64> =
        (0..pr.grid.len()).map(|g| pr.h2_prior[g].ln() + mvn_logdens(&vdense(pr, g), sm.state.traits.psi[j], &r)).collect();
    normalize_log(&lp)
}

#[test]
fn marginal_likelihood_matches_dense_density() {
    let sm = sampler(GridRoute::Full);
    let e = resid_marginal(&sm);
    let y = y2();
    let ng = sm.fixed.priors.grid.len();
    let all: Vec<usize> = (0..ng).collect();
    let _ = &all;
    let x = sm.fixed.others.as_ref().unwrap();
    for j in 0..2 {
        let r: Vec<f64> = (0..N).map(|i| y.get(i, j) - sm.state.traits.b.get(0, j)).collect();
        let psi = sm.state.traits.psi[j];
        for g in 0..ng {
            let dense = mvn_logdens(&vdense(&sm.fixed.priors, g), psi, &r);
            let ours = x.loglik(g, &sm.fixed.tables.w, sm.fixed.tables.logdet[g], e.col(j), psi, &sm.fixed.priors.grid) - 0.5 * N as f64 * psi.ln();
            assert!((dense - ours).abs() < 1e-8, "trait {j} grid {g}: {dense} vs {ours}");
        }
    }
}

#[test]
fn both_grid_routes_target_the_exact_grid_posterior() {
    let sm = sampler(GridRoute::Full);
    let exact: Vec<Vec<f64>> = (0..2).map(|j| exact_grid(&sm, j)).collect();
    let reps = 60_000;
    for (route, inflation) in [(GridRoute::Full, 1.0), (GridRoute::Metropolis, 4.0)] {
        let freq = trait_grid_frequencies(&mut sampler(route), reps);
        assert_frequencies(&freq, &exact, reps, inflation, &format!("{route:?}"));
    }
}

#[test]
fn further_effects_match_their_dense_conditional() {
    let mut sm = sampler(GridRoute::Full);
    // Fix the grid point by a prior with all mass on one point with both terms active.
    let g0 = (0..sm.fixed.priors.grid.len()).find(|&g| sm.fixed.priors.grid.share(g, 0) == 0.2 && sm.fixed.priors.grid.share(g, 1) == 0.4).unwrap();
    sm.fixed.tables.log_prior_traits = (0..sm.fixed.priors.grid.len()).map(|g| if g == g0 { 0.0 } else { f64::NEG_INFINITY }).collect();
    let j = 1;
    let psi = sm.state.traits.psi[j];
    let y = y2();
    let r: Vec<f64> = (0..N).map(|i| y.get(i, j) - sm.state.traits.b.get(0, j)).collect();
    // Dense: u2 | y ~ N(a2 Z2' V^-1 r, psi (a2 I - a2^2 Z2' V^-1 Z2)).
    let v = vdense(&sm.fixed.priors, g0);
    let mut l = v.data.clone();
    assert!(cholesky_in_place(&mut l, N));
    let solve = |b: &[f64]| {
        let mut x = b.to_vec();
        solve_lower(&l, N, &mut x);
        solve_upper_t(&l, N, &mut x);
        x
    };
    let z = z2();
    let vr = solve(&r);
    let a2 = 0.4;
    let mean: Vec<f64> = (0..3).map(|a| a2 * (0..N).map(|i| z.get(i, a) * vr[i]).sum::<f64>()).collect();
    let vz: Vec<Vec<f64>> = (0..3).map(|b| solve(z.col(b))).collect();
    let cov = |a: usize, b: usize| {
        psi * (a2 * (a == b) as u8 as f64 - a2 * a2 * (0..N).map(|i| z.get(i, a) * vz[b][i]).sum::<f64>())
    };
    let reps = 40_000;
    let mut s1 = [0.0; 3];
    let mut s2 = [0.0; 3];
    for it in 0..reps {
        sm.step_trait_h2(it);
        let u = sm.state.traits.other.as_ref().unwrap().u.col(j).to_vec();
        for a in 0..3 {
            s1[a] += u[a];
            s2[a] += u[a] * u[a];
        }
    }
    for a in 0..3 {
        let m = s1[a] / reps as f64;
        let var = s2[a] / reps as f64 - m * m;
        assert!((m - mean[a]).abs() < 5.0 * (cov(a, a) / reps as f64).sqrt(), "level {a}: {m} vs {}", mean[a]);
        assert!((var / cov(a, a) - 1.0).abs() < 0.04, "level {a}: var {var} vs {}", cov(a, a));
    }
}

/// Draws every parameter of a two-term model from its prior and simulates data.
fn prior_sim(pr: &Priors, rep: u64, p: usize, k: usize) -> (ModelData, Vec<f64>, Vec<Vec<f64>>) {
    let mut rng = task_rng(rep, Block::Hyper, 501, 0);
    let ng = pr.grid.len();
    let grid_draw = |rng: &mut _, w: &[f64]| {
        let lw: Vec<f64> = w.iter().map(|v| v.ln()).collect();
        slamglmm::rng::categorical_log(rng, &lw)
    };
    let _ = ng;
    let psi: Vec<f64> = (0..p).map(|_| inv_gamma(&mut rng, pr.psi_nu / 2.0, pr.psi_nu * pr.psi_v / 2.0)).collect();
    let g: Vec<usize> = (0..p).map(|_| grid_draw(&mut rng, &pr.h2_prior)).collect();
    let gf: Vec<usize> = (0..k).map(|_| grid_draw(&mut rng, &pr.h2f_prior)).collect();
    let lk = chol_factor(&k1());
    let z = z2();
    // Column with covariance s * (a1 K1 + a2 Z2 Z2' + e I).
    let draw_col = |rng: &mut rand::rngs::ChaCha8Rng, gp: usize, s: f64| -> Vec<f64> {
        let (a1, a2, e) = (pr.grid.share(gp, 0), pr.grid.share(gp, 1), pr.grid.resid(gp));
        let z1: Vec<f64> = (0..N).map(|_| normal(rng)).collect();
        let u2: Vec<f64> = (0..3).map(|_| normal(rng)).collect();
        (0..N)
            .map(|i| {
                let g1: f64 = (0..N).map(|l| lk.get(i, l) * z1[l]).sum();
                let g2: f64 = (0..3).map(|l| z.get(i, l) * u2[l]).sum();
                s.sqrt() * (a1.sqrt() * g1 + a2.sqrt() * g2 + e.sqrt() * normal(rng))
            })
            .collect()
    };
    let f: Vec<Vec<f64>> = gf.iter().map(|&gp| draw_col(&mut rng, gp, 1.0)).collect();
    let mut lambda = vec![vec![0.0; k]; p];
    let mut tau = 1.0;
    for h in 0..k {
        tau *= if h == 0 { gamma_rate(&mut rng, pr.a1, 1.0) } else { slamglmm::rng::gamma_rate_truncated(&mut rng, pr.a2, 1.0, pr.delta_min) };
        for j in 0..p {
            let phi = gamma_rate(&mut rng, pr.lambda_nu / 2.0, pr.lambda_nu / 2.0);
            lambda[j][h] = normal(&mut rng) * (psi[j] / (phi * tau)).sqrt();
        }
    }
    let mut y = Dense::zeros(N, p);
    for j in 0..p {
        let e = draw_col(&mut rng, g[j], psi[j]);
        let b0 = normal(&mut rng);
        for i in 0..N {
            y.set(i, j, b0 + e[i] + (0..k).map(|h| f[h][i] * lambda[j][h]).sum::<f64>());
        }
    }
    // Identified truths: per trait, the share of term 1 and of term 2 in the total variance.
    let truth: Vec<Vec<f64>> = (0..p)
        .map(|j| {
            let tot = psi[j] + (0..k).map(|h| lambda[j][h].powi(2)).sum::<f64>();
            (0..2)
                .map(|m| (pr.grid.share(g[j], m) * psi[j] + (0..k).map(|h| lambda[j][h].powi(2) * pr.grid.share(gf[h], m)).sum::<f64>()) / tot)
                .collect()
        })
        .collect();
    (data(y), psi, truth)
}

fn sbc(route: GridRoute) {
    let pr = Priors { h2_prior: vec![1.0; priors(4).grid.len()], ..priors(4) };
    let (p, k) = (2, 1);
    let reps = 200;
    let (burn, thin, t) = (200, 4, 100);
    let mut ranks: Vec<Vec<usize>> = vec![Vec::new(); 3 * p];
    for rep in 0..reps {
        let (d, psi, truth) = prior_sim(&pr, SEED_BASE + rep as u64, p, k);
        let s = Settings {
            k,
            nitt: burn + thin * t,
            burnin: burn,
            thin,
            seed: 7000 + rep as u64,
            threads: 1,
            reorder: false,
            grid_route: route,
            cache_mb: 64,
            ..Settings::default()
        };
        let post = fit(&d, &pr, &s);
        let mut rng = task_rng(rep as u64, Block::Hyper, 98, 0);
        let mut rank = |draw: &dyn Fn(usize) -> f64, tv: f64| {
            let mut r = 0;
            for s in 0..t {
                let v = draw(s);
                if v < tv || (v == tv && uniform(&mut rng) < 0.5) {
                    r += 1;
                }
            }
            r
        };
        for j in 0..p {
            let r0 = rank(&|s| post.psi[s * p + j], psi[j]);
            ranks[j].push(r0);
            for m in 0..2 {
                let r1 = rank(&|s| post.h2_total[s * p * 2 + m * p + j], truth[j][m]);
                ranks[p + 2 * j + m].push(r1);
            }
        }
    }
    for (q, r) in ranks.iter().enumerate() {
        let mut counts = vec![0.0; 10];
        for &x in r {
            counts[(x * 10 / (t + 1)).min(9)] += 1.0;
        }
        let e = r.len() as f64 / 10.0;
        let x2: f64 = counts.iter().map(|c| (c - e).powi(2) / e).sum();
        eprintln!("SBC {route:?} quantity {q}: chi-square {x2:.1} {counts:?}");
        assert!(x2 < 27.9, "{route:?} quantity {q}: rank chi-square {x2}");
    }
}

#[test]
fn simulation_based_calibration_two_terms_full_grid() {
    sbc(GridRoute::Full);
}

#[test]
fn simulation_based_calibration_two_terms_metropolis() {
    sbc(GridRoute::Metropolis);
}
