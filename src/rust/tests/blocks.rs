//! Each Gibbs block against its closed-form conditional, computed densely in the original (unrotated)
//! space: run one block many times with everything else fixed and compare the draws' moments or
//! frequencies with the exact conditional, within Monte-Carlo error.

mod common;

use common::{inv_logdet, normalize_log, resid};
use slamglmm::linalg::Dense;
use slamglmm::Chain;
use slamglmm::{ModelData, Priors, Settings, Term};

const N: usize = 6;
const P: usize = 3;
const K: usize = 2;

fn kinship() -> Dense {
    let mut k = Dense::identity(N);
    for i in 0..N {
        for j in 0..N {
            if i != j {
                k.set(i, j, if (i / 3) == (j / 3) { 0.5 } else { 0.1 });
            }
        }
    }
    k
}

fn data() -> ModelData {
    let y: Vec<f64> = (0..N * P).map(|i| ((i as f64) * 1.37).sin() * 1.5).collect();
    let x: Vec<f64> = (0..N).map(|_| 1.0).chain((0..N).map(|i| (i as f64 * 0.9).cos())).collect();
    let xf: Vec<f64> = (0..N).map(|i| (i as f64 * 0.9).cos()).collect();
    ModelData::gaussian(
        Dense::from_vec(N, P, y).unwrap(),
        Dense::from_vec(N, 2, x).unwrap(),
        vec![false, true],
        Dense::from_vec(N, 1, xf).unwrap(),
        vec![Some(1)],
        vec![Term { z: Dense::identity(N), kin: Some(kinship()) }],
    )
}

fn priors() -> Priors {
    let g = 4;
    common::one_term_priors((0..g).map(|i| i as f64 / g as f64).collect(), vec![0.1, 0.2, 0.3, 0.4], vec![0.25; g])
}

/// A sampler with a fixed, arbitrary state.
fn sampler() -> Chain {
    let s = Settings { k: K, nitt: 10, burnin: 0, thin: 1, seed: 3, threads: 2, reorder: false, ..Settings::default() };
    let mut sm = Chain::new(&data(), &priors(), &s).unwrap();
    sm.state.traits.lambda = Dense::from_vec(P, K, vec![0.8, -0.5, 0.3, 0.2, 0.6, -0.4]).unwrap();
    sm.state.traits.psi = vec![0.7, 1.2, 0.5];
    sm.state.traits.h2 = vec![1, 3, 0];
    sm.state.factors.h2 = vec![2, 1];
    sm.state.traits.b = Dense::from_vec(2, P, vec![0.1, 0.3, -0.2, 0.5, 0.0, -0.1]).unwrap();
    sm.state.factors.bf = Dense::from_vec(1, K, vec![0.4, -0.3]).unwrap();
    sm.state.shrink.sigma2_b = vec![1.0, 0.8];
    sm.state.shrink.phi = Dense::from_vec(P, K, vec![1.0, 2.0, 0.5, 1.5, 0.7, 1.1]).unwrap();
    sm.state.shrink.delta = vec![1.3, 1.6];
    let f: Vec<f64> = (0..N * K).map(|i| ((i as f64) * 0.77).cos()).collect();
    sm.state.factors.ft = sm.fixed.rot.rotate(&Dense::from_vec(N, K, f).unwrap());
    sm
}

/// `V(h2) = h2 K + (1 - h2) I` (Z = I).
fn vmat(h2: f64) -> Dense {
    let k = kinship();
    let mut v = Dense::zeros(N, N);
    for i in 0..N {
        for j in 0..N {
            v.set(i, j, h2 * k.get(i, j) + if i == j { 1.0 - h2 } else { 0.0 });
        }
    }
    v
}

fn quad(a: &Dense, x: &[f64], y: &[f64]) -> f64 {
    let n = a.nrow;
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..n {
            s += x[i] * a.get(i, j) * y[j];
        }
    }
    s
}

fn f_orig(sm: &Chain) -> Dense {
    sm.fixed.rot.unrotate(&sm.state.factors.ft)
}

