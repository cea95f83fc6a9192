//! Whole-chain checks of the observation models: simulation-based calibration (Talts et al. 2018) of small
//! models with each family and with families mixed, and draws that do not depend on the thread count.
//!
//! Every parameter is drawn from the prior the fit uses (the intercept is given the shared shrinkage prior
//! of the other fixed effects, `penalized = true`, so that its prior is proper), data are simulated from
//! the model, and the ranks of the true values among the posterior draws must be uniform.

mod common;

use common::*;
use rand_distr::{Distribution, Gamma as GammaDist, Poisson as PoissonDist};
use slamglmm::linalg::Dense;
use slamglmm::model::Family;
use slamglmm::rng::{categorical_log, gamma_rate, gamma_rate_truncated, inv_gamma, normal, task_rng, uniform, Block};
use slamglmm::simulate::{half_sib_kinship, simulate, Truth};
use slamglmm::{ModelData, Priors, Settings};

/// Rank of `truth` among the draws `x[s * stride + j]`, s < t, ties broken at random.
fn rank(x: &[f64], stride: usize, j: usize, t: usize, truth: f64, rng: &mut rand::rngs::ChaCha8Rng) -> usize {
    (0..t).filter(|&s| {
        let v = x[s * stride + j];
        v < truth || (v == truth && uniform(rng) < 0.5)
    })
    .count()
}

/// Offset of count traits (so that counts are moderate).
const COUNT_OFFSET: f64 = 1.5;
/// Cut-points of ordinal traits with three classes are drawn from Uniform(CUT_LO, CUT_HI) (see below).
const CUT_LO: f64 = 0.4;
const CUT_HI: f64 = 2.4;

struct Sim {
    data: ModelData,
    /// True h2_total per trait, psi per trait, and the family parameters in the sampler's order.
    h2_total: Vec<f64>,
    psi: Vec<f64>,
    family: Vec<f64>,
}

/// Draws every parameter from the prior, simulates latent traits on a half-sib design and observations
/// of each family.
fn simulate_model(families: &[Family], priors: &Priors, k: usize, kin: &Dense, seed: u64) -> Sim {
    let p = families.len();
    let n = kin.nrow;
    let mut rng = task_rng(seed, Block::Hyper, 77, 0);
    let grid_draw = |rng: &mut _, w: &[f64]| {
        let lw: Vec<f64> = w.iter().map(|v| v.ln()).collect();
        priors.grid.share(categorical_log(rng, &lw), 0)
    };
    let psi: Vec<f64> = families
        .iter()
        .map(|f| if f.fixed_variance() { 1.0 } else { inv_gamma(&mut rng, priors.psi_nu / 2.0, priors.psi_nu * priors.psi_v / 2.0) })
        .collect();
    let h2: Vec<f64> = (0..p).map(|_| grid_draw(&mut rng, &priors.h2_prior)).collect();
    let h2f: Vec<f64> = (0..k).map(|_| grid_draw(&mut rng, &priors.h2f_prior)).collect();
    let mut tau = 1.0;
    let mut lambda = Dense::zeros(p, k);
    for h in 0..k {
        let d = if h == 0 { gamma_rate(&mut rng, priors.a1, 1.0) } else { gamma_rate_truncated(&mut rng, priors.a2, 1.0, priors.delta_min) };
        tau *= d;
        for j in 0..p {
            let phi = gamma_rate(&mut rng, priors.lambda_nu / 2.0, priors.lambda_nu / 2.0);
            lambda.set(j, h, normal(&mut rng) * (psi[j] / (phi * tau)).sqrt());
        }
    }
    // The intercept is penalised like any covariate: b_j ~ N(0, psi_j sigma2_b).
    let s2b = inv_gamma(&mut rng, priors.b_shape, priors.b_scale);
    let b = Dense::from_vec(1, p, (0..p).map(|j| normal(&mut rng) * (psi[j] * s2b).sqrt()).collect()).unwrap();
    let truth = Truth { lambda: lambda.clone(), psi: psi.clone(), h2: h2.clone(), h2f: h2f.clone(), b };
    let sim = simulate(&truth, &intercept(n), kin, seed + 1);
    let mut y = sim.y.clone();
    let mut offset = Dense::zeros(n, p);
    let mut family = Vec::new();
    for (j, f) in families.iter().enumerate() {
        match f {
            Family::Gaussian | Family::Probes | Family::Curve | Family::Nonlinear => {}
            Family::Probit => y.col_mut(j).iter_mut().for_each(|v| *v = (*v > 0.0) as u8 as f64),
            Family::Ordinal { classes } => {
                assert_eq!(*classes, 3);
                let g2 = CUT_LO + (CUT_HI - CUT_LO) * uniform(&mut rng);
                family.push(g2);
                y.col_mut(j).iter_mut().for_each(|v| *v = if *v <= 0.0 { 1.0 } else if *v <= g2 { 2.0 } else { 3.0 });
            }
            Family::Poisson | Family::NegBin { .. } => {
                let r = gamma_rate(&mut rng, priors.negbin_shape, priors.negbin_rate);
                if matches!(f, Family::NegBin { .. }) {
                    family.push(r);
                }
                for i in 0..n {
                    offset.set(i, j, COUNT_OFFSET);
                    let mu = (y.get(i, j) + COUNT_OFFSET).exp();
                    let lam = if matches!(f, Family::NegBin { .. }) {
                        GammaDist::new(r, mu / r).map(|g| g.sample(&mut rng)).unwrap_or(mu)
                    } else {
                        mu
                    };
                    y.set(i, j, PoissonDist::new(lam.max(1e-300)).map(|d| d.sample(&mut rng)).unwrap_or(0.0));
                }
            }
        }
    }
    let mut data = kinship_data(y, intercept(n), vec![true], kin);
    data.families = families.to_vec();
    data.offset = Some(offset);
    let h2_total = truth_h2_total(&truth);
    Sim { data, h2_total, psi, family }
}

