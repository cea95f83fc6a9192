//! Counts the memory the core holds, in units of one n x p array of f64:
//! `cargo run --release --example memory -- n p k threads iters`.
//! A counting allocator records the bytes allocated now and the peak; the report gives, for the
//! set-up (everything before the first iteration ends) and for each iteration, the peak and what is
//! still held at its end. The data (one n x p array) are counted as they are built before the run.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use slamglmm::simulate::{genomic_kinship, simulate, Truth};
use slamglmm::{run, Dense, ModelData, Monitor, Priors, Settings, Term};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = NOW.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(now, Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let now = NOW.fetch_add(l.size(), Relaxed) + l.size();
        PEAK.fetch_max(now, Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, l: Layout) {
        NOW.fetch_sub(l.size(), Relaxed);
        System.dealloc(ptr, l)
    }
    unsafe fn realloc(&self, ptr: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size() {
            let now = NOW.fetch_add(new - l.size(), Relaxed) + new - l.size();
            PEAK.fetch_max(now, Relaxed);
        } else {
            NOW.fetch_sub(l.size() - new, Relaxed);
        }
        System.realloc(ptr, l, new)
    }
}

#[global_allocator]
static A: Counting = Counting;

struct Report {
    unit: f64,
}

impl Monitor for Report {
    fn progress(&mut self, iter: usize, _total: usize) {
        let (now, peak) = (NOW.load(Relaxed) as f64, PEAK.load(Relaxed) as f64);
        let what = if iter == 1 { "set-up and iteration 1".to_string() } else { format!("iteration {iter}") };
        println!("{what:>24}: peak {:6.2} n x p ({:7.1} MB), held after {:6.2}", peak / self.unit, peak / 1e6, now / self.unit);
        PEAK.store(NOW.load(Relaxed), Relaxed);
    }
}

fn main() {
    let a: Vec<usize> = std::env::args().skip(1).map(|s| s.parse().expect("numbers")).collect();
    let (n, p, k, threads, iters) = (a[0], a[1], a[2], a[3], a[4]);
    let kin = genomic_kinship(n, 2 * n, 1);
    let lambda = Dense::from_vec(p, k, (0..p * k).map(|i| if i % 7 == 0 { ((i as f64) * 0.3).sin() } else { 0.0 }).collect()).unwrap();
    let truth = Truth { lambda, psi: vec![0.5; p], h2: vec![0.3; p], h2f: vec![0.5; k], b: Dense::zeros(1, p) };
    let x = Dense::from_vec(n, 1, vec![1.0; n]).unwrap();
    let show = |what: &str| eprintln!("{what}: {:.1} MB", NOW.load(Relaxed) as f64 / 1e6);
    show("kinship");
    let y = simulate(&truth, &x, &kin, 2).y;
    show("simulated");
    let data = ModelData::gaussian(y, x, vec![false], Dense::zeros(n, 0), vec![], vec![Term { z: Dense::identity(n), kin: Some(kin) }]);
    let unit = (8 * n * p) as f64;
    println!("n = {n}, p = {p}, k = {k}, {threads} threads; one n x p array = {:.1} MB", unit / 1e6);
    println!("{:>24}: {:6.2} n x p", "held before the run", NOW.load(Relaxed) as f64 / unit);
    PEAK.store(NOW.load(Relaxed), Relaxed);
    let s = Settings { k, nitt: iters, burnin: iters / 2, thin: 1, seed: 1, threads, reorder: true, ..Settings::default() };
    let post = run(&data, &Priors::default(), &s, &mut Report { unit }).unwrap();
    println!("{:>24}: peak {:6.2} n x p, held after (with the output) {:6.2}", "finish", PEAK.load(Relaxed) as f64 / unit, NOW.load(Relaxed) as f64 / unit);
    drop(post);
}