/// Residual of trait j in the original space: `y_j - X b_j - F lambda_j`.
fn dense_residual(sm: &Chain, d: &ModelData, f: &Dense, j: usize) -> Vec<f64> {
    (0..N)
        .map(|i| {
            d.y.get(i, j)
                - (0..2).map(|l| d.x.get(i, l) * sm.state.traits.b.get(l, j)).sum::<f64>()
                - (0..K).map(|h| f.get(i, h) * sm.state.traits.lambda.get(j, h)).sum::<f64>()
        })
        .collect()
}

/// Rotated grid likelihood equals the dense multivariate normal density up to a constant in h2.
#[test]
fn rotated_likelihood_matches_dense_density() {
    let sm = sampler();
    let e = resid(&sm);
    let d = data();
    let f = f_orig(&sm);
    let j = 1;
    let psi = sm.state.traits.psi[j];
    // Dense residual in the original space.
    let r = dense_residual(&sm, &d, &f, j);
    for g in 0..sm.fixed.priors.grid.len() {
        let h2 = sm.fixed.priors.grid.share(g, 0);
        let mut v = vmat(h2);
        v.data.iter_mut().for_each(|x| *x *= psi);
        let (vi, logdet) = inv_logdet(&v);
        let dense = -0.5 * (logdet + quad(&vi, &r, &r));
        let rot = -0.5
            * ((0..N).map(|i| (psi / sm.fixed.tables.w[g][i]).ln()).sum::<f64>()
                + (0..N).map(|i| e.get(i, j).powi(2) * sm.fixed.tables.w[g][i] / psi).sum::<f64>());
        assert!((dense - rot).abs() < 1e-9, "grid {g}: {dense} vs {rot}");
    }
}

/// Trait grid point: draw frequencies against the exact discrete posterior.
#[test]
fn trait_h2_block_matches_exact_grid_posterior() {
    let mut sm = sampler();
    let d = data();
    let f = f_orig(&sm);
    let reps = 40_000;
    let mut counts = vec![[0usize; 4]; P];
    for it in 0..reps {
        sm.step_trait_h2(it);
        for j in 0..P {
            counts[j][sm.state.traits.h2[j]] += 1;
        }
    }
    for j in 0..P {
        let r = dense_residual(&sm, &d, &f, j);
        let lp: Vec<f64> = (0..sm.fixed.priors.grid.len())
            .map(|g| {
                let mut v = vmat(sm.fixed.priors.grid.share(g, 0));
                v.data.iter_mut().for_each(|x| *x *= sm.state.traits.psi[j]);
                let (vi, logdet) = inv_logdet(&v);
                sm.fixed.priors.h2_prior[g].ln() - 0.5 * (logdet + quad(&vi, &r, &r))
            })
            .collect();
        let probs = normalize_log(&lp);
        for g in 0..4 {
            let pr = probs[g];
            let freq = counts[j][g] as f64 / reps as f64;
            let se = (pr * (1.0 - pr) / reps as f64).sqrt();
            assert!((freq - pr).abs() < 5.0 * se + 1e-4, "trait {j} grid {g}: {freq} vs {pr}");
        }
    }
}