/// SBC of h2_total and psi of every trait and of the family parameters; returns (label, chi-square).
fn sbc(families: &[Family], reps: usize, burn: usize, thin: usize, t: usize, seed0: u64) -> Vec<(String, f64)> {
    sbc_on(families, reps, burn, thin, t, seed0, &half_sib_kinship(10, 4))
}

fn sbc_on(families: &[Family], reps: usize, burn: usize, thin: usize, t: usize, seed0: u64, kin: &Dense) -> Vec<(String, f64)> {
    let p = families.len();
    let k = 1;
    // A residual-variance prior tighter than the default keeps simulated counts within range.
    let priors = Priors {
        negbin_shape: 4.0,
        negbin_rate: 0.4,
        psi_v: 0.3,
        psi_nu: 10.0,
        ..one_term_priors(vec![0.0, 0.2, 0.4, 0.6, 0.8], vec![0.2; 5], vec![0.2; 5])
    };
    let mut labels: Vec<String> = Vec::new();
    let mut ranks: Vec<Vec<usize>> = Vec::new();
    let push = |labels: &mut Vec<String>, ranks: &mut Vec<Vec<usize>>, q: usize, label: String, r: usize| {
        if ranks.len() <= q {
            labels.push(label);
            ranks.push(Vec::new());
        }
        ranks[q].push(r);
    };
    let mut rep = 0;
    let mut attempt = 0;
    while rep < reps {
        attempt += 1;
        let seed = seed0 + 1000 * attempt as u64;
        let sim = simulate_model(families, &priors, k, kin, seed);
        // Ordinal data sets with a class seen fewer than 3 times are set aside: under the flat prior of
        // the cut-points their posterior is then barely proper (see sbc_ordinal).
        let sparse = families.iter().enumerate().any(|(j, f)| match f {
            Family::Ordinal { classes } => (1..=*classes).any(|c| sim.data.y.col(j).iter().filter(|&&v| v == c as f64).count() < 3),
            _ => false,
        });
        if sparse {
            continue;
        }
        rep += 1;
        let st = Settings { k, nitt: burn + thin * t, burnin: burn, thin, seed: seed + 7, threads: 1, reorder: true, ..Settings::default() };
        let post = fit(&sim.data, &priors, &st);
        assert_eq!(post.n_draws, t);
        let mut rng = task_rng(seed, Block::Hyper, 99, 0);
        let mut q = 0;
        for j in 0..p {
            push(&mut labels, &mut ranks, q, format!("h2_total[{j}]"), rank(&post.h2_total, p, j, t, sim.h2_total[j], &mut rng));
            q += 1;
            if !families[j].fixed_variance() {
                push(&mut labels, &mut ranks, q, format!("psi[{j}]"), rank(&post.psi, p, j, t, sim.psi[j], &mut rng));
                q += 1;
            }
        }
        let nf = sim.family.len();
        for f in 0..nf {
            push(&mut labels, &mut ranks, q, format!("family[{f}]"), rank(&post.family, nf, f, t, sim.family[f], &mut rng));
            q += 1;
        }
    }
    for (l, r) in labels.iter().zip(&ranks) {
        let mut c = [0usize; 10];
        for &x in r {
            c[(x * 10 / (t + 1)).min(9)] += 1;
        }
        eprintln!("{l}: {c:?}");
    }
    labels.into_iter().zip(ranks.iter().map(|r| chi_square(r, t, 10))).collect()
}

