//! Block 3b's interweaving move (`factor_interweave.rs`) with two further random-effect terms: its grid
//! log-posterior against the dense marginal of the traits given the factor's standardised other effects,
//! and blocks 3 and 3b, alternated with everything else fixed, against the exact grid posterior of the
//! factor with its scores and other effects integrated out densely.

mod common;

use common::*;
use slamglmm::linalg::Dense;
use slamglmm::sampler::factor_collapsed::Collapsed;
use slamglmm::sampler::factor_interweave;
use slamglmm::sampler::others::Effects;
use slamglmm::{Chain, ModelData, Priors, Settings, Term};

const N: usize = 8;
const P: usize = 2;
const LEVELS: usize = 3;

fn k1() -> Dense {
    block_kinship(N, 4, 0.5)
}

/// Second term: 3 groups (iid), rows 0-2, 3-5, 6-7.
fn z2() -> Dense {
    group_design(N, LEVELS, |i| (i / 3).min(2))
}

/// Third term: 2 groups (iid), even and odd rows.
fn z3() -> Dense {
    group_design(N, 2, |i| i % 2)
}

/// The designs of the further terms.
fn zs() -> [Dense; 2] {
    [z2(), z3()]
}

fn y() -> Dense {
    Dense::from_vec(N, P, (0..P * N).map(|i| ((i as f64) * 1.7).sin() * 0.8 + [2.0, 2.0, 2.0, 0.0, 0.0, 0.0, -2.0, -2.0][i % N] * if i < N { 1.0 } else { -0.8 }).collect())
        .unwrap()
}

/// Simplex grid over the three terms with 4 divisions (residual share > 0); uneven prior weights.
fn priors() -> Priors {
    let d = 4;
    let mut shares = Vec::new();
    for i in 0..d {
        for j in 0..(d - i) {
            for l in 0..(d - i - j) {
                shares.push(vec![i as f64 / d as f64, j as f64 / d as f64, l as f64 / d as f64]);
            }
        }
    }
    let g = shares.len();
    let mut pr = grid_priors(&shares, vec![1.0; g]);
    pr.h2f_prior = (0..g).map(|i| 1.0 + (i % 4) as f64).collect();
    pr
}

fn data() -> ModelData {
    let mut d = kinship_data(y(), intercept(N), vec![false], &k1());
    for z in zs() {
        d.terms.push(Term { z, kin: None });
    }
    d
}

/// One factor, fixed traits (their own shares of the further terms 0, so their other effects are 0).
fn sampler() -> Chain {
    let s = Settings { k: 1, nitt: 10, burnin: 0, thin: 1, seed: 11, threads: 2, reorder: false, collapse_factors: true, ..Settings::default() };
    let mut sm = Chain::new(&data(), &priors(), &s).unwrap();
    let grid = &sm.fixed.priors.grid;
    let own: Vec<usize> = (0..grid.len()).filter(|&g| grid.share(g, 1) == 0.0 && grid.share(g, 2) == 0.0).collect();
    let tr = &mut sm.state.traits;
    tr.lambda = Dense::from_vec(P, 1, vec![1.1, -0.8]).unwrap();
    tr.psi = vec![0.5, 0.35];
    tr.h2 = vec![own[1], own[0]];
    tr.b = Dense::from_vec(1, P, vec![0.2, -0.1]).unwrap();
    tr.other = Some(Effects::zeros(LEVELS + 2, N, P));
    sm
}

/// Dense covariance (index `j * N + i`) of the trait residuals with the factor's scores integrated out
/// given its other effects (`a_R K + e I` for the factor) and, with `with_other`, also those
/// (`+ a_2 Z_2 Z_2' + a_3 Z_3 Z_3'`).
fn dense_cov(sm: &Chain, g: usize, with_other: bool) -> Dense {
    let (grid, tr) = (&sm.fixed.priors.grid, &sm.state.traits);
    let k = k1();
    let zs = zs();
    let zz = |i: usize, i2: usize| -> f64 {
        if !with_other {
            return 0.0;
        }
        zs.iter()
            .enumerate()
            .map(|(m, z)| grid.share(g, m + 1) * (0..z.ncol).map(|l| z.get(i, l) * z.get(i2, l)).sum::<f64>())
            .sum()
    };
    let mut c = Dense::zeros(N * P, N * P);
    for j in 0..P {
        for j2 in 0..P {
            let ll = tr.lambda.get(j, 0) * tr.lambda.get(j2, 0);
            for i in 0..N {
                for i2 in 0..N {
                    let eye = if i == i2 { 1.0 } else { 0.0 };
                    let mut v = ll * (grid.share(g, 0) * k.get(i, i2) + zz(i, i2) + grid.resid(g) * eye);
                    if j == j2 {
                        let a = tr.h2[j];
                        v += tr.psi[j] * (grid.share(a, 0) * k.get(i, i2) + grid.resid(a) * eye);
                    }
                    c.set(j * N + i, j2 * N + i2, v);
                }
            }
        }
    }
    c
}

