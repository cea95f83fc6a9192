# Package load and unload hooks.

.onUnload <- function(libpath) {
  library.dynam.unload("SLAMglmm", libpath)
}