/// 10 bins, 9 degrees of freedom: 27.9 is the 0.999 quantile.
fn assert_uniform(res: &[(String, f64)], what: &str) {
    for (label, x2) in res {
        eprintln!("SBC {what} {label}: chi-square {x2:.1}");
    }
    for (label, x2) in res {
        assert!(*x2 < 27.9, "{what} {label}: rank chi-square {x2}");
    }
}

#[test]
fn sbc_probit() {
    assert_uniform(&sbc(&[Family::Probit, Family::Probit], 200, 400, 10, 100, 1), "probit");
}

#[test]
fn sbc_poisson_lognormal() {
    assert_uniform(&sbc(&[Family::Poisson, Family::Poisson], 200, 400, 10, 100, 2), "poisson");
}

#[test]
fn sbc_negative_binomial() {
    let nb = |pg| Family::NegBin { polya_gamma: pg };
    // The default Metropolis kernel and Polya-Gamma augmentation side by side.
    assert_uniform(&sbc(&[nb(false), nb(true)], 200, 400, 10, 100, 3), "negbin");
}

/// The fit's prior on the free cut-point is flat while the truth is drawn from a uniform on
/// [CUT_LO, CUT_HI]: calibration holds only as far as the likelihood is narrow next to that range, so this
/// model has 100 individuals and data sets with a class seen fewer than 3 times are left out.
#[test]
fn sbc_ordinal() {
    let fams = [Family::Ordinal { classes: 3 }, Family::Ordinal { classes: 3 }];
    assert_uniform(&sbc_on(&fams, 200, 400, 10, 100, 4, &half_sib_kinship(20, 5)), "ordinal");
}

#[test]
fn sbc_mixed_families() {
    let fams = [Family::Gaussian, Family::Probit, Family::NegBin { polya_gamma: false }, Family::Poisson];
    assert_uniform(&sbc(&fams, 200, 400, 10, 100, 5), "mixed");
}

