# Long runs: checkpoints while sampling, resuming after a crash, and extending a
# finished fit. A chain's state (every sampled quantity, the adaptation state,
# the iteration; the random numbers are a function of seed and iteration) is
# saved by the Rust core; R keeps the model beside it and checks that a saved
# chain belongs to the model it is asked to continue.
#
# A checkpoint is a directory:
#   model.rds        the bridge input, what R needs to assemble the fit, the
#                    call, the chains' seeds and the model's fingerprint
#                    (written once, atomically)
#   chain-<c>.state  chain c with its draws so far (replaced atomically by the
#                    sampler every `checkpoint_every`, at an interrupt and at
#                    the end)

#' The format of model.rds
#' @noRd
slam_checkpoint_version <- 1L

#' A digest of the model and data behind a bridge input
#'
#' Everything that changes the chain except how long it runs and how it is
#' watched (nitt, seeds, threads, progress, checkpoint settings): two inputs
#' with the same fingerprint give the same chain for the same seed. A
#' user-written curve enters by its text.
#' @return A string (a 128-bit digest computed in Rust over every number,
#'   string and name of the input, without copying it).
#' @noRd
slam_fingerprint <- function(input) {
  drop <- c("nitt", "seed", "threads", "verbose", "interactive", "progress", "resume",
            "checkpoint_file", "checkpoint_seconds", "checkpoint_iterations", "fingerprint")
  x <- input[setdiff(names(input), drop)]
  x$nonlinear <- lapply(x$nonlinear, function(e) {
    if (is.function(e$fun)) {
      g <- environment(e$fun)$g
      e$fun <- paste(deparse(if (is.function(g)) g else e$fun), collapse = "\n")
    }
    e
  })
  slam_fingerprint_rust(x)
}

#' Check `checkpoint_every`: seconds (a number, or named "seconds") or
#' iterations (named "iterations")
#' @return list(seconds, iterations), one of them NA.
#' @noRd
check_checkpoint_every <- function(every) {
  unit <- names(every)
  if (is.null(unit)) unit <- "seconds"
  if (length(every) != 1L || !is.numeric(every) || !(unit %in% c("seconds", "iterations")) ||
      !is.finite(every) || every <= 0) {
    slam_stop("`checkpoint_every` must be one positive number of seconds, e.g. 600 or ",
              "c(seconds = 600), or of iterations, e.g. c(iterations = 500).", arg = "checkpoint_every")
  }
  if (unit == "iterations" && every != round(every)) {
    slam_stop("`checkpoint_every` in iterations must be a whole number.", arg = "checkpoint_every")
  }
  list(seconds = if (unit == "seconds") as.double(every) else NA_real_,
       iterations = if (unit == "iterations") as.integer(every) else NA_integer_)
}

#' Check the `checkpoint` argument: NULL or one path
#' @noRd
check_checkpoint <- function(checkpoint) {
  if (is.null(checkpoint)) return(NULL)
  if (!is.character(checkpoint) || length(checkpoint) != 1L || is.na(checkpoint) || !nzchar(checkpoint)) {
    slam_stop("`checkpoint` must be NULL or the path of a checkpoint directory (one string).",
              arg = "checkpoint")
  }
  path.expand(checkpoint)
}

#' Write an R object atomically (temporary file, then rename)
#' @noRd
slam_save_atomic <- function(object, file) {
  tmp <- paste0(file, ".tmp")
  saveRDS(object, tmp, compress = FALSE)
  if (!file.rename(tmp, file)) {
    unlink(tmp)
    slam_stop("could not write ", file, ".", arg = "checkpoint")
  }
  invisible(file)
}

#' The saved chain c of a checkpoint directory, or NULL
#' @noRd
slam_chain_file <- function(dir, c) file.path(dir, sprintf("chain-%d.state", c))

#' Read the chains saved in a checkpoint directory
#' @return a list with one raw vector (or NULL, not saved yet) per chain.
#' @noRd
slam_read_chain_states <- function(dir, chains) {
  lapply(seq_len(chains), function(c) {
    f <- slam_chain_file(dir, c)
    if (!file.exists(f)) return(NULL)
    readBin(f, "raw", file.size(f))
  })
}

