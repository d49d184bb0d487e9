"""Inference: infer a scenario's unknowns from reported figures, predict the
figures held out, and rank the unknowns by what they do to the answer.

- :mod:`.spec`: the calibration file (priors, observations, held-out records,
  verdicts, settings), read with the line of every key;
- :mod:`.priors`: the prior of each unknown (quantiles, densities);
- :mod:`.particles`: parameters -> scenario -> per-replication rows;
- :mod:`.pool` and :mod:`.sampler`: deterministic parallel evaluation (serial,
  local processes or Dask give the same particles);
- :mod:`.abc`: ABC-SMC with pyabc; :mod:`.predictive`: posterior predictive
  checks and verdicts; :mod:`.sensitivity`: Sobol' and Morris indices with SALib.

pyabc and SALib are imported only by the modules that use them (``pip install
-e '.[calibrate]'``).
"""