#[test]
fn draws_with_families_do_not_depend_on_threads() {
    let kin = half_sib_kinship(20, 5);
    let fams = [Family::Gaussian, Family::Probit, Family::Ordinal { classes: 3 }, Family::NegBin { polya_gamma: true }, Family::Poisson];
    let priors = Priors { negbin_shape: 4.0, negbin_rate: 0.4, ..Priors::default() };
    let mut sim = simulate_model(&fams, &priors, 2, &kin, 11);
    for i in 0..10 {
        sim.data.y.set(i * 7, i % 5, f64::NAN);
    }
    let st = |threads| Settings { k: 2, nitt: 60, burnin: 20, thin: 2, seed: 3, threads, ..Settings::default() };
    let a = fit(&sim.data, &priors, &st(1));
    let b = fit(&sim.data, &priors, &st(2));
    assert_eq!(a.lambda, b.lambda);
    assert_eq!(a.psi, b.psi);
    assert_eq!(a.family, b.family);
    assert_eq!(a.means().h_mean.data, b.means().h_mean.data);
    assert_eq!(a.acceptance.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.acceptance.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    assert!(a.psi.chunks(5).all(|c| c[1] == 1.0 && c[2] == 1.0), "psi of probit and ordinal traits stays 1");
}

/// Probit traits with two random-effect terms (a kinship and an iid grouping): the scale move then also
/// rescales the drawn effects of the second term. Every parameter from the prior, latent traits
/// simulated directly from the two-term model, ranks of both terms' total shares.
#[test]
fn sbc_probit_two_terms() {
    use slamglmm::linalg::cholesky_in_place;
    let (p, k, n_g) = (2, 1, 8);
    let kin = half_sib_kinship(10, 4);
    let n = kin.nrow;
    let z2 = group_design(n, n_g, |i| i % n_g);
    let grid = slamglmm::Grid::simplex(2, 4);
    let g = grid.len();
    let priors = Priors { grid: grid.clone(), h2_prior: vec![1.0; g], h2f_prior: vec![1.0; g], ..Priors::default() };
    let mut lk = kin.data.clone();
    assert!(cholesky_in_place(&mut lk, n));
    let (reps, burn, thin, t) = (200, 400, 10, 100);
    let mut ranks = vec![Vec::new(); 2 * p];
    for rep in 0..reps {
        let seed = 7000 + 1000 * rep as u64;
        let mut rng = task_rng(seed, Block::Hyper, 77, 0);
        let point = |rng: &mut rand::rngs::ChaCha8Rng| categorical_log(rng, &vec![0.0; g]);
        let a: Vec<usize> = (0..p).map(|_| point(&mut rng)).collect();
        let af: Vec<usize> = (0..k).map(|_| point(&mut rng)).collect();
        let delta = gamma_rate(&mut rng, priors.a1, 1.0);
        let lambda: Vec<f64> = (0..p).map(|_| normal(&mut rng) / (gamma_rate(&mut rng, 1.5, 1.5) * delta).sqrt()).collect();
        let s2b = inv_gamma(&mut rng, priors.b_shape, priors.b_scale);
        let b0: Vec<f64> = (0..p).map(|_| normal(&mut rng) * s2b.sqrt()).collect();
        // One column of a two-term latent variable with shares of grid point gp and total variance 1.
        let draw = |rng: &mut rand::rngs::ChaCha8Rng, gp: usize| -> Vec<f64> {
            let z: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
            let u2: Vec<f64> = (0..n_g).map(|_| normal(rng)).collect();
            (0..n)
                .map(|i| {
                    let lz: f64 = (0..=i).map(|c| lk[c * n + i] * z[c]).sum();
                    grid.share(gp, 0).sqrt() * lz + grid.share(gp, 1).sqrt() * u2[i % n_g] + grid.resid(gp).sqrt() * normal(rng)
                })
                .collect()
        };
        let f = draw(&mut rng, af[0]);
        let mut y = Dense::zeros(n, p);
        for j in 0..p {
            let e = draw(&mut rng, a[j]);
            for i in 0..n {
                y.set(i, j, (b0[j] + lambda[j] * f[i] + e[i] > 0.0) as u8 as f64);
            }
        }
        let mut data = kinship_data(y, intercept(n), vec![true], &kin);
        data.terms.push(slamglmm::Term { z: z2.clone(), kin: None });
        data.families = vec![Family::Probit; p];
        let st = Settings { k, nitt: burn + thin * t, burnin: burn, thin, seed: seed + 7, threads: 1, ..Settings::default() };
        let post = fit(&data, &priors, &st);
        let mut rrng = task_rng(seed, Block::Hyper, 99, 0);
        for j in 0..p {
            for m in 0..2 {
                let l2 = lambda[j].powi(2);
                let truth = (grid.share(a[j], m) + l2 * grid.share(af[0], m)) / (1.0 + l2);
                // h2_total is p x M x T: draw s, term m, trait j at s * p * 2 + m * p + j.
                let r = (0..t)
                    .filter(|&s| {
                        let v = post.h2_total[s * p * 2 + m * p + j];
                        v < truth || (v == truth && uniform(&mut rrng) < 0.5)
                    })
                    .count();
                ranks[2 * j + m].push(r);
            }
        }
    }
    let res: Vec<(String, f64)> =
        ranks.iter().enumerate().map(|(q, r)| (format!("h2_total[trait {}, term {}]", q / 2, q % 2), chi_square(r, t, 10))).collect();
    assert_uniform(&res, "probit, two terms");
}

/// Genes measured by probes (one to three per gene, some values missing): SBC of h2_total and psi of the
/// genes. Probe effects have a flat prior (sum to zero within a gene), so the truth is drawn from
/// N(0, 0.5^2) projected onto that constraint; the data pin them down far more tightly than that.
#[test]
fn sbc_probes() {
    let (p, k) = (2, 1);
    let kin = half_sib_kinship(10, 4);
    let n = kin.nrow;
    let priors = Priors {
        psi_v: 0.3,
        psi_nu: 10.0,
        ..one_term_priors(vec![0.0, 0.2, 0.4, 0.6, 0.8], vec![0.2; 5], vec![0.2; 5])
    };
    let fams = [Family::Gaussian, Family::Gaussian];
    let (reps, burn, thin, t) = (200, 400, 10, 100);
    let mut ranks = vec![Vec::new(); 2 * p];
    for rep in 0..reps {
        let seed = 9000 + 1000 * rep as u64;
        let mut sim = simulate_model(&fams, &priors, k, &kin, seed);
        let mut rng = task_rng(seed, Block::Hyper, 55, 0);
        let latent = sim.data.y.clone();
        let mut sets = Vec::new();
        for j in 0..p {
            let nq = 1 + j * 2; // one probe for gene 0, three for gene 1
            let mut mu: Vec<f64> = (0..nq).map(|_| 0.5 * normal(&mut rng)).collect();
            let mbar = mu.iter().sum::<f64>() / nq as f64;
            mu.iter_mut().for_each(|m| *m -= mbar);
            let rho: Vec<f64> = (0..nq).map(|_| gamma_rate(&mut rng, priors.probe_shape, priors.probe_rate)).collect();
            let mut y = Dense::zeros(n, nq);
            for q in 0..nq {
                for i in 0..n {
                    let v = if (i + q) % 11 == 0 { f64::NAN } else { mu[q] + latent.get(i, j) + normal(&mut rng) / rho[q].sqrt() };
                    y.set(i, q, v);
                }
            }
            sets.push(slamglmm::model::ProbeSet { trait_index: j, y });
        }
        sim.data.y = Dense::from_vec(n, p, vec![f64::NAN; n * p]).unwrap();
        sim.data.families = vec![Family::Probes; p];
        sim.data.probes = sets;
        sim.data.offset = None;
        let st = Settings { k, nitt: burn + thin * t, burnin: burn, thin, seed: seed + 7, threads: 1, ..Settings::default() };
        let post = fit(&sim.data, &priors, &st);
        let mut rrng = task_rng(seed, Block::Hyper, 99, 0);
        for j in 0..p {
            ranks[2 * j].push(rank(&post.h2_total, p, j, t, sim.h2_total[j], &mut rrng));
            ranks[2 * j + 1].push(rank(&post.psi, p, j, t, sim.psi[j], &mut rrng));
        }
        assert_eq!(post.means().probes.len(), p);
    }
    let res: Vec<(String, f64)> =
        ranks.iter().enumerate().map(|(q, r)| (format!("{}[{}]", if q % 2 == 0 { "h2_total" } else { "psi" }, q / 2), chi_square(r, t, 10))).collect();
    assert_uniform(&res, "probes");
}

/// A curve on a quadratic polynomial basis (three coefficient traits), individuals measured at one to
/// five times of their own, two measurement-variance groups: SBC of the coefficients' h2_total and psi
/// and of the measurement variances.
#[test]
fn sbc_curves() {
    let k = 1;
    let kin = half_sib_kinship(10, 4);
    let n = kin.nrow;
    let priors = Priors {
        psi_v: 0.3,
        psi_nu: 10.0,
        ..one_term_priors(vec![0.0, 0.2, 0.4, 0.6, 0.8], vec![0.2; 5], vec![0.2; 5])
    };
    let fams = [Family::Gaussian; 3];
    let (reps, burn, thin, t) = (200, 400, 10, 100);
    let mut ranks = vec![Vec::new(); 8];
    for rep in 0..reps {
        let seed = 11_000 + 1000 * rep as u64;
        let mut sim = simulate_model(&fams, &priors, k, &kin, seed);
        let mut rng = task_rng(seed, Block::Hyper, 66, 0);
        let coef = sim.data.y.clone();
        let sigma2 = [inv_gamma(&mut rng, priors.curve_shape, priors.curve_scale), inv_gamma(&mut rng, priors.curve_shape, priors.curve_scale)];
        let (mut row, mut ys, mut group, mut phi_rows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            for m in 0..(1 + i % 5) {
                let tt = ((i * 7 + m * 3) % 11) as f64 / 10.0;
                let g = (tt >= 0.5) as usize;
                let basis = [1.0, tt, tt * tt];
                let mean: f64 = (0..3).map(|a| basis[a] * coef.get(i, a)).sum();
                row.push(i);
                group.push(g);
                ys.push(mean + sigma2[g].sqrt() * normal(&mut rng));
                phi_rows.push(basis);
            }
        }
        let nm = ys.len();
        let mut phi = Dense::zeros(nm, 3);
        for (m, b) in phi_rows.iter().enumerate() {
            for a in 0..3 {
                phi.set(m, a, b[a]);
            }
        }
        sim.data.y = Dense::from_vec(n, 3, vec![f64::NAN; n * 3]).unwrap();
        sim.data.families = vec![Family::Curve; 3];
        sim.data.offset = None;
        sim.data.curves = vec![slamglmm::model::CurveSet { traits: vec![0, 1, 2], row, phi, y: ys, group, n_groups: 2 }];
        let st = Settings { k, nitt: burn + thin * t, burnin: burn, thin, seed: seed + 7, threads: 1, ..Settings::default() };
        let post = fit(&sim.data, &priors, &st);
        let mut rrng = task_rng(seed, Block::Hyper, 99, 0);
        for j in 0..3 {
            ranks[2 * j].push(rank(&post.h2_total, 3, j, t, sim.h2_total[j], &mut rrng));
            ranks[2 * j + 1].push(rank(&post.psi, 3, j, t, sim.psi[j], &mut rrng));
        }
        for g in 0..2 {
            ranks[6 + g].push(rank(&post.family, 2, g, t, sigma2[g], &mut rrng));
        }
    }
    let names = ["h2_total[0]", "psi[0]", "h2_total[1]", "psi[1]", "h2_total[2]", "psi[2]", "sigma2[0]", "sigma2[1]"];
    let res: Vec<(String, f64)> = ranks.iter().zip(names).map(|(r, l)| (l.to_string(), chi_square(r, t, 10))).collect();
    assert_uniform(&res, "curves");
}

/// A simulated logistic growth model: asymptote, midpoint and scale per individual, on a standardised
/// scale around centres 10, 5, 1.5 with scales 2, 1, 0.3, individuals measured at four to eight times.
/// Returns the data (g given by `form`), the simulation and the true measurement variance.
fn logistic_model(kin: &Dense, priors: &Priors, k: usize, seed: u64, form: slamglmm::model::NonlinearForm) -> (Sim, f64) {
    use slamglmm::model::{NonlinearCurve, NonlinearSet};
    let n = kin.nrow;
    let (center, scale) = (vec![10.0, 5.0, 1.5], vec![2.0, 1.0, 0.3]);
    let prior_scale = 0.5;
    let mut sim = simulate_model(&[Family::Gaussian; 3], priors, k, kin, seed);
    let mut rng = task_rng(seed, Block::Hyper, 67, 0);
    let par = sim.data.y.clone();
    let sigma2 = inv_gamma(&mut rng, priors.curve_shape, prior_scale);
    let (mut row, mut time, mut ys) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let p: Vec<f64> = (0..3).map(|a| center[a] + scale[a] * par.get(i, a)).collect();
        for m in 0..(4 + i % 5) {
            let tt = 10.0 * ((i * 5 + m * 3) % 13) as f64 / 12.0;
            row.push(i);
            time.push(tt);
            ys.push(NonlinearCurve::Logistic.eval(&p, tt) + sigma2.sqrt() * normal(&mut rng));
        }
    }
    let nm = ys.len();
    sim.data.y = Dense::from_vec(n, 3, vec![f64::NAN; n * 3]).unwrap();
    sim.data.families = vec![Family::Nonlinear; 3];
    sim.data.offset = None;
    sim.data.nonlinear = vec![NonlinearSet {
        form,
        traits: vec![0, 1, 2],
        center,
        scale,
        row,
        time,
        y: ys,
        group: vec![0; nm],
        n_groups: 1,
        prior_scale,
    }];
    (sim, sigma2)
}

