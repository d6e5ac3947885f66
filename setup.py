"""Build hook for the C flight build (csrc/build_cffi.py: two cffi extension modules);
the rest of the package's configuration is in pyproject.toml.

A missing or failing C compiler must not stop the install: the numba flight software
needs none, and `--fsw c` then says the C build is unavailable and why.
"""
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError


class OptionalBuildExt(build_ext):
    """Builds each extension it can and leaves out, with a warning, those it cannot."""

    def build_extensions(self):
        self.check_extensions_list(self.extensions)
        built = []
        for ext in self.extensions:
            try:
                self.build_extension(ext)
            except (BaseError, CCompilerError, OSError) as e:
                print(f"WARNING: lunar-gnc: the C flight build {ext.name} was not compiled ({e}); "
                      "the package works without it, `--fsw c` will not. Install a C compiler "
                      "(gcc or clang) and reinstall to get it.", file=sys.stderr)
            else:
                built.append(ext)
        self.extensions = built    # what later steps copy or list: only what exists


setup(cmdclass={"build_ext": OptionalBuildExt},
      cffi_modules=["csrc/build_cffi.py:ffibuilder_double", "csrc/build_cffi.py:ffibuilder_float"])
