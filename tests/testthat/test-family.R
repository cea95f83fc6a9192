# Families (observation models) of the traits: constructors, the reading of
# the `family` argument, the coding of the response by family, offsets and
# weights, and their path through slam_parse_formula(). Nothing here needs the
# compiled sampler.

fam_of <- function(family, traits = c("a", "b", "c")) {
  vapply(slam_resolve_families(family, traits), function(f) f$family, "")
}
input_error <- function(expr, regexp) {
  expect_error(expr, regexp, class = "slamglmm_input_error")
}
arg_of <- function(expr) {
  tryCatch({
    expr
    NA_character_
  }, slamglmm_input_error = function(e) if (is.null(e$arg)) "<NULL>" else e$arg)
}

# a small data set: 12 rows, traits of every kind
fam_data <- function() {
  data.frame(
    g = factor(rep(c("g1", "g2", "g3", "g4"), 3)),
    x = c(-1.2, 0.3, 0.8, -0.5, 1.1, 0.0, -0.7, 0.4, 1.5, -1.0, 0.2, 0.6),
    height = c(10.2, 11.5, 9.8, 10.9, 12.1, 10.0, 9.5, 11.0, 12.4, 9.9, 10.7, 11.3),
    awn = factor(c("no", "yes", "no", "no", "yes", "yes", "no", "yes", "no", "no", "yes", "no")),
    culm = factor(c("short", "tall", "mid", "mid", "tall", "short", "mid", "tall", "short", "mid",
                    "tall", "mid"), levels = c("short", "mid", "tall", "giant"), ordered = TRUE),
    count = c(0L, 3L, 5L, NA, 2L, 0L, 7L, 1L, 4L, 0L, 2L, 9L),
    lib = c(1000, 2000, 1500, 1200, 1800, 900, 2500, 1100, 1300, 1600, 1400, 2200)
  )
}

test_that("constructors return slam_family objects with family, link, offset, label", {
  cases <- list(
    list(slam_gaussian(), "gaussian", "identity"),
    list(slam_probit(), "probit", "probit"),
    list(slam_ordinal(), "ordinal", "probit"),
    list(slam_negbin(), "negbin", "log"),
    list(slam_poisson(), "poisson", "log")
  )
  for (cs in cases) {
    f <- cs[[1L]]
    expect_s3_class(f, "slam_family")
    expect_identical(f$family, cs[[2L]])
    expect_identical(f$link, cs[[3L]])
    expect_null(f$offset)
    expect_type(f$label, "character")
    expect_true("offset" %in% names(f))
  }
  expect_identical(slam_negbin()$label, "negative binomial (log link)")
  o <- log(c(10, 20, 30))
  expect_identical(slam_negbin(offset = o)$offset, o)
  expect_identical(slam_poisson(offset = 1:3)$offset, c(1, 2, 3))
  M <- matrix(0, 3, 2, dimnames = list(NULL, c("a", "b")))
  expect_identical(slam_negbin(offset = M)$offset, M)
  expect_output(print(slam_negbin()), "SLAMglmm family: negative binomial \\(log link\\)")
  expect_output(print(slam_poisson(offset = o)), "offset: a vector of length 3")
  expect_output(print(slam_negbin(offset = M)), "offset: a 3 x 2 matrix \\(traits a, b\\)")
  expect_output(expect_invisible(print(slam_probit())), "binary \\(probit link\\)")
  input_error(slam_negbin(offset = "a"), "`offset` of slam_negbin\\(\\) must be NULL, a numeric")
  input_error(slam_poisson(offset = c(1, NA)), "`offset` of slam_poisson\\(\\) has non-finite")
  expect_identical(arg_of(slam_negbin(offset = list(1))), "family")
})

test_that("every accepted spelling of a family name is read, case-insensitively", {
  spell <- list(
    gaussian = c("gaussian", "normal", "Gaussian", "NORMAL"),
    probit = c("probit", "binary", "threshold", "Probit", "BINARY"),
    ordinal = c("ordinal", "ordered", "Ordinal", "ORDERED"),
    negbin = c("negbin", "negative.binomial", "negative_binomial", "nbinom", "nb", "NB",
               "Negative.Binomial"),
    poisson = c("poisson", "Poisson", "POISSON")
  )
  for (f in names(spell)) {
    for (s in spell[[f]]) {
      expect_identical(unname(fam_of(s)), rep(f, 3), info = s)
    }
  }
  expect_identical(unname(fam_of(" probit ")), rep("probit", 3))
})

