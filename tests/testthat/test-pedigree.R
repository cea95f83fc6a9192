# Pedigrees: A by the tabular method, its sparse inverse, inbreeding.
# Expected values are computed by hand from the definitions (coancestry of
# relatives), not by another program.

ped_df <- function(id, dam, sire) {
  data.frame(id = id, dam = dam, sire = sire, stringsAsFactors = FALSE)
}

# A in a given order of ids
A_in <- function(A, ids) unname(as.matrix(A)[ids, ids])

test_that("full sibs, half sibs, parent-offspring and unrelated founders", {
  # 1, 2, 3 founders; 4 and 5 full sibs (2 x 1); 6 a half sib of them (3 x 1)
  ped <- ped_df(1:6, c(NA, NA, NA, 2, 2, 3), c(NA, NA, NA, 1, 1, 1))
  A <- pedigree_A(ped)
  expect_true(is.matrix(A))
  expect_identical(dimnames(A), list(as.character(1:6), as.character(1:6)))
  expect_equal(A["4", "5"], 0.5)   # full sibs
  expect_equal(A["4", "6"], 0.25)  # half sibs
  expect_equal(A["1", "4"], 0.5)   # sire-offspring
  expect_equal(A["2", "4"], 0.5)   # dam-offspring
  expect_equal(A["3", "4"], 0)     # unrelated
  expect_equal(A["1", "2"], 0)
  expect_equal(unname(diag(A)), rep(1, 6))
  expect_equal(A, t(A))
})

test_that("an individual from a half-sib mating has F = 1/8", {
  # 4 (dam 2) and 5 (dam 3) are paternal half sibs (sire 1); 6 = 4 x 5
  ped <- ped_df(1:6, c(NA, NA, NA, 2, 3, 4), c(NA, NA, NA, 1, 1, 5))
  A <- pedigree_A(ped)
  expect_equal(A["4", "5"], 0.25)
  expect_equal(A["6", "6"], 1.125)
  expect_equal(A["6", "4"], 0.5 * (1 + 0.25))
  expect_equal(A["6", "1"], 0.5)   # 1 is the grandsire on both sides
  F <- pedigree_inbreeding(ped)
  expect_equal(unname(F), c(0, 0, 0, 0, 0, 0.125))
  expect_identical(names(F), as.character(1:6))
})

test_that("a three-generation pedigree gives the hand-computed A", {
  # 1, 2 founders; 3 = 2 x 1; 4 = ? x 1; 5 = 3 x 4; 6 = 2 x 5
  ped <- ped_df(1:6, c(NA, NA, 2, NA, 3, 2), c(NA, NA, 1, 1, 4, 5))
  A <- pedigree_A(ped)
  expected <- matrix(c(16, 0,  8,  8,  8,  4,
                        0, 16, 8,  0,  4, 10,
                        8,  8, 16, 4, 10,  9,
                        8,  0,  4, 16, 10, 5,
                        8,  4, 10, 10, 18, 11,
                        4, 10,  9,  5, 11, 18) / 16, 6, 6)
  expect_equal(unname(A), expected)
  expect_equal(unname(pedigree_inbreeding(ped)), c(0, 0, 0, 0, 1 / 8, 1 / 8))
})

test_that("selfing: the same individual as dam and sire", {
  ped <- ped_df(c("a", "b", "c"), c(NA, "a", "b"), c(NA, "a", "b"))
  A <- pedigree_A(ped)
  expect_equal(A["b", "b"], 1.5)   # F = 1/2
  expect_equal(A["a", "b"], 1)
  expect_equal(A["c", "c"], 1.75)  # F = (1 + 1/2) / 2
  expect_equal(unname(pedigree_inbreeding(ped)), c(0, 0.5, 0.75))
  Ainv <- pedigree_Ainv(ped)
  expect_equal(unname(as.matrix(Ainv %*% A)), diag(3))
})

