/* Forward R's routine registration to the Rust side (extendr's R_init_SLAMglmm_extendr).
 * Referencing it from C also keeps the linker from dropping the Rust static library. */

void R_init_SLAMglmm_extendr(void *dll);

void R_init_SLAMglmm(void *dll) {
    R_init_SLAMglmm_extendr(dll);
}