/// Joint (b_j, lambda_j, psi_j): posterior means against the dense normal-gamma closed form.
#[test]
fn trait_block_matches_dense_normal_gamma() {
    let mut sm = sampler();
    let d = data();
    let f = f_orig(&sm);
    let tau = sm.state.shrink.tau();
    let reps = 40_000;
    let q = 2 + K;
    let mut sums = vec![vec![0.0; q + 1]; P];
    let mut sq = vec![vec![0.0; q + 1]; P];
    for it in 0..reps {
        sm.step_traits(it);
        for j in 0..P {
            let mut v: Vec<f64> = (0..2).map(|l| sm.state.traits.b.get(l, j)).collect();
            v.extend((0..K).map(|h| sm.state.traits.lambda.get(j, h)));
            v.push(sm.state.traits.psi[j]);
            for (a, x) in v.iter().enumerate() {
                sums[j][a] += x;
                sq[j][a] += x * x;
            }
        }
    }
    for j in 0..P {
        let h2 = sm.fixed.priors.grid.share(sm.state.traits.h2[j], 0);
        let (vi, _) = inv_logdet(&vmat(h2));
        // A = [X, F] in the original space.
        let a: Vec<Vec<f64>> = (0..2)
            .map(|l| d.x.col(l).to_vec())
            .chain((0..K).map(|h| f.col(h).to_vec()))
            .collect();
        let y = d.y.col(j).to_vec();
        let mut prec = Dense::zeros(q, q);
        let mut c = vec![0.0; q];
        for u in 0..q {
            c[u] = quad(&vi, &a[u], &y);
            for w in 0..q {
                prec.set(u, w, quad(&vi, &a[u], &a[w]));
            }
        }
        let dprior = [0.0, 1.0 / sm.state.shrink.sigma2_b[1], sm.state.shrink.phi.get(j, 0) * tau[0], sm.state.shrink.phi.get(j, 1) * tau[1]];
        for u in 0..q {
            prec.data[u * q + u] += dprior[u];
        }
        let (pinv, _) = inv_logdet(&prec);
        let m: Vec<f64> = (0..q).map(|u| (0..q).map(|w| pinv.get(u, w) * c[w]).sum()).collect();
        let sse = quad(&vi, &y, &y) - m.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>();
        let shape = 0.5 * (sm.fixed.priors.psi_nu + (N - 1) as f64);
        let scale = 0.5 * sm.fixed.priors.psi_nu * sm.fixed.priors.psi_v + 0.5 * sse;
        let e_psi = scale / (shape - 1.0);
        let mut expected = m.clone();
        expected.push(e_psi);
        for a in 0..=q {
            let mean = sums[j][a] / reps as f64;
            let sd = (sq[j][a] / reps as f64 - mean * mean).sqrt();
            assert!(
                (mean - expected[a]).abs() < 5.0 * sd / (reps as f64).sqrt(),
                "trait {j} coefficient {a}: {mean} vs {}",
                expected[a]
            );
        }
    }
}

/// Factor scores: mean and covariance of vec(F) against the dense Gaussian conditional.
#[test]
fn score_block_matches_dense_conditional() {
    let mut sm = sampler();
    let d = data();
    let nk = N * K;
    // Dense precision and linear term of vec(F) (column-major: factor h, row i -> h * N + i).
    let mut prec = Dense::zeros(nk, nk);
    let mut lin = vec![0.0; nk];
    for h in 0..K {
        let h2f = sm.fixed.priors.grid.share(sm.state.factors.h2[h], 0);
        let (vi, _) = inv_logdet(&vmat(h2f));
        let mf: Vec<f64> = (0..N).map(|i| d.xf.get(i, 0) * sm.state.factors.bf.get(0, h)).collect();
        for i in 0..N {
            for i2 in 0..N {
                prec.data[(h * N + i2) * nk + h * N + i] += vi.get(i, i2);
                lin[h * N + i] += vi.get(i, i2) * mf[i2];
            }
        }
    }
    for j in 0..P {
        let h2 = sm.fixed.priors.grid.share(sm.state.traits.h2[j], 0);
        let (vi, _) = inv_logdet(&vmat(h2));
        let r0: Vec<f64> =
            (0..N).map(|i| d.y.get(i, j) - (0..2).map(|l| d.x.get(i, l) * sm.state.traits.b.get(l, j)).sum::<f64>()).collect();
        for h in 0..K {
            for h2_ in 0..K {
                let ll = sm.state.traits.lambda.get(j, h) * sm.state.traits.lambda.get(j, h2_) / sm.state.traits.psi[j];
                for i in 0..N {
                    for i2 in 0..N {
                        prec.data[(h2_ * N + i2) * nk + h * N + i] += ll * vi.get(i, i2);
                    }
                }
            }
            for i in 0..N {
                lin[h * N + i] += sm.state.traits.lambda.get(j, h) / sm.state.traits.psi[j] * (0..N).map(|i2| vi.get(i, i2) * r0[i2]).sum::<f64>();
            }
        }
    }
    let (cov, _) = inv_logdet(&prec);
    let mean: Vec<f64> = (0..nk).map(|a| (0..nk).map(|b| cov.get(a, b) * lin[b]).sum()).collect();
    let reps = 40_000;
    let mut s1 = vec![0.0; nk];
    let mut s2 = Dense::zeros(nk, nk);
    for it in 0..reps {
        sm.step_scores(it);
        let f = f_orig(&sm);
        for a in 0..nk {
            s1[a] += f.data[a];
            for b in 0..=a {
                s2.data[b * nk + a] += f.data[a] * f.data[b];
            }
        }
    }
    let nr = reps as f64;
    for a in 0..nk {
        let m = s1[a] / nr;
        assert!((m - mean[a]).abs() < 5.0 * (cov.get(a, a) / nr).sqrt(), "mean {a}: {m} vs {}", mean[a]);
        for b in 0..=a {
            let c = s2.data[b * nk + a] / nr - m * s1[b] / nr;
            // sd of a sample covariance of Gaussians: sqrt((S_ab^2 + S_aa S_bb) / n)
            let se = ((cov.get(a, b).powi(2) + cov.get(a, a) * cov.get(b, b)) / nr).sqrt();
            assert!((c - cov.get(a, b)).abs() < 5.0 * se, "cov {a},{b}: {c} vs {}", cov.get(a, b));
        }
    }
}

