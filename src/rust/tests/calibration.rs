//! Simulation-based calibration (Talts et al. 2018) on a small model, thread invariance of the draws,
//! and the missing-data block against the exact conditional of the missing entries.

mod common;

use common::*;
use slamglmm::linalg::Dense;
use slamglmm::rng::{gamma_rate, inv_gamma, normal, task_rng, uniform, Block};
use slamglmm::Chain;
use slamglmm::simulate::{half_sib_kinship, simulate, Truth};
use slamglmm::{Priors, Settings};

/// One draw of every parameter from the prior (intercept from N(0, 1): its prior is flat, and the posterior
/// of the other quantities does not depend on it).
fn prior_truth(priors: &Priors, p: usize, k: usize, seed: u64) -> Truth {
    let mut rng = task_rng(seed, Block::Hyper, 77, 0);
    let grid_draw = |rng: &mut _, w: &[f64]| {
        let lw: Vec<f64> = w.iter().map(|v| v.ln()).collect();
        priors.grid.share(slamglmm::rng::categorical_log(rng, &lw), 0)
    };
    let psi: Vec<f64> =
        (0..p).map(|_| inv_gamma(&mut rng, priors.psi_nu / 2.0, priors.psi_nu * priors.psi_v / 2.0)).collect();
    let h2: Vec<f64> = (0..p).map(|_| grid_draw(&mut rng, &priors.h2_prior)).collect();
    let h2f: Vec<f64> = (0..k).map(|_| grid_draw(&mut rng, &priors.h2f_prior)).collect();
    let mut tau = 1.0;
    let mut lambda = Dense::zeros(p, k);
    for h in 0..k {
        let d = if h == 0 {
            gamma_rate(&mut rng, priors.a1, 1.0)
        } else {
            slamglmm::rng::gamma_rate_truncated(&mut rng, priors.a2, 1.0, priors.delta_min)
        };
        tau *= d;
        for j in 0..p {
            let phi = gamma_rate(&mut rng, priors.lambda_nu / 2.0, priors.lambda_nu / 2.0);
            lambda.set(j, h, normal(&mut rng) * (psi[j] / (phi * tau)).sqrt());
        }
    }
    let b = Dense::from_vec(1, p, (0..p).map(|_| normal(&mut rng)).collect()).unwrap();
    Truth { lambda, psi, h2, h2f, b }
}

#[test]
fn simulation_based_calibration_of_identified_quantities() {
    sbc_identified(2, 1);
}

/// Two factors: blocks 3b and 4b (rotations of the pair) run in every iteration.
#[test]
fn simulation_based_calibration_with_two_factors() {
    sbc_identified(3, 2);
}

/// SBC of psi and h2_total of every trait, p traits and k factors.
fn sbc_identified(p: usize, k: usize) {
    let kin = half_sib_kinship(10, 3);
    let priors = one_term_priors(vec![0.0, 0.2, 0.4, 0.6, 0.8], vec![0.2; 5], vec![0.2; 5]);
    let reps = 250;
    let (burn, thin, t) = (300, 5, 100);
    let mut ranks: Vec<Vec<usize>> = vec![Vec::new(); 2 * p];
    for rep in 0..reps {
        let truth = prior_truth(&priors, p, k, 1000 + rep as u64);
        let sim = simulate(&truth, &intercept(kin.nrow), &kin, 5000 + rep as u64);
        let data = model_data(&sim, &kin);
        let post = fit(&data, &priors, &settings(k, burn + thin * t, burn, thin, 9000 + rep as u64, 1));
        let h2t = truth_h2_total(&truth);
        let mut rng = task_rng(rep as u64, Block::Hyper, 99, 0);
        for j in 0..p {
            // Ranks of the truth among the draws (ties broken at random).
            for (q, (draws, truth_v)) in [(&post.psi, truth.psi[j]), (&post.h2_total, h2t[j])].into_iter().enumerate() {
                let mut r = 0;
                for s in 0..t {
                    let v = draws[s * p + j];
                    if v < truth_v || (v == truth_v && uniform(&mut rng) < 0.5) {
                        r += 1;
                    }
                }
                ranks[q * p + j].push(r);
            }
        }
    }
    // 10 bins, 9 degrees of freedom: 27.9 is the 0.999 quantile.
    for (q, r) in ranks.iter().enumerate() {
        let x2 = chi_square(r, t, 10);
        eprintln!("SBC quantity {q}: chi-square {x2:.1}");
        assert!(x2 < 27.9, "quantity {q}: rank chi-square {x2}");
    }
}