test_that("family: NULL, one for all, stats families, named subsets, positional", {
  expect_identical(fam_of(NULL), c(a = "gaussian", b = "gaussian", c = "gaussian"))
  expect_identical(unname(fam_of(slam_probit())), rep("probit", 3))
  expect_identical(unname(fam_of(gaussian())), rep("gaussian", 3))
  expect_identical(unname(fam_of(binomial(link = "probit"))), rep("probit", 3))
  expect_identical(unname(fam_of(poisson())), rep("poisson", 3))
  expect_identical(unname(fam_of(slam_negbin)), rep("negbin", 3))   # a constructor, uncalled
  expect_identical(unname(fam_of(list("ordinal"))), rep("ordinal", 3))
  # named list / named character vector: the rest gaussian, result in trait order
  expect_identical(fam_of(list(c = "probit", a = slam_ordinal())),
                   c(a = "ordinal", b = "gaussian", c = "probit"))
  expect_identical(fam_of(c(b = "nb")), c(a = "gaussian", b = "negbin", c = "gaussian"))
  expect_identical(fam_of(list(b = binomial(link = "probit"), c = poisson())),
                   c(a = "gaussian", b = "probit", c = "poisson"))
  # positional: one per trait
  expect_identical(fam_of(c("probit", "gaussian", "poisson")),
                   c(a = "probit", b = "gaussian", c = "poisson"))
  expect_identical(fam_of(list(slam_ordinal(), "normal", slam_negbin())),
                   c(a = "ordinal", b = "gaussian", c = "negbin"))
  # the result is a named list of slam_family objects
  r <- slam_resolve_families(list(b = "probit"), c("a", "b"))
  expect_named(r, c("a", "b"))
  expect_true(all(vapply(r, inherits, TRUE, "slam_family")))
  # resolving a resolved list gives it back
  expect_identical(slam_resolve_families(r, c("a", "b")), r)
  # an empty list means every trait gaussian
  expect_identical(unname(fam_of(list())), rep("gaussian", 3))
})

test_that("family errors name the argument, the trait and the bad value", {
  input_error(fam_of("logit"), "unknown family 'logit' in `family`")
  input_error(fam_of(list(b = "bernoulli")), "unknown family 'bernoulli' in `family` of trait 'b'")
  input_error(fam_of(c("probit", "zip", "gaussian")), "unknown family 'zip'.*trait 'b'")
  input_error(fam_of(NA_character_), "unknown family 'NA'")
  input_error(fam_of(list(x = "probit", a = "probit")),
              "`family` names trait\\(s\\) 'x' that are not in the response \\(traits: 'a', 'b', 'c'\\)")
  input_error(fam_of(c(a = "probit", a = "nb")), "`family` names trait\\(s\\) more than once: 'a'")
  input_error(fam_of(c(a = "probit", "nb")), "`family` must name every element or none")
  input_error(fam_of(c("probit", "nb")), "`family` has 2 elements but the response has 3 trait")
  input_error(fam_of(list(a = 1)), "`family` of trait 'a' must be a family name.*class numeric")
  input_error(fam_of(list(a = c("probit", "nb"))), "trait 'a'.*character vector of length 2")
  input_error(fam_of(3), "`family` must be a family name such as \"probit\".*class numeric")
  input_error(fam_of(binomial()), "only the probit link is available for binary traits.*binomial\\(link = \"probit\"\\)")
  input_error(fam_of(list(b = binomial(link = "cloglog"))), "trait 'b'.*only the probit link.*cloglog")
  input_error(fam_of(binomial), "only the probit link")
  input_error(fam_of(gaussian(link = "log")), "gaussian family is available with the identity link only")
  input_error(fam_of(poisson(link = "sqrt")), "poisson family is available with the log link only")
  input_error(fam_of(Gamma()), "family 'Gamma' is not supported; supported stats families: gaussian\\(\\), binomial")
  input_error(fam_of(quasipoisson()), "'quasipoisson' is not supported")
  input_error(fam_of(function() 1), "does not return a family object")
  bad <- slam_probit()
  bad$family <- "logit"
  input_error(fam_of(bad), "unknown family")
  bad <- slam_probit()
  bad$link <- "logit"
  input_error(fam_of(bad), "family probit has link 'probit' only")
  expect_identical(arg_of(fam_of("logit")), "family")
  expect_identical(arg_of(fam_of(list(x = "probit"))), "family")
})

