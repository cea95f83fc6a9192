d0 <- mock_data()

test_that("a cbind() response of data columns gives named traits", {
  pf <- slam_parse_formula(cbind(y1, y3) ~ x, data = d0)
  expect_identical(colnames(pf$Y), c("y1", "y3"))
  expect_equal(unname(pf$Y[, "y3"]), d0$y3)
  expect_type(pf$Y, "double")
  expect_identical(colnames(pf$X), c("(Intercept)", "x"))
  expect_identical(pf$penalized, c(FALSE, TRUE))
  expect_length(pf$terms, 0)
})

test_that("a matrix response is found in the formula's environment", {
  Ymat <- as.matrix(d0[, c("y1", "y2", "y3")])
  colnames(Ymat) <- c("height", "weight", "girth")
  pf <- slam_parse_formula(Ymat ~ sex + x, data = d0)
  expect_identical(colnames(pf$Y), c("height", "weight", "girth"))
  expect_equal(unname(pf$Y), unname(Ymat))
  # unnamed columns get y1..yp; integers become doubles
  Yint <- matrix(sample.int(100, 2 * nrow(d0), replace = TRUE), ncol = 2)
  pf2 <- slam_parse_formula(Yint ~ x, data = d0)
  expect_identical(colnames(pf2$Y), c("y1", "y2"))
  expect_type(pf2$Y, "double")
  # without data: everything from the environment
  xx <- d0$x
  pf3 <- slam_parse_formula(Ymat ~ xx)
  expect_identical(colnames(pf3$X), c("(Intercept)", "xx"))
  expect_equal(unname(pf3$X[, "xx"]), xx)
})

test_that("a matrix response stored in data is used before the environment", {
  d <- d0
  d$Y <- as.matrix(d0[, c("y1", "y2")])
  Y <- matrix(0, 3, 3)  # must not be used
  pf <- slam_parse_formula(Y ~ 1, data = d)
  expect_identical(colnames(pf$Y), c("y1", "y2"))
  expect_equal(nrow(pf$Y), nrow(d0))
})

test_that("a single trait (p = 1) works, as a vector or a one-column matrix", {
  pf <- slam_parse_formula(y2 ~ sex, data = d0)
  expect_identical(dim(pf$Y), c(nrow(d0), 1L))
  expect_identical(colnames(pf$Y), "y2")
  v <- d0$y1
  pf2 <- slam_parse_formula(v ~ 1)
  expect_identical(colnames(pf2$Y), "v")
  pf3 <- slam_parse_formula(log(abs(y1)) ~ 1, data = d0)
  expect_identical(colnames(pf3$Y), "y1")
  expect_equal(pf3$Y[, 1], log(abs(d0$y1)))
  M <- matrix(d0$y1, ncol = 1)
  pf4 <- slam_parse_formula(M ~ 1, data = d0)
  expect_identical(colnames(pf4$Y), "y1")
})

test_that("fixed and factor designs follow model.matrix; XF has no intercept", {
  pf <- slam_parse_formula(cbind(y1, y2) ~ sex + x + (1 | animal), data = d0)
  mm <- model.matrix(~ sex + x, d0)
  attr(mm, "assign") <- attr(mm, "contrasts") <- NULL
  expect_equal(unname(pf$X), unname(mm))
  expect_identical(colnames(pf$X), c("(Intercept)", "sexM", "x"))
  expect_identical(colnames(pf$XF), c("sexM", "x"))
  expect_equal(unname(pf$XF), unname(mm[, -1]))
  # a model without intercept: X has both sex columns, XF the coding with intercept
  pf0 <- slam_parse_formula(cbind(y1, y2) ~ 0 + sex, data = d0)
  expect_identical(colnames(pf0$X), c("sexF", "sexM"))
  expect_identical(pf0$penalized, c(TRUE, TRUE))
  expect_identical(colnames(pf0$XF), "sexM")
  # intercept only: XF has zero columns
  pf1 <- slam_parse_formula(cbind(y1, y2) ~ 1 + (1 | animal), data = d0)
  expect_identical(dim(pf1$XF), c(nrow(d0), 0L))
  expect_identical(colnames(pf1$X), "(Intercept)")
  expect_identical(pf1$penalized, FALSE)
  # a user factor formula, intercept always dropped
  pfF <- slam_parse_formula(cbind(y1, y2) ~ sex + x, data = d0, factor_formula = ~ 1 + x)
  expect_identical(colnames(pfF$XF), "x")
  expect_equal(pfF$factor_formula, ~ 1 + x)
  pfF2 <- slam_parse_formula(cbind(y1, y2) ~ sex + x, data = d0, factor_formula = ~ sex)
  expect_identical(colnames(pfF2$XF), "sexM")
  # the default factor formula is the fixed part of the formula
  expect_equal(deparse(pf$factor_formula), "~sex + x")
})

test_that("character covariates are factors; unused levels are dropped", {
  d <- d0
  d$grp <- as.character(rep(c("a", "b", "c"), length.out = nrow(d)))
  pf <- slam_parse_formula(cbind(y1, y2) ~ grp, data = d)
  expect_identical(colnames(pf$X), c("(Intercept)", "grpb", "grpc"))
  d$f <- factor(rep(c("u", "v"), length.out = nrow(d)), levels = c("u", "v", "w"))
  pf2 <- slam_parse_formula(cbind(y1, y2) ~ f, data = d)
  expect_identical(colnames(pf2$X), c("(Intercept)", "fv"))
})