/// Inverse of an SPD matrix.
fn inverse(a: &Dense) -> Dense {
    inv_logdet(a).0
}

/// Mean and variances of the factor's scores (original space) given grid point g, with its other effects
/// integrated out: prior `N(0, V_g)`, `V_g = a_R K + a_2 Z_2 Z_2' + a_3 Z_3 Z_3' + e I`; trait j adds
/// `lambda_j F` to its residual of covariance `psi_j T_j`.
fn score_moments(sm: &Chain, g: usize, r: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (grid, tr) = (&sm.fixed.priors.grid, &sm.state.traits);
    let k = k1();
    let zs = zs();
    let zz = |i: usize, i2: usize| -> f64 {
        zs.iter()
            .enumerate()
            .map(|(m, z)| grid.share(g, m + 1) * (0..z.ncol).map(|l| z.get(i, l) * z.get(i2, l)).sum::<f64>())
            .sum()
    };
    let eye = |i: usize, i2: usize| if i == i2 { 1.0 } else { 0.0 };
    let mut v = Dense::zeros(N, N);
    for i in 0..N {
        for i2 in 0..N {
            v.set(i, i2, grid.share(g, 0) * k.get(i, i2) + zz(i, i2) + grid.resid(g) * eye(i, i2));
        }
    }
    let mut prec = inverse(&v);
    let mut rhs = vec![0.0; N];
    for j in 0..P {
        let a = tr.h2[j];
        let mut s = Dense::zeros(N, N);
        for i in 0..N {
            for i2 in 0..N {
                s.set(i, i2, tr.psi[j] * (grid.share(a, 0) * k.get(i, i2) + grid.resid(a) * eye(i, i2)));
            }
        }
        let si = inverse(&s);
        let lj = tr.lambda.get(j, 0);
        for i in 0..N {
            for i2 in 0..N {
                prec.data[i2 * N + i] += lj * lj * si.get(i, i2);
                rhs[i] += lj * si.get(i, i2) * r[j * N + i2];
            }
        }
    }
    let cov = inverse(&prec);
    let mean = (0..N).map(|i| (0..N).map(|i2| cov.get(i, i2) * rhs[i2]).sum()).collect();
    (mean, (0..N).map(|i| cov.get(i, i)).collect())
}

/// Trait residuals less the factor's mean `mean` (index `j * N + i`).
fn residual(sm: &Chain, mean: &[f64]) -> Vec<f64> {
    let (y, tr) = (y(), &sm.state.traits);
    (0..P * N).map(|c| {
        let (j, i) = (c / N, c % N);
        y.get(i, j) - tr.b.get(0, j) - mean[i] * tr.lambda.get(j, 0)
    }).collect()
}