#' Open a checkpoint directory for a model
#'
#' A new directory gets the model; an existing one must hold the same model
#' (same fingerprint and number of chains): its chains are then continued with
#' their own seeds. Anything else is refused before any sampling.
#' @return list(dir, seeds, resume) for [slam_run_chains()].
#' @noRd
slam_checkpoint_open <- function(dir, built, chains, seeds, every, call) {
  fp <- built$input$fingerprint
  model_file <- file.path(dir, "model.rds")
  if (file.exists(dir) && !dir.exists(dir)) {
    slam_stop("`checkpoint` (", dir, ") is a file, not a checkpoint directory.", arg = "checkpoint")
  }
  if (dir.exists(dir) && file.exists(model_file)) {
    m <- slam_read_checkpoint_model(dir)
    if (!identical(m$fingerprint, fp)) {
      slam_stop("`checkpoint` (", dir, ") holds a checkpoint of another model or other data; ",
                "use another directory, or delete it to start afresh.", arg = "checkpoint")
    }
    if (!identical(as.integer(m$chains), as.integer(chains))) {
      slam_stop("`checkpoint` (", dir, ") holds ", m$chains, " chain(s), not ", chains, ".",
                arg = "checkpoint")
    }
    return(list(dir = dir, seeds = m$seeds, resume = slam_read_chain_states(dir, chains),
                resumed = TRUE))
  }
  if (dir.exists(dir) && length(list.files(dir, all.files = TRUE, no.. = TRUE))) {
    slam_stop("`checkpoint` (", dir, ") is a directory with other files in it; give a new or ",
              "empty directory.", arg = "checkpoint")
  }
  if (!dir.exists(dir) && !dir.create(dir, recursive = TRUE, showWarnings = FALSE)) {
    slam_stop("could not create the checkpoint directory ", dir, ".", arg = "checkpoint")
  }
  slam_save_atomic(list(version = slam_checkpoint_version, fingerprint = fp, chains = chains,
                        seeds = seeds, every = every, call = call, built = built),
                   model_file)
  list(dir = dir, seeds = seeds, resume = vector("list", chains), resumed = FALSE)
}

#' Read and check model.rds of a checkpoint directory
#' @noRd
slam_read_checkpoint_model <- function(dir) {
  f <- file.path(dir, "model.rds")
  m <- if (file.exists(f)) tryCatch(readRDS(f), error = function(e) NULL) else NULL
  if (!is.list(m) || is.null(m$version) || is.null(m$built) || is.null(m$fingerprint)) {
    slam_stop("`", dir, "` is not a SLAMglmm checkpoint (model.rds is missing or damaged).",
              arg = "checkpoint")
  }
  if (!identical(as.integer(m$version), slam_checkpoint_version)) {
    slam_stop("the checkpoint `", dir, "` has format version ", m$version, "; this version of ",
              "SLAMglmm reads version ", slam_checkpoint_version, ".", arg = "checkpoint")
  }
  m
}

