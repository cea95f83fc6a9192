# Single-trait SLAMglmm fits (n_factors = 0) against lme4 REML on public data sets nobody tuned the
# package for: variance proportions of every random-effect term, side by side.
#   Rscript validation/real-data.R [DATA_DIR]      (about 5 minutes on 2 cores)
# DATA_DIR (default ../shared/data, the project's public data folder) holds mice/, wheat/ and gryphon/
# with the CSV files named below (mice_pheno.csv, wheat_Y_yield_4env.csv, gryphon_pheno.csv, ...).
# Relationship matrices enter lme4 through its modular API: u = L v with K = L L', so the random-effect
# design of that term becomes Z L. Not run by CI: the data are not part of the package.
suppressPackageStartupMessages(library(SLAMglmm))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "../shared/data"
if (!dir.exists(dir)) stop("no data directory ", dir)

# REML variance proportions of `formula` where the term `kin_term` has covariance K.
reml_props <- function(formula, data, kin_term, K) {
  lf <- lme4::lFormula(formula, data = data,
                       control = lme4::lmerControl(check.nobs.vs.nRE = "ignore",
                                                   check.nobs.vs.nlev = "ignore"))
  i <- which(names(lf$reTrms$cnms) == kin_term)
  rows <- (lf$reTrms$Gp[i] + 1):lf$reTrms$Gp[i + 1]
  lev <- levels(lf$reTrms$flist[[kin_term]])
  # Cholesky factor (triangular, so lme4's sparse factorisation stays cheap); for a singular K
  # the eigenvectors scaled by the square roots of the eigenvalues
  L <- tryCatch(t(chol(K[lev, lev])), error = function(e) {
    ev <- eigen(K[lev, lev], symmetric = TRUE)
    ev$vectors %*% diag(sqrt(pmax(ev$values, 0)), length(lev))
  })
  Zt <- lf$reTrms$Zt
  Zt[rows, ] <- Matrix::Matrix(t(L), sparse = TRUE) %*% Zt[rows, ]
  lf$reTrms$Zt <- Zt
  dev <- do.call(lme4::mkLmerDevfun, lf)
  m <- lme4::mkMerMod(environment(dev), lme4::optimizeLmer(dev), lf$reTrms, fr = lf$fr)
  vc <- as.data.frame(lme4::VarCorr(m))
  stats::setNames(vc$vcov / sum(vc$vcov), vc$grp)
}

compare <- function(label, traits, rhs, data, kin_term, K, relmat) {
  out <- NULL
  for (tr in traits) {
    f <- stats::as.formula(paste(tr, rhs))
    ref <- reml_props(f, droplevels(data[!is.na(data[[tr]]), ]), kin_term, K)
    set.seed(1)
    fit <- SLAMglmm(f, data = data, relmat = relmat, n_factors = 0, nitt = 6000, burnin = 1000,
                    thin = 5, verbose = FALSE)
    h <- h2(fit)
    est <- stats::setNames(h$estimate, h$term)
    tms <- names(est)
    out <- rbind(out, data.frame(data = label, trait = tr, term = tms, reml = round(ref[tms], 3),
                                 slamglmm = round(est, 3), lower = round(h$lower, 3),
                                 upper = round(h$upper, 3), row.names = NULL))
  }
  out
}

res <- list()

# Heterogeneous-stock mice (Valdar et al. 2006; BGLR): pedigree relationship matrix + cage.
ph <- utils::read.csv(file.path(dir, "mice/mice_pheno.csv"), stringsAsFactors = TRUE)
A <- as.matrix(utils::read.csv(gzfile(file.path(dir, "mice/mice_A_pedigree_relationship.csv.gz")),
                               row.names = 1, check.names = FALSE))
res$mice <- compare("mice", paste0("Biochem.", c("HDL", "Albumin", "Sodium")),
                    "~ GENDER + (1 | SUBJECT.NAME) + (1 | cage)", ph, "SUBJECT.NAME", A,
                    list(SUBJECT.NAME = A))

# CIMMYT wheat (Crossa et al. 2010; BGLR): yield in 4 environments, pedigree A and a marker GRM
# (singular: 599 lines, centred markers).
Yd <- utils::read.csv(file.path(dir, "wheat/wheat_Y_yield_4env.csv"), check.names = FALSE)
Aw <- as.matrix(utils::read.csv(gzfile(file.path(dir, "wheat/wheat_A_pedigree_relationship.csv.gz")),
                                row.names = 1, check.names = FALSE))
M <- as.matrix(utils::read.csv(gzfile(file.path(dir, "wheat/wheat_X_markers.csv.gz")))[, -1])
Ms <- scale(M, scale = FALSE)
G <- tcrossprod(Ms) / sum(apply(M, 2, stats::var))
dimnames(G) <- list(Yd$line, Yd$line)
wd <- data.frame(line = factor(Yd$line), Yd[, -1])
names(wd)[-1] <- paste0("env", names(Yd)[-1])
res$wheat_A <- compare("wheat, A", names(wd)[-1], "~ 1 + (1 | line)", wd, "line", Aw, list(line = Aw))
res$wheat_G <- compare("wheat, GRM", names(wd)[-1], "~ 1 + (1 | line)", wd, "line", G, list(line = G))

# Gryphon (Wilson et al. 2010): pedigree + mother + birth year. The shared pedigree file codes
# parents by their row in the file; they are turned into ids first.
gp <- utils::read.csv(file.path(dir, "gryphon/gryphon_pheno.csv"))
for (v in c("ANIMAL", "MOTHER", "BYEAR", "SEX")) gp[[v]] <- factor(gp[[v]])
ped <- utils::read.csv(file.path(dir, "gryphon/gryphon_pedigree.csv"))
ped$dam <- ped$animal[ped$dam]
ped$sire <- ped$animal[ped$sire]
Ag <- as.matrix(pedigree_A(ped))
res$gryphon <- compare("gryphon", c("BWT", "TARSUS"), "~ SEX + (1 | ANIMAL) + (1 | MOTHER) + (1 | BYEAR)",
                       gp, "ANIMAL", Ag, list(ANIMAL = ped))

tab <- do.call(rbind, res)
rownames(tab) <- NULL
print(tab)
cat(sprintf("\nlargest |slamglmm - reml|: %.3f; REML inside the 95%% interval: %d of %d\n",
            max(abs(tab$slamglmm - tab$reml)), sum(tab$reml >= tab$lower & tab$reml <= tab$upper),
            nrow(tab)))