test_that("the sparse inverse follows Henderson's rules and inverts A", {
  # two founders and an offspring: known inverse
  ped <- ped_df(1:3, c(NA, NA, 1), c(NA, NA, 2))
  Ainv <- pedigree_Ainv(ped)
  expect_s4_class(Ainv, "dsCMatrix")
  expect_equal(unname(as.matrix(Ainv)),
               matrix(c(1.5, 0.5, -1, 0.5, 1.5, -1, -1, -1, 2), 3, 3))
  # one parent known: b = 4/3 (Mendelian variance 3/4)
  ped1 <- ped_df(1:2, c(NA, 1), c(NA, NA))
  expect_equal(unname(as.matrix(pedigree_Ainv(ped1))),
               matrix(c(1 + 1 / 3, -2 / 3, -2 / 3, 4 / 3), 2, 2))
  # with inbreeding: the three-generation pedigree and a half-sib mating
  ped3 <- ped_df(1:7, c(NA, NA, 2, NA, 3, 2, 5), c(NA, NA, 1, 1, 4, 5, 6))
  A3 <- pedigree_A(ped3)
  Ainv3 <- pedigree_Ainv(ped3)
  expect_identical(dimnames(Ainv3), dimnames(A3))
  expect_equal(unname(as.matrix(Ainv3 %*% A3)), diag(7))
  expect_equal(unname(as.matrix(Ainv3)), unname(solve(A3)))
})

test_that("all unknown-parent codes give the same A", {
  ref <- pedigree_A(ped_df(c("a", "b", "c", "d"), c(NA, NA, "a", "a"), c(NA, NA, "b", NA)))
  for (code in list("0", "", "*", 0)) {
    ped <- ped_df(c("a", "b", "c", "d"), c(code, code, "a", "a"), c(code, code, "b", code))
    expect_equal(pedigree_A(ped), ref, info = paste("code:", deparse(code)))
  }
  # numeric ids with 0 for unknown
  pn <- data.frame(id = 1:4, dam = c(0, 0, 1, 1), sire = c(0, 0, 2, 0))
  An <- pedigree_A(pn)
  expect_equal(unname(An), unname(ref))
  # factor columns
  pf <- data.frame(id = factor(c("a", "b", "c", "d")), dam = factor(c("*", "*", "a", "a")),
                   sire = factor(c("*", "*", "b", "*")))
  expect_equal(pedigree_A(pf), ref)
})

test_that("rows in any order give the same relationships", {
  ped <- ped_df(1:7, c(NA, NA, 2, NA, 3, 2, 5), c(NA, NA, 1, 1, 4, 5, 6))
  A <- pedigree_A(ped)
  set.seed(11)
  for (r in 1:5) {
    perm <- sample.int(7)
    Ap <- pedigree_A(ped[perm, ])
    expect_identical(rownames(Ap), as.character(perm))  # the order of the rows
    expect_equal(Ap, A[rownames(Ap), rownames(Ap)])
    expect_equal(pedigree_inbreeding(ped[perm, ]), pedigree_inbreeding(ped)[rownames(Ap)])
    Aip <- pedigree_Ainv(ped[perm, ])
    expect_equal(unname(as.matrix(Aip %*% Ap)), diag(7))
  }
})

test_that("parents without a row are added as founders, first", {
  full <- ped_df(1:6, c(NA, NA, NA, 2, 3, 4), c(NA, NA, NA, 1, 1, 5))
  part <- full[4:6, ]
  A <- pedigree_A(part)
  # added in the order of first appearance (dam then sire of each row)
  expect_identical(rownames(A), c("2", "1", "3", "4", "5", "6"))
  expect_equal(A, pedigree_A(full)[rownames(A), rownames(A)])
  expect_identical(names(pedigree_inbreeding(part)), rownames(A))
  expect_identical(rownames(pedigree_Ainv(part)), rownames(A))
})