/// Factor fixed effects: mean against the dense Gaussian conditional.
#[test]
fn factor_fixed_block_matches_dense_conditional() {
    let mut sm = sampler();
    let d = data();
    let f = f_orig(&sm);
    let reps = 40_000;
    let mut s = [0.0; K];
    let mut s2 = [0.0; K];
    for it in 0..reps {
        sm.step_factor_fixed(it);
        for h in 0..K {
            s[h] += sm.state.factors.bf.get(0, h);
            s2[h] += sm.state.factors.bf.get(0, h).powi(2);
        }
    }
    for h in 0..K {
        let (vi, _) = inv_logdet(&vmat(sm.fixed.priors.grid.share(sm.state.factors.h2[h], 0)));
        let x = d.xf.col(0).to_vec();
        let pr = quad(&vi, &x, &x) + 1.0 / sm.state.shrink.sigma2_b[1];
        let m = quad(&vi, &x, f.col(h)) / pr;
        let mean = s[h] / reps as f64;
        let var = s2[h] / reps as f64 - mean * mean;
        assert!((mean - m).abs() < 5.0 * (1.0 / pr / reps as f64).sqrt(), "factor {h}: {mean} vs {m}");
        assert!((var * pr - 1.0).abs() < 0.03, "factor {h} variance");
    }
}

/// Dense covariance of the traits' residuals, index `j * N + i`, with the factors in `hs` integrated
/// out: `sum_h V(aF_h) (x) lambda_h lambda_h' + blockdiag_j psi_j V(a_j)`.
fn dense_trait_cov(sm: &Chain, hs: &[(usize, usize)]) -> Dense {
    let np = N * P;
    let tr = &sm.state.traits;
    let grid = &sm.fixed.priors.grid;
    let mut c = Dense::zeros(np, np);
    for j in 0..P {
        let v = vmat(grid.share(tr.h2[j], 0));
        for i in 0..N {
            for i2 in 0..N {
                c.data[(j * N + i2) * np + j * N + i] += tr.psi[j] * v.get(i, i2);
            }
        }
    }
    for &(h, g) in hs {
        let v = vmat(grid.share(g, 0));
        for j in 0..P {
            for j2 in 0..P {
                let ll = tr.lambda.get(j, h) * tr.lambda.get(j2, h);
                for i in 0..N {
                    for i2 in 0..N {
                        c.data[(j2 * N + i2) * np + j * N + i] += ll * v.get(i, i2);
                    }
                }
            }
        }
    }
    c
}

/// Trait residuals (index `j * N + i`) less the factors' prior means `xf bF_h lambda_h'` and less the
/// scores of the factors not in `integrated`.
fn dense_residual_without(sm: &Chain, d: &ModelData, integrated: &[usize]) -> Vec<f64> {
    let f = f_orig(sm);
    let tr = &sm.state.traits;
    let mut r = vec![0.0; N * P];
    for j in 0..P {
        for i in 0..N {
            let mut v = d.y.get(i, j) - (0..2).map(|l| d.x.get(i, l) * tr.b.get(l, j)).sum::<f64>();
            for h in 0..K {
                let fh = if integrated.contains(&h) { d.xf.get(i, 0) * sm.state.factors.bf.get(0, h) } else { f.get(i, h) };
                v -= fh * tr.lambda.get(j, h);
            }
            r[j * N + i] = v;
        }
    }
    r
}

