"""NIR's convolution and pooling nodes unrolled into explicit sparse connections.

Shapes are PyTorch's (channels first), data flattened in C order: element ``(c, y, x)`` of a
``C x H x W`` tensor is index ``(c H + y) W + x``.  For output element ``(o, i, j)`` of a
2-d convolution (weight ``C_out x C_in/groups x kH x kW``, stride ``s``, padding ``p``,
dilation ``d``; Conv1d is the case ``H = kH = 1``):

    y[o, i, j] = bias[o] + sum_{c, u, v} w[o, c, u, v] x[g C_in/groups + c, i s0 - p0 + u d0,
                                                                j s1 - p1 + v d1]

with ``g = o // (C_out/groups)`` and out-of-range input positions read as 0 (zero padding);
``padding="same"`` pads ``d (k - 1) // 2`` before (PyTorch).  SumPool2d is the convolution of
each channel with a kernel of ones, AvgPool2d with ``1/(kH kW)`` (zero padding counted, as
PyTorch's default ``count_include_pad=True``).  Each map is a :class:`~hub_nir.sparse.Sparse`
of shape ``(output size, input size)`` plus a bias vector of the output size.
"""

from __future__ import annotations

import numpy as np

from .sparse import Sparse


def _pair(value, name: str) -> tuple[int, int]:
    v = np.asarray(value).ravel()
    if v.size == 1:
        return int(v[0]), int(v[0])
    if v.size == 2:
        return int(v[0]), int(v[1])
    raise ValueError(f"{name} {value!r} is neither one number nor a pair")


def _padding(padding, kernel, dilation) -> tuple[int, int]:
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, str) or (isinstance(padding, np.ndarray) and padding.dtype.kind in "US"):
        mode = str(padding)
        if mode == "valid":
            return 0, 0
        if mode == "same":
            return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))  # type: ignore
        raise ValueError(f"padding {mode!r}: use 'same', 'valid' or integers")
    return _pair(padding, "padding")


def _out_size(n, k, s, p, d, same: bool) -> int:
    return n if same else (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv2d(weight, bias, in_shape, stride=1, padding=0, dilation=1, groups=1):
    """(Sparse map, bias vector, output shape) of a 2-d convolution on ``in_shape``
    ``(C_in, H, W)``."""
    w = np.asarray(weight, float)
    c_out, c_in_g, kh, kw = w.shape
    c_in, h, wd = (int(x) for x in in_shape)
    groups = int(np.asarray(groups).ravel()[0])
    if c_in != c_in_g * groups:
        raise ValueError(f"{c_in} input channels but weight expects {c_in_g} x {groups} groups")
    s, d = _pair(stride, "stride"), _pair(dilation, "dilation")
    same = isinstance(padding, (str, bytes))
    p = _padding(padding, (kh, kw), d)
    ho = _out_size(h, kh, s[0], p[0], d[0], same)
    wo = _out_size(wd, kw, s[1], p[1], d[1], same)
    o, c, u, v, i, j = np.meshgrid(
        np.arange(c_out), np.arange(c_in_g), np.arange(kh), np.arange(kw),
        np.arange(ho), np.arange(wo), indexing="ij",
    )  # fmt: skip
    y = i * s[0] - p[0] + u * d[0]
    x = j * s[1] - p[1] + v * d[1]
    ok = (y >= 0) & (y < h) & (x >= 0) & (x < wd) & (w[o, c, u, v] != 0)
    o, c, u, v, i, j, y, x = (a[ok] for a in (o, c, u, v, i, j, y, x))
    cin = (o // (c_out // groups)) * c_in_g + c
    rows = (o * ho + i) * wo + j
    cols = (cin * h + y) * wd + x
    n_out = c_out * ho * wo
    mat = Sparse.make(rows, cols, w[o, c, u, v], (n_out, c_in * h * wd)).merged()
    b = np.zeros(c_out) if bias is None else np.broadcast_to(np.asarray(bias, float), (c_out,))
    return mat, np.repeat(b, ho * wo), (c_out, ho, wo)


def conv1d(weight, bias, in_shape, stride=1, padding=0, dilation=1, groups=1):
    """(Sparse map, bias vector, output shape) of a 1-d convolution on ``(C_in, N)``."""
    w = np.asarray(weight, float)
    c_in, n = (int(x) for x in in_shape)
    pad = padding if isinstance(padding, (str, bytes)) else (0, _pair(padding, "padding")[0])
    mat, b, (c_out, _, no) = conv2d(
        w[:, :, None, :], bias, (c_in, 1, n), (1, _pair(stride, "stride")[0]), pad,
        (1, _pair(dilation, "dilation")[0]), groups,
    )  # fmt: skip
    return mat, b, (c_out, no)


def pool2d(kernel_size, stride, padding, in_shape, average: bool):
    """(Sparse map, zero bias, output shape) of sum (or average) pooling on ``(C, H, W)``."""
    c, h, wd = (int(x) for x in in_shape)
    kh, kw = _pair(kernel_size, "kernel_size")
    value = 1.0 / (kh * kw) if average else 1.0
    weight = np.zeros((c, 1, kh, kw))
    weight[:] = value
    return conv2d(weight, None, (c, h, wd), stride, _pair(padding, "padding"), 1, groups=c)
