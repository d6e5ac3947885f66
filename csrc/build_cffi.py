"""Host builds of the C flight software with cffi in API mode (run by the package build,
see setup.py): two extension modules from the same csrc/ files.

    gnc._fsw_c    real = double
    gnc._fsw_cf   real = float (-DGNC_REAL_FLOAT), the microcontroller arithmetic

Each exports, besides fsw_step/fsw_reset on its own `real` (for Python through `lib`),
one entry point with a build-unique name and double frames, which gnc.core.fsw_c
declares to numba so the closed loop calls C with no Python per step:

    gnc_fsw_step_d(sf, cfg, fs, af)        double build, a direct call
    gnc_fsw_step_f64io(sf, cfg, fs, af)    float build: frames converted to float and back

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
           "relnav.c", "ascent.c", "rendezvous.c", "pmath.c", "pdg.c"]
# the board's side of the HIL protocol: board_host.c includes firmware/common/hil_protocol.c
PROTOCOL = ["firmware/host/board_host.c", "frame_codec.c", "cobs.c", "crc32.c"]
HEADERS = ["fsw_step.h", "nav.h", "guidance.h", "control.h", "descent.h", "landing.h", "orbit.h", "orbit_ops.h", "rcs.h",
           "relnav.h", "ascent.h", "rendezvous.h", "vec.h", "rmath.h", "pmath.h", "real.h", "layout.h",
           "frame_codec.h", "cobs.h", "crc32.h", "pdg.h", "firmware/common/board.h", "firmware/common/hil_protocol.h",
           "firmware/common/hil_protocol.c"]
POSIX_FLAGS = ["-fvisibility=hidden", "-ffp-contract=off"]
# the powered-descent solver's room on the host (csrc/pdg.h): the bench's largest problem
PDG_N_MAX = 100

PRELUDE = """
#include "fsw_step.h"
#include "layout.h"
#include "pdg.h"
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
"""

DOUBLE_ENTRY = """
GNC_EXPORT void gnc_fsw_step_d(const double *sf, const double *cfg, double *fs, double *af)
{
    fsw_step(sf, cfg, fs, af);
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
"""


def _rel(path: Path) -> str:
    # setuptools wants sources relative to the project root, the build's working directory
    return os.path.relpath(path)


def _builder(module: str, real: str, entry: str, entry_source: str, macros) -> cffi.FFI:
    ffi = cffi.FFI()
    ffi.cdef(CDEF.format(real=real, entry=entry))
    ffi.set_source(module, PRELUDE + entry_source,
                   sources=[_rel(CSRC / f) for f in KERNELS + PROTOCOL],
                   depends=[_rel(CSRC / f) for f in HEADERS + ["build_cffi.py"]],
                   include_dirs=[_rel(CSRC)],
                   define_macros=macros + [("PDG_N_MAX", str(PDG_N_MAX))],
                   extra_compile_args=POSIX_FLAGS if sys.platform != "win32" else [])
    return ffi


ffibuilder_double = _builder("gnc._fsw_c", "double", "gnc_fsw_step_d", DOUBLE_ENTRY, [])
ffibuilder_float = _builder("gnc._fsw_cf", "float", "gnc_fsw_step_f64io", FLOAT_ENTRY, [("GNC_REAL_FLOAT", None)])
