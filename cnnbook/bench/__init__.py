"""Benchmarks: speed is measured here, side by side in one run, never asserted in tests.

* ``python -m cnnbook.bench`` (:mod:`cnnbook.bench.conv`): convolution and pooling, forward and
  backward, against a NumPy im2col implementation and PyTorch on the CPU when it is installed;
* ``python -m cnnbook.bench.training`` (:mod:`cnnbook.bench.training`): one training epoch of the
  capstone's network and of the small ResNet, against the same networks in PyTorch.
"""