#[test]
fn draws_do_not_depend_on_the_number_of_threads() {
    let kin = half_sib_kinship(40, 5);
    let p = 70;
    let truth = Truth {
        lambda: Dense::from_vec(p, 2, (0..2 * p).map(|i| ((i as f64) * 0.41).sin()).collect()).unwrap(),
        psi: vec![0.5; p],
        h2: vec![0.3; p],
        h2f: vec![0.6, 0.2],
        b: Dense::from_vec(1, p, vec![0.0; p]).unwrap(),
    };
    let mut sim = simulate_truth(&truth, &kin, 1);
    for i in 0..20 {
        sim.y.set(i * 3, i % p, f64::NAN);
    }
    let data = model_data(&sim, &kin);
    let pr = Priors::default();
    let a = fit(&data, &pr, &settings(3, 60, 20, 2, 42, 1));
    let b = fit(&data, &pr, &settings(3, 60, 20, 2, 42, 2));
    assert_eq!(a.lambda, b.lambda);
    assert_eq!(a.psi, b.psi);
    assert_eq!(a.h2, b.h2);
    assert_eq!(a.means().h_mean.data, b.means().h_mean.data);
    assert_eq!(a.means().u_mean[0].data, b.means().u_mean[0].data);
    let c = fit(&data, &pr, &settings(3, 60, 20, 2, 43, 2));
    assert_ne!(a.psi, c.psi);
}

/// Repeating the imputation step with everything else fixed is a Markov chain whose stationary law is the
/// exact conditional of the missing entries given the observed ones: N(mu_m + V_mo V_oo^-1 (y_o - mu_o),
/// psi (V_mm - V_mo V_oo^-1 V_om)).
#[test]
fn imputation_targets_the_exact_conditional() {
    let n = 8;
    let kin = half_sib_kinship(2, 4);
    let y: Vec<f64> = (0..n).map(|i| ((i as f64) * 1.1).sin()).collect();
    let mut yd = Dense::from_vec(n, 1, y).unwrap();
    let miss = [1usize, 6];
    for &i in &miss {
        yd.set(i, 0, f64::NAN);
    }
    let data = kinship_data(yd.clone(), intercept(n), vec![false], &kin);
    let pr = one_term_priors(vec![0.0, 0.5], vec![0.5; 2], vec![0.5; 2]);
    let s = Settings { k: 0, nitt: 10, burnin: 0, thin: 1, seed: 8, threads: 1, reorder: false, ..Settings::default() };
    let mut sm = Chain::new(&data, &pr, &s).unwrap();
    sm.state.traits.h2 = vec![1];
    sm.state.traits.psi = vec![0.8];
    sm.state.traits.b = Dense::from_vec(1, 1, vec![0.3]).unwrap();
    // Exact conditional.
    let h2 = 0.5;
    let v = |i: usize, j: usize| 0.8 * (h2 * kin.get(i, j) + if i == j { 1.0 - h2 } else { 0.0 });
    let obs: Vec<usize> = (0..n).filter(|i| !miss.contains(i)).collect();
    let no = obs.len();
    let mut voo: Vec<f64> = (0..no * no).map(|c| v(obs[c % no], obs[c / no])).collect();
    assert!(slamglmm::linalg::cholesky_in_place(&mut voo, no));
    let solve = |b: &mut Vec<f64>| {
        slamglmm::linalg::solve_lower(&voo, no, b);
        slamglmm::linalg::solve_upper_t(&voo, no, b);
    };
    let mut r: Vec<f64> = obs.iter().map(|&i| yd.get(i, 0) - 0.3).collect();
    solve(&mut r);
    let cond_mean: Vec<f64> = miss.iter().map(|&m| 0.3 + obs.iter().zip(&r).map(|(&o, ri)| v(m, o) * ri).sum::<f64>()).collect();
    let cond_var: Vec<f64> = miss
        .iter()
        .map(|&m| {
            let mut c: Vec<f64> = obs.iter().map(|&o| v(o, m)).collect();
            solve(&mut c);
            v(m, m) - obs.iter().zip(&c).map(|(&o, ci)| v(m, o) * ci).sum::<f64>()
        })
        .collect();
    // Run the chain; batch means for the Monte-Carlo error.
    let (reps, batches) = (100_000, 100);
    let mut vals = vec![Vec::with_capacity(reps); miss.len()];
    for it in 0..reps {
        sm.step_link(it, &slamglmm::model::NoCurves).expect("no user curves");
        for (c, &m) in miss.iter().enumerate() {
            vals[c].push(sm.state.link.h.get(m, 0));
        }
    }
    for c in 0..miss.len() {
        let x = &vals[c];
        let mean = x.iter().sum::<f64>() / reps as f64;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / reps as f64;
        let bs = reps / batches;
        let bm: Vec<f64> = (0..batches).map(|b| x[b * bs..(b + 1) * bs].iter().sum::<f64>() / bs as f64).collect();
        let se = (bm.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (batches * (batches - 1)) as f64).sqrt();
        assert!((mean - cond_mean[c]).abs() < 5.0 * se, "missing {c}: mean {mean} vs {}", cond_mean[c]);
        assert!((var / cond_var[c] - 1.0).abs() < 0.05, "missing {c}: var {var} vs {}", cond_var[c]);
    }
}
