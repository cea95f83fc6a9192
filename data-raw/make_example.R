# Simulate the example data shipped with SLAMglmm: slam_pheno, slam_kinship, slam_truth.
#
# Run from the package root:  Rscript data-raw/make_example.R
#
# Design: 15 half-sib families (one sire each, every offspring has its own dam),
# 20 offspring per sire = 300 phenotyped animals. A genomic (VanRaden 2008, method 1)
# kinship is built from 3000 simulated unlinked bi-allelic markers. Eight traits are
# simulated from the SLAMglmm model with k = 3 sparse factors:
#
#   H = X B + F Lambda' + U_R + E,      F = U_F + E_F
#   U_F[, h] ~ N(0, h2F_h K),  E_F[, h] ~ N(0, (1 - h2F_h) I)
#   U_R[, j] ~ N(0, h2_j psi_j K),  E[, j] ~ N(0, (1 - h2_j) psi_j I)
#
# so that G = Lambda diag(h2F) Lambda' + diag(h2 psi) and
#         R = Lambda diag(1 - h2F) Lambda' + diag((1 - h2) psi).

set.seed(20261124)

n_sire <- 15L
n_off <- 20L
n <- n_sire * n_off
m <- 3000L          # markers
p <- 8L
k <- 3L

## ---- genotypes and the genomic kinship -------------------------------------
freq <- stats::runif(m, 0.05, 0.95)
# haplotypes (0/1) of sires and of the n dams
draw_hap <- function(nind) matrix(stats::rbinom(nind * m, 1, rep(freq, each = nind)), nind, m)
sire_h1 <- draw_hap(n_sire); sire_h2 <- draw_hap(n_sire)
dam_h1 <- draw_hap(n);       dam_h2 <- draw_hap(n)
sire_of <- rep(seq_len(n_sire), each = n_off)
# each offspring gets one random haplotype allele per locus from sire and from dam (unlinked loci)
pick <- function(h1, h2) { s <- matrix(stats::rbinom(length(h1), 1, 0.5), nrow(h1)); h1 * s + h2 * (1 - s) }
from_sire <- pick(sire_h1[sire_of, , drop = FALSE], sire_h2[sire_of, , drop = FALSE])
from_dam <- pick(dam_h1, dam_h2)
M <- from_sire + from_dam                     # n x m allele counts 0/1/2
p_hat <- colMeans(M) / 2
keep <- p_hat > 0.01 & p_hat < 0.99
M <- M[, keep, drop = FALSE]; p_hat <- p_hat[keep]
Zm <- sweep(M, 2L, 2 * p_hat)
K <- tcrossprod(Zm) / (2 * sum(p_hat * (1 - p_hat)))
K <- K + diag(0.01, n)                         # VanRaden G is singular (centred): make it positive definite
K <- (K + t(K)) / 2

ids <- sprintf("A%03d", seq_len(n))
dimnames(K) <- list(ids, ids)
stopifnot(min(eigen(K, symmetric = TRUE, only.values = TRUE)$values) > 0)

## ---- model parameters ------------------------------------------------------
traits <- paste0("y", seq_len(p))
fac <- paste0("F", seq_len(k))
# sparse loadings on a common scale, then each trait gets its own measurement scale
Lambda0 <- matrix(0, p, k, dimnames = list(traits, fac))
Lambda0[1:4, 1] <- c(0.9, 0.8, -0.7, 0.6)
Lambda0[3:6, 2] <- c(0.6, 0.7, -0.8, 0.5)
Lambda0[c(1, 6:8), 3] <- c(-0.4, 0.5, 0.7, 0.6)
h2F <- c(F1 = 0.8, F2 = 0.4, F3 = 0.0)
h2 <- stats::setNames(round(stats::runif(p, 0.2, 0.4), 2), traits)
psi0 <- stats::setNames(round(stats::runif(p, 0.2, 0.5), 2), traits)
trait_scale <- stats::setNames(c(1, 2, 0.5, 1, 10, 1, 3, 1), traits)

Lambda <- Lambda0 * trait_scale                 # row j scaled by s_j
psi <- psi0 * trait_scale^2
B <- rbind("(Intercept)" = c(10, 50, 2, 0, 100, 5, 30, -3),
           sexM = c(0.5, 0, 0.3, -0.5, 4, 0, 1.5, 0.2) * c(1, 1, 1, 1, 1, 1, 1, 1))
colnames(B) <- traits

G <- Lambda %*% diag(h2F, k) %*% t(Lambda) + diag(h2 * psi, p)
R <- Lambda %*% diag(1 - h2F, k) %*% t(Lambda) + diag((1 - h2) * psi, p)
dimnames(G) <- dimnames(R) <- list(traits, traits)
P <- G + R
h2_total <- stats::setNames(diag(G) / diag(P), traits)

## ---- simulate ---------------------------------------------------------------
Lk <- t(chol(K))                               # K = Lk Lk'
rK <- function(ncol) Lk %*% matrix(stats::rnorm(n * ncol), n, ncol)
sex <- factor(sample(c("F", "M"), n, replace = TRUE), levels = c("F", "M"))
X <- stats::model.matrix(~ sex)
U_F <- sweep(rK(k), 2L, sqrt(h2F), `*`)
E_F <- sweep(matrix(stats::rnorm(n * k), n, k), 2L, sqrt(1 - h2F), `*`)
F_true <- U_F + E_F
U_R <- sweep(rK(p), 2L, sqrt(h2 * psi), `*`)
E <- sweep(matrix(stats::rnorm(n * p), n, p), 2L, sqrt((1 - h2) * psi), `*`)
U <- U_F %*% t(Lambda) + U_R                   # genetic values (breeding values)
Y <- X %*% B + F_true %*% t(Lambda) + U_R + E
dimnames(U) <- dimnames(Y) <- list(ids, traits)

# a few missing values (about 2 % of the entries, completely at random)
miss <- matrix(stats::runif(n * p) < 0.02, n, p)
Y[miss] <- NA
Y <- round(Y, 3)

slam_pheno <- data.frame(animal = ids, sire = factor(sprintf("S%02d", sire_of)), sex = sex,
                         as.data.frame(Y), stringsAsFactors = FALSE)
rownames(slam_pheno) <- NULL
slam_kinship <- round(K, 6)
slam_kinship <- (slam_kinship + t(slam_kinship)) / 2
slam_truth <- list(Lambda = Lambda, h2F = h2F, h2 = h2, psi = psi, G = G, R = R, P = P,
                   h2_total = h2_total, B = B, U = round(U, 4))

save(slam_pheno, file = "data/slam_pheno.rda", compress = "xz")
save(slam_kinship, file = "data/slam_kinship.rda", compress = "xz")
save(slam_truth, file = "data/slam_truth.rda", compress = "xz")
print(round(h2_total, 3))
print(file.size(c("data/slam_pheno.rda", "data/slam_kinship.rda", "data/slam_truth.rda")))