fn logistic_priors() -> Priors {
    Priors {
        psi_v: 0.3,
        psi_nu: 10.0,
        ..one_term_priors(vec![0.0, 0.2, 0.4, 0.6, 0.8], vec![0.2; 5], vec![0.2; 5])
    }
}

/// The logistic growth model of [`logistic_model`]: SBC of the parameters' h2_total and psi and of the
/// measurement variance, with elliptical slice sampling.
#[test]
fn sbc_nonlinear_logistic() {
    use slamglmm::model::{NonlinearCurve, NonlinearForm};
    let k = 1;
    let kin = half_sib_kinship(10, 4);
    let priors = logistic_priors();
    let (reps, burn, thin, t) = (200, 400, 10, 100);
    let mut ranks = vec![Vec::new(); 7];
    for rep in 0..reps {
        let seed = 13_000 + 1000 * rep as u64;
        let (sim, sigma2) = logistic_model(&kin, &priors, k, seed, NonlinearForm::Builtin(NonlinearCurve::Logistic));
        let st = Settings { k, nitt: burn + thin * t, burnin: burn, thin, seed: seed + 7, threads: 1, ..Settings::default() };
        let post = fit(&sim.data, &priors, &st);
        let mut rrng = task_rng(seed, Block::Hyper, 99, 0);
        for j in 0..3 {
            ranks[2 * j].push(rank(&post.h2_total, 3, j, t, sim.h2_total[j], &mut rrng));
            ranks[2 * j + 1].push(rank(&post.psi, 3, j, t, sim.psi[j], &mut rrng));
        }
        ranks[6].push(rank(&post.family, 1, 0, t, sigma2, &mut rrng));
    }
    let names = ["h2_total[A]", "psi[A]", "h2_total[xmid]", "psi[xmid]", "h2_total[scal]", "psi[scal]", "sigma2"];
    let res: Vec<(String, f64)> = ranks.iter().zip(names).map(|(r, l)| (l.to_string(), chi_square(r, t, 10))).collect();
    assert_uniform(&res, "nonlinear logistic");
}