test_that("probit traits: 0/1, TRUE/FALSE and two-level factors are coded 0/1", {
  n <- 6
  cols <- list(
    num = c(0, 1, 1, NA, 0, 1),
    lgl = c(TRUE, FALSE, NA, TRUE, TRUE, FALSE),
    fac = factor(c("yes", "no", "no", "yes", NA, "no")),           # levels no < yes
    rev = factor(c("b", "a", "b", "a", "a", "b"), levels = c("b", "a")),
    int = c(1L, 0L, 0L, 1L, 1L, 0L)
  )
  ob <- slam_observation_data(cols, "probit", n)
  expect_identical(dim(ob$Y), c(6L, 5L))
  expect_identical(colnames(ob$Y), names(cols))
  expect_type(ob$Y, "double")
  expect_equal(ob$Y[, "num"], c(0, 1, 1, NA, 0, 1))
  expect_equal(ob$Y[, "lgl"], c(1, 0, NA, 1, 1, 0))
  expect_equal(ob$Y[, "fac"], c(1, 0, 0, 1, NA, 0))
  expect_equal(ob$Y[, "rev"], c(0, 1, 0, 1, 1, 0))
  expect_equal(ob$Y[, "int"], c(1, 0, 0, 1, 1, 0))
  expect_identical(ob$levels$fac, c("no", "yes"))
  expect_identical(ob$levels$rev, c("b", "a"))
  expect_identical(ob$levels$lgl, c("FALSE", "TRUE"))
  expect_identical(ob$levels$num, c("0", "1"))
  expect_identical(unname(ob$n_categories), rep(2L, 5))
  expect_identical(unname(ob$family), rep("probit", 5))
  expect_named(ob$family, names(cols))
  expect_null(ob$offset)
  expect_null(ob$weights)
  # a factor with unused levels beyond two: dropped, with a message
  f3 <- factor(c("n", "y", "n", "y"), levels = c("n", "y", "maybe"))
  expect_message(ob3 <- slam_observation_data(list(t = f3), "probit", 4), "unused level\\(s\\) 'maybe'")
  expect_equal(ob3$Y[, 1], c(0, 1, 0, 1))
})

test_that("probit errors name the trait and the value", {
  input_error(slam_observation_data(list(awn = c(0, 1, 2, 1)), "probit", 4),
              "trait 'awn' \\(probit\\) must be 0/1, TRUE/FALSE or a two-level factor; it has value\\(s\\) 2")
  input_error(slam_observation_data(list(awn = factor(c("a", "b", "c", "a"))), "probit", 4),
              "trait 'awn' \\(probit\\).*factor with 3 observed levels")
  input_error(slam_observation_data(list(awn = factor(c("a", "a", "a", "a"))), "probit", 4),
              "two-level factor; it is a factor with 1 level")
  input_error(slam_observation_data(list(awn = c(0, 0, NA, 0)), "probit", 4),
              "trait 'awn' \\(probit\\) has only one observed value \\(0\\): its intercept cannot be estimated")
  input_error(slam_observation_data(list(awn = c(TRUE, TRUE, NA, TRUE)), "probit", 4),
              "trait 'awn' \\(probit\\) has only one observed value \\(1, 'TRUE'\\)")
  input_error(slam_observation_data(list(awn = factor(c("y", "y", "y"), levels = c("n", "y"))),
                                    "probit", 3),
              "only one observed value \\(1, 'y'\\)")
  input_error(slam_observation_data(list(awn = c(1, NA, NA)), "probit", 3),
              "trait 'awn' has fewer than 2 observed values")
  input_error(slam_observation_data(list(awn = c(NA, NA, NA)), "probit", 3),
              "trait 'awn' has no observed value")
  input_error(slam_observation_data(list(awn = c("0", "1", "1")), "probit", 3),
              "trait 'awn' is of class character")
})