#' Resume a run from its checkpoint
#'
#' Continues every chain of a run started with `SLAMglmm(checkpoint = dir)`
#' from its last checkpoint (after a crash, a killed job, a time limit or
#' Ctrl-C) to the planned number of iterations, writing checkpoints as before,
#' and returns the fit. Each chain continues exactly: the draws are those of an
#' uninterrupted run with the same seed. Chains that had finished are read
#' back without sampling; chains that had not reached their first checkpoint
#' start again. The data are not needed: the checkpoint holds the model.
#'
#' @param checkpoint the checkpoint directory given to [SLAMglmm()].
#' @param threads threads per chain (`NULL`: as in the original call).
#' @param verbose show progress.
#' @return A `"SLAMglmm"` fit, as [SLAMglmm()] returns.
#' @seealso [SLAMglmm()] (arguments `checkpoint`, `checkpoint_every`),
#'   [update.SLAMglmm()] to extend a finished fit.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' dir <- file.path(tempdir(), "pheno.slam")
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 1,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE,
#'                 checkpoint = dir, checkpoint_every = c(iterations = 100))
#' # after a crash, in a new session:
#' fit2 <- SLAMglmm_resume(dir, verbose = FALSE)
#' identical(fit$draws, fit2$draws)
#' unlink(dir, recursive = TRUE)
#' }
#' @export
SLAMglmm_resume <- function(checkpoint, threads = NULL, verbose = TRUE) {
  dir <- check_checkpoint(checkpoint)
  if (is.null(dir) || !dir.exists(dir)) {
    slam_stop("`checkpoint` must be an existing checkpoint directory.", arg = "checkpoint")
  }
  verbose <- check_flag(verbose, "verbose")
  m <- slam_read_checkpoint_model(dir)
  input <- m$built$input
  input$verbose <- verbose
  input$interactive <- interactive()
  if (!is.null(threads)) input$threads <- check_threads(threads)
  resume <- slam_read_chain_states(dir, m$chains)
  if (verbose) {
    message("SLAMglmm: resuming ", m$chains, " chain(s) from ", dir, " (",
            sum(!vapply(resume, is.null, TRUE)), " with a saved state)")
  }
  m$built$input <- input
  m$built$info$mcmc$threads <- input$threads
  slam_fit_chains(m$built, m$seeds, m$call, resume = resume, dir = dir, every = m$every)
}

#' Run the chains of a built model and assemble the fit
#'
#' @param built from [slam_build_input()] (with `input$fingerprint`).
#' @param seeds per chain.
#' @param resume per chain: a saved state (raw) or NULL.
#' @param dir checkpoint directory or NULL; `every` from [check_checkpoint_every()].
#' @noRd
slam_fit_chains <- function(built, seeds, call, resume = NULL, dir = NULL, every = NULL) {
  C <- length(seeds)
  inputs <- lapply(seq_len(C), function(c) {
    x <- built$input
    x$seed <- seeds[[c]]
    if (!is.null(x$draws_dir)) x$draws_dir <- slam_draws_chain_dir(x$draws_dir, c)
    if (!is.null(resume)) x["resume"] <- list(resume[[c]])
    if (!is.null(dir)) {
      x$checkpoint_file <- slam_chain_file(dir, c)
      x$checkpoint_seconds <- every$seconds
      x$checkpoint_iterations <- every$iterations
    }
    x
  })
  raws <- slam_run_chains(inputs)
  fits <- lapply(seq_along(raws), function(c) {
    slam_assemble_fit(built$info, c(raws[[c]], list(draws_dir = inputs[[c]]$draws_dir)), call = call)
  })
  fit <- slam_combine_chains(fits, seeds[seq_along(raws)])
  fit$mcmc$fingerprint <- built$input$fingerprint
  fit$mcmc$draws <- built$input$draws_dir
  fit$mcmc$checkpoint <- dir
  # with a checkpoint the final states are on disk (update() reads them there): not kept twice
  if (!is.null(dir)) {
    for (c in seq_along(fit$mcmc$per_chain)) fit$mcmc$per_chain[[c]]["state"] <- list(NULL)
  }
  fit
}

