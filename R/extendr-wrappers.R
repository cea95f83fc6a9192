# Thin wrappers around the Rust entry points registered by src/rust/src/lib.rs (module `SLAMglmm`).
# Written by hand in the form rextendr generates; the bridge contract is in src/rust/README.md.

#' @useDynLib SLAMglmm, .registration = TRUE
NULL

# Runs the Gibbs sampler on the validated, standardised input list built by slam_build_input().
slam_sample_rust <- function(input) .Call(wrap__slam_sample_rust, input)

# Posterior mean of Lambda diag(w) Lambda' + diag(d) over draws (p x p), without p x p x draws in memory.
slam_cov_mean_rust <- function(Lambda, W, D, threads) .Call(wrap__slam_cov_mean_rust, Lambda, W, D, threads)

# A 128-bit digest (32 hex digits) of an R object: every number, string, dimension and list name.
slam_fingerprint_rust <- function(x) .Call(wrap__slam_fingerprint_rust, x)