test_that("ordinal traits: factor levels in order, unused levels dropped, whole numbers mapped to 1..C", {
  o <- factor(c("low", "high", "mid", NA, "low", "high"),
              levels = c("low", "mid", "high", "extreme"), ordered = TRUE)
  expect_message(ob <- slam_observation_data(list(o = o), "ordinal", 6),
                 "ordinal trait 'o': unused level\\(s\\) 'extreme' dropped")
  expect_equal(ob$Y[, "o"], c(1, 3, 2, NA, 1, 3))
  expect_identical(ob$levels$o, c("low", "mid", "high"))
  expect_identical(ob$n_categories[["o"]], 3L)
  # a plain factor: classes in the order of its levels; an unused middle level
  f <- factor(c("c", "a", "c", "a", "d"), levels = c("d", "c", "b", "a"))
  expect_message(ob2 <- slam_observation_data(list(f = f), "ordinal", 5), "'b' dropped")
  expect_equal(ob2$Y[, 1], c(2, 3, 2, 3, 1))
  expect_identical(ob2$levels$f, c("d", "c", "a"))
  # whole numbers: sorted distinct observed values -> 1..C
  ob3 <- slam_observation_data(list(k = c(5, 2, 9, NA, 2, 9)), "ordinal", 6)
  expect_equal(ob3$Y[, 1], c(2, 1, 3, NA, 1, 3))
  expect_identical(ob3$levels$k, c("2", "5", "9"))
  expect_identical(ob3$n_categories[["k"]], 3L)
  ob4 <- slam_observation_data(list(k = c(-1L, 0L, 3L, 0L)), "ordinal", 4)
  expect_equal(ob4$Y[, 1], c(1, 2, 3, 2))
  # no message when every level is used
  expect_silent(slam_observation_data(list(k = factor(c("a", "b", "a"))), "ordinal", 3))
  # errors
  input_error(slam_observation_data(list(k = c(1, 2.5, 3)), "ordinal", 3),
              "ordinal trait 'k' must be an ordered factor.*non-whole value\\(s\\) 2.5")
  input_error(slam_observation_data(list(k = c(1, 1, NA)), "ordinal", 3),
              "ordinal trait 'k' has only one observed class")
  input_error(slam_observation_data(list(k = factor(c("a", "a", "a"), levels = c("a", "b"))),
                                    "ordinal", 3),
              "ordinal trait 'k' has only one observed class \\('a'\\)")
  input_error(slam_observation_data(list(k = c(1, Inf, 2)), "ordinal", 3),
              "ordinal trait 'k' has infinite value")
  input_error(slam_observation_data(list(k = c(NA, NA, 2)), "ordinal", 3),
              "trait 'k' has fewer than 2 observed values")
})

test_that("count traits: whole non-negative numbers, NA kept; errors name trait and value", {
  for (f in c("negbin", "poisson")) {
    ob <- slam_observation_data(list(n1 = c(0L, 3L, NA, 12L), n2 = c(1, 0, 4, NA)), f, 4)
    expect_equal(unname(ob$Y), cbind(c(0, 3, NA, 12), c(1, 0, 4, NA)))
    expect_identical(unname(ob$n_categories), c(0L, 0L))
    expect_null(ob$levels$n1)
    expect_identical(unname(ob$family), c(f, f))
    input_error(slam_observation_data(list(cnt = c(1, -2, 3)), f, 3),
                paste0("trait 'cnt' \\(", f, "\\) must be counts.*negative value\\(s\\), e.g. -2"))
    input_error(slam_observation_data(list(cnt = c(1, 2.5, 3)), f, 3),
                "trait 'cnt'.*non-whole value\\(s\\), e.g. 2.5")
    input_error(slam_observation_data(list(cnt = c(1, Inf, 3)), f, 3),
                "trait 'cnt'.*infinite value\\(s\\), e.g. Inf")
    input_error(slam_observation_data(list(cnt = c(1, 2e9, 3)), f, 3),
                "trait 'cnt'.*count\\(s\\) above 1e9")
    input_error(slam_observation_data(list(cnt = c(0, 0, NA, 0)), f, 4),
                paste0("trait 'cnt' \\(", f, "\\) has only one observed value \\(0\\)"))
    input_error(slam_observation_data(list(cnt = factor(c("1", "2", "3"))), f, 3),
                "trait 'cnt'.*must be counts.*class factor")
    input_error(slam_observation_data(list(cnt = c(TRUE, FALSE, TRUE)), f, 3),
                "trait 'cnt'.*class logical")
  }
  # a constant non-zero count is fine (its intercept is estimable)
  expect_silent(slam_observation_data(list(cnt = c(2, 2, 2)), "poisson", 3))
})

