"""Host builds of the C flight software with cffi in API mode (run by the package build,
see setup.py): two extension modules from the same csrc/ files.

    gnc._fsw_c    real = double
    gnc._fsw_cf   real = float (-DGNC_REAL_FLOAT), the microcontroller arithmetic

Each exports, besides fsw_step/fsw_reset on its own `real` (for Python through `lib`),
one entry point with a build-unique name and double frames, which gnc.core.fsw_c
declares to numba so the closed loop calls C with no Python per step:

    gnc_fsw_step_d(sf, cfg, fs, af)        double build, a direct call
    gnc_fsw_step_f64io(sf, cfg, fs, af)    float build: frames converted to float and back

and the same for the descent flown by the fuel-optimal law (csrc/fsw_step_pdg.h), on a state
row laid out by pdg_law_setup_row (gnc.core.fsw_c.pdg_allocate):

    gnc_fsw_step_pdg_d(sf, cfg, fs, af)        the law's PG block and plan after FS_LEN, then its
    gnc_fsw_step_pdg_f64io(sf, cfg, fs, af)    solver memory (pdg_law_mem) as raw bytes in the row;
                                               the float build converts the reals up to the plan's end

Each also holds the firmware's HIL protocol (csrc/firmware/common/hil_protocol.c) over
the host board layer (csrc/firmware/host/board_host.c): the stub board of
gnc/hil/board.py, fed and drained through `lib` (gnc_host_boot, gnc_host_feed,
gnc_host_take), its flight-software step the build's own or the numba reference through
the extern "Python+C" hooks gnc_host_hook_step / gnc_host_hook_reset.

Both libraries are loaded RTLD_GLOBAL into one process (llvmlite's symbol search), so
everything else is built with hidden visibility: otherwise the float library's calls to
nav_init & co. could bind to the double library's functions of the same name.
-ffp-contract=off keeps `a*b + c` two roundings, as numba computes it (GCC would fuse
them on hosts with FMA), so the double build can match the reference to the last bits.
"""
import os
import sys
from pathlib import Path

import cffi

CSRC = Path(__file__).resolve().parent
KERNELS = ["fsw_step.c", "nav.c", "guidance.c", "control.c", "descent.c", "landing.c", "orbit.c", "orbit_ops.c", "rcs.c",
           "relnav.c", "ascent.c", "rendezvous.c", "pmath.c", "pdg.c", "pdg_law.c", "fsw_step_pdg.c"]
# the board's side of the HIL protocol: board_host.c includes firmware/common/hil_protocol.c
PROTOCOL = ["firmware/host/board_host.c", "frame_codec.c", "cobs.c", "crc32.c"]
HEADERS = ["fsw_step.h", "nav.h", "guidance.h", "control.h", "descent.h", "landing.h", "orbit.h", "orbit_ops.h", "rcs.h",
           "relnav.h", "ascent.h", "rendezvous.h", "vec.h", "rmath.h", "pmath.h", "real.h", "layout.h",
           "frame_codec.h", "cobs.h", "crc32.h", "pdg.h", "pdg_law.h", "pdg_law_layout.h", "fsw_step_pdg.h",
           "firmware/common/board.h", "firmware/common/hil_protocol.h",
           "firmware/common/hil_protocol.c"]
POSIX_FLAGS = ["-fvisibility=hidden", "-ffp-contract=off"]
# the powered-descent solver's room on the host (csrc/pdg.h): the bench's largest problem
PDG_N_MAX = 100

PRELUDE = """
#include "fsw_step.h"
#include "layout.h"
#include "pdg.h"
#include "pdg_law.h"
#include "fsw_step_pdg.h"
#if defined(_WIN32)
#define GNC_EXPORT __declspec(dllexport)
#else
#define GNC_EXPORT __attribute__((visibility("default")))
#endif
#define GNC_REAL_BYTES ((int)sizeof(real))
/* the host board layer's calls, from firmware/host/board_host.c */
void gnc_host_boot(const char *board, const char *reason, int hook);
size_t gnc_host_feed(const uint8_t *data, size_t len);
size_t gnc_host_take(uint8_t *dst, size_t cap);
uint32_t gnc_host_steps(void);

/* The fuel-optimal law's solver memory in a double state row: at the plan's end, in
 * doubles (8-byte aligned as the row is); the row's length for N nodes. */
static pdg_law_mem *pdg_mem(double *fs)
{
    return (pdg_law_mem *)(void *)(fs + PDG_LAW_PLAN_END((int)fs[FS_LEN + PG_NODES]));
}

static int pdg_law_row_len(int N)
{
    return PDG_LAW_PLAN_END(N) + (int)((sizeof(pdg_law_mem) + sizeof(double) - 1) / sizeof(double));
}

/* a row whose node count pdg_law_setup_row did not accept is never stepped past its end */
static int pdg_row_bad(const double *fs, double *af)
{
    int N = (int)fs[FS_LEN + PG_NODES], i;
    if (N >= 3 && N <= PDG_N_MAX)
        return 0;
    for (i = 0; i < AF_LEN; ++i)
        af[i] = 0.0;
    af[AF_HEALTH] = (double)HEALTH_CONFIG_BAD;
    return 1;
}
"""