test_that("without relmat the levels are those present and K is the identity (NULL)", {
  d <- d0
  d$cage <- factor(rep(c("c3", "c1", "c2"), length.out = nrow(d)), levels = c("c1", "c2", "c3", "c9"))
  pf <- slam_parse_formula(cbind(y1, y2) ~ x + (1 | cage), data = d)
  expect_named(pf$terms, "cage")
  t <- pf$terms$cage
  expect_null(t$K)
  expect_false(t$relmat_given)
  expect_identical(t$levels, c("c1", "c2", "c3"))
  expect_identical(dim(t$Z), c(nrow(d), 3L))
  expect_identical(colnames(t$Z), c("c1", "c2", "c3"))
  expect_true(all(rowSums(t$Z) == 1))
  expect_equal(drop(unname(t$Z %*% seq_len(3))), as.numeric(match(as.character(d$cage), t$levels)))
  # a numeric grouping variable works too
  d$num <- rep(1:4, length.out = nrow(d))
  pfn <- slam_parse_formula(cbind(y1, y2) ~ (1 | num), data = d)
  expect_identical(pfn$terms$num$levels, c("1", "2", "3", "4"))
})

test_that("Z and K are matched by name: K in another order with extra levels", {
  ids <- d0$animal
  extra <- c("zz1", "aa0")
  Kids <- c(extra[1], rev(ids), extra[2])  # different order, extra levels inside
  K <- mock_kinship(Kids)
  pf <- slam_parse_formula(cbind(y1, y2, y3) ~ sex + (1 | animal), data = d0,
                           relmat = list(animal = K))
  t <- pf$terms$animal
  expect_true(t$relmat_given)
  expect_identical(t$levels, Kids)            # Z columns in rownames(K) order
  expect_identical(colnames(t$Z), Kids)
  expect_equal(t$K, K)                        # K kept in its own order
  expect_identical(dim(t$Z), c(nrow(d0), length(Kids)))
  # each row points to the column of its own animal
  col <- apply(t$Z, 1, function(z) which(z == 1))
  expect_identical(Kids[col], ids)
  # extra levels have all-zero columns
  expect_equal(unname(colSums(t$Z[, extra])), c(0, 0))
  # ZKZ' is K rearranged to the data order
  expect_equal(unname(t$Z %*% t$K %*% t(t$Z)), unname(K[ids, ids]))
})

test_that("repeated measures: several rows per level", {
  d <- rbind(d0, d0[1:10, ])
  K <- mock_kinship(sample(unique(d$animal)))
  pf <- slam_parse_formula(cbind(y1, y2) ~ (1 | animal), data = d, relmat = list(animal = K))
  t <- pf$terms$animal
  expect_identical(dim(t$Z), c(70L, 60L))
  expect_equal(sum(t$Z), 70)
  expect_equal(max(colSums(t$Z)), 2)
  expect_identical(rownames(K)[apply(t$Z, 1, which.max)], d$animal)
})

test_that("relmat as a sparse or dense Matrix is converted", {
  K <- mock_kinship(d0$animal)
  Ks <- Matrix::Matrix(K, sparse = TRUE)
  pf <- slam_parse_formula(cbind(y1, y2) ~ (1 | animal), data = d0, relmat = list(animal = Ks))
  expect_true(is.matrix(pf$terms$animal$K))
  expect_equal(unname(pf$terms$animal$K), unname(K))
  Kd <- Matrix::Matrix(K, sparse = FALSE)
  pf2 <- slam_parse_formula(cbind(y1, y2) ~ (1 | animal), data = d0, relmat = list(animal = Kd))
  expect_equal(pf2$terms$animal$K, pf$terms$animal$K)
  # an identity-like diagonal Matrix
  Kdiag <- Matrix::Diagonal(nrow(K))
  dimnames(Kdiag) <- dimnames(K)
  pf3 <- slam_parse_formula(cbind(y1, y2) ~ (1 | animal), data = d0, relmat = list(animal = Kdiag))
  expect_equal(unname(pf3$terms$animal$K), diag(nrow(K)))
})

test_that("an interaction as grouping factor is one term named by it", {
  d <- d0
  d$a <- rep(c("p", "q"), length.out = nrow(d))
  d$b <- rep(c("r", "s", "t"), each = 20)
  pf <- slam_parse_formula(cbind(y1, y2) ~ (1 | a:b), data = d)
  expect_named(pf$terms, "a:b")
  expect_length(pf$terms[["a:b"]]$levels, 6)
})

test_that("`.` stands for the columns of data not in the response", {
  d <- d0[, c("y1", "y2", "sex", "x")]
  pf <- slam_parse_formula(cbind(y1, y2) ~ ., data = d)
  expect_identical(colnames(pf$X), c("(Intercept)", "sexM", "x"))
  d$animal <- d0$animal
  pf2 <- slam_parse_formula(cbind(y1, y2) ~ . - animal + (1 | animal), data = d)
  expect_identical(colnames(pf2$X), c("(Intercept)", "sexM", "x"))
  expect_named(pf2$terms, "animal")
  expect_error(slam_parse_formula(d0$y1 ~ .), "`.` in `formula` needs `data`")
})
