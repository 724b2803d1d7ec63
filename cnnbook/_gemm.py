"""BLAS's ``gemm``, called from numba kernels on flat arrays, the way BLAS itself sees matrices.

A matrix inside a flat (1-D) array is three numbers: the array, the index of its first entry and
its *leading dimension*, the distance between the starts of two of its rows (row-major). A block of
output rows of one sample, ``y[n, :, i0*Q:i1*Q]`` of ``y`` ``(N, K, P*Q)``, is then a matrix
``(K, (i1-i0)*Q)`` that starts at ``(n*K)*P*Q + i0*Q`` with leading dimension ``P*Q``, and a
product can write it in place, with no copy.

:func:`gemm` computes ``c = op(a) @ op(b) + beta * c``, ``op`` transposing an operand when asked,
by calling the ``sgemm`` or ``dgemm`` that SciPy exports (``scipy.linalg.cython_blas``): the same
routine numba's ``np.dot`` calls, without the checks, reshapes and copies around it, which numba
compiles anew for every kernel and dtype (about a second each on an empty cache).

The kernels reach the routine through a symbol registered with LLVM's linker
(:func:`register_symbols`), so numba can cache compiled kernels that call it: call it before
a kernel runs, in every process.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

SYMBOLS = {types.float32: "cnnbook_sgemm", types.float64: "cnnbook_dgemm"}
NAMES = ("M", "N", "K", "a", "a_first", "lda", "trans_a", "b", "b_first", "ldb", "trans_b", "beta",
         "c", "c_first", "ldc")
# The arguments of BLAS's column-major ``?gemm`` for the row-major product (see :func:`gemm`): the operands
# swap, and so do M and N. Both :func:`gemm` and :func:`gemm_from_python` pass them in this order.
BLAS_ORDER = ("trans_b", "trans_a", "N", "M", "K", "one", "b", "ldb", "a", "lda", "beta", "c", "ldc")
_registered = False


def gemm_from_python(M, N, K, a, a_first, lda, trans_a, b, b_first, ldb, trans_b, beta, c, c_first, ldc):
    """:func:`gemm` called from Python: the same BLAS routine with the same arguments, through ``ctypes``,
    so it computes the same bits (:mod:`cnnbook._uncompiled` runs the kernels this way while they compile).
    """
    if not (a.dtype == b.dtype == c.dtype and c.dtype.type in _CTYPES):
        raise TypeError("gemm: a, b and c must share one dtype, float32 or float64; "
                        f"got {a.dtype}, {b.dtype}, {c.dtype}")
    scalar = _CTYPES[c.dtype.type]
    argument = {name: ctypes.byref(ctypes.c_char(b"T" if flag else b"N"))
                for name, flag in (("trans_a", trans_a), ("trans_b", trans_b))}
    argument.update({name: ctypes.byref(ctypes.c_int32(value))
                     for name, value in (("M", M), ("N", N), ("K", K), ("lda", lda), ("ldb", ldb), ("ldc", ldc))})
    argument.update({"one": ctypes.byref(scalar(1)), "beta": ctypes.byref(scalar(beta))})
    argument.update({name: ctypes.c_void_p(array.ctypes.data + int(first) * array.itemsize)
                     for name, array, first in (("a", a, a_first), ("b", b, b_first), ("c", c, c_first))})
    _python_routine(c.dtype.type)(*[argument[name] for name in BLAS_ORDER])


_CTYPES = {np.float32: ctypes.c_float, np.float64: ctypes.c_double}


@functools.cache
def _python_routine(dtype):
    """SciPy's ``sgemm`` or ``dgemm`` as a ``ctypes`` function (13 pointers; it releases the GIL)."""
    from scipy.linalg import cython_blas

    address = _capsule_address(cython_blas.__pyx_capi__["sgemm" if dtype == np.float32 else "dgemm"])
    return ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * len(BLAS_ORDER))(address)


def register_symbols() -> None:
    """Make the symbols :func:`gemm` calls point at SciPy's ``sgemm`` and ``dgemm`` (once per process)."""
    global _registered
    if _registered:
        return
    from scipy.linalg import cython_blas

    for dtype, symbol in SYMBOLS.items():
        routine = "sgemm" if dtype == types.float32 else "dgemm"
        binding.add_symbol(symbol, _capsule_address(cython_blas.__pyx_capi__[routine]))
    _registered = True


def _capsule_address(capsule) -> int:
    """The C function pointer a Cython ``__pyx_capi__`` capsule holds."""
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule))


@intrinsic
def gemm(typingctx, M, N, K, a, a_first, lda, trans_a, b, b_first, ldb, trans_b, beta, c, c_first, ldc):
    """``c`` ``(M, N)`` = ``op(a)`` ``(M, K)`` @ ``op(b)`` ``(K, N)`` + ``beta * c``, row-major.

    Each matrix is a flat float array, the index of its first entry and its leading dimension.
    ``op(a)`` is ``a`` itself (stored ``(M, K)``), or, with ``trans_a``, the transpose of the
    ``(K, M)`` matrix stored there; likewise ``op(b)``. ``a``, ``b`` and ``c`` share one dtype,
    float32 or float64. ``c`` must not overlap ``a`` or ``b``. With ``beta`` 0, ``c`` is only written
    (BLAS does not read it, so NaN left there does not spread).

    Fortran's BLAS is column-major, and a row-major matrix is its transpose seen column-major; so
    this asks BLAS for ``c.T = op(b).T @ op(a).T``: the operands swap, the flags stay.
    """
    dtype = c.dtype
    if not (a.dtype == b.dtype == dtype and dtype in SYMBOLS):
        return None
    signature = types.void(M, N, K, a, a_first, lda, trans_a, b, b_first, ldb, trans_b, beta, c, c_first, ldc)

    def codegen(context, builder, sig, args):
        value = dict(zip(NAMES, zip(args, sig.args)))  # name -> (LLVM value, numba type)

        def pointer_to(name, as_type):  # BLAS takes every argument by reference
            slot = cgutils.alloca_once(builder, context.get_value_type(as_type))
            builder.store(context.cast(builder, *value[name], as_type), slot)
            return slot

        def flag(name):
            transposed = context.cast(builder, *value[name], types.boolean)
            letter = builder.select(transposed, ir.Constant(ir.IntType(8), ord("T")),
                                    ir.Constant(ir.IntType(8), ord("N")))
            value[name] = (letter, types.int8)
            return pointer_to(name, types.int8)

        def first_entry(array, first):
            data = context.make_array(value[array][1])(context, builder, value[array][0]).data
            return builder.gep(data, [context.cast(builder, *value[first], types.intp)])

        value["one"] = (context.get_constant(dtype, 1), dtype)
        argument = {name: flag(name) for name in ("trans_a", "trans_b")}
        argument.update({name: pointer_to(name, types.int32) for name in ("M", "N", "K", "lda", "ldb", "ldc")})
        argument.update({name: pointer_to(name, dtype) for name in ("one", "beta")})
        argument.update({name: first_entry(name, f"{name}_first") for name in ("a", "b", "c")})
        blas_args = [argument[name] for name in BLAS_ORDER]
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [arg.type for arg in blas_args]), SYMBOLS[dtype])
        builder.call(routine, blas_args)
        return context.get_dummy_value()

    return signature, codegen