test_that("gaussian traits keep today's checks; factors and logicals are errors suggesting a family", {
  ob <- slam_observation_data(list(h = c(1.5, NA, 2.5, 3)), NULL, 4)
  expect_equal(ob$Y[, "h"], c(1.5, NA, 2.5, 3))
  expect_identical(ob$n_categories[["h"]], 0L)
  input_error(slam_observation_data(list(h = c(1, 1, 1)), NULL, 3), "trait 'h' is constant")
  input_error(slam_observation_data(list(h = c(1, Inf, 1)), NULL, 3), "trait 'h' has infinite values")
  input_error(slam_observation_data(list(h = c(1, NA, NA)), NULL, 3), "fewer than 2 observed values")
  input_error(slam_observation_data(list(h = c(1, 2, 3) * 1e-200), NULL, 3), "standard deviation")
  input_error(slam_observation_data(list(h = factor(c("a", "b", "a"))), NULL, 3),
              "trait 'h' is of class factor.*give it family 'probit' \\(two levels\\) or 'ordinal'")
  input_error(slam_observation_data(list(h = factor(c("a", "b", "c"), ordered = TRUE)), NULL, 3),
              "trait 'h' is of class ordered factor.*family 'ordinal'")
  input_error(slam_observation_data(list(h = c(TRUE, FALSE, TRUE)), NULL, 3),
              "trait 'h' is of class logical: give it family 'probit'")
  expect_identical(arg_of(slam_observation_data(list(h = factor(c("a", "b"))), NULL, 2)), "family")
  input_error(slam_observation_data(list(h = as.Date("2020-01-01") + 0:2), NULL, 3),
              "trait 'h' is of class Date")
  input_error(slam_observation_data(list(h = 1:3, k = 1:4), NULL, 3), "trait 'k' has 4 values")
  input_error(slam_observation_data(list(h = 1:3, h = 3:1), NULL, 3), "trait names must be unique")
})

test_that("offsets: family vectors and matrices, the formula's offset adds up", {
  n <- 4
  cols <- list(a = c(1, 2, 0, 3), b = c(0, 5, 2, 1), h = c(1.1, 2.3, 0.7, 1.9))
  o <- log(c(10, 20, 30, 40))
  # a vector offset of a family given to two traits (one object): same for both
  fam <- list(a = slam_negbin(offset = o), b = slam_negbin(offset = o))
  ob <- slam_observation_data(cols, fam, n)
  expect_identical(dim(ob$offset), c(4L, 3L))
  expect_identical(colnames(ob$offset), c("a", "b", "h"))
  expect_equal(ob$offset[, "a"], o)
  expect_equal(ob$offset[, "b"], o)
  expect_equal(ob$offset[, "h"], rep(0, 4))
  # one family object for all traits, a matrix: columns in the order of its traits
  M <- matrix(1:12, 4, 3)
  ob2 <- slam_observation_data(cols[c("a", "b")], slam_poisson(offset = M[, 1:2]), n)
  expect_equal(unname(ob2$offset), M[, 1:2] + 0)
  # named columns, in another order
  Mn <- M[, 1:2]
  colnames(Mn) <- c("b", "a")
  ob3 <- slam_observation_data(cols, list(a = slam_negbin(offset = Mn), b = slam_negbin(offset = Mn)), n)
  expect_equal(ob3$offset[, "a"], as.double(M[, 2]))
  expect_equal(ob3$offset[, "b"], as.double(M[, 1]))
  # different offsets for traits with the same family name
  ob4 <- slam_observation_data(cols, list(a = slam_negbin(offset = o), b = slam_negbin(offset = 2 * o)), n)
  expect_equal(ob4$offset[, "b"], 2 * o)
  # the formula's offset applies to every trait and adds to the family's
  ob5 <- slam_observation_data(cols, fam, n, offset = c(1, 1, 2, 2))
  expect_equal(ob5$offset[, "a"], o + c(1, 1, 2, 2))
  expect_equal(ob5$offset[, "h"], c(1, 1, 2, 2))
  ob6 <- slam_observation_data(cols, NULL, n, offset = cbind(h = 1:4, b = 0, a = 2))
  expect_equal(ob6$offset[, "h"], as.double(1:4))
  expect_equal(ob6$offset[, "a"], rep(2, 4))
  # offsets for gaussian and probit traits are allowed too
  expect_equal(slam_observation_data(cols["h"], slam_gaussian(offset = o), n)$offset[, 1], o)
  # errors
  input_error(slam_observation_data(cols, fam, 3 + 1, offset = 1:3),
              "offset has length 3, expected 4 \\(one per row\\)")
  input_error(slam_observation_data(cols, list(a = slam_negbin(offset = 1:10)), n),
              "offset of family negbin has length 10, expected 4 \\(one per row\\)")
  input_error(slam_observation_data(cols, list(a = slam_negbin(offset = matrix(0, 4, 3))), n),
              "offset of family negbin has 3 columns, expected 1 or 1")
  input_error(slam_observation_data(cols, list(a = slam_negbin(offset = Mn)), n),
              "offset of family negbin has column\\(s\\) 'b' that are not among its traits")
  input_error(slam_observation_data(cols, NULL, n, offset = c(1, NA, 1, 1)),
              "offset has non-finite values .* row 2")
  input_error(slam_observation_data(cols, NULL, n, offset = matrix(0, 5, 3)),
              "offset has 5 rows, expected 4")
  input_error(slam_observation_data(cols, NULL, n, offset = cbind(a = 1:4, zz = 1:4)),
              "offset has column\\(s\\) 'zz'")
  input_error(slam_observation_data(cols, NULL, n, offset = cbind(a = 1:4)),
              "offset has no column for trait\\(s\\) 'b', 'h'")
  input_error(slam_observation_data(cols, NULL, n, offset = letters[1:4]), "offset must be a numeric")
  expect_identical(arg_of(slam_observation_data(cols, NULL, n, offset = 1:3)), "offset")
  expect_identical(arg_of(slam_observation_data(cols, list(a = slam_negbin(offset = 1:3)), n)),
                   "family")
})