DOUBLE_ENTRY = """
GNC_EXPORT void gnc_fsw_step_d(const double *sf, const double *cfg, double *fs, double *af)
{
    fsw_step(sf, cfg, fs, af);
}

GNC_EXPORT void gnc_fsw_step_pdg_d(const double *sf, const double *cfg, double *fs, double *af)
{
    if (!pdg_row_bad(fs, af))
        fsw_step_pdg(sf, cfg, fs, af, pdg_mem(fs));
}

static int pdg_law_setup_row(double *fs)
{
    int N = (int)fs[FS_LEN + PG_NODES];
    if (N < 3 || N > PDG_N_MAX) return PDG_ERR_N;
    return pdg_law_setup(fs, pdg_mem(fs));
}

static int pdg_law_plan_arc_row(double *fs, const double *cfg, double t, const double *r, const double *v,
                                double mass, double ratio, double g_mag, double search)
{
    return pdg_law_plan_arc(fs, cfg, t, r, v, mass, ratio, g_mag, search, pdg_mem(fs));
}
"""

FLOAT_ENTRY = """
GNC_EXPORT void gnc_fsw_step_f64io(const double *sf, const double *cfg, double *fs, double *af)
{
    real sf_r[SF_LEN], cfg_r[CF_LEN], fs_r[FS_LEN], af_r[AF_LEN];
    int i;
    for (i = 0; i < SF_LEN; ++i) sf_r[i] = (real)sf[i];
    for (i = 0; i < CF_LEN; ++i) cfg_r[i] = (real)cfg[i];
    for (i = 0; i < FS_LEN; ++i) fs_r[i] = (real)fs[i];
    fsw_step(sf_r, cfg_r, fs_r, af_r);
    for (i = 0; i < FS_LEN; ++i) fs[i] = fs_r[i];
    for (i = 0; i < AF_LEN; ++i) af[i] = af_r[i];
}

/* the row's reals up to the plan's end to float and back; its solver memory stays where it is */
#define PDG_ROW_REALS PDG_LAW_PLAN_END(PDG_N_MAX)

static int pdg_row_in(real *fs_r, const double *fs)
{
    int n = PDG_LAW_PLAN_END((int)fs[FS_LEN + PG_NODES]), i;
    for (i = 0; i < n; ++i) fs_r[i] = (real)fs[i];
    return n;
}

static void pdg_row_out(double *fs, const real *fs_r, int n)
{
    int i;
    for (i = 0; i < n; ++i) fs[i] = fs_r[i];
}

GNC_EXPORT void gnc_fsw_step_pdg_f64io(const double *sf, const double *cfg, double *fs, double *af)
{
    real sf_r[SF_LEN], cfg_r[CF_LEN], fs_r[PDG_ROW_REALS], af_r[AF_LEN];
    int i, n;
    if (pdg_row_bad(fs, af))
        return;
    for (i = 0; i < SF_LEN; ++i) sf_r[i] = (real)sf[i];
    for (i = 0; i < CF_LEN; ++i) cfg_r[i] = (real)cfg[i];
    n = pdg_row_in(fs_r, fs);
    fsw_step_pdg(sf_r, cfg_r, fs_r, af_r, pdg_mem(fs));
    pdg_row_out(fs, fs_r, n);
    for (i = 0; i < AF_LEN; ++i) af[i] = af_r[i];
}

static int pdg_law_setup_row(double *fs)
{
    real fs_r[PDG_ROW_REALS];
    int n, err, N = (int)fs[FS_LEN + PG_NODES];
    if (N < 3 || N > PDG_N_MAX) return PDG_ERR_N;
    n = pdg_row_in(fs_r, fs);
    err = pdg_law_setup(fs_r, pdg_mem(fs));
    pdg_row_out(fs, fs_r, n);
    return err;
}

static int pdg_law_plan_arc_row(double *fs, const double *cfg, double t, const double *r, const double *v,
                                double mass, double ratio, double g_mag, double search)
{
    real fs_r[PDG_ROW_REALS], cfg_r[CF_LEN], r_r[3], v_r[3];
    int n, ok, i;
    for (i = 0; i < CF_LEN; ++i) cfg_r[i] = (real)cfg[i];
    for (i = 0; i < 3; ++i) { r_r[i] = (real)r[i]; v_r[i] = (real)v[i]; }
    n = pdg_row_in(fs_r, fs);
    ok = pdg_law_plan_arc(fs_r, cfg_r, (real)t, r_r, v_r, (real)mass, (real)ratio, (real)g_mag, (real)search,
                          pdg_mem(fs));
    pdg_row_out(fs, fs_r, n);
    return ok;
}
"""

