"""`talent`: the command line of operators and analysts, and what its commands do that is not a
pipeline step (benchmark, scorecard view, the restricted person-level exports)."""