test_that("weights: vector, full matrix, named subset; 1 for other traits and missing y", {
  n <- 4
  cols <- list(h1 = c(1.2, NA, 2.0, 3.1), awn = c(0, 1, 1, 0), h2 = c(5, 6, 4, NA))
  fam <- list(awn = "probit")
  ob <- slam_observation_data(cols, fam, n, weights = c(1, 2, 3, 4))
  expect_identical(dim(ob$weights), c(4L, 3L))
  expect_identical(colnames(ob$weights), names(cols))
  expect_equal(ob$weights[, "h1"], c(1, 1, 3, 4))  # 1 where y is NA
  expect_equal(ob$weights[, "awn"], rep(1, 4))
  expect_equal(ob$weights[, "h2"], c(1, 2, 3, 1))
  # a full matrix in trait order, 1 for the probit trait
  W <- cbind(c(2, NA, 2, 2), 1, c(0.5, 0.5, 0.5, NA))
  ob2 <- slam_observation_data(cols, fam, n, weights = W)
  expect_equal(ob2$weights[, "h1"], c(2, 1, 2, 2))
  expect_equal(ob2$weights[, "h2"], c(0.5, 0.5, 0.5, 1))
  # named by all traits, in another order
  Wn <- W[, 3:1]
  colnames(Wn) <- c("h2", "awn", "h1")
  expect_equal(slam_observation_data(cols, fam, n, weights = Wn)$weights, ob2$weights)
  # a named subset of gaussian traits
  ob3 <- slam_observation_data(cols, fam, n, weights = cbind(h2 = c(3, 3, 3, NA)))
  expect_equal(ob3$weights[, "h2"], c(3, 3, 3, 1))
  expect_equal(ob3$weights[, "h1"], rep(1, 4))
  # a data frame works as a matrix
  ob4 <- slam_observation_data(cols, fam, n, weights = data.frame(h1 = c(1, NA, 1, 2)))
  expect_equal(ob4$weights[, "h1"], c(1, 1, 1, 2))
  # errors
  input_error(slam_observation_data(cols, fam, n, weights = cbind(awn = c(1, 2, 1, 1))),
              "weights apply to gaussian traits only; trait 'awn' is probit")
  input_error(slam_observation_data(cols, fam, n, weights = matrix(c(1, 2, 1), 4, 3, byrow = TRUE)),
              "weights apply to gaussian traits only; trait 'awn' is probit")
  input_error(slam_observation_data(cols["awn"], "probit", n, weights = c(1, 2, 1, 1)),
              "weights apply to gaussian traits only; trait 'awn' is probit")
  input_error(slam_observation_data(cols, fam, n, weights = 1:3), "`weights` has length 3, expected 4")
  input_error(slam_observation_data(cols, fam, n, weights = matrix(1, 5, 3)), "`weights` has 5 rows")
  input_error(slam_observation_data(cols, fam, n, weights = matrix(1, 4, 2)),
              "`weights` has 2 columns; without column names it needs one per trait \\(3\\)")
  input_error(slam_observation_data(cols, fam, n, weights = cbind(h3 = 1:4)),
              "`weights` has column\\(s\\) 'h3' that are not traits")
  input_error(slam_observation_data(cols, fam, n, weights = c(1, 1, NA, 1)),
              "`weights` has missing values \\(NA\\) for trait 'h1' where it is observed \\(e.g. row 3\\)")
  input_error(slam_observation_data(cols, fam, n, weights = c(1, 1, 0, 1)),
              "`weights` must be positive.*trait 'h1' has weight 0 in row 3")
  input_error(slam_observation_data(cols, fam, n, weights = c(1, 1, -1, 1)), "must be positive")
  input_error(slam_observation_data(cols, fam, n, weights = c(1, Inf, 1, 1)),
              "`weights` has non-finite values for trait 'h2' \\(e.g. row 2\\)")
  input_error(slam_observation_data(cols, fam, n, weights = letters[1:4]), "`weights` must be a numeric")
  expect_identical(arg_of(slam_observation_data(cols, fam, n, weights = 1:3)), "weights")
})

