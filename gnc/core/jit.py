"""The one place numba is configured for the core.

Every kernel is compiled with cache=True (cold start is a user-visible cost) and
nogil (Monte Carlo threads).  Set NUMBA_CACHE_DIR for read-only installs.
"""
import numba

kernel = numba.njit(cache=True, nogil=True, error_model="numpy")