CDEF = """
typedef {real} real;
#define SF_LEN ...
#define CF_LEN ...
#define FS_LEN ...
#define AF_LEN ...
#define GNC_REAL_BYTES ...
void fsw_reset(real *fs);
void fsw_step(const real *sf, const real *cfg, real *fs, real *af);
void {entry}(const double *sf, const double *cfg, double *fs, double *af);
void {pdg_entry}(const double *sf, const double *cfg, double *fs, double *af);
int pdg_law_row_len(int N);
int pdg_law_setup_row(double *fs);
int pdg_law_plan_arc_row(double *fs, const double *cfg, double t, const double *r, const double *v,
                         double mass, double ratio, double g_mag, double search);
void gnc_host_boot(const char *board, const char *reason, int hook);
size_t gnc_host_feed(const uint8_t *data, size_t len);
size_t gnc_host_take(uint8_t *dst, size_t cap);
uint32_t gnc_host_steps(void);
extern "Python+C" void gnc_host_hook_step(const real *sf, const real *cfg, real *fs, real *af);
extern "Python+C" void gnc_host_hook_reset(real *fs);
#define PDG_N_MAX ...
typedef int... pdg_idx;
typedef struct {{ real c[...]; real b[...]; real h[...]; real a_val[...]; real g_val[...]; int dims[7]; real scale[7];
                 ...; }} pdg_problem;
typedef struct {{ real x[...]; real y[...]; real z[...]; real s[...]; real info[7]; pdg_idx lp[...]; int nk;
                 ...; }} pdg_work;
int pdg_layout(pdg_problem *P, int N);
void pdg_fill(pdg_problem *P, const real *state, const real *lim, real tf);
int pdg_workspace(const pdg_problem *P, pdg_work *W);
int pdg_solve(const pdg_problem *P, pdg_work *W, int warm);
int pdg_solve_begin(const pdg_problem *P, pdg_work *W, int warm);
int pdg_solve_iterate(const pdg_problem *P, pdg_work *W, int budget);
"""


def _rel(path: Path) -> str:
    # setuptools wants sources relative to the project root, the build's working directory
    return os.path.relpath(path)


def _builder(module: str, real: str, entry: str, entry_source: str, macros) -> cffi.FFI:
    ffi = cffi.FFI()
    ffi.cdef(CDEF.format(real=real, entry=entry, pdg_entry=entry.replace("gnc_fsw_step", "gnc_fsw_step_pdg")))
    ffi.set_source(module, PRELUDE + entry_source,
                   sources=[_rel(CSRC / f) for f in KERNELS + PROTOCOL],
                   depends=[_rel(CSRC / f) for f in HEADERS + ["build_cffi.py"]],
                   include_dirs=[_rel(CSRC)],
                   define_macros=macros + [("PDG_N_MAX", str(PDG_N_MAX))],
                   extra_compile_args=POSIX_FLAGS if sys.platform != "win32" else [])
    return ffi


ffibuilder_double = _builder("gnc._fsw_c", "double", "gnc_fsw_step_d", DOUBLE_ENTRY, [])
ffibuilder_float = _builder("gnc._fsw_cf", "float", "gnc_fsw_step_f64io", FLOAT_ENTRY, [("GNC_REAL_FLOAT", None)])