/// The collapsed grid log-posterior of a factor (scores integrated out by the determinant lemma and
/// Sherman-Morrison in the rotated space) equals the dense multivariate normal marginal of all the traits
/// with that factor's scores integrated out, up to a constant in the grid point.
#[test]
fn collapsed_factor_grid_matches_dense_marginal() {
    use slamglmm::sampler::factor_collapsed::{grid_logpost, Collapsed};
    let sm = sampler();
    let d = data();
    for h in 0..K {
        let mut scratch = slamglmm::Dense::default();
        let st = Collapsed::new(&sm.fixed, &sm.state.yt, &sm.state.traits, &sm.state.factors, &mut scratch);
        let (q, t) = st.stats(&sm.state.factors, h);
        let lp = grid_logpost(&sm.fixed, &sm.state.factors, h, &q, &t);
        let r = dense_residual_without(&sm, &d, &[h]);
        let dense: Vec<f64> = (0..sm.fixed.priors.grid.len())
            .map(|g| {
                let (ci, logdet) = inv_logdet(&dense_trait_cov(&sm, &[(h, g)]));
                sm.fixed.priors.h2f_prior[g].ln() - 0.5 * (logdet + quad(&ci, &r, &r))
            })
            .collect();
        for g in 1..dense.len() {
            let (a, b) = (lp[g] - lp[0], dense[g] - dense[0]);
            assert!((a - b).abs() < 1e-8, "factor {h} grid {g}: {a} vs {b}");
        }
    }
}

/// Repeating the collapsed factor block with everything else fixed is a Markov chain on (aF, F) whose
/// stationary law is their joint conditional: the frequencies of the pairs (aF_1, aF_2) must match the
/// exact discrete posterior with both factors' scores integrated out densely (Monte-Carlo error from
/// batch means).
#[test]
fn collapsed_factor_block_targets_exact_joint_grid_posterior() {
    let mut sm = sampler();
    let d = data();
    let ng = sm.fixed.priors.grid.len();
    let r = dense_residual_without(&sm, &d, &[0, 1]);
    let mut lp = vec![0.0; ng * ng];
    for g0 in 0..ng {
        for g1 in 0..ng {
            let (ci, logdet) = inv_logdet(&dense_trait_cov(&sm, &[(0, g0), (1, g1)]));
            lp[g0 * ng + g1] = sm.fixed.priors.h2f_prior[g0].ln() + sm.fixed.priors.h2f_prior[g1].ln()
                - 0.5 * (logdet + quad(&ci, &r, &r));
        }
    }
    let probs = normalize_log(&lp);
    let (batches, per) = (200, 250);
    let mut freq = vec![vec![0.0; ng * ng]; batches];
    for b in 0..batches {
        for s in 0..per {
            sm.step_factor_collapsed(1 + b * per + s);
            let f = &sm.state.factors.h2;
            freq[b][f[0] * ng + f[1]] += 1.0 / per as f64;
        }
    }
    for c in 0..ng * ng {
        let m = freq.iter().map(|f| f[c]).sum::<f64>() / batches as f64;
        let v = freq.iter().map(|f| (f[c] - m).powi(2)).sum::<f64>() / (batches - 1) as f64;
        let se = (v / batches as f64).sqrt();
        assert!((m - probs[c]).abs() < 5.0 * se + 2e-3, "pair {c}: {m} vs {}", probs[c]);
    }
}

/// A trait system that is not positive definite (here forced by a negative prior precision) keeps the
/// trait's current values and is counted, never silently skipped.
#[test]
fn non_positive_definite_trait_systems_are_counted() {
    let mut sm = sampler();
    let before = (sm.state.traits.b.clone(), sm.state.traits.lambda.clone(), sm.state.traits.psi.clone());
    assert!(sm.failures.counts().iter().all(|&(_, c)| c == 0));
    // trait 1's loadings get a hugely negative prior precision: its P = A'WA + D is indefinite
    for h in 0..K {
        sm.state.shrink.phi.set(1, h, -1e12);
    }
    sm.step_traits(1);
    let counts = sm.failures.counts();
    assert_eq!(counts[0], ("traits", 1));
    assert_eq!(sm.state.traits.lambda.get(1, 0), before.1.get(1, 0));
    assert_eq!(sm.state.traits.b.get(0, 1), before.0.get(0, 1));
    assert_eq!(sm.state.traits.psi[1], before.2[1]);
    // the other traits moved
    assert_ne!(sm.state.traits.psi[0], before.2[0]);
}
