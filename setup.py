"""Build configuration for the optional native block parser (analyzer/parse/_fastblock.c).

Everything else is in pyproject.toml.  The extension needs PCRE2 (Debian: libpcre2-dev);
without it the build skips the extension and novatrace uses its pure-Python parser,
which gives the same events, more slowly.
"""

import shutil
import subprocess

from setuptools import Extension, setup


def _pcre2_flags() -> tuple[list[str], list[str]]:
    config = shutil.which("pcre2-config")
    if config is None:
        return [], ["pcre2-8"]
    cflags = subprocess.run([config, "--cflags"], capture_output=True, text=True).stdout.split()
    libs = subprocess.run([config, "--libs8"], capture_output=True, text=True).stdout.split()
    return cflags, [flag[2:] for flag in libs if flag.startswith("-l")]


_cflags, _libraries = _pcre2_flags()

setup(
    ext_modules=[
        Extension(
            "analyzer.parse._fastblock",
            ["analyzer/parse/_fastblock.c"],
            libraries=_libraries,
            extra_compile_args=["-O2", *_cflags],
            optional=True,
        )
    ]
)