test_that("columns are found by name, or else by position", {
  ped <- ped_df(1:4, c(NA, NA, 1, 1), c(NA, NA, 2, 2))
  A <- pedigree_A(ped)
  # named, in another order, with an extra column
  p2 <- data.frame(Sire = ped$sire, sex = "f", ANIMAL = ped$id, mother = ped$dam)
  expect_equal(pedigree_A(p2), A)
  # free names: first three columns are id, dam, sire
  p3 <- data.frame(ind = ped$id, mum = ped$dam, dad = ped$sire, x = 1)
  expect_equal(pedigree_A(p3), A)
  # a matrix works too
  expect_equal(pedigree_A(as.matrix(p3[1:3])), A)
  # partial naming that contradicts the positions is an error
  p4 <- data.frame(mum = ped$dam, dad = ped$sire, animal = ped$id)
  expect_error(pedigree_A(p4), "not all three")
})

test_that("cycles, own-parent, duplicated and missing ids are clear errors", {
  # 1 -> 2 -> 3 -> 1 (dam links) and 4, a descendant of the cycle
  cyc <- ped_df(1:4, c(3, 1, 2, 3), c(NA, NA, NA, NA))
  err <- tryCatch(pedigree_A(cyc), error = conditionMessage)
  expect_match(err, "own ancestor")
  expect_match(err, "'1'")
  expect_match(err, "'2'")
  expect_match(err, "'3'")
  expect_false(grepl("'4'", err))
  # the error shows one cycle link by link
  expect_match(err, "'1' -dam-> '3' -dam-> '2' -dam-> '1'", fixed = TRUE)
  expect_false(grepl("row numbers", err))
  # parents coded by row number (parent rows before offspring rows): the reading is suggested
  # (read as ids, '1' would be its own dam; read as rows, 1's dam is row 1, id 3)
  ids <- c(3, 1, 2)
  byrow <- ped_df(ids, c(NA, 1, 2), c(NA, NA, 1))
  err <- tryCatch(pedigree_A(byrow), error = conditionMessage)
  expect_match(err, "own ancestor")
  expect_match(err, "row numbers")
  fixed <- byrow
  fixed[[2]] <- ids[fixed[[2]]]
  fixed[[3]] <- ids[fixed[[3]]]
  # 2 is the offspring of 1 and 3, and 1 of 3: A[2, 1] = (A[1, 1] + A[3, 1]) / 2 = 0.75
  expect_equal(unname(as.matrix(pedigree_A(fixed))["2", "1"]), 0.75)
  # an individual given as its own sire
  self <- ped_df(c("a", "b", "c"), c(NA, NA, "a"), c(NA, "b", NA))
  expect_error(pedigree_A(self), "own ancestor.*'b'")
  expect_error(pedigree_A(self), "'b' -sire-> 'b'", fixed = TRUE)
  expect_error(pedigree_Ainv(self), "own ancestor")
  expect_error(pedigree_inbreeding(self), "own ancestor")
  # duplicated ids
  dup <- ped_df(c("a", "b", "a"), c(NA, NA, NA), c(NA, NA, NA))
  expect_error(pedigree_A(dup), "duplicated id.*'a'")
  # missing ids
  miss <- ped_df(c("a", NA, "c"), c(NA, NA, NA), c(NA, NA, NA))
  expect_error(pedigree_A(miss), "missing id.*row\\(s\\): 2")
  # not a pedigree
  expect_error(pedigree_A(list(1, 2, 3)), "data frame")
  expect_error(pedigree_A(data.frame(a = 1, b = 2)), "three columns")
  expect_error(pedigree_A(ped_df(character(), character(), character())), "no rows")
})

