//! Saving and resuming a chain: a chain saved at any iteration (during burn-in while the number of
//! factors adapts, or after) and run on gives exactly the draws, means and acceptance counts of an
//! uninterrupted run; checkpoint files written during a run that is then stopped resume the same way; a
//! saved chain of another model, or a damaged one, is refused.

mod common;

use common::*;
use slamglmm::linalg::Dense;
use slamglmm::model::Family;
use slamglmm::rng::{normal, task_rng, Block};
use slamglmm::sampler::checkpoint::Plan;
use slamglmm::simulate::half_sib_kinship;
use slamglmm::{run_with, Monitor, ModelData, Posterior, Priors, RunOptions, Settings, Silent, Term};

/// Two terms (a kinship and an iid group), a Gaussian trait with missing values, a probit, an ordinal and
/// a negative binomial trait: every kind of state a chain carries.
fn model() -> (ModelData, Priors) {
    let kin = half_sib_kinship(12, 5);
    let n = kin.nrow;
    let p = 5;
    let mut rng = task_rng(21, Block::Hyper, 5, 0);
    let g: Vec<f64> = (0..12).map(|_| normal(&mut rng)).collect();
    let mut y = Dense::zeros(n, p);
    for i in 0..n {
        let common = g[i % 12] + 0.5 * normal(&mut rng);
        for j in 0..p {
            let h = common * (1.0 + j as f64 / 4.0) + normal(&mut rng);
            let v = match j {
                2 => (h > 0.0) as u8 as f64,
                3 => 1.0 + (h > -0.5) as u8 as f64 + (h > 0.7) as u8 as f64,
                4 => (1.0 + h.exp() * 2.0).round(),
                _ => h,
            };
            y.set(i, j, v);
        }
    }
    for i in 0..8 {
        y.set(i * 5, i % 2, f64::NAN);
    }
    let z2 = group_design(n, 6, |i| i % 6);
    let terms = vec![Term { z: Dense::identity(n), kin: Some(kin) }, Term { z: z2, kin: None }];
    let mut data = ModelData::gaussian(y, intercept(n), vec![false], Dense::zeros(n, 0), vec![], terms);
    data.families = vec![Family::Gaussian, Family::Gaussian, Family::Probit, Family::Ordinal { classes: 3 }, Family::NegBin { polya_gamma: false }];
    let grid = slamglmm::Grid::simplex(2, 4);
    let w = vec![1.0; grid.len()];
    (data, Priors { grid, h2_prior: w.clone(), h2f_prior: w, ..Priors::default() })
}

fn settings(nitt: usize) -> Settings {
    Settings { k: 2, nitt, burnin: 30, thin: 3, seed: 17, threads: 2, adapt: true, k_max: 4, ..Settings::default() }
}

fn opts(resume: Option<Vec<u8>>, fingerprint: &str) -> RunOptions {
    RunOptions { resume, fingerprint: fingerprint.as_bytes().to_vec(), ..RunOptions::default() }
}

fn go(data: &ModelData, priors: &Priors, st: &Settings, o: &RunOptions) -> Posterior {
    run_with(data, priors, st, &mut Silent, o).expect("sampler runs")
}

/// Bit patterns, so that NaN (missing fitted values, flat sigma2_b) compares equal to itself.
fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same_draws(a: &Posterior, b: &Posterior) {
    assert_eq!(a.n_draws, b.n_draws);
    assert_eq!(bits(&a.lambda), bits(&b.lambda));
    assert_eq!(bits(&a.bmat), bits(&b.bmat));
    assert_eq!(bits(&a.psi), bits(&b.psi));
    assert_eq!(bits(&a.h2), bits(&b.h2));
    assert_eq!(bits(&a.h2f), bits(&b.h2f));
    assert_eq!(bits(&a.family), bits(&b.family));
    assert_eq!(bits(&a.delta), bits(&b.delta));
}

fn assert_same_means(a: &Posterior, b: &Posterior) {
    let (ma, mb) = (a.means(), b.means());
    assert_eq!(bits(&ma.h_mean.data), bits(&mb.h_mean.data));
    assert_eq!(bits(&ma.f_mean.data), bits(&mb.f_mean.data));
    assert_eq!(ma.u_mean.len(), mb.u_mean.len());
    for (u, v) in ma.u_mean.iter().zip(&mb.u_mean) {
        assert_eq!(bits(&u.data), bits(&v.data));
    }
    assert_eq!(bits(&ma.fitted.data), bits(&mb.fitted.data));
    assert_eq!(bits(&a.acceptance), bits(&b.acceptance));
    assert_eq!(a.k_trace, b.k_trace);
}