#' Extend the chains of a fit, or re-fit with other arguments
#'
#' `update(fit, nitt = N)` continues every chain of `fit` from its last
#' iteration to iteration `N` and returns the fit with all draws: exactly the
#' draws of one run with `nitt = N` and the same seed (the burn-in and
#' thinning stay as they were). It needs the data the fit was made from, found
#' as for any `update()` by evaluating the original call (they must not have
#' changed: a fit whose data or settings differ is refused), and the chains'
#' final states, kept in the fit (`mcmc$per_chain[[c]]$state`) or, for a fit
#' made with a checkpoint, in its checkpoint directory. `threads` and `verbose` may be given with `nitt`. An
#' interrupted fit can be finished the same way. Any other argument re-fits the
#' model from the start, as [stats::update()] does. An extension writes no
#' checkpoint: a checkpoint directory stays at the end of the run that wrote
#' it.
#'
#' @param object a fitted `SLAMglmm` object.
#' @param nitt the new total number of iterations (at least the current one).
#' @param ... other arguments of [SLAMglmm()] (a new fit), or `threads`,
#'   `verbose` (with `nitt`: an extension).
#' @param evaluate if `FALSE`, return the call of a new fit instead.
#' @return The extended (or new) fit.
#' @examples
#' \donttest{
#' data(slam_pheno, slam_kinship)
#' set.seed(1)
#' fit <- SLAMglmm(cbind(y1, y2) ~ sex + (1 | animal), data = slam_pheno,
#'                 relmat = list(animal = slam_kinship), n_factors = 1,
#'                 nitt = 600, burnin = 200, thin = 2, verbose = FALSE)
#' fit <- update(fit, nitt = 1000, verbose = FALSE)
#' dim(fit$draws$psi)   # 400 draws: those of one run with nitt = 1000
#' }
#' @importFrom stats update
#' @export
update.SLAMglmm <- function(object, nitt = NULL, ..., evaluate = TRUE) {
  extra <- list(...)
  extending <- !is.null(nitt) && evaluate && all(names(extra) %in% c("threads", "verbose")) &&
    (length(extra) == 0L || !is.null(names(extra)))
  if (!extending) {
    cl <- object$call
    if (is.null(cl)) slam_stop("this fit has no call to update.", arg = "object")
    if (!is.null(nitt)) cl$nitt <- nitt
    for (nm in names(extra)) cl[[nm]] <- extra[[nm]]
    if (!evaluate) return(cl)
    return(eval(cl, parent.frame()))
  }
  slam_extend(object, nitt, threads = extra$threads, verbose = extra$verbose, envir = parent.frame())
}

#' Continue the chains of a fit to `nitt` iterations
#' @noRd
slam_extend <- function(fit, nitt, threads = NULL, verbose = NULL, envir = parent.frame()) {
  nitt <- check_number(nitt, "nitt", lower = 1, whole = TRUE)
  pc <- fit$mcmc$per_chain
  if (is.null(pc) || is.null(fit$mcmc$fingerprint)) {
    slam_stop("this fit was made by a version of SLAMglmm that kept no chain state; re-fit it.",
              arg = "object")
  }
  done <- vapply(pc, function(x) as.integer(x$iterations), 1L)
  if (nitt < max(done) || (nitt == fit$mcmc$nitt && !isTRUE(fit$mcmc$interrupted))) {
    slam_stop("`nitt` (", nitt, ") must be larger than the iterations already run (",
              max(done), ").", arg = "nitt")
  }
  states <- lapply(seq_along(pc), function(c) pc[[c]]$state)
  # a checkpoint holds the chain's draws too: the continued run then returns all of them
  from_checkpoint <- any(vapply(states, is.null, TRUE))
  if (from_checkpoint) {
    if (is.null(fit$mcmc$checkpoint)) {
      slam_stop("the fit holds no chain state (mcmc$per_chain[[c]]$state) and has no checkpoint.",
                arg = "object")
    }
    states <- slam_read_chain_states(fit$mcmc$checkpoint, length(pc))
  }
  built <- slam_rebuild(fit, nitt, envir)
  if (!identical(built$input$fingerprint, fit$mcmc$fingerprint)) {
    slam_stop("the data or settings behind this fit have changed since it was fitted, so its chains ",
              "cannot be continued; fit the model again.", arg = "object")
  }
  if (!is.null(threads)) built$input$threads <- built$info$mcmc$threads <- check_threads(threads)
  if (!is.null(verbose)) built$input$verbose <- check_flag(verbose, "verbose")
  seeds <- lapply(pc, `[[`, "seed")
  inputs <- lapply(seq_along(pc), function(c) {
    x <- built$input
    x$seed <- seeds[[c]]
    x["resume"] <- list(states[[c]])
    if (!is.null(x$draws_dir)) x$draws_dir <- slam_draws_chain_dir(x$draws_dir, c)
    x
  })
  raws <- slam_run_chains(inputs)
  if (length(raws) < length(pc)) {
    slam_stop("the extension was interrupted before every chain had run; extend the fit again.",
              arg = "object")
  }
  parts <- lapply(seq_along(pc), function(c) {
    new <- slam_assemble_fit(built$info, c(raws[[c]], list(draws_dir = inputs[[c]]$draws_dir)),
                             call = fit$call)
    # draws on disk (the sampler appended to the chain's arrays) or a state read from a checkpoint
    # (with the draws before it): the continued run holds every draw
    if (from_checkpoint || !is.null(inputs[[c]]$draws_dir)) new
    else slam_append_draws(slam_chain_part(fit, c), new)
  })
  out <- slam_combine_chains(parts, seeds)
  out$mcmc$fingerprint <- fit$mcmc$fingerprint
  out$mcmc$checkpoint <- fit$mcmc$checkpoint
  out$mcmc$draws <- fit$mcmc$draws
  out
}