test_that("slam_parse_formula: a cbind() of a factor, an ordered factor, counts and numerics", {
  d <- fam_data()
  expect_message(
    pf <- slam_parse_formula(cbind(awn, culm, count, height) ~ x + (1 | g), data = d,
                             family = list(awn = "probit", culm = "ordinal", count = slam_negbin())),
    "unused level\\(s\\) 'giant'")
  expect_identical(colnames(pf$Y), c("awn", "culm", "count", "height"))
  expect_type(pf$Y, "double")
  expect_equal(pf$Y[, "awn"], as.double(d$awn == "yes"))
  expect_equal(pf$Y[, "culm"], as.double(as.integer(d$culm)))
  expect_equal(pf$Y[, "count"], as.double(d$count))
  expect_equal(pf$Y[, "height"], d$height)
  expect_identical(pf$family, c(awn = "probit", culm = "ordinal", count = "negbin", height = "gaussian"))
  expect_identical(pf$n_categories, c(awn = 2L, culm = 3L, count = 0L, height = 0L))
  expect_identical(pf$levels$awn, c("no", "yes"))
  expect_identical(pf$levels$culm, c("short", "mid", "tall"))
  expect_null(pf$levels$height)
  expect_named(pf$levels, colnames(pf$Y))
  expect_null(pf$offset)
  expect_null(pf$weights)
  expect_named(pf$families, colnames(pf$Y))
  # the other elements are unchanged
  expect_identical(colnames(pf$X), c("(Intercept)", "x"))
  expect_named(pf$terms, "g")
  # a factor trait without a family: an error suggesting one
  input_error(slam_parse_formula(cbind(awn, height) ~ x, data = d),
              "trait 'awn' is of class factor.*'probit' \\(two levels\\) or 'ordinal'")
  # a data frame response keeps its factor columns
  d$resp <- d[c("awn", "height")]
  pf2 <- slam_parse_formula(resp ~ 1, data = d, family = c(awn = "binary"))
  expect_identical(pf2$family, c(awn = "probit", height = "gaussian"))
  # a vector response: an ordered factor
  expect_message(pf3 <- slam_parse_formula(culm ~ x, data = d, family = "ordinal"), "dropped")
  expect_identical(colnames(pf3$Y), "culm")
  expect_identical(pf3$n_categories, c(culm = 3L))
  # logical traits through cbind()
  d$flag <- d$x > 0
  pf4 <- slam_parse_formula(cbind(flag, height) ~ 1, data = d, family = list(flag = "probit"))
  expect_equal(pf4$Y[, "flag"], as.double(d$x > 0))
  # names of cbind() arguments and default names
  pf5 <- slam_parse_formula(cbind(h = height, log(lib)) ~ 1, data = d)
  expect_identical(colnames(pf5$Y), c("h", "y2"))
  # family errors through the parser name `family`
  expect_identical(arg_of(slam_parse_formula(cbind(awn, height) ~ 1, data = d,
                                             family = list(nope = "probit"))), "family")
})

