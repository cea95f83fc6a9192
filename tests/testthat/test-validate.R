# Every check of the arguments of SLAMglmm() runs before Rust is called, so
# these tests call slam_build_input(), which SLAMglmm() uses.

d0 <- mock_data()
build <- function(...) {
  d <- d0
  args <- list(...)
  if (is.null(args$formula)) args$formula <- cbind(y1, y2) ~ sex + (1 | animal)
  if (!"data" %in% names(args)) args$data <- d
  if (is.null(args$nitt)) args$nitt <- 20
  if (is.null(args$burnin)) args$burnin <- 10
  do.call(slam_build_input, args)
}

test_that("scalar arguments are checked with errors naming them", {
  expect_error(build(n_factors = -1), "`n_factors` must be >= 0")
  expect_error(build(n_factors = 1.5), "`n_factors` must be a single whole number")
  expect_error(build(n_factors = c(1, 2)), "`n_factors`")
  expect_error(build(n_factors = NA), "`n_factors`")
  expect_error(build(nitt = 10, burnin = 10), "`nitt` \\(10\\) must be greater than `burnin` \\(10\\)")
  expect_error(build(nitt = 5, burnin = 10), "`nitt`.*`burnin`")
  expect_error(build(burnin = -1), "`burnin` must be >= 0")
  expect_error(build(nitt = "a"), "`nitt` must be a single whole number")
  expect_error(build(nitt = 1e12, burnin = 10, thin = 1e11), "`nitt` must be at most 2147483647")
  expect_error(build(thin = 0), "`thin` must be >= 1")
  expect_error(build(thin = 2.5), "`thin`")
  expect_error(build(nitt = 20, burnin = 10, thin = 11), "no draw would be saved")
  expect_error(build(threads = 0), "`threads` must be >= 1")
  expect_error(build(threads = "two"), "`threads`")
  expect_error(build(verbose = NA), "`verbose` must be TRUE or FALSE")
  expect_error(build(verbose = "yes"), "`verbose`")
  expect_error(build(prior = list(R = list(VV = 1))), "prior\\$R\\$VV is not a known element")
})

test_that("valid scalar arguments are stored with the right types", {
  b <- build(n_factors = 3, nitt = 30, burnin = 10, thin = 4, threads = 1, verbose = FALSE)
  expect_identical(b$input$k, 3L)
  expect_identical(b$input$nitt, 30L)
  expect_identical(b$input$burnin, 10L)
  expect_identical(b$input$thin, 4L)
  expect_identical(b$input$threads, 1L)
  expect_identical(b$input$verbose, FALSE)
  expect_identical(b$info$mcmc$n_planned, 5L)
  b0 <- build(n_factors = 0, burnin = 0, nitt = 1, thin = 1)
  expect_identical(b0$input$k, 0L)
  expect_identical(b0$info$mcmc$n_planned, 1L)
})

test_that("default threads are at most 2 and honour OMP_THREAD_LIMIT", {
  old <- Sys.getenv("OMP_THREAD_LIMIT", unset = NA)
  on.exit(if (is.na(old)) Sys.unsetenv("OMP_THREAD_LIMIT") else Sys.setenv(OMP_THREAD_LIMIT = old))
  Sys.unsetenv("OMP_THREAD_LIMIT")
  n <- slam_default_threads()
  expect_true(n >= 1L && n <= 2L)
  expect_identical(n, min(2L, as.integer(parallel::detectCores())))
  Sys.setenv(OMP_THREAD_LIMIT = "1")
  expect_identical(slam_default_threads(), 1L)
  expect_identical(build()$input$threads, 1L)
  Sys.setenv(OMP_THREAD_LIMIT = "junk")
  expect_identical(slam_default_threads(), n)
})

test_that("the seed comes from R's RNG", {
  set.seed(11)
  s1 <- build()$input$seed
  set.seed(11)
  s2 <- build()$input$seed
  s3 <- build()$input$seed
  expect_identical(s1, s2)
  expect_false(identical(s2, s3))
  expect_type(s1, "double")
  expect_length(s1, 2)
  expect_true(all(s1 >= 1 & s1 <= .Machine$integer.max & s1 == round(s1)))
})