test_that("`ids` selects individuals and uses only their ancestors", {
  ped <- ped_df(1:7, c(NA, NA, 2, NA, 3, 2, 5), c(NA, NA, 1, 1, 4, 5, 6))
  A <- pedigree_A(ped)
  sub <- pedigree_A(ped, ids = c(7, 3))
  expect_identical(rownames(sub), c("7", "3"))
  expect_equal(sub, A[c("7", "3"), c("7", "3")])
  expect_error(pedigree_A(ped, ids = c("7", "99")), "not in the pedigree.*'99'")
  expect_error(pedigree_A(ped, ids = c("7", "7")), "duplicated")
})

test_that("the fixture pedigree: hand values, consistency of A, F and A-inverse", {
  ped <- utils::read.csv(test_path("fixtures", "pedigree_small.csv"),
                         colClasses = "character")
  A <- pedigree_A(ped)
  # the parent '9' has no row: it comes first, then the rows in file order
  expect_identical(rownames(A), c("9", ped$animal))
  # hand values (the first six individuals are the three-generation example)
  expect_equal(A["5", "5"], 18 / 16)
  expect_equal(A["6", "6"], 18 / 16)
  expect_equal(A["5", "6"], 11 / 16)
  expect_equal(A["7", "7"], 1 + 11 / 32)        # parent-offspring mating
  expect_equal(A["7", "10"], 0.5 * (A["7", "6"] + A["7", "5"]))
  expect_equal(A["7", "6"], 0.5 * (18 + 11) / 16)
  expect_equal(A["8", "9"], 0.5)
  expect_equal(A["8", "7"], 0)
  expect_equal(A["11", "11"], 1)
  expect_equal(A["11", "7"], 0.5 * A["7", "7"])
  F <- pedigree_inbreeding(ped)
  expect_equal(F, diag(A) - 1)
  # A = L D L' with L = (I - P)^-1 and D the Mendelian sampling variances
  n <- nrow(A)
  idx <- function(x) match(x, rownames(A))
  dam <- idx(c(NA, ped$dam))
  sire <- idx(c(NA, ped$sire))
  P <- matrix(0, n, n)
  for (i in seq_len(n)) {
    if (!is.na(dam[i])) P[i, dam[i]] <- P[i, dam[i]] + 0.5
    if (!is.na(sire[i])) P[i, sire[i]] <- P[i, sire[i]] + 0.5
  }
  Fp <- function(p) ifelse(is.na(p), -1, F[p])
  D <- 0.5 - 0.25 * (Fp(dam) + Fp(sire))
  L <- solve(diag(n) - P)
  expect_equal(unname(A), L %*% diag(D) %*% t(L))
  Ainv <- pedigree_Ainv(ped)
  expect_equal(unname(as.matrix(Ainv %*% A)), diag(n))
})

test_that("an inbred random pedigree: F agrees with diag(A) - 1 and A-inverse inverts A", {
  set.seed(3)
  n <- 300
  nf <- 20
  pick <- function(i, window) if (stats::runif(1) < 0.15) NA else sample(max(1, i - window):(i - 1), 1)
  dam <- c(rep(NA, nf), vapply((nf + 1):n, pick, 1, window = 40))
  sire <- c(rep(NA, nf), vapply((nf + 1):n, pick, 1, window = 40))
  ped <- ped_df(paste0("x", 1:n), ifelse(is.na(dam), NA, paste0("x", dam)),
                ifelse(is.na(sire), NA, paste0("x", sire)))
  ped <- ped[sample.int(n), ]
  A <- pedigree_A(ped)
  F <- pedigree_inbreeding(ped)
  expect_true(max(F) > 0.1)
  expect_equal(F, diag(A) - 1)
  Ainv <- pedigree_Ainv(ped)
  expect_equal(unname(as.matrix(Ainv %*% A)), diag(n), tolerance = 1e-10)
  expect_true(all(eigen(A, symmetric = TRUE, only.values = TRUE)$values > 0))
})

