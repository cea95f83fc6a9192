test_that("fixef has the right shape, names and parts", {
  fit <- make_fake_fit(p = 4, k = 2, nT = 20)
  fe <- fixef(fit)
  expect_equal(dim(fe), c(2L, 4L))
  expect_equal(dimnames(fe), list(c("(Intercept)", "sexM"), fit$traits))
  tr <- fixef(fit, part = "trait")
  expect_equal(tr, apply(fit$draws$B, c(1, 2), mean))
  fp <- fixef(fit, part = "factor")
  expect_equal(rownames(fp), "sexM")
  # hand computation of the through-factor part
  hand <- 0
  for (t in 1:20) hand <- hand + fit$draws$BF[, , t] %*% t(fit$draws$Lambda[, , t])
  expect_equal(unname(fp), unname(hand / 20))
  expect_equal(fe["sexM", ], tr["sexM", ] + fp["sexM", ])
  expect_equal(fe["(Intercept)", ], tr["(Intercept)", ])
})

test_that("fixef intervals contain the estimates", {
  fit <- make_fake_fit(p = 3, k = 1, nT = 200)
  fi <- fixef(fit, interval = TRUE)
  expect_named(fi, c("effect", "trait", "estimate", "lower", "upper"))
  expect_equal(nrow(fi), 6L)
  expect_true(all(fi$lower <= fi$estimate & fi$estimate <= fi$upper))
  expect_equal(fi$estimate, as.vector(fixef(fit)))
  fh <- fixef(fit, interval = TRUE, method = "hpd", prob = 0.5)
  expect_true(all(fh$upper - fh$lower <= fi$upper - fi$lower))
})

test_that("fixef with no factors is the trait part", {
  fit <- make_fake_fit(p = 2, k = 0, nT = 10, fixed_F = character(0))
  expect_equal(fixef(fit), fixef(fit, part = "trait"))
})

test_that("ranef and coef have the right shapes and names", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 10, n = 20, n_levels = 25)
  re <- ranef(fit)
  expect_named(re, "animal")
  expect_equal(dim(re$animal), c(25L, 3L))
  expect_equal(rownames(re$animal), fit$levels$animal)
  expect_equal(colnames(re$animal), fit$traits)
  cf <- coef(fit)
  expect_named(cf, "animal")
  expect_named(cf$animal, fit$traits)
  expect_equal(dim(cf$animal$y2), c(25L, 2L))
  expect_equal(cf$animal$y2[["(Intercept)"]], unname(fixef(fit)["(Intercept)", "y2"] + re$animal[, "y2"]))
  expect_equal(cf$animal$y2$sexM, rep(fixef(fit)["sexM", "y2"], 25))
  expect_identical(ranef(make_fake_fit(term = NULL)), setNames(list(), character(0)))
})

test_that("fitted, predict, nobs and formula", {
  fit <- make_fake_fit(p = 3, k = 2, nT = 10, n = 20)
  expect_equal(dim(fitted(fit)), c(20L, 3L))
  expect_equal(colnames(fitted(fit)), fit$traits)
  expect_false(anyNA(fitted(fit)))
  expect_equal(predict(fit), fitted(fit))
  expect_equal(nobs(fit), 20L)
  expect_s3_class(formula(fit), "formula")
  nd <- data.frame(sex = factor(c("F", "M", "M"), levels = c("F", "M")),
                   animal = c("L001", "L002", "unknown"))
  pr <- predict(fit, newdata = nd)
  fe <- fixef(fit)
  u <- ranef(fit)$animal
  expect_equal(dim(pr), c(3L, 3L))
  expect_equal(unname(pr[1, ]), unname(fe[1, ] + u["L001", ]))
  expect_equal(unname(pr[2, ]), unname(fe[1, ] + fe[2, ] + u["L002", ]))
  expect_equal(unname(pr[3, ]), unname(fe[1, ] + fe[2, ]))
  expect_equal(unname(predict(fit, nd, random = FALSE)[1, ]), unname(fe[1, ]))
  expect_error(predict(fit, nd["sex"]), "animal")
})