test_that("slam_parse_formula: formula offset() terms are used, not dropped, and add to family offsets", {
  d <- fam_data()
  d$count[4] <- 6L
  d$c2 <- d$count + 1L
  pf <- slam_parse_formula(cbind(count, c2) ~ x + offset(log(lib)) + (1 | g), data = d,
                           family = slam_negbin())
  expect_identical(colnames(pf$X), c("(Intercept)", "x"))           # not a covariate
  expect_identical(dim(pf$offset), c(12L, 2L))
  expect_equal(pf$offset[, "count"], log(d$lib))
  expect_equal(pf$offset[, "c2"], log(d$lib))
  # several offset() terms add up; a family offset adds to them
  pf2 <- slam_parse_formula(cbind(count, c2) ~ offset(log(lib)) + offset(x), data = d,
                            family = list(count = slam_poisson(offset = rep(1, 12)), c2 = "nb"))
  expect_equal(pf2$offset[, "count"], log(d$lib) + d$x + 1)
  expect_equal(pf2$offset[, "c2"], log(d$lib) + d$x)
  # an offset from the environment, without data
  cnt <- d$count
  lo <- log(d$lib)
  pf3 <- slam_parse_formula(cnt ~ 1 + offset(lo), family = "poisson")
  expect_equal(pf3$offset[, "cnt"], lo)
  # a family offset alone
  pf4 <- slam_parse_formula(count ~ 1, data = d, family = slam_negbin(offset = log(d$lib)))
  expect_equal(pf4$offset[, 1], log(d$lib))
  # errors: bad offsets name `offset`; NA in an offset is reported as non-finite
  d$lib[3] <- NA
  input_error(slam_parse_formula(count ~ offset(log(lib)), data = d, family = "nb"),
              "offset \\(offset\\(log\\(lib\\)\\) in `formula`\\) has non-finite values")
  expect_identical(arg_of(slam_parse_formula(count ~ offset(log(lib)), data = d, family = "nb")),
                   "offset")
  d$lib[3] <- 0
  input_error(slam_parse_formula(count ~ offset(log(lib)), data = d, family = "nb"), "non-finite")
  short <- 1:5
  input_error(slam_parse_formula(count ~ offset(short), data = d, family = "nb"),
              "has length 5, expected 12 \\(one per row\\)")
  input_error(slam_parse_formula(count ~ offset(nothere), data = d, family = "nb"),
              "could not evaluate offset\\(nothere\\)")
  input_error(slam_parse_formula(count ~ 1, data = d, family = "nb", factor_formula = ~ offset(x)),
              "`factor_formula` cannot have an offset\\(\\) term")
})

test_that("slam_parse_formula: weights of gaussian traits", {
  d <- fam_data()
  d$height[2] <- NA
  d$h2 <- d$height * 2 + d$x
  W <- cbind(height = seq(0.5, 6, by = 0.5))
  W[2, 1] <- NA                               # NA where y is NA: fine
  pf <- slam_parse_formula(cbind(awn, height, h2) ~ x, data = d, family = list(awn = "probit"),
                           weights = W)
  expect_identical(dim(pf$weights), c(12L, 3L))
  expect_equal(pf$weights[, "height"], replace(seq(0.5, 6, by = 0.5), 2, 1))
  expect_equal(pf$weights[, "h2"], rep(1, 12))
  expect_equal(pf$weights[, "awn"], rep(1, 12))
  pfv <- slam_parse_formula(cbind(awn, height, h2) ~ x, data = d, family = list(awn = "probit"),
                            weights = d$lib / 1000)
  expect_equal(pfv$weights[, "h2"], replace(d$lib / 1000, 2, 1))  # h2 is NA in row 2
  expect_equal(pfv$weights[-2, "height"], d$lib[-2] / 1000)
  expect_equal(pfv$weights[, "awn"], rep(1, 12))
  input_error(slam_parse_formula(cbind(awn, height) ~ x, data = d, family = list(awn = "probit"),
                                 weights = cbind(awn = 2, height = 1)),
              "`weights` has 1 rows, expected 12")
  input_error(slam_parse_formula(cbind(awn, height) ~ x, data = d, family = list(awn = "probit"),
                                 weights = cbind(awn = rep(2, 12))),
              "weights apply to gaussian traits only; trait 'awn' is probit")
  # without family and weights: all gaussian, no weights (backward compatible)
  pf0 <- slam_parse_formula(cbind(height, h2) ~ x, data = d)
  expect_identical(pf0$family, c(height = "gaussian", h2 = "gaussian"))
  expect_null(pf0$weights)
  expect_null(pf0$offset)
})

test_that("the mock data parse with families too", {
  d <- mock_data()
  d$bin <- as.integer(d$y1 > 10)
  d$cnt <- rpois(nrow(d), 3)
  pf <- slam_parse_formula(cbind(y1, bin, cnt) ~ sex + (1 | animal), data = d,
                           family = list(bin = binomial(link = "probit"), cnt = poisson()))
  expect_identical(unname(pf$family), c("gaussian", "probit", "poisson"))
  expect_equal(pf$Y[, "bin"], as.double(d$bin))
  expect_equal(pf$Y[, "cnt"], as.double(d$cnt))
})
