//! Block 4b (`factor_rotation.rs`): the log-posterior along a pair's orbit of rotations, from its six
//! sums, against the full log-posterior (likelihood and every prior the rotation touches) evaluated
//! directly at each rotated state; and the whole sampler with the move calibrated by SBC.

mod common;

use common::*;
use slamglmm::linalg::{gemm, Dense};
use slamglmm::sampler::factor_rotation::{orbit_logpost, ANGLES};
use slamglmm::sampler::others::Effects;
use slamglmm::{Chain, ModelData, Settings, Term};

const N: usize = 9;
const P: usize = 3;
const K: usize = 3;
const LEVELS: usize = 3;

fn data() -> ModelData {
    let y = Dense::from_vec(N, P, (0..N * P).map(|i| ((i as f64) * 1.3).sin() * 1.2).collect()).unwrap();
    let xf = Dense::from_vec(N, 1, (0..N).map(|i| (i as f64 * 0.7).cos()).collect()).unwrap();
    let x = Dense::from_vec(N, 2, (0..N).map(|_| 1.0).chain((0..N).map(|i| (i as f64 * 0.7).cos())).collect()).unwrap();
    let kin = block_kinship(N, 3, 0.5);
    ModelData::gaussian(
        y,
        x,
        vec![false, true],
        xf,
        vec![Some(1)],
        vec![Term { z: Dense::identity(N), kin: Some(kin) }, Term { z: group_design(N, LEVELS, |i| i % 3), kin: None }],
    )
}

/// A chain with an arbitrary state; every factor has the second term active.
fn chain() -> Chain {
    let mut shares = Vec::new();
    for i in 0..4 {
        for j in 0..(4 - i) {
            shares.push(vec![i as f64 / 4.0, j as f64 / 4.0]);
        }
    }
    let g = shares.len();
    let pr = grid_priors(&shares, vec![1.0; g]);
    let s = Settings { k: K, nitt: 10, burnin: 0, thin: 1, seed: 4, threads: 2, reorder: false, ..Settings::default() };
    let mut sm = Chain::new(&data(), &pr, &s).unwrap();
    let grid = sm.fixed.priors.grid.clone();
    let find = |a: f64, b: f64| (0..grid.len()).find(|&g| grid.share(g, 0) == a && grid.share(g, 1) == b).unwrap();
    let st = &mut sm.state;
    st.traits.lambda = Dense::from_vec(P, K, vec![0.9, -0.4, 0.3, 0.5, 0.7, -0.6, 0.2, -0.3, 0.8]).unwrap();
    st.traits.psi = vec![0.6, 1.1, 0.4];
    st.traits.h2 = vec![find(0.25, 0.0), find(0.5, 0.0), find(0.0, 0.0)];
    st.traits.b = Dense::from_vec(2, P, vec![0.1, 0.3, -0.2, 0.5, 0.0, -0.1]).unwrap();
    st.traits.other = Some(Effects::zeros(LEVELS, N, P));
    st.factors.h2 = vec![find(0.25, 0.25), find(0.5, 0.25), find(0.0, 0.5)];
    st.factors.bf = Dense::from_vec(1, K, vec![0.4, -0.3, 0.2]).unwrap();
    let u = Dense::from_vec(LEVELS, K, vec![0.5, -0.2, 0.3, -0.4, 0.6, 0.1, 0.2, 0.7, -0.5]).unwrap();
    let zt = sm.fixed.others.as_ref().unwrap().zt.clone();
    st.factors.other.as_mut().unwrap().set(&zt, u);
    st.factors.ft = sm.fixed.rot.rotate(&Dense::from_vec(N, K, (0..N * K).map(|i| ((i as f64) * 0.77).cos()).collect()).unwrap());
    st.shrink.phi = Dense::from_vec(P, K, vec![1.0, 2.0, 0.5, 1.5, 0.7, 1.1, 0.9, 1.3, 0.6]).unwrap();
    st.shrink.delta = vec![1.3, 1.6, 1.2];
    st.shrink.sigma2_b = vec![1.0, 0.8];
    sm
}

