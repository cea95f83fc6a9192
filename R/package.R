#' SLAMglmm: sparse-factor linear mixed models for many traits
#'
#' Fits Bayesian sparse-factor linear mixed models (a generalisation of BSFG)
#' to high-dimensional traits: fixed effects on traits and on latent factors,
#' a random-effect term with any relationship (kinship) matrix, discrete priors
#' on variance proportions, and a multiplicative gamma process shrinkage prior
#' on the factor loadings. The model syntax follows lme4 and the prior
#' specification follows MCMCglmm; the Gibbs sampler is written in Rust.
#'
#' The main function is [SLAMglmm()]; priors are set with [slam_prior()].
#'
#' @keywords internal
#' @docType package
#' @name SLAMglmm-package
#' @aliases SLAMglmm-package
#' @useDynLib SLAMglmm, .registration = TRUE
#' @importFrom lme4 findbars nobars subbars mkReTrms
#' @importFrom stats model.frame model.matrix terms sd na.pass setNames as.formula
#' @importFrom stats sigma vcov confint residuals coef fitted predict formula
#' @importFrom utils head
#' @importFrom splines bs
#' @importFrom stats SSlogis SSgompertz SSmicmen
#' @importFrom methods is
#' @importClassesFrom Matrix Matrix
NULL