test_that("the blue tit pedigree: A symmetric, positive definite, diag >= 1, A-inverse", {
  # the package ships the pedigree (data/BTped.rda); unknown parents are NA there
  ped <- get(utils::data("BTped", package = "SLAMglmm", envir = environment()))
  ped[] <- lapply(ped, function(x) ifelse(is.na(x), "", as.character(x)))
  expect_identical(nrow(ped), 1040L)
  A <- pedigree_A(ped)
  expect_true(all(ped$animal %in% rownames(A)))
  expect_identical(rownames(A), colnames(A))
  expect_identical(A, t(A))
  expect_true(all(diag(A) >= 1))
  expect_false(inherits(try(chol(A), silent = TRUE), "try-error"))
  # a parent-offspring pair and a pair of full sibs
  kid <- which(ped$dam != "" & ped$sire != "")
  k1 <- ped$animal[kid[1L]]
  expect_equal(A[k1, ped$dam[kid[1L]]], 0.5 * (A[ped$dam[kid[1L]], ped$dam[kid[1L]]] +
                                                A[ped$dam[kid[1L]], ped$sire[kid[1L]]]))
  Ainv <- pedigree_Ainv(ped)
  expect_identical(dimnames(Ainv), dimnames(A))
  expect_lt(max(abs(as.matrix(Ainv %*% A) - diag(nrow(A)))), 1e-10)
  expect_equal(pedigree_inbreeding(ped), diag(A) - 1)
})

test_that("relmat_from_pedigree keeps every pedigree individual and checks the data levels", {
  ped <- utils::read.csv(test_path("fixtures", "pedigree_small.csv"),
                         colClasses = "character")
  K <- relmat_from_pedigree(ped, levels = c("11", "7", "10"), term = "animal")
  expect_equal(K, pedigree_A(ped))
  expect_error(relmat_from_pedigree(ped, levels = c("11", "zz"), term = "animal"),
               "relmat\\$animal.*pedigree.*'zz'")
  # the K passes the package's relationship-matrix check unchanged
  expect_equal(check_relmat_matrix(K, "animal"), K)
  # and gives a term whose levels include the ancestors without records
  term <- slam_term_matrices(list(name = "animal", group = factor(c("11", "7", "7", "10"))),
                             K)
  expect_identical(term$levels, rownames(K))
  expect_equal(unname(colSums(term$Z)[c("9", "1", "2")]), c(0, 0, 0))
})

test_that("a fit with a pedigree's A: ancestors without records get predicted values", {
  ped <- utils::read.csv(test_path("fixtures", "pedigree_small.csv"),
                         colClasses = "character")
  A <- pedigree_A(ped)
  set.seed(5)
  recorded <- c("3", "4", "5", "6", "7", "10", "11", "8")
  d <- data.frame(animal = rep(recorded, each = 6),
                  sex = rep(c("f", "m"), length.out = 48))
  d$tarsus <- stats::rnorm(48) + (d$sex == "m")
  d$back <- stats::rnorm(48)
  fit <- SLAMglmm(cbind(tarsus, back) ~ sex + (1 | animal), data = d,
                  relmat = list(animal = A), n_factors = 1,
                  nitt = 300, burnin = 100, thin = 2, threads = 1, verbose = FALSE)
  re <- ranef(fit)$animal
  expect_identical(rownames(re), rownames(A))
  expect_true(all(is.finite(re)))
  # founders 1, 2 and the added parent 9 have no records but are predicted
  expect_true(all(abs(re[c("1", "2", "9"), ]) > 0))
})

test_that("a pedigree data frame in `relmat` is turned into A by the formula parser", {
  ped <- utils::read.csv(test_path("fixtures", "pedigree_small.csv"),
                         colClasses = "character")
  term <- list(name = "animal", group = factor(c("11", "7", "7", "10")))
  hooked <- slam_term_matrices(term, ped)
  expect_equal(hooked$K, pedigree_A(ped))
  expect_identical(hooked$levels, rownames(pedigree_A(ped)))
  expect_error(slam_term_matrices(list(name = "animal", group = factor(c("11", "zz"))), ped),
               "relmat\\$animal.*'zz'")
})