test_that("response problems are errors naming the trait", {
  d <- mock_data()
  d$y2[] <- NA
  expect_error(build(data = d), "trait 'y2' has no observed value")
  d <- mock_data()
  d$y1 <- 3
  expect_error(build(data = d), "trait 'y1' is constant")
  # tiny and huge scales: not taken for constant; unrepresentable variances are an error
  d <- mock_data()
  d$y1 <- d$y1 * 1e-200
  expect_error(build(data = d), "trait 'y1' has standard deviation .*rescale")
  d$y1 <- mock_data()$y1 * 1e-30
  expect_silent(build(data = d))
  d$y1 <- mock_data()$y1 * 1e150
  expect_error(build(data = d), "trait 'y1' has standard deviation .*rescale")
  d <- mock_data()
  d$y1[-1] <- NA
  expect_error(build(data = d), "trait 'y1' has fewer than 2 observed values")
  d <- mock_data()
  d$y2 <- as.character(d$y2)
  expect_error(build(data = d), "trait 'y2' is of class character")
  d$y2 <- factor(d$y2)
  expect_error(build(data = d), "trait 'y2' is of class factor")
  expect_error(build(data = mock_data(), formula = cbind(y1, nope) ~ 1),
               "could not evaluate trait 'nope'")
  d <- mock_data()
  d$y1[3] <- Inf
  expect_error(build(data = d), "trait 'y1' has infinite values")
  d <- mock_data()
  expect_error(build(data = d, formula = cbind(y1, y1) ~ 1), "unique.*'y1'")
  M <- matrix(letters[1:6], 3, 2)
  expect_error(build(data = NULL, formula = M ~ 1), "numeric")
  expect_error(build(data = d, formula = ~ sex), "two-sided")
  expect_error(build(data = d, formula = "y1 ~ sex"), "`formula` must be a formula")
  expect_error(build(data = d, formula = nosuchthing ~ sex), "could not evaluate the response 'nosuchthing'")
})

test_that("NA in covariates or grouping factors is an error naming the variable", {
  d <- mock_data()
  d$x[5] <- NA
  expect_error(build(data = d, formula = cbind(y1, y2) ~ x + (1 | animal)), "variable 'x'.*missing")
  d <- mock_data()
  d$animal[7] <- NA
  expect_error(build(data = d), "variable 'animal'.*missing")
  d <- mock_data()
  d$sex[2] <- NA
  expect_error(build(data = d, formula = cbind(y1, y2) ~ 1, factor_formula = ~ sex),
               "variable 'sex' in `factor_formula`.*missing")
  # NA in the response is fine
  d <- mock_data()
  d$y1[1:5] <- NA
  d$y2[3:8] <- NA
  b <- build(data = d)
  expect_equal(sum(is.na(b$input$Y)), 11)
  expect_equal(sum(is.na(b$info$Y)), 11)
})

test_that("fixed-effect designs are checked", {
  d <- mock_data()
  d$x2 <- 2 * d$x
  expect_error(build(formula = cbind(y1, y2) ~ x + x2, data = d),
               "fixed-effect design matrix is rank-deficient.*'x2'")
  expect_error(build(formula = cbind(y1, y2) ~ x, data = d, factor_formula = ~ x + x2),
               "factor_formula.*rank-deficient")
  expect_error(build(factor_formula = y1 ~ x), "`factor_formula` must be one-sided")
  expect_error(build(factor_formula = "~ x"), "`factor_formula` must be NULL or a one-sided formula")
  expect_error(build(factor_formula = ~ x + (1 | batch)),
               "`factor_formula` has random-effect term\\(s\\) \\(1 \\| batch\\) that are not in `formula`")
  expect_error(build(factor_formula = ~ x + (x | animal)), "only random intercepts")
  expect_error(build(factor_formula = ~ (1 | animal) + (1 | animal)), "more than once")
  expect_error(build(data = as.matrix(d)), "`data` must be a data frame")
  Y <- matrix(rnorm(2 * nrow(d)), ncol = 2)
  expect_error(build(data = d[1:10, ], formula = Y ~ 1), "the response has 60 rows but `data` has 10 rows")
})

test_that("random-effect terms: several allowed, intercept only, each factor once", {
  d <- mock_data()
  d$batch <- rep(1:6, length.out = nrow(d))
  b <- build(data = d, formula = cbind(y1, y2) ~ (1 | animal) + (1 | batch), verbose = FALSE)
  expect_identical(b$info$terms, c("animal", "batch"))
  expect_error(build(data = d, formula = cbind(y1, y2) ~ (1 | batch) + (1 | batch)),
               "appears in more than one random-effect term")
  expect_error(build(data = d, formula = cbind(y1, y2) ~ x + (x | batch)),
               "random slopes are not")
  expect_error(build(data = d, formula = cbind(y1, y2) ~ x + (0 + x | batch)),
               "random slopes are not")
})