/// A caller that evaluates the logistic curve row by row, as R would, and remembers its thread.
struct LogisticCaller {
    thread: std::thread::ThreadId,
    calls: usize,
    /// Drop the last value at this call (a function returning the wrong number of values).
    short_at: Option<usize>,
}

impl slamglmm::Monitor for LogisticCaller {
    fn user_curve(&mut self, _response: usize, par: &Dense, time: &[f64], measurements: &[usize]) -> slamglmm::Result<Vec<f64>> {
        use slamglmm::model::NonlinearCurve;
        assert_eq!(std::thread::current().id(), self.thread, "curves are evaluated on the calling thread");
        self.calls += 1;
        assert_eq!(measurements.len(), par.nrow);
        let mut g: Vec<f64> = (0..par.nrow)
            .map(|m| NonlinearCurve::Logistic.eval(&[par.get(m, 0), par.get(m, 1), par.get(m, 2)], time[m]))
            .collect();
        if self.short_at == Some(self.calls) {
            g.pop();
        }
        Ok(g)
    }
}

/// A user-written curve (evaluated by the caller, individuals in lockstep) gives exactly the chain of the
/// built-in curve with the same g, on any number of threads; a wrong number of values stops the run with
/// an error.
#[test]
fn user_written_curve_gives_the_built_in_chain() {
    use slamglmm::model::{NonlinearCurve, NonlinearForm};
    let kin = half_sib_kinship(8, 4);
    let priors = logistic_priors();
    let st = |threads| Settings { k: 1, nitt: 60, burnin: 20, thin: 2, seed: 5, threads, ..Settings::default() };
    let (built, _) = logistic_model(&kin, &priors, 1, 77, NonlinearForm::Builtin(NonlinearCurve::Logistic));
    let (user, _) = logistic_model(&kin, &priors, 1, 77, NonlinearForm::User { n_par: 3 });
    let a = fit(&built.data, &priors, &st(1));
    let mut caller = LogisticCaller { thread: std::thread::current().id(), calls: 0, short_at: None };
    let b = slamglmm::run(&user.data, &priors, &st(2), &mut caller).expect("user curve runs");
    assert!(caller.calls >= 3 * 60, "g evaluated in lockstep rounds: {} calls", caller.calls);
    assert_eq!(a.family, b.family);
    assert_eq!(a.psi, b.psi);
    assert_eq!(a.h2_total, b.h2_total);
    assert_eq!(a.lambda, b.lambda);
    let mut short = LogisticCaller { thread: std::thread::current().id(), calls: 0, short_at: Some(5) };
    let e = slamglmm::run(&user.data, &priors, &st(2), &mut short).err().expect("a short g is an error");
    assert!(e.message.contains("returned") && e.message.contains("values"), "{}", e.message);
    // Without a caller that evaluates curves, the run says so.
    let e = slamglmm::run(&user.data, &priors, &st(1), &mut slamglmm::Silent).err().expect("no host is an error");
    assert!(e.message.contains("no host"), "{}", e.message);
}