/// Concatenates the draws of two consecutive runs.
fn append(a: &Posterior, b: &Posterior) -> Posterior {
    let cat = |x: &[f64], y: &[f64]| [x, y].concat();
    Posterior {
        n_draws: a.n_draws + b.n_draws,
        lambda: cat(&a.lambda, &b.lambda),
        bmat: cat(&a.bmat, &b.bmat),
        psi: cat(&a.psi, &b.psi),
        h2: cat(&a.h2, &b.h2),
        h2f: cat(&a.h2f, &b.h2f),
        family: cat(&a.family, &b.family),
        delta: cat(&a.delta, &b.delta),
        ..Posterior::default()
    }
}

#[test]
fn extending_a_chain_gives_the_longer_run() {
    let (data, priors) = model();
    let whole = go(&data, &priors, &settings(90), &opts(None, "m"));
    // a finished run (nitt past burn-in) extended once or twice
    for stop in [33, 55] {
        let first = go(&data, &priors, &settings(stop), &opts(None, "m"));
        let rest = go(&data, &priors, &settings(90), &opts(Some(first.state.clone()), "m"));
        assert_eq!(rest.iterations, 90);
        assert_same_draws(&append(&first, &rest), &whole);
        assert_same_means(&rest, &whole);
    }
}

/// Stops the run after `at` iterations, as Ctrl-C or a killed process would.
struct StopAt {
    at: usize,
    now: usize,
}
impl Monitor for StopAt {
    fn progress(&mut self, iter: usize, _: usize) {
        self.now = iter;
    }
    fn interrupted(&mut self) -> bool {
        self.now >= self.at
    }
}

