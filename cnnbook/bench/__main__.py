"""``python -m cnnbook.bench``: the convolution and pooling benchmark of :mod:`cnnbook.bench.conv`."""

from .conv import main

raise SystemExit(main())
