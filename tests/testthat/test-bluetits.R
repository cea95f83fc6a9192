# Smoke test of the shipped blue tit data (BTdata, BTped): an animal model with
# a pedigree and three random-effect terms (animal, dam, foster nest) fits, and
# its variance components and heritabilities are sensible. Fast (a subset of
# the birds, a short chain); the vignette "animal-model" is the full analysis.

load_bluetits <- function() {
  env <- new.env()
  utils::data("BTdata", "BTped", package = "SLAMglmm", envir = env)
  env
}

test_that("BTdata and BTped have the documented structure", {
  env <- load_bluetits()
  BTdata <- env$BTdata
  BTped <- env$BTped
  expect_s3_class(BTdata, "data.frame")
  expect_identical(names(BTdata), c("tarsus", "back", "animal", "dam", "fosternest",
                                    "hatchdate", "sex"))
  expect_identical(dim(BTdata), c(828L, 7L))
  for (v in c("animal", "dam", "fosternest", "sex")) expect_true(is.factor(BTdata[[v]]), info = v)
  expect_identical(levels(BTdata$sex), c("Fem", "Male", "UNK"))
  expect_false(anyNA(BTdata))
  expect_identical(names(BTped), c("animal", "dam", "sire"))
  expect_identical(nrow(BTped), 1040L)
  for (v in names(BTped)) expect_type(BTped[[v]], "character")
  expect_false(anyDuplicated(BTped$animal) > 0)
  expect_true(all(as.character(BTdata$animal) %in% BTped$animal))
  expect_true(all(stats::na.omit(c(BTped$dam, BTped$sire)) %in% BTped$animal))
})

test_that("animal model with a pedigree and three random terms runs on a BTdata subset", {
  env <- load_bluetits()
  BTdata <- env$BTdata
  BTped <- env$BTped
  # the broods of 40 foster nests (about a third of the birds), with the full pedigree
  nests <- levels(BTdata$fosternest)[seq(1, nlevels(BTdata$fosternest), length.out = 40)]
  d <- droplevels(BTdata[BTdata$fosternest %in% nests, ])
  expect_gt(nrow(d), 200)
  set.seed(11)
  fit <- SLAMglmm(cbind(tarsus, back) ~ sex + (1 | animal) + (1 | dam) + (1 | fosternest),
                  data = d, relmat = list(animal = BTped),
                  factor_formula = ~ (1 | animal) + (1 | dam), n_factors = 2,
                  nitt = 600, burnin = 200, thin = 2,
                  prior = list(h2 = list(divisions = 10)), verbose = FALSE)
  expect_s3_class(fit, "SLAMglmm")
  expect_identical(fit$terms, c("animal", "dam", "fosternest"))

  vc <- VarCorr(fit)
  expect_named(vc, c("animal", "dam", "fosternest", "Residual"))
  for (nm in names(vc)) {
    S <- vc[[nm]]
    expect_identical(dim(S), c(2L, 2L), info = nm)
    expect_identical(rownames(S), c("tarsus", "back"), info = nm)
    expect_true(isSymmetric(unname(S), tol = 1e-8), info = nm)
    expect_true(all(diag(S) > 0), info = nm)
    # positive semi-definite up to rounding
    ev <- eigen(S, symmetric = TRUE, only.values = TRUE)$values
    expect_gt(min(ev), -1e-8 * max(ev))
  }
  # the components add up to the phenotypic covariance, close to that of the data
  P <- Reduce(`+`, vc)
  expect_true(all(diag(P) > 0.3 * apply(d[c("tarsus", "back")], 2, var)))
  expect_true(all(diag(P) < 3 * apply(d[c("tarsus", "back")], 2, var)))
  # foster nest acts on the traits only: no covariance between the traits
  expect_equal(vc$fosternest[1, 2], 0, tolerance = 1e-10)

  h <- h2(fit)
  expect_setequal(unique(h$term), c("animal", "dam", "fosternest"))
  expect_identical(nrow(h), 6L)
  expect_true(all(h$estimate > 0 & h$estimate < 1))
  expect_true(all(h$lower >= 0 & h$upper <= 1 & h$lower <= h$estimate & h$estimate <= h$upper))
  # the shares of the three terms leave room for the residual
  tot <- tapply(h$estimate, h$trait, sum)
  expect_true(all(tot < 1))

  gc <- genetic_cor(fit, "animal", interval = TRUE)
  expect_true(abs(gc["tarsus", "back"]) <= 1)
  expect_true(attr(gc, "lower")["tarsus", "back"] <= attr(gc, "upper")["tarsus", "back"])

  # every bird of the pedigree (with or without a record) gets a genetic value
  u <- ranef(fit)$animal
  expect_identical(nrow(u), nrow(BTped))
  expect_true(all(BTped$animal %in% rownames(u)))
  expect_true(all(is.finite(u)))
})
