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

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

SYMBOLS = {types.float32: "cnnbook_sgemm", types.float64: "cnnbook_dgemm"}
NAMES = ("M", "N", "K", "a", "a_first", "lda", "trans_a", "b", "b_first", "ldb", "trans_b", "beta",
         "c", "c_first", "ldc")
_registered = False


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
        blas_args = [flag("trans_b"), flag("trans_a"), pointer_to("N", types.int32), pointer_to("M", types.int32),
                     pointer_to("K", types.int32), pointer_to("one", dtype),
                     first_entry("b", "b_first"), pointer_to("ldb", types.int32),
                     first_entry("a", "a_first"), pointer_to("lda", types.int32),
                     pointer_to("beta", dtype), first_entry("c", "c_first"), pointer_to("ldc", types.int32)]
        routine = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [arg.type for arg in blas_args]), SYMBOLS[dtype])
        builder.call(routine, blas_args)
        return context.get_dummy_value()

    return signature, codegen