#[test]
fn a_checkpoint_file_resumes_a_stopped_run() {
    let (data, priors) = model();
    let st = settings(90);
    let whole = go(&data, &priors, &st, &opts(None, "m"));
    let dir = std::env::temp_dir().join(format!("slamglmm-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chain-1.state");
    let plan = Plan { path: path.clone(), every_seconds: None, every_iterations: Some(7) };
    // stopped during burn-in (factors still adapting) and after it; the last periodic checkpoint is
    // superseded by the one written at the stop
    for at in [13, 52] {
        let o = RunOptions { checkpoint: Some(plan.clone()), fingerprint: b"m".to_vec(), ..RunOptions::default() };
        let stopped = run_with(&data, &priors, &st, &mut StopAt { at, now: 0 }, &o).unwrap();
        assert!(stopped.interrupted);
        assert_eq!(stopped.iterations, at);
        assert!(!dir.join("chain-1.state.tmp").exists(), "the temporary file is renamed over the checkpoint");
        let saved = std::fs::read(&path).unwrap();
        let o2 = RunOptions { resume: Some(saved), checkpoint: Some(plan.clone()), fingerprint: b"m".to_vec(), ..RunOptions::default() };
        let resumed = run_with(&data, &priors, &st, &mut Silent, &o2).unwrap();
        // the checkpoint holds the draws saved before the stop: the resumed run returns them all
        assert_same_draws(&resumed, &whole);
        assert_same_means(&resumed, &whole);
        // and the final checkpoint is the finished chain: resuming it runs nothing and returns the same
        let again = go(&data, &priors, &st, &opts(Some(std::fs::read(&path).unwrap()), "m"));
        assert_eq!(again.iterations, 90);
        assert_same_draws(&again, &whole);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_chain_of_another_model_or_a_damaged_one_is_refused() {
    let (data, priors) = model();
    let first = go(&data, &priors, &settings(40), &opts(None, "m"));
    let err = |o: &RunOptions| run_with(&data, &priors, &settings(60), &mut Silent, o).err().expect("refused").message;
    assert!(err(&opts(Some(first.state.clone()), "other")).contains("another model"));
    let mut cut = first.state.clone();
    cut.truncate(cut.len() / 2);
    assert!(err(&opts(Some(cut), "m")).contains("damaged"));
    assert!(err(&opts(Some(b"not a state".to_vec()), "m")).contains("not a SLAMglmm chain state"));
    // a chain at iteration 40 cannot be continued to fewer iterations
    let short = run_with(&data, &priors, &settings(35), &mut Silent, &opts(Some(first.state.clone()), "m")).err().unwrap().message;
    assert!(short.contains("beyond nitt"));
    // a model with another number of traits does not read the state even under the same fingerprint
    let (mut d2, _) = model();
    d2.y = Dense::from_vec(d2.y.nrow, 4, d2.y.data[..d2.y.nrow * 4].to_vec()).unwrap();
    d2.families.truncate(4);
    let st2 = Settings { adapt: false, ..settings(60) };
    assert!(run_with(&d2, &priors, &st2, &mut Silent, &opts(Some(first.state), "m")).is_err());
}

/// Reads quantity `name` of a Zarr group written by the sampler: (shape, values of the first shape[0]
/// draws), from its `.zarray` and chunk files.
fn read_zarr(dir: &std::path::Path, name: &str) -> (Vec<usize>, Vec<f64>) {
    let meta = std::fs::read_to_string(dir.join(name).join(".zarray")).unwrap();
    let nums = |key: &str| -> Vec<usize> {
        let s = &meta[meta.find(key).unwrap() + key.len()..];
        let s = &s[s.find('[').unwrap() + 1..s.find(']').unwrap()];
        s.split(',').map(|x| x.trim().parse().unwrap()).collect()
    };
    let (shape, chunks) = (nums("\"shape\""), nums("\"chunks\""));
    let per: usize = shape[1..].iter().product();
    let mut out = Vec::new();
    let n_chunks = shape[0].div_ceil(chunks[0]);
    for c in 0..n_chunks {
        let key = std::iter::once(c.to_string()).chain(shape[1..].iter().map(|_| "0".to_string())).collect::<Vec<_>>().join(".");
        let bytes = std::fs::read(dir.join(name).join(key)).unwrap();
        assert_eq!(bytes.len(), 8 * per * chunks[0], "chunks are whole (padded)");
        out.extend(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())));
    }
    out.truncate(per * shape[0]);
    (shape, out)
}

#[test]
fn draws_on_disk_are_the_draws_in_memory_and_resume_with_their_chain() {
    let (data, priors) = model();
    let st = settings(90);
    let whole = go(&data, &priors, &st, &opts(None, "m"));
    let root = std::env::temp_dir().join(format!("slamglmm-zarr-{}", std::process::id()));
    let dir = root.join("chain-1");
    let disk = |resume: Option<Vec<u8>>, checkpoint: Option<Plan>| RunOptions {
        resume,
        checkpoint,
        fingerprint: b"m".to_vec(),
        draws_on_disk: Some((dir.clone(), 4)),
    };
    let check = |p: &Posterior| {
        assert_eq!(p.n_draws, whole.n_draws);
        assert!(p.psi.is_empty(), "nothing is kept in memory");
        let (shape, lambda) = read_zarr(&dir, "Lambda");
        assert_eq!(shape, vec![whole.n_draws, whole.k, whole.p]);
        assert_eq!(bits(&lambda), bits(&whole.lambda));
        let (shape, b) = read_zarr(&dir, "B");
        assert_eq!(shape, vec![whole.n_draws, whole.p, whole.b]);
        assert_eq!(bits(&b), bits(&whole.bmat));
        for (name, mem) in [("psi", &whole.psi), ("h2", &whole.h2), ("family", &whole.family), ("delta", &whole.delta)] {
            assert_eq!(bits(&read_zarr(&dir, name).1), bits(mem), "{name}");
        }
        assert_same_means(p, &whole);
    };
    // 20 draws in chunks of 4... and a last partial chunk when the run is cut
    let p = run_with(&data, &priors, &st, &mut Silent, &disk(None, None)).unwrap();
    check(&p);
    // stopped after 52 iterations (6 draws: one chunk and a partial one), resumed from the checkpoint
    std::fs::remove_dir_all(&root).ok();
    std::fs::create_dir_all(&root).unwrap();
    let plan = Plan { path: root.join("chain-1.state"), every_seconds: None, every_iterations: Some(5) };
    let stopped = run_with(&data, &priors, &st, &mut StopAt { at: 52, now: 0 }, &disk(None, Some(plan.clone()))).unwrap();
    assert_eq!(read_zarr(&dir, "psi").0[0], stopped.n_draws, "the arrays' length is the draws flushed");
    let saved = std::fs::read(&plan.path).unwrap();
    let p = run_with(&data, &priors, &st, &mut Silent, &disk(Some(saved), Some(plan))).unwrap();
    check(&p);
    // a finished run extended through its returned state appends to the same arrays
    std::fs::remove_dir_all(&root).ok();
    let first = run_with(&data, &priors, &settings(55), &mut Silent, &disk(None, None)).unwrap();
    let p = run_with(&data, &priors, &st, &mut Silent, &disk(Some(first.state), None)).unwrap();
    check(&p);
    std::fs::remove_dir_all(&root).ok();
}