test_that("relmat problems are errors naming relmat$<name>", {
  d <- mock_data()
  K <- mock_kinship(d$animal)
  expect_error(build(relmat = list(anmal = K)), "`relmat` has element\\(s\\) 'anmal'.*'animal'")
  expect_error(build(relmat = list(K)), "must be named")
  expect_error(build(relmat = K), "`relmat` must be a named list")
  expect_error(build(formula = cbind(y1, y2) ~ sex, relmat = list(animal = K)),
               "'animal' that match no random-effect.*none")
  K2 <- K
  K2[1, 2] <- K2[1, 2] + 0.5
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` is not symmetric")
  K2 <- K
  K2[3, 3] <- -1
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` has a negative diagonal")
  K2 <- K
  K2[2, 2] <- NA
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` has missing values")
  K2 <- K
  storage.mode(K2) <- "character"
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` must be numeric")
  expect_error(build(relmat = list(animal = K[, -1])), "`relmat\\$animal` must be square")
  K2 <- unname(K)
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` must have row names")
  expect_error(build(relmat = list(animal = K[-(1:3), -(1:3)])),
               "`relmat\\$animal` has no row for 3 level\\(s\\).*'a001'")
  # a data frame is read as a pedigree (id, dam, sire)
  expect_error(build(relmat = list(animal = as.data.frame(K))), "`relmat\\$animal` \\(a pedigree\\)")
  K2 <- K
  K2[1, 2] <- K2[2, 1] <- 10  # symmetric, positive diagonal, clearly not PSD
  expect_error(build(relmat = list(animal = K2)), "`relmat\\$animal` is not positive semi-definite")
  # not PSD although every 2 x 2 minor is: found by the eigenvalue check
  K3 <- matrix(-0.6, 3, 3)
  diag(K3) <- 1
  expect_error(check_psd(K3, "relmat$g"), "`relmat\\$g` is not positive semi-definite \\(smallest eigenvalue")
  expect_error(check_psd(K3, "relmat$g", max_full = 2), NA)
  expect_error(check_psd(matrix(1, 3, 3), "relmat$g"), NA)
  K2 <- K
  colnames(K2) <- rev(colnames(K2))
  expect_error(build(relmat = list(animal = K2)), "same row and column names")
  K2 <- K
  rownames(K2)[2] <- rownames(K2)[1]
  colnames(K2) <- rownames(K2)
  expect_error(build(relmat = list(animal = K2)), "duplicated row names")
})

test_that("a PSD-but-singular relmat and tiny asymmetry are accepted", {
  d <- mock_data()
  ids <- d$animal
  A <- matrix(rnorm(length(ids) * 2), ncol = 2)
  K <- tcrossprod(A)  # rank 2
  dimnames(K) <- list(ids, ids)
  K[1, 2] <- K[1, 2] + 1e-12
  b <- build(relmat = list(animal = K))
  expect_true(isSymmetric(b$input$terms[[1]]$K))
})

test_that("input errors are classed conditions that name the offending argument", {
  arg_of <- function(expr) {
    tryCatch({
      expr
      NA_character_
    }, slamglmm_input_error = function(e) if (is.null(e$arg)) "<NULL>" else e$arg)
  }
  expect_identical(arg_of(build(nitt = "a")), "nitt")
  expect_identical(arg_of(build(burnin = -1)), "burnin")
  expect_identical(arg_of(build(thin = 0)), "thin")
  expect_identical(arg_of(build(nitt = 10, burnin = 10)), "nitt")
  expect_identical(arg_of(build(threads = 0)), "threads")
  expect_identical(arg_of(build(n_factors = -1)), "n_factors")
  expect_identical(arg_of(build(verbose = NA)), "verbose")
  expect_identical(arg_of(build(formula = "y1 ~ sex")), "formula")
  expect_identical(arg_of(build(formula = cbind(y1, nope) ~ 1)), "formula")
  expect_identical(arg_of(build(data = as.matrix(d0))), "data")
  expect_identical(arg_of(build(factor_formula = y1 ~ x)), "factor_formula")
  expect_identical(arg_of(build(relmat = list(anmal = mock_kinship(d0$animal)))), "relmat")
  K2 <- mock_kinship(d0$animal)
  K2[1, 2] <- K2[1, 2] + 0.5
  expect_identical(arg_of(build(relmat = list(animal = K2))), "relmat")
  d <- mock_data()
  d$y1 <- 3
  expect_identical(arg_of(build(data = d)), "formula")
  d <- mock_data()
  d$x[5] <- NA
  expect_identical(arg_of(build(data = d, formula = cbind(y1, y2) ~ x)), "data")

  # the condition's classes, message and call
  e <- tryCatch(build(threads = 0), error = function(e) e)
  expect_s3_class(e, c("slamglmm_input_error", "slamglmm_error", "error", "condition"), exact = TRUE)
  expect_null(conditionCall(e))
  expect_identical(conditionMessage(e), "`threads` must be >= 1 (got 0).")
  expect_error(build(threads = 0), class = "slamglmm_input_error")
  expect_error(build(threads = 0), class = "slamglmm_error")
  # arg is NULL when not given
  e <- tryCatch(slam_stop("a ", "b"), slamglmm_error = function(e) e)
  expect_null(e$arg)
  expect_identical(conditionMessage(e), "a b")
  expect_identical(slam_arg_name("`relmat$animal` (a pedigree)"), "relmat")
  expect_identical(slam_arg_name("prior$R$V"), "prior")
})

test_that("prior and pedigree errors name their argument too", {
  arg_of <- function(expr) {
    tryCatch({
      expr
      NA_character_
    }, slamglmm_input_error = function(e) if (is.null(e$arg)) "<NULL>" else e$arg)
  }
  expect_identical(arg_of(build(prior = list(R = list(VV = 1)))), "prior")
  expect_identical(arg_of(slam_prior(R = list(V = matrix(1, 2, 2)))), "prior")
  expect_identical(arg_of(pedigree_A(data.frame(id = 1:3))), "pedigree")
  ped <- data.frame(id = c("a", "a"), dam = NA, sire = NA)
  expect_identical(arg_of(pedigree_A(ped)), "pedigree")
  d <- mock_data()
  expect_identical(arg_of(build(relmat = list(animal = ped))), "relmat")
})