#[test]
fn interweaving_grid_logpost_matches_dense_marginal() {
    let grid = sampler().fixed.priors.grid.clone();
    // a cell with one further term active (its offsets are the factor's OF) and one with both
    let one = (0..grid.len()).find(|&g| grid.share(g, 0) > 0.0 && grid.share(g, 1) == 0.5 && grid.share(g, 2) == 0.0).unwrap();
    // (0, 1/2, 1/4): its cell has (0, 1/4, 1/2), where both terms' scales change
    let both = (0..grid.len()).find(|&g| grid.share(g, 1) == 0.5 && grid.share(g, 2) == 0.25).unwrap();
    for g1 in [one, both] {
        let mut sm = sampler();
        sm.state.factors.h2 = vec![g1];
        // effects of the active terms only (those of an inactive term are 0)
        let mut uv = vec![0.7, -0.4, 0.9, 0.5, -0.6];
        for (m, lv) in [(1, 0..3), (2, 3..5)] {
            if grid.share(g1, m) == 0.0 {
                uv[lv].iter_mut().for_each(|v| *v = 0.0);
            }
        }
        let u = Dense::from_vec(LEVELS + 2, 1, uv.clone()).unwrap();
        let zt = sm.fixed.others.as_ref().unwrap().zt.clone();
        sm.state.factors.other.as_mut().unwrap().set(&zt, u);
        sm.state.factors.ft = sm.fixed.rot.rotate(&Dense::from_vec(N, 1, (0..N).map(|i| (i as f64 * 0.6).cos()).collect()).unwrap());
        let mut scratch = Dense::default();
        let st = Collapsed::new(&sm.fixed, &sm.state.yt, &sm.state.traits, &sm.state.factors, &mut scratch);
        let (q, t) = st.stats(&sm.state.factors, 0);
        let lp = factor_interweave::grid_logpost(&sm.fixed, &sm.state.factors, 0, g1, &q, &t);
        // Standardised effects v_m = u_m / sqrt(a_g1m); at point g the factor's mean is sum_m sqrt(a_gm) Z_m v_m.
        let zs = zs();
        let zv: Vec<Vec<f64>> = zs
            .iter()
            .enumerate()
            .map(|(m, z)| {
                let (off, a1) = ([0, 3][m], grid.share(g1, m + 1));
                (0..N).map(|i| if a1 == 0.0 { 0.0 } else { (0..z.ncol).map(|l| z.get(i, l) * uv[off + l]).sum::<f64>() / a1.sqrt() }).collect()
            })
            .collect();
        let mean = |g: usize| -> Vec<f64> { (0..N).map(|i| (0..2).map(|m| zv[m][i] * grid.share(g, m + 1).sqrt()).sum()).collect() };
        let dense = |g: usize| sm.fixed.priors.h2f_prior[g].ln() + mvn_logdens(&dense_cov(&sm, g, false), 1.0, &residual(&sm, &mean(g)));
        let active = |g: usize| (1..3).map(|m| grid.share(g, m) > 0.0).collect::<Vec<_>>();
        let mut checked = 0;
        for g in 0..grid.len() {
            if active(g) != active(g1) {
                assert_eq!(lp[g], f64::NEG_INFINITY, "point {g} outside the cell of active terms");
                continue;
            }
            let (a, b) = (lp[g] - lp[g1], dense(g) - dense(g1));
            assert!((a - b).abs() < 1e-8, "cell of {g1}, point {g}: {a} vs {b}");
            checked += 1;
        }
        assert!(checked >= 3, "cell of {g1}: {checked} points");
    }
}

/// Blocks 3 (grid point and other effects given the scores) and 3b (grid point given the other effects,
/// then given them standardised, then the scores) alternated form a Markov chain on (aF, F, uF) whose
/// grid frequencies must match the exact posterior with F and uF integrated out, and the scores' first
/// two moments the exact mixture over grid points (batch means).
#[test]
fn blocks_3_and_3b_with_interweaving_target_exact_grid_posterior() {
    let mut sm = sampler();
    let ng = sm.fixed.priors.grid.len();
    let r = residual(&sm, &vec![0.0; N]);
    let lp: Vec<f64> = (0..ng).map(|g| sm.fixed.priors.h2f_prior[g].ln() + mvn_logdens(&dense_cov(&sm, g, true), 1.0, &r)).collect();
    let probs = normalize_log(&lp);
    // Exact E(F_i) and E(F_i^2): a mixture over grid points.
    let (mut m1, mut m2) = (vec![0.0; N], vec![0.0; N]);
    for g in 0..ng {
        let (mean, var) = score_moments(&sm, g, &r);
        for i in 0..N {
            m1[i] += probs[g] * mean[i];
            m2[i] += probs[g] * (var[i] + mean[i] * mean[i]);
        }
    }
    let (batches, per) = (200, 300);
    let mut freq = vec![vec![0.0; ng]; batches];
    let mut mom = vec![vec![0.0; 2 * N]; batches];
    for b in 0..batches {
        for s in 0..per {
            let it = 1 + b * per + s;
            sm.step_factor_h2(it);
            sm.step_factor_collapsed(it);
            freq[b][sm.state.factors.h2[0]] += 1.0 / per as f64;
            let f = sm.fixed.rot.unrotate(&sm.state.factors.ft);
            for i in 0..N {
                mom[b][i] += f.get(i, 0) / per as f64;
                mom[b][N + i] += f.get(i, 0).powi(2) / per as f64;
            }
        }
    }
    for c in 0..2 * N {
        let exact = if c < N { m1[c] } else { m2[c - N] };
        let m = mom.iter().map(|f| f[c]).sum::<f64>() / batches as f64;
        let v = mom.iter().map(|f| (f[c] - m).powi(2)).sum::<f64>() / (batches - 1) as f64;
        let se = (v / batches as f64).sqrt();
        assert!((m - exact).abs() < 5.0 * se + 2e-3, "score moment {c}: {m} vs {exact}");
    }
    for g in 0..ng {
        let m = freq.iter().map(|f| f[g]).sum::<f64>() / batches as f64;
        let v = freq.iter().map(|f| (f[g] - m).powi(2)).sum::<f64>() / (batches - 1) as f64;
        let se = (v / batches as f64).sqrt();
        assert!((m - probs[g]).abs() < 5.0 * se + 2e-3, "point {g}: {m} vs {}", probs[g]);
    }
}
