"""snn-hub's tests.  A package, because nestml installs a top-level ``tests`` package into
site-packages, which would shadow a namespace package of this name."""