#' Build the input of a fit's model again from its call, with another nitt
#'
#' Evaluates the call's arguments in `envir` (as update() does) without
#' touching the user's random number stream.
#' @noRd
slam_rebuild <- function(fit, nitt, envir) {
  cl <- fit$call
  if (is.null(cl)) slam_stop("this fit has no call to rebuild its model from.", arg = "object")
  cl[[1L]] <- slam_build_from_call
  cl$nitt <- nitt
  had_seed <- exists(".Random.seed", envir = globalenv(), inherits = FALSE)
  if (had_seed) old <- get(".Random.seed", envir = globalenv(), inherits = FALSE)
  on.exit(if (had_seed) assign(".Random.seed", old, envir = globalenv())
          else rm(".Random.seed", envir = globalenv()))
  eval(cl, envir)
}

#' slam_build_input() with SLAMglmm()'s arguments (for rebuilding from a call)
#' @noRd
slam_build_from_call <- function(formula, data = NULL, ..., chains = 1, checkpoint = NULL,
                                 checkpoint_every = 600, draws = NULL, draws_chunk = NULL) {
  built <- slam_build_input(formula, data = data, ..., chains = chains)
  built$input$draws_dir <- check_draws_dir(draws)
  built$input$draws_chunk <- slam_draws_chunk(draws_chunk, built)
  built$input$fingerprint <- slam_fingerprint(built$input)
  built
}

#' The draws and run information of chain c of a fit, as a one-chain fit
#' (factor dimensions cut back to the chain's own number of factors)
#' @noRd
slam_chain_part <- function(fit, c) {
  keep <- which(slam_draw_chain(fit) == c)
  k <- as.integer(fit$mcmc$per_chain[[c]]$n_factors)
  dr <- fit$draws
  take <- function(A, factor_dim = NULL) {
    if (is.null(A)) return(NULL)
    d <- dim(A)
    idx <- lapply(d, seq_len)
    idx[[length(d)]] <- keep
    if (!is.null(factor_dim)) idx[[factor_dim]] <- seq_len(k)
    do.call(`[`, c(list(A), idx, list(drop = FALSE)))
  }
  fit$draws <- list(Lambda = take(dr$Lambda, 2L), B = take(dr$B), BF = take(dr$BF, 2L),
                    psi = take(dr$psi), h2 = take(dr$h2), h2F = take(dr$h2F, 1L),
                    h2_total = take(dr$h2_total), sigma2_b = take(dr$sigma2_b),
                    delta = take(dr$delta, 1L), family = take(dr$family))
  fit$n_factors <- k
  fit
}

#' Append the draws of a continued chain (`new`, whose means already cover
#' every draw) to those of its earlier part (`old`)
#' @noRd
slam_append_draws <- function(old, new) {
  for (nm in names(new$draws)) {
    if (!is.null(old$draws[[nm]]) && !is.null(new$draws[[nm]])) {
      new$draws[[nm]] <- bind_draws(list(old$draws[[nm]], new$draws[[nm]]))
    }
  }
  new$mcmc$n_saved <- slam_n_draws(new)
  new
}