/// The full log-posterior, up to terms the rotation cannot change: the traits' likelihood, the scores'
/// prior, the loadings' prior, the factors' fixed and other effects' priors (rotated space).
fn log_post(sm: &Chain) -> f64 {
    let (fx, st) = (&sm.fixed, &sm.state);
    let (tr, fs) = (&st.traits, &st.factors);
    let w = &fx.tables.w;
    let mut fit = Dense::zeros(N, P);
    gemm(&mut fit, false, &fx.xt, false, &tr.b, 1.0);
    let mut lt = Dense::zeros(K, P);
    for j in 0..P {
        for h in 0..K {
            lt.set(h, j, tr.lambda.get(j, h));
        }
    }
    gemm(&mut fit, true, &fs.ft, false, &lt, 1.0);
    let mut l = 0.0;
    for j in 0..P {
        for i in 0..N {
            l -= 0.5 * (st.yt.get(i, j) - fit.get(i, j)).powi(2) * w[tr.h2[j]][i] / tr.psi[j];
        }
    }
    let mut mf = Dense::zeros(N, K);
    gemm(&mut mf, false, &fx.xft, false, &fs.bf, 1.0);
    let eff = fs.other.as_ref().unwrap();
    let tau = st.shrink.tau();
    for h in 0..K {
        for i in 0..N {
            l -= 0.5 * (fs.ft.get(i, h) - mf.get(i, h) - eff.o.get(i, h)).powi(2) * w[fs.h2[h]][i];
        }
        for j in 0..P {
            l -= 0.5 * tr.lambda.get(j, h).powi(2) * st.shrink.phi.get(j, h) * tau[h] / tr.psi[j];
        }
        l -= 0.5 * fs.bf.get(0, h).powi(2) / st.shrink.sigma2_b[1];
        let a = fx.priors.grid.share(fs.h2[h], 1);
        if a > 0.0 {
            l -= 0.5 * eff.u.col(h).iter().map(|v| v * v).sum::<f64>() / a;
        }
    }
    l
}

/// The chain's state with factors h and l rotated by t (the other effects' offsets recomputed).
fn rotated(sm: &Chain, h: usize, l: usize, t: f64) -> Chain {
    let mut c = chain();
    c.state = sm.state.clone();
    let rot = |m: &mut Dense| {
        let n = m.nrow;
        for i in 0..n {
            let (xh, xl) = (m.get(i, h), m.get(i, l));
            m.set(i, h, t.cos() * xh + t.sin() * xl);
            m.set(i, l, -t.sin() * xh + t.cos() * xl);
        }
    };
    rot(&mut c.state.factors.ft);
    rot(&mut c.state.traits.lambda);
    rot(&mut c.state.factors.bf);
    let mut u = c.state.factors.other.as_ref().unwrap().u.clone();
    rot(&mut u);
    let zt = c.fixed.others.as_ref().unwrap().zt.clone();
    c.state.factors.other.as_mut().unwrap().set(&zt, u);
    c
}

#[test]
fn orbit_logpost_matches_direct_posterior() {
    let sm = chain();
    for (h, l) in [(0, 1), (0, 2), (1, 2)] {
        let lp = orbit_logpost(&sm.fixed, &sm.state.traits, &sm.state.shrink, &sm.state.factors, h, l);
        let base = log_post(&sm);
        for a in [1, 5, 17, 40, 64, 100] {
            let t = 2.0 * std::f64::consts::PI * a as f64 / ANGLES as f64;
            let direct = log_post(&rotated(&sm, h, l, t)) - base;
            assert!((lp[a] - lp[0] - direct).abs() < 1e-9, "pair ({h}, {l}), angle {a}: {} vs {direct}", lp[a] - lp[0]);
        }
    }
}
